// Broken on purpose: links with an undefined symbol, so loading with RTLD_NOW must fail.
#include "minimal_venue.h"

extern "C" int tradehost_test_symbol_that_does_not_exist();

namespace broken {
class UnresolvedVenue : public tradehost::test::MinimalVenue {
public:
    UnresolvedVenue(const tradehost::Settings& s, tradehost::PluginContext& c) : MinimalVenue(s, c) {
        if (tradehost_test_symbol_that_does_not_exist() == 0) throw std::runtime_error("unreachable");
    }
};
}  // namespace broken
TRADEHOST_PLUGIN(broken::UnresolvedVenue, "unresolved_symbol", "0.0.1", "needs a symbol nobody defines")
