// Broken on purpose: a well-formed plugin whose constructor refuses every configuration.
#include "minimal_venue.h"

namespace broken {
class ThrowingCtorVenue : public tradehost::test::MinimalVenue {
public:
    ThrowingCtorVenue(const tradehost::Settings& s, tradehost::PluginContext& c) : MinimalVenue(s, c) {
        throw std::invalid_argument("constructor refuses on purpose");
    }
};
}  // namespace broken
TRADEHOST_PLUGIN(broken::ThrowingCtorVenue, "throwing_ctor", "0.0.1", "constructor throws")
