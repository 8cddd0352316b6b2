// The venue contract: what every venue plugin must do, checked through the host's own wrappers.
// Run once per venue library (see CMakeLists.txt); parameters come from the environment:
//   TRADEHOST_CONTRACT_SYMBOL          a tradable symbol, e.g. BTCUSDT
//   TRADEHOST_CONTRACT_QUANTITY        a valid small quantity for it
//   TRADEHOST_CONTRACT_RESTING_PRICE   a valid limit BUY price far below the market (rests)
#include <atomic>
#include <thread>
#include <vector>

#include "contract_fixture.h"
#include "ids/client_order_id.h"

using namespace tradehost;
using tradehost::test::ContractFixture;

namespace {

struct Params {
    std::string symbol = test::requiredEnv("TRADEHOST_CONTRACT_SYMBOL");
    Decimal quantity = Decimal::of(test::requiredEnv("TRADEHOST_CONTRACT_QUANTITY"));
    Decimal restingPrice = Decimal::of(test::requiredEnv("TRADEHOST_CONTRACT_RESTING_PRICE"));
};

struct VenueUnderTest : ContractFixture {
    Params p;
    host::VenueInstance& venue() {
        REQUIRE(instances().venues.size() == 1);
        return *instances().venues.front();
    }
    OrderIntent market(Side side, bool reduceOnly = false) {
        OrderIntent i;
        i.clientOrderId = freshId(venue().name());
        i.symbol = p.symbol;
        i.side = side;
        i.type = OrderType::Market;
        i.quantity = p.quantity;
        i.reduceOnly = reduceOnly;
        return i;
    }
    OrderIntent restingLimit() {
        OrderIntent i = market(Side::Buy);
        i.type = OrderType::Limit;
        i.price = p.restingPrice;
        i.timeInForce = TimeInForce::GTC;
        return i;
    }
    Decimal positionOf(const std::string& symbol) {
        const auto r = venue().positions();
        REQUIRE(std::holds_alternative<Positions>(r));
        Decimal total;
        for (const auto& pos : std::get<Positions>(r).positions)
            if (pos.symbol == symbol) total += pos.quantity;
        return total;
    }
    // Returns a copy: the variant passed in is usually a temporary.
    template <class T, class V>
    static T expect(const V& v, const char* what) {
        INFO(what);
        REQUIRE(std::holds_alternative<T>(v));
        return std::get<T>(v);
    }
};

}  // namespace

TEST_CASE_METHOD(VenueUnderTest, "client order id rules leave room for the host's ids", "[venue]") {
    const auto rules = venue().clientOrderIdRules();
    CHECK(host::maxVenueNameLength(rules) >= venue().name().size());
    for (char c : std::string("abcxyzABCXYZ0189"))
        CHECK(rules.alphabet.find(c) != std::string::npos);
}

TEST_CASE_METHOD(VenueUnderTest, "a market order is accepted, filled or open, and found again by its id", "[venue]") {
    const auto intent = market(Side::Buy);
    const auto& accepted = expect<Accepted>(venue().placeOrder(intent), "placeOrder(market)");
    CHECK(accepted.order.clientOrderId == intent.clientOrderId);
    CHECK_FALSE(accepted.order.exchangeOrderId.empty());
    CHECK(accepted.order.symbol == p.symbol);
    CHECK(accepted.order.filledQuantity <= accepted.order.quantity);
    CHECK(accepted.order.quantity == p.quantity);

    const auto& found = expect<Found>(venue().queryOrder(intent.clientOrderId, p.symbol), "queryOrder");
    CHECK(found.order.clientOrderId == intent.clientOrderId);
    CHECK(found.order.exchangeOrderId == accepted.order.exchangeOrderId);
    // Flatten again so that the next case starts where this one did.
    expect<Accepted>(venue().placeOrder(market(Side::Sell, true)), "closing reduce-only order");
}

TEST_CASE_METHOD(VenueUnderTest, "a query for an id that was never used is NotFound, not Unknown", "[venue]") {
    expect<NotFound>(venue().queryOrder(freshId(venue().name()), p.symbol), "queryOrder(never used)");
}

TEST_CASE_METHOD(VenueUnderTest, "a resting limit order is listed as open and can be cancelled exactly once", "[venue]") {
    const auto intent = restingLimit();
    const auto& accepted = expect<Accepted>(venue().placeOrder(intent), "placeOrder(limit)");
    CHECK(accepted.order.status == OrderStatus::New);

    const auto& open = expect<OpenOrders>(venue().openOrders(), "openOrders");
    int listed = 0;
    for (const auto& o : open.orders) listed += o.clientOrderId == intent.clientOrderId;
    CHECK(listed == 1);

    const auto& canceled = expect<Canceled>(venue().cancelOrder(intent.clientOrderId, p.symbol), "cancelOrder");
    CHECK(canceled.order.status == OrderStatus::Canceled);
    expect<NotOpen>(venue().cancelOrder(intent.clientOrderId, p.symbol), "second cancelOrder");
    const auto& after = expect<Found>(venue().queryOrder(intent.clientOrderId, p.symbol), "queryOrder after cancel");
    CHECK(after.order.status == OrderStatus::Canceled);
}

TEST_CASE_METHOD(VenueUnderTest, "an id held by an open order never produces a second order", "[venue]") {
    const auto intent = restingLimit();
    const auto& first = expect<Accepted>(venue().placeOrder(intent), "first placeOrder");
    const auto& second = expect<Accepted>(venue().placeOrder(intent), "same id again while open");
    CHECK(second.order.exchangeOrderId == first.order.exchangeOrderId);
    const auto& open = expect<OpenOrders>(venue().openOrders(), "openOrders");
    int withId = 0;
    for (const auto& o : open.orders) withId += o.clientOrderId == intent.clientOrderId;
    CHECK(withId == 1);
    expect<Canceled>(venue().cancelOrder(intent.clientOrderId, p.symbol), "cleanup cancel");
}

TEST_CASE_METHOD(VenueUnderTest, "a definitely invalid order is Rejected, never Unknown", "[venue]") {
    auto intent = market(Side::Buy);
    intent.quantity = Decimal();
    const auto& rejected = expect<Rejected>(venue().placeOrder(intent), "zero quantity");
    CHECK_FALSE(rejected.code.empty());
    expect<NotFound>(venue().queryOrder(intent.clientOrderId, p.symbol), "a rejected order does not exist");
}

TEST_CASE_METHOD(VenueUnderTest, "positions follow fills", "[venue]") {
    const Decimal before = positionOf(p.symbol);
    const auto& accepted = expect<Accepted>(venue().placeOrder(market(Side::Buy)), "market buy");
    Decimal filled = accepted.order.filledQuantity;
    if (accepted.order.status != OrderStatus::Filled) {
        // A venue may acknowledge before filling; ask again.
        const auto& found = expect<Found>(venue().queryOrder(accepted.order.clientOrderId, p.symbol), "query fill");
        filled = found.order.filledQuantity;
    }
    CHECK(positionOf(p.symbol) == before + filled);
    expect<Accepted>(venue().placeOrder(market(Side::Sell, true)), "reduce-only close");
    CHECK(positionOf(p.symbol) == before + filled - p.quantity);
}

TEST_CASE_METHOD(VenueUnderTest, "symbol rules are given for the symbol, and an unknown symbol is NotFound", "[venue]") {
    const auto known = venue().symbolRules(p.symbol);
    CHECK_FALSE(std::holds_alternative<Unknown>(known));
    if (const auto* rules = std::get_if<SymbolRules>(&known)) {
        CHECK(rules->symbol == p.symbol);
        if (rules->stepSize) CHECK(p.quantity.isMultipleOf(*rules->stepSize));
    }
    expect<NotFound>(venue().symbolRules("NOSUCHSYMBOL123"), "unknown symbol");
}

TEST_CASE_METHOD(VenueUnderTest, "concurrent calls from several threads are safe", "[venue]") {
    const Decimal before = positionOf(p.symbol);
    constexpr int kThreads = 4, kEach = 5;
    std::vector<OrderIntent> intents;
    for (int i = 0; i < kThreads * kEach; ++i) intents.push_back(market(Side::Buy));
    std::atomic<int> accepted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                accepted += std::holds_alternative<Accepted>(venue().placeOrder(intents[static_cast<std::size_t>(t * kEach + i)]));
                static_cast<void>(venue().positions());
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(accepted == kThreads * kEach);
    Decimal expected = before;
    for (int i = 0; i < kThreads * kEach; ++i) expected += p.quantity;
    CHECK(positionOf(p.symbol) == expected);
    for (int i = 0; i < kThreads * kEach; ++i) expect<Accepted>(venue().placeOrder(market(Side::Sell, true)), "close");
}
