// Broken on purpose: constructs fine, but start() fails (say, the exchange is unreachable).
#include "minimal_venue.h"

namespace broken {
class ThrowingStartVenue : public tradehost::test::MinimalVenue {
public:
    using MinimalVenue::MinimalVenue;
    void start() override { throw std::runtime_error("cannot reach the exchange on purpose"); }
};
}  // namespace broken
TRADEHOST_PLUGIN(broken::ThrowingStartVenue, "throwing_start", "0.0.1", "start() throws")
