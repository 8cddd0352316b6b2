// Broken on purpose: stamped with an SDK ABI version this host does not speak.
#include "minimal_venue.h"

namespace broken {
const tradehost::AbiStamp stamp{tradehost::kAbiVersion + 1000, TRADEHOST_BUILD_TAG, tradehost::PluginKind::Venue,
                                "wrong_abi", "0.0.1", "built against a future SDK"};
const tradehost::PluginFactory& factory() {
    static const tradehost::detail::FactoryFor<tradehost::test::MinimalVenue> f;
    return f;
}
}  // namespace broken
BOOST_DLL_ALIAS(broken::stamp, tradehost_abi_stamp)
BOOST_DLL_ALIAS(broken::factory, tradehost_plugin_factory)
