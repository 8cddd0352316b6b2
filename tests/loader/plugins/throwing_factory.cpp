// Broken on purpose: the exported factory function itself throws.
#include "minimal_venue.h"

namespace broken {
const tradehost::AbiStamp stamp{tradehost::kAbiVersion, TRADEHOST_BUILD_TAG, tradehost::PluginKind::Venue,
                                "throwing_factory", "0.0.1", "factory throws"};
const tradehost::PluginFactory& factory() { throw std::runtime_error("factory exploded on purpose"); }
}  // namespace broken
BOOST_DLL_ALIAS(broken::stamp, tradehost_abi_stamp)
BOOST_DLL_ALIAS(broken::factory, tradehost_plugin_factory)
