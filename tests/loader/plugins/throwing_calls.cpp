// Broken on purpose: loads and constructs fine, then throws from every call.
#include "minimal_venue.h"

namespace broken {
class ThrowingCallsVenue : public tradehost::test::MinimalVenue {
public:
    using MinimalVenue::MinimalVenue;
    tradehost::PlaceResult placeOrder(const tradehost::OrderIntent&) override { throw std::runtime_error("place boom"); }
    tradehost::QueryResult queryOrder(const std::string&, const std::string&) override { throw 42; }
    tradehost::CancelResult cancelOrder(const std::string&, const std::string&) override { throw std::logic_error("cancel boom"); }
    tradehost::PositionsResult positions() override { throw std::runtime_error("positions boom"); }
    tradehost::OpenOrdersResult openOrders() override { throw std::runtime_error("open orders boom"); }
    tradehost::SymbolRulesResult symbolRules(const std::string&) override { throw std::runtime_error("rules boom"); }
};
}  // namespace broken
TRADEHOST_PLUGIN(broken::ThrowingCallsVenue, "throwing_calls", "0.0.1", "every call throws")
