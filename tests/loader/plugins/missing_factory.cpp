// Broken on purpose: exports the ABI stamp but not the factory alias.
#include <tradehost/plugin.h>

namespace broken {
const tradehost::AbiStamp stamp{tradehost::kAbiVersion, TRADEHOST_BUILD_TAG, tradehost::PluginKind::Venue,
                                "missing_factory", "0.0.1", "stamp without factory"};
}
BOOST_DLL_ALIAS(broken::stamp, tradehost_abi_stamp)
