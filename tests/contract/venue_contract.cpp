// The venue contract: what every venue plugin must do, checked through the host's own wrappers.
// Run once per venue library (see CMakeLists.txt); parameters come from the environment:
//   TRADEHOST_CONTRACT_SYMBOL          a tradable symbol, e.g. BTCUSDT
//   TRADEHOST_CONTRACT_QUANTITY        a valid small quantity for it
//   TRADEHOST_CONTRACT_RESTING_PRICE   a valid limit BUY price far below the market (rests)
//   TRADEHOST_CONTRACT_HEDGE_MODE      1 when the deployment's account is in hedge mode (then the
//                                      hedge cases run, and the one-way case does not)
//   TRADEHOST_CONTRACT_DEFER_DEPLOYMENT  optional: a deployment of the same plugin that defers
//                                      some orders (e.g. paces them); the Deferred case needs it
//   TRADEHOST_CONTRACT_RESTART         1 when the venue keeps its account across a restart of the
//                                      host (an exchange does; an in-memory venue does not)
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
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
    explicit VenueUnderTest(const char* deploymentVariable = "TRADEHOST_CONTRACT_DEPLOYMENT")
        : ContractFixture(deploymentVariable) {}
    Params p;
    const bool hedge = test::envFlag("TRADEHOST_CONTRACT_HEDGE_MODE");
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
    OrderIntent market(Side side, PositionSide positionSide, bool reduceOnly = false) {
        OrderIntent i = market(side, reduceOnly);
        i.positionSide = positionSide;
        return i;
    }
    // Summed over position sides unless one is named.
    Decimal positionOf(const std::string& symbol, std::optional<PositionSide> side = std::nullopt) {
        const auto r = venue().positions();
        REQUIRE(std::holds_alternative<Positions>(r));
        Decimal total;
        for (const auto& pos : std::get<Positions>(r).positions)
            if (pos.symbol == symbol && (!side || pos.positionSide == *side)) total += pos.quantity;
        return total;
    }
    bool listedOpen(const std::string& clientOrderId) {
        const auto r = venue().openOrders();
        REQUIRE(std::holds_alternative<OpenOrders>(r));
        const auto& orders = std::get<OpenOrders>(r).orders;
        return std::any_of(orders.begin(), orders.end(),
                           [&](const OrderState& o) { return o.clientOrderId == clientOrderId; });
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
    for (char c : std::string("abcxyzABCXYZ0189")) CHECK(rules.alphabet.find(c) != std::string::npos);
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

TEST_CASE_METHOD(VenueUnderTest, "a resting limit order is listed as open and can be cancelled exactly once",
                 "[venue]") {
    const auto intent = restingLimit();
    const auto& accepted = expect<Accepted>(venue().placeOrder(intent), "placeOrder(limit)");
    CHECK(accepted.order.status == OrderStatus::New);
    CHECK(isOpen(accepted.order.status));  // the host follows it as WORKING
    const auto& found = expect<Found>(venue().queryOrder(intent.clientOrderId, p.symbol), "queryOrder while resting");
    CHECK(isOpen(found.order.status));
    CHECK(found.order.exchangeOrderId == accepted.order.exchangeOrderId);

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

TEST_CASE_METHOD(VenueUnderTest, "symbol rules are given for the symbol, and an unknown symbol is NotFound",
                 "[venue]") {
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
                accepted += std::holds_alternative<Accepted>(
                    venue().placeOrder(intents[static_cast<std::size_t>(t * kEach + i)]));
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

// ---- position side: one-way and hedge mode (venue.h, placeOrder) -------------------------------

TEST_CASE_METHOD(VenueUnderTest, "one-way mode: an intent naming LONG or SHORT is Rejected, and nothing is placed",
                 "[venue][one_way]") {
    if (hedge) {
        SUCCEED("hedge-mode deployment: the one-way rule does not apply");
        return;
    }
    for (const PositionSide side : {PositionSide::Long, PositionSide::Short}) {
        INFO("position side " << toString(side));
        const auto intent = market(Side::Buy, side);
        const auto& rejected = expect<Rejected>(venue().placeOrder(intent), "LONG/SHORT in one-way mode");
        CHECK_FALSE(rejected.code.empty());
        expect<NotFound>(venue().queryOrder(intent.clientOrderId, p.symbol), "a rejected order does not exist");
    }
}

TEST_CASE_METHOD(VenueUnderTest, "hedge mode: LONG and SHORT books open and close independently, both reported",
                 "[venue][hedge]") {
    if (!hedge) {
        SUCCEED("one-way deployment: the hedge cases run against the plugin's hedge-mode deployment");
        return;
    }
    const Decimal longBefore = positionOf(p.symbol, PositionSide::Long);
    const Decimal shortBefore = positionOf(p.symbol, PositionSide::Short);
    const Decimal twice = p.quantity + p.quantity;

    const auto& openLong = expect<Accepted>(venue().placeOrder(market(Side::Buy, PositionSide::Long)), "open LONG");
    CHECK(openLong.order.positionSide == PositionSide::Long);
    const auto& openShort = expect<Accepted>(venue().placeOrder([&] {
        auto i = market(Side::Sell, PositionSide::Short);
        i.quantity = twice;
        return i;
    }()),
                                             "open SHORT");
    CHECK(openShort.order.positionSide == PositionSide::Short);
    // Both sides are reported, each signed (a short is negative), neither netted against the other.
    CHECK(positionOf(p.symbol, PositionSide::Long) == longBefore + p.quantity);
    CHECK(positionOf(p.symbol, PositionSide::Short) == shortBefore - twice);
    CHECK(positionOf(p.symbol, PositionSide::Both).isZero());

    // SELL+LONG closes LONG and leaves SHORT alone; BUY+SHORT closes SHORT.
    expect<Accepted>(venue().placeOrder(market(Side::Sell, PositionSide::Long)), "close LONG");
    CHECK(positionOf(p.symbol, PositionSide::Long) == longBefore);
    CHECK(positionOf(p.symbol, PositionSide::Short) == shortBefore - twice);
    expect<Accepted>(venue().placeOrder([&] {
        auto i = market(Side::Buy, PositionSide::Short);
        i.quantity = twice;
        return i;
    }()),
                     "close SHORT");
    CHECK(positionOf(p.symbol, PositionSide::Short) == shortBefore);
    CHECK(positionOf(p.symbol, PositionSide::Long) == longBefore);
}

TEST_CASE_METHOD(VenueUnderTest, "hedge mode: BOTH is read as buy opens LONG, sell opens SHORT, reduce-only closes",
                 "[venue][hedge]") {
    if (!hedge) {
        SUCCEED("one-way deployment: the hedge cases run against the plugin's hedge-mode deployment");
        return;
    }
    const Decimal longBefore = positionOf(p.symbol, PositionSide::Long);
    const Decimal shortBefore = positionOf(p.symbol, PositionSide::Short);
    struct Step {
        Side side;
        bool reduceOnly;
        PositionSide expected;
        int longDelta, shortDelta;  // in quantities
    };
    const Step steps[] = {
        {Side::Buy, false, PositionSide::Long, 1, 0},     // buy opens LONG
        {Side::Sell, false, PositionSide::Short, 1, -1},  // sell opens SHORT
        {Side::Sell, true, PositionSide::Long, 0, -1},    // reduce-only sell closes LONG
        {Side::Buy, true, PositionSide::Short, 0, 0},     // reduce-only buy closes SHORT
    };
    for (const Step& step : steps) {
        INFO(toString(step.side) << (step.reduceOnly ? " reduce-only" : "") << " with position side BOTH");
        const auto& accepted =
            expect<Accepted>(venue().placeOrder(market(step.side, PositionSide::Both, step.reduceOnly)), "BOTH");
        CHECK(accepted.order.positionSide == step.expected);  // the side the venue used
        CHECK(positionOf(p.symbol, PositionSide::Long) == longBefore + Decimal::fromInt(step.longDelta) * p.quantity);
        CHECK(positionOf(p.symbol, PositionSide::Short) ==
              shortBefore + Decimal::fromInt(step.shortDelta) * p.quantity);
    }
}

// ---- restarts (context.h): the instance's own directory, and an account that outlives the host --

TEST_CASE_METHOD(VenueUnderTest, "a restart of the host finds the account as it was", "[venue][restart]") {
    // The host lends every instance a directory of its own, private to the host's user.
    const std::filesystem::path dataDir = storageDir() / "plugins" / venue().name();
    struct stat st {};
    REQUIRE(::stat(dataDir.c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0700);
    if (!test::envFlag("TRADEHOST_CONTRACT_RESTART")) {
        SUCCEED("no TRADEHOST_CONTRACT_RESTART: this venue does not keep its account across restarts");
        return;
    }
    const Decimal before = positionOf(p.symbol);
    const OrderIntent rest = restingLimit();
    const OrderState resting = expect<Accepted>(venue().placeOrder(rest), "resting limit").order;
    const OrderState bought = expect<Accepted>(venue().placeOrder(market(Side::Buy)), "market buy").order;

    restart();
    CHECK(listedOpen(rest.clientOrderId));
    const OrderState found = expect<Found>(venue().queryOrder(rest.clientOrderId, p.symbol), "resting order").order;
    CHECK(found.exchangeOrderId == resting.exchangeOrderId);
    CHECK(isOpen(found.status));
    const OrderState filled = expect<Found>(venue().queryOrder(bought.clientOrderId, p.symbol), "market order").order;
    CHECK(filled.exchangeOrderId == bought.exchangeOrderId);
    CHECK(positionOf(p.symbol) == before + filled.filledQuantity);
    // And it goes on from there: the order is cancelled once, the position closed.
    expect<Canceled>(venue().cancelOrder(rest.clientOrderId, p.symbol), "cancel after the restart");
    expect<NotOpen>(venue().cancelOrder(rest.clientOrderId, p.symbol), "second cancel");
    expect<Accepted>(venue().placeOrder(market(Side::Sell, true)), "reduce-only close after the restart");
    CHECK(positionOf(p.symbol) == before + filled.filledQuantity - p.quantity);
}

// ---- Deferred (venue.h): nothing reached the venue, and the same order may go later ----------

TEST_CASE("Deferred: the order certainly does not exist, and the same id goes later, once", "[venue][deferred]") {
    const char* deferring = std::getenv("TRADEHOST_CONTRACT_DEFER_DEPLOYMENT");
    if (deferring == nullptr || *deferring == '\0') {
        SUCCEED(
            "no TRADEHOST_CONTRACT_DEFER_DEPLOYMENT: this venue cannot be made to defer generically; its own "
            "tests check Deferred (tests/contract/README.md)");
        return;
    }
    VenueUnderTest v("TRADEHOST_CONTRACT_DEFER_DEPLOYMENT");
    // Resting limit orders: they change no position, and cancelling them needs no order budget.
    std::vector<std::string> placed;
    std::optional<Deferred> deferred;
    OrderIntent intent;
    for (int i = 0; i < 10 && !deferred; ++i) {
        intent = v.restingLimit();
        const auto r = v.venue().placeOrder(intent);
        if (const auto* d = std::get_if<Deferred>(&r)) {
            deferred = *d;
        } else {
            placed.push_back(
                VenueUnderTest::expect<Accepted>(r, "an order before the venue defers").order.clientOrderId);
        }
    }
    REQUIRE(deferred);
    CHECK_FALSE(deferred->reason.empty());
    CHECK(deferred->retryAfterMs > 0);
    CHECK(deferred->retryAfterMs <= 60000);
    // The SDK invariant: nothing reached the venue.
    VenueUnderTest::expect<NotFound>(v.venue().queryOrder(intent.clientOrderId, v.p.symbol), "a deferred order");
    CHECK_FALSE(v.listedOpen(intent.clientOrderId));

    // The host tries again under the same id, no sooner than asked; within a minute it goes, once.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    PlaceResult again = *deferred;
    while (const auto* d = std::get_if<Deferred>(&again)) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(d->retryAfterMs));
        again = v.venue().placeOrder(intent);
    }
    const auto& accepted = VenueUnderTest::expect<Accepted>(again, "the same order once the venue lets it through");
    CHECK(accepted.order.clientOrderId == intent.clientOrderId);
    placed.push_back(intent.clientOrderId);
    const auto& found = VenueUnderTest::expect<Found>(v.venue().queryOrder(intent.clientOrderId, v.p.symbol), "query");
    CHECK(found.order.exchangeOrderId == accepted.order.exchangeOrderId);
    for (const auto& id : placed)
        VenueUnderTest::expect<Canceled>(v.venue().cancelOrder(id, v.p.symbol), "cleanup cancel");
}
