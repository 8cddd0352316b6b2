// Unit tests for the paper venue, compiled in directly: fitting, fills, resting limits, ids, positions, its state file.
#include "paper_venue.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "support/fake_context.h"
#include "support/temp_dir.h"
#include "tradehost/order_fit.h"

using tradehost::Accepted;
using tradehost::Canceled;
using tradehost::Decimal;
using tradehost::Found;
using tradehost::NotFound;
using tradehost::NotOpen;
using tradehost::OpenOrders;
using tradehost::OrderIntent;
using tradehost::OrderStatus;
using tradehost::OrderType;
using tradehost::Position;
using tradehost::Positions;
using tradehost::PositionSide;
using tradehost::Rejected;
using tradehost::SettingValue;
using tradehost::Side;
using tradehost::SymbolRules;
using tradehost::TimeInForce;
using tradehost::paper::PaperVenue;
using tradehost::test::FakeContext;
using tradehost::test::settingsFor;

namespace Catch {
template <>
struct StringMaker<Decimal> {
    static std::string convert(const Decimal& d) { return d.toString(); }
};
template <>
struct StringMaker<OrderStatus> {
    static std::string convert(OrderStatus s) { return tradehost::toString(s); }
};
}  // namespace Catch

namespace {

using Prices = std::map<std::string, std::string>;

Decimal d(const char* text) { return Decimal::of(text); }

// A venue and the context it borrows; the context must outlive the venue.
struct Rig {
    explicit Rig(std::map<std::string, SettingValue> values = {{"prices",
                                                                Prices{{"BTCUSDT", "65000"}, {"DOGEUSDT", "0.1"}}}})
        : venue(settingsFor(PaperVenue::settingsSchema(), std::move(values)), context) {
        venue.start();
    }
    FakeContext context;
    PaperVenue venue;
};

OrderIntent market(const std::string& id, Side side, const char* quantity, const std::string& symbol = "BTCUSDT") {
    OrderIntent intent;
    intent.clientOrderId = id;
    intent.symbol = symbol;
    intent.side = side;
    intent.type = OrderType::Market;
    intent.quantity = Decimal::of(quantity);
    return intent;
}

OrderIntent limit(const std::string& id, Side side, const char* quantity, const char* price,
                  const std::string& symbol = "BTCUSDT") {
    OrderIntent intent = market(id, side, quantity, symbol);
    intent.type = OrderType::Limit;
    intent.price = Decimal::of(price);
    return intent;
}

OrderIntent withSide(OrderIntent intent, PositionSide positionSide) {
    intent.positionSide = positionSide;
    return intent;
}

OrderIntent reduceOnly(OrderIntent intent) {
    intent.reduceOnly = true;
    return intent;
}

template <class T, class Variant>
T expect(const Variant& result) {
    REQUIRE(std::holds_alternative<T>(result));
    return std::get<T>(result);
}

tradehost::OrderState accepted(const tradehost::PlaceResult& result) {
    if (const auto* rejected = std::get_if<Rejected>(&result))
        FAIL("rejected " << rejected->code << ": " << rejected->message);
    return expect<Accepted>(result).order;
}

std::string rejectionCode(const tradehost::PlaceResult& result) { return expect<Rejected>(result).code; }

std::vector<Position> positionsOf(PaperVenue& venue) { return expect<Positions>(venue.positions()).positions; }

// The position of (symbol, side), or zero.
Position positionOf(PaperVenue& venue, const std::string& symbol, PositionSide side = PositionSide::Both) {
    for (const Position& p : positionsOf(venue)) {
        if (p.symbol == symbol && p.positionSide == side) return p;
    }
    Position flat;
    flat.symbol = symbol;
    flat.positionSide = side;
    return flat;
}

std::vector<tradehost::OrderState> openOrdersOf(PaperVenue& venue) {
    return expect<OpenOrders>(venue.openOrders()).orders;
}

}  // namespace

TEST_CASE("paper: the settings table and its defaults", "[paper][settings]") {
    const auto schema = PaperVenue::settingsSchema();
    std::vector<std::string> names;
    for (const auto& spec : schema) {
        names.push_back(spec.name);
        CHECK_FALSE(spec.secret);
        CHECK_FALSE(spec.description.empty());
    }
    CHECK(names == std::vector<std::string>{"prices", "tick_size", "step_size", "min_notional", "latency_ms",
                                            "hedge_mode", "max_finished_orders"});
    // settingsFor() refuses a default whose type differs from the declared one.
    const auto settings = settingsFor(schema);
    CHECK(settings.map("prices").empty());
    CHECK(settings.decimal("tick_size") == d("0.01"));
    CHECK(settings.decimal("step_size") == d("0.001"));
    CHECK(settings.decimal("min_notional") == d("5"));
    CHECK(settings.integer("latency_ms") == 0);
    CHECK_FALSE(settings.boolean("hedge_mode"));
    CHECK(settings.integer("max_finished_orders") == 10'000);
}

TEST_CASE("paper: construction validates settings and does nothing else", "[paper][settings]") {
    FakeContext context;
    const auto make = [&](std::map<std::string, SettingValue> values) {
        PaperVenue venue(settingsFor(PaperVenue::settingsSchema(), std::move(values)), context);
    };
    SECTION("valid settings construct without logging or metrics") {
        make({{"prices", Prices{{"BTCUSDT", "65000"}, {"ETHUSDT", "3000.5"}}}});
        CHECK(context.fakeLogger().lines().empty());
        CHECK_FALSE(context.fakeMetrics().has("orders_accepted"));
    }
    SECTION("a price that is not a positive decimal names the symbol and the value") {
        const char* bad = GENERATE("abc", "0", "-1", "", "1e", "65000.005");
        CAPTURE(bad);
        try {
            make({{"prices", Prices{{"BTCUSDT", "65000"}, {"ETHUSDT", bad}}}});
            FAIL("no exception");
        } catch (const std::invalid_argument& e) {
            CHECK_THAT(e.what(), Catch::Contains("ETHUSDT") && Catch::Contains(std::string("'") + bad + "'"));
        }
    }
    SECTION("sizes and limits") {
        CHECK_THROWS_AS(make({{"tick_size", d("0")}}), std::invalid_argument);
        CHECK_THROWS_WITH(make({{"tick_size", d("-0.01")}}), Catch::Contains("tick_size"));
        CHECK_THROWS_WITH(make({{"step_size", d("0")}}), Catch::Contains("step_size"));
        CHECK_THROWS_WITH(make({{"min_notional", d("-1")}}), Catch::Contains("min_notional"));
        CHECK_NOTHROW(make({{"min_notional", d("0")}}));
        CHECK_THROWS_WITH(make({{"latency_ms", std::int64_t{-1}}}), Catch::Contains("latency_ms"));
        CHECK_THROWS_WITH(make({{"latency_ms", std::int64_t{3'600'000}}}), Catch::Contains("latency_ms"));
        CHECK_THROWS_WITH(make({{"prices", Prices{{"", "1"}}}}), Catch::Contains("empty symbol"));
        CHECK_THROWS_WITH(make({{"max_finished_orders", std::int64_t{-1}}}), Catch::Contains("max_finished_orders"));
        CHECK_THROWS_WITH(make({{"max_finished_orders", std::int64_t{10'000'001}}}),
                          Catch::Contains("max_finished_orders"));
        CHECK_NOTHROW(make({{"max_finished_orders", std::int64_t{0}}}));
        CHECK_NOTHROW(make({{"max_finished_orders", std::int64_t{10'000'000}}}));
    }
}

TEST_CASE("paper: client order id rules are Binance's", "[paper][ids]") {
    Rig rig;
    const auto rules = rig.venue.clientOrderIdRules();
    CHECK(rules.maxLength == 36);
    CHECK(rules.alphabet == "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/_-");
    CHECK(rules.uniqueAmongOpenOrdersOnly);

    SECTION("ids breaking the rules are rejected") {
        const std::string id = GENERATE(as<std::string>{}, "", std::string(37, 'a'), "has space", "hash#",
                                        "caf\xC3\xA9", "semi;colon", "plus+", "new\nline");
        CAPTURE(id);
        CHECK(rejectionCode(rig.venue.placeOrder(market(id, Side::Buy, "0.001"))) == "INVALID_CLIENT_ORDER_ID");
        CHECK(openOrdersOf(rig.venue).empty());
        CHECK(positionsOf(rig.venue).empty());
    }
    SECTION("every character of the alphabet, at the maximum length, is accepted") {
        CHECK(accepted(rig.venue.placeOrder(market("sig:bn_main/0_1-.ZZ", Side::Buy, "0.001"))).status ==
              OrderStatus::Filled);
        CHECK(accepted(rig.venue.placeOrder(market(std::string(36, 'x'), Side::Buy, "0.001"))).clientOrderId.size() ==
              36);
    }
}

TEST_CASE("paper: a MARKET order fills at once at the configured price", "[paper][market]") {
    Rig rig;
    rig.context.fakeClock().setMs(1'700'000'000'123);
    const auto order = accepted(rig.venue.placeOrder(market("m1", Side::Buy, "0.002")));
    CHECK(order.clientOrderId == "m1");
    CHECK(order.exchangeOrderId == "1");
    CHECK(order.symbol == "BTCUSDT");
    CHECK(order.status == OrderStatus::Filled);
    CHECK(order.quantity == d("0.002"));
    CHECK(order.filledQuantity == d("0.002"));
    CHECK(order.averagePrice == d("65000"));
    CHECK_FALSE(order.price.has_value());
    CHECK(order.updateTimeMs == 1'700'000'000'123);
    CHECK(rig.context.fakeLogger().contains("m1"));
    CHECK(rig.context.fakeMetrics().value("orders_accepted") == 1);

    SECTION("a price on a MARKET order is ignored") {
        OrderIntent intent = market("m2", Side::Sell, "0.001");
        intent.price = d("1");
        const auto second = accepted(rig.venue.placeOrder(intent));
        CHECK(second.averagePrice == d("65000"));
        CHECK_FALSE(second.price.has_value());
        CHECK(second.exchangeOrderId == "2");  // increasing integers
    }
    SECTION("it shows up in queryOrder and in the position, never in open orders") {
        CHECK(expect<Found>(rig.venue.queryOrder("m1", "BTCUSDT")).order.status == OrderStatus::Filled);
        CHECK(openOrdersOf(rig.venue).empty());
        const Position p = positionOf(rig.venue, "BTCUSDT");
        CHECK(p.quantity == d("0.002"));
        CHECK(p.entryPrice == d("65000"));
    }
}

TEST_CASE("paper: orders are fitted to the step and tick as the Binance plugin fits them", "[paper][filters]") {
    Rig rig;
    SECTION("a quantity off the step is floored, never rounded up, and the position holds the floored amount") {
        const auto placed = expect<Accepted>(rig.venue.placeOrder(market("f1", Side::Buy, "0.0029")));
        // The host compares the order's quantity with the one it asked for to report the adjustment.
        CHECK(placed.order.quantity == d("0.002"));
        CHECK(placed.order.filledQuantity == d("0.002"));
        CHECK(placed.note == "quantity 0.0029 floored to step 0.001 -> 0.002");
        CHECK(positionOf(rig.venue, "BTCUSDT").quantity == d("0.002"));
        CHECK(expect<Found>(rig.venue.queryOrder("f1", "BTCUSDT")).order.quantity == d("0.002"));
        CHECK(rig.context.fakeLogger().contains("floored to step 0.001"));
    }
    SECTION("a quantity on the step is left alone, with no note") {
        const auto placed = expect<Accepted>(rig.venue.placeOrder(market("f2", Side::Buy, "0.003")));
        CHECK(placed.order.quantity == d("0.003"));
        CHECK(placed.note.empty());
    }
    SECTION("a LIMIT price off the tick is rounded on the passive side: BUY down, SELL up") {
        const auto buy = expect<Accepted>(rig.venue.placeOrder(limit("f3", Side::Buy, "0.001", "60000.005")));
        CHECK(buy.order.price == d("60000"));
        CHECK(buy.order.status == OrderStatus::New);
        CHECK(buy.note == "price 60000.005 rounded down to tick 0.01 -> 60000");
        const auto sell = expect<Accepted>(rig.venue.placeOrder(limit("f4", Side::Sell, "0.0015", "70000.001")));
        CHECK(sell.order.price == d("70000.01"));
        CHECK(sell.order.quantity == d("0.001"));
        CHECK(sell.note ==
              "quantity 0.0015 floored to step 0.001 -> 0.001; price 70000.001 rounded up to tick 0.01 -> 70000.01");
    }
    SECTION("one implementation: the answer is what tradehost::fitOrder makes of the venue's symbol rules") {
        const auto intent = limit("f5", Side::Buy, "0.0217", "61234.567");
        const auto fitted = std::get<tradehost::FittedOrder>(
            tradehost::fitOrder(intent, expect<SymbolRules>(rig.venue.symbolRules("BTCUSDT"))));
        const auto placed = expect<Accepted>(rig.venue.placeOrder(intent));
        CHECK(placed.order.quantity == fitted.quantity);
        CHECK(placed.order.price == fitted.price);
        CHECK(placed.note == fitted.note);
    }
}

TEST_CASE("paper: orders that cannot be fitted are rejected with the reason", "[paper][filters]") {
    Rig rig;
    SECTION("unknown symbol") {
        CHECK(rejectionCode(rig.venue.placeOrder(market("u1", Side::Buy, "1", "XRPUSDT"))) == "UNKNOWN_SYMBOL");
        CHECK(std::holds_alternative<NotFound>(rig.venue.symbolRules("XRPUSDT")));
    }
    SECTION("quantity not positive, or less than one step") {
        const char* quantity = GENERATE("0", "-0.001", "0.0001", "0.0009");
        CAPTURE(quantity);
        const auto result = rig.venue.placeOrder(market("q1", Side::Buy, quantity));
        CHECK(rejectionCode(result) == "LOCAL_FILTER");
        CHECK_THAT(expect<Rejected>(result).message, Catch::Contains(quantity));
    }
    SECTION("LIMIT price missing or not positive") {
        OrderIntent noPrice = limit("p0", Side::Buy, "0.001", "60000");
        noPrice.price.reset();
        CHECK(rejectionCode(rig.venue.placeOrder(noPrice)) == "LOCAL_FILTER");
        const char* price = GENERATE("0", "-60000", "0.001");  // 0.001 rounds down to zero at tick 0.01
        CAPTURE(price);
        const auto result = rig.venue.placeOrder(limit("p1", Side::Buy, "0.001", price));
        CHECK(rejectionCode(result) == "LOCAL_FILTER");
        CHECK_THAT(expect<Rejected>(result).message, Catch::Contains("price"));
    }
    SECTION("notional below the minimum, with the reason") {
        // DOGEUSDT at 0.1: 49 x 0.1 = 4.9 < 5; 50 x 0.1 = 5 is enough.
        const auto market49 = rig.venue.placeOrder(market("n1", Side::Buy, "49", "DOGEUSDT"));
        CHECK(rejectionCode(market49) == "MIN_NOTIONAL");
        CHECK_THAT(expect<Rejected>(market49).message,
                   Catch::Contains("notional 4.9") && Catch::Contains("below the minimum notional 5"));
        CHECK(accepted(rig.venue.placeOrder(market("n2", Side::Buy, "50", "DOGEUSDT"))).status == OrderStatus::Filled);
        // A LIMIT's notional uses its own price, after fitting: 60 x 0.08 = 4.8.
        const auto limit48 = rig.venue.placeOrder(limit("n3", Side::Buy, "60", "0.08", "DOGEUSDT"));
        CHECK(rejectionCode(limit48) == "LOCAL_FILTER");
        CHECK_THAT(expect<Rejected>(limit48).message, Catch::Contains("notional 4.8 is below the minimum notional 5"));
        // Flooring can take an order below the minimum: 45.4546 x 0.11 = 5.000006, but the
        // floored 45.454 x 0.11 = 4.99994.
        CHECK_THAT(
            expect<Rejected>(rig.venue.placeOrder(limit("n4", Side::Buy, "45.4546", "0.11", "DOGEUSDT"))).message,
            Catch::Contains("notional 4.99994 is below"));
        CHECK(positionOf(rig.venue, "DOGEUSDT").quantity == d("50"));  // n2 only
    }
    SECTION("position side must match the account mode") {
        const auto side = GENERATE(PositionSide::Long, PositionSide::Short);
        CHECK(rejectionCode(rig.venue.placeOrder(withSide(market("s1", Side::Buy, "0.001"), side))) ==
              "INVALID_POSITION_SIDE");
    }
    SECTION("absurd numbers are rejected as values, not thrown") {
        CHECK(rejectionCode(rig.venue.placeOrder(market("big", Side::Buy, "99999999999999999999999999999999999"))) ==
              "OUT_OF_RANGE");
    }
    // Nothing above left an order, a position or a consumed exchange id behind.
    CHECK(openOrdersOf(rig.venue).empty());
    CHECK(positionOf(rig.venue, "BTCUSDT").quantity.isZero());
    CHECK(rig.context.fakeMetrics().value("orders_rejected") >= 1);
    const auto next = accepted(rig.venue.placeOrder(market("after", Side::Buy, "0.001")));
    CHECK(next.exchangeOrderId == std::to_string(rig.context.fakeMetrics().value("orders_accepted")));
}

TEST_CASE("paper: with no prices configured every symbol is unknown", "[paper][filters]") {
    Rig rig(std::map<std::string, SettingValue>{});
    CHECK(rejectionCode(rig.venue.placeOrder(market("u2", Side::Buy, "0.001"))) == "UNKNOWN_SYMBOL");
    CHECK(std::holds_alternative<NotFound>(rig.venue.symbolRules("BTCUSDT")));
    CHECK(positionsOf(rig.venue).empty());
}

TEST_CASE("paper: LIMIT orders rest unless they cross the price", "[paper][limit]") {
    Rig rig;
    SECTION("a BUY below and a SELL above the price rest") {
        const auto buy = accepted(rig.venue.placeOrder(limit("l1", Side::Buy, "0.001", "64000")));
        const auto sell = accepted(rig.venue.placeOrder(limit("l2", Side::Sell, "0.001", "66000")));
        CHECK(buy.status == OrderStatus::New);
        CHECK(sell.status == OrderStatus::New);
        CHECK(buy.filledQuantity.isZero());
        CHECK(buy.averagePrice.isZero());
        CHECK(buy.price == d("64000"));
        CHECK(openOrdersOf(rig.venue).size() == 2);
        CHECK(positionsOf(rig.venue).empty());
    }
    SECTION("a crossing order fills at the market price, not its limit") {
        const auto [side, price] = GENERATE(table<Side, const char*>(
            {{Side::Buy, "65000"}, {Side::Buy, "70000"}, {Side::Sell, "65000"}, {Side::Sell, "60000"}}));
        const auto order = accepted(rig.venue.placeOrder(limit("x1", side, "0.001", price)));
        CHECK(order.status == OrderStatus::Filled);
        CHECK(order.averagePrice == d("65000"));
        CHECK(order.filledQuantity == d("0.001"));
        CHECK(openOrdersOf(rig.venue).empty());
    }
    SECTION("time in force") {
        OrderIntent ioc = limit("ioc", Side::Buy, "0.001", "64000");
        ioc.timeInForce = TimeInForce::IOC;
        CHECK(accepted(rig.venue.placeOrder(ioc)).status == OrderStatus::Expired);
        OrderIntent fok = limit("fok", Side::Buy, "0.001", "66000");
        fok.timeInForce = TimeInForce::FOK;
        CHECK(accepted(rig.venue.placeOrder(fok)).status == OrderStatus::Filled);
        OrderIntent postOnlyTaking = limit("gtx1", Side::Buy, "0.001", "66000");
        postOnlyTaking.timeInForce = TimeInForce::GTX;
        const auto expired = accepted(rig.venue.placeOrder(postOnlyTaking));
        CHECK(expired.status == OrderStatus::Expired);
        CHECK(expired.filledQuantity.isZero());
        OrderIntent postOnlyResting = limit("gtx2", Side::Buy, "0.001", "64000");
        postOnlyResting.timeInForce = TimeInForce::GTX;
        CHECK(accepted(rig.venue.placeOrder(postOnlyResting)).status == OrderStatus::New);
        CHECK(openOrdersOf(rig.venue).size() == 1);
        CHECK(positionOf(rig.venue, "BTCUSDT").quantity == d("0.001"));  // only the FOK filled
    }
}

TEST_CASE("paper: setPrice fills the resting limits it reaches", "[paper][limit]") {
    Rig rig;
    accepted(rig.venue.placeOrder(limit("b1", Side::Buy, "0.001", "64000")));
    accepted(rig.venue.placeOrder(limit("b2", Side::Buy, "0.002", "63000")));
    accepted(rig.venue.placeOrder(limit("s1", Side::Sell, "0.001", "66000", "BTCUSDT")));
    accepted(rig.venue.placeOrder(limit("d1", Side::Buy, "100", "0.09", "DOGEUSDT")));
    rig.context.fakeClock().advanceMs(5000);

    rig.venue.setPrice("BTCUSDT", d("64500"));
    CHECK(openOrdersOf(rig.venue).size() == 4);

    // Gapping past both BUYs fills each at its own limit; the SELL and the other symbol stay.
    rig.venue.setPrice("BTCUSDT", d("62000"));
    const auto b1 = expect<Found>(rig.venue.queryOrder("b1", "BTCUSDT")).order;
    const auto b2 = expect<Found>(rig.venue.queryOrder("b2", "BTCUSDT")).order;
    CHECK(b1.status == OrderStatus::Filled);
    CHECK(b1.averagePrice == d("64000"));
    CHECK(b2.status == OrderStatus::Filled);
    CHECK(b2.averagePrice == d("63000"));
    CHECK(b2.filledQuantity == d("0.002"));
    CHECK(b1.updateTimeMs == rig.context.fakeClock().nowMs());
    CHECK(rig.context.fakeLogger().contains("b2"));
    const auto open = openOrdersOf(rig.venue);
    REQUIRE(open.size() == 2);
    CHECK(open[0].clientOrderId == "s1");
    CHECK(open[1].clientOrderId == "d1");
    // (0.001 x 64000 + 0.002 x 63000) / 0.003 = 63333.333...
    const Position p = positionOf(rig.venue, "BTCUSDT");
    CHECK(p.quantity == d("0.003"));
    CHECK(p.entryPrice == d("63333.3333333333"));

    // New market orders now fill at the new price.
    CHECK(accepted(rig.venue.placeOrder(market("m", Side::Buy, "0.001"))).averagePrice == d("62000"));

    SECTION("a SELL fills when the price rises to it") {
        rig.venue.setPrice("BTCUSDT", d("66000"));
        CHECK(expect<Found>(rig.venue.queryOrder("s1", "BTCUSDT")).order.status == OrderStatus::Filled);
        CHECK(positionOf(rig.venue, "BTCUSDT").quantity == d("0.003"));
    }
    SECTION("setPrice validates its price") {
        CHECK_THROWS_AS(rig.venue.setPrice("BTCUSDT", d("0")), std::invalid_argument);
        CHECK_THROWS_AS(rig.venue.setPrice("BTCUSDT", d("-1")), std::invalid_argument);
        CHECK_THROWS_AS(rig.venue.setPrice("BTCUSDT", d("1.001")), std::invalid_argument);
        CHECK_THROWS_AS(rig.venue.setPrice("", d("1")), std::invalid_argument);
    }
    SECTION("setPrice on a new symbol makes it tradable") {
        CHECK(std::holds_alternative<NotFound>(rig.venue.symbolRules("ETHUSDT")));
        rig.venue.setPrice("ETHUSDT", d("3000"));
        CHECK(std::holds_alternative<SymbolRules>(rig.venue.symbolRules("ETHUSDT")));
        CHECK(accepted(rig.venue.placeOrder(market("e1", Side::Buy, "0.01", "ETHUSDT"))).averagePrice == d("3000"));
    }
}

TEST_CASE("paper: cancelOrder", "[paper][cancel]") {
    Rig rig;
    accepted(rig.venue.placeOrder(limit("c1", Side::Buy, "0.001", "64000")));
    accepted(rig.venue.placeOrder(market("f1", Side::Buy, "0.001")));

    const auto canceled = expect<Canceled>(rig.venue.cancelOrder("c1", "BTCUSDT")).order;
    CHECK(canceled.status == OrderStatus::Canceled);
    CHECK(canceled.clientOrderId == "c1");
    CHECK(expect<Found>(rig.venue.queryOrder("c1", "BTCUSDT")).order.status == OrderStatus::Canceled);
    CHECK(openOrdersOf(rig.venue).empty());

    CHECK(std::holds_alternative<NotOpen>(rig.venue.cancelOrder("c1", "BTCUSDT")));     // twice
    CHECK(std::holds_alternative<NotOpen>(rig.venue.cancelOrder("f1", "BTCUSDT")));     // filled
    CHECK(std::holds_alternative<NotOpen>(rig.venue.cancelOrder("never", "BTCUSDT")));  // unknown
    accepted(rig.venue.placeOrder(limit("c2", Side::Buy, "0.001", "64000")));
    CHECK(std::holds_alternative<NotOpen>(rig.venue.cancelOrder("c2", "DOGEUSDT")));  // other symbol

    // A cancelled order never fills afterwards.
    rig.venue.setPrice("BTCUSDT", d("60000"));
    CHECK(expect<Found>(rig.venue.queryOrder("c1", "BTCUSDT")).order.status == OrderStatus::Canceled);
    CHECK(expect<Found>(rig.venue.queryOrder("c2", "BTCUSDT")).order.status == OrderStatus::Filled);
}

TEST_CASE("paper: queryOrder", "[paper][query]") {
    Rig rig;
    CHECK(std::holds_alternative<NotFound>(rig.venue.queryOrder("nothing", "BTCUSDT")));
    accepted(rig.venue.placeOrder(market("q1", Side::Buy, "0.001")));
    CHECK(expect<Found>(rig.venue.queryOrder("q1", "BTCUSDT")).order.exchangeOrderId == "1");
    CHECK(std::holds_alternative<NotFound>(rig.venue.queryOrder("q1", "DOGEUSDT")));
    // Rejected orders never existed.
    CHECK(rejectionCode(rig.venue.placeOrder(market("q2", Side::Buy, "0.0001"))) == "LOCAL_FILTER");
    CHECK(std::holds_alternative<NotFound>(rig.venue.queryOrder("q2", "BTCUSDT")));
}

TEST_CASE("paper: client order ids are unique among open orders only", "[paper][ids]") {
    Rig rig;
    SECTION("an id held by an open order returns that order; nothing new is placed") {
        const auto first = accepted(rig.venue.placeOrder(limit("dup", Side::Buy, "0.001", "64000")));
        const auto again = rig.venue.placeOrder(limit("dup", Side::Buy, "0.005", "63000"));
        const auto second = accepted(again);
        CHECK(second.exchangeOrderId == first.exchangeOrderId);
        CHECK(second.quantity == d("0.001"));
        CHECK(second.price == d("64000"));
        CHECK_FALSE(expect<Accepted>(again).note.empty());
        CHECK(openOrdersOf(rig.venue).size() == 1);
        // Even a MARKET order under the held id does not trade.
        CHECK(accepted(rig.venue.placeOrder(market("dup", Side::Buy, "0.001"))).exchangeOrderId ==
              first.exchangeOrderId);
        CHECK(positionsOf(rig.venue).empty());
    }
    SECTION("the Binance trap: a filled order frees its id, and resending it trades twice") {
        const auto first = accepted(rig.venue.placeOrder(market("trap", Side::Buy, "0.002")));
        const auto second = accepted(rig.venue.placeOrder(market("trap", Side::Buy, "0.002")));
        CHECK(second.exchangeOrderId != first.exchangeOrderId);
        CHECK(second.status == OrderStatus::Filled);
        CHECK(positionOf(rig.venue, "BTCUSDT").quantity == d("0.004"));  // doubled: the host must query first
        CHECK(expect<Found>(rig.venue.queryOrder("trap", "BTCUSDT")).order.exchangeOrderId == second.exchangeOrderId);
    }
    SECTION("a cancelled order frees its id too") {
        const auto first = accepted(rig.venue.placeOrder(limit("cx", Side::Buy, "0.001", "64000")));
        expect<Canceled>(rig.venue.cancelOrder("cx", "BTCUSDT"));
        const auto second = accepted(rig.venue.placeOrder(limit("cx", Side::Buy, "0.001", "64000")));
        CHECK(second.exchangeOrderId != first.exchangeOrderId);
        CHECK(second.status == OrderStatus::New);
        CHECK(expect<Found>(rig.venue.queryOrder("cx", "BTCUSDT")).order.status == OrderStatus::New);
    }
}

TEST_CASE("paper: positions and entry prices", "[paper][positions]") {
    Rig rig;
    accepted(rig.venue.placeOrder(market("o1", Side::Buy, "0.002")));
    rig.venue.setPrice("BTCUSDT", d("66000"));
    accepted(rig.venue.placeOrder(market("o2", Side::Buy, "0.001")));
    // (0.002 x 65000 + 0.001 x 66000) / 0.003
    CHECK(positionOf(rig.venue, "BTCUSDT").entryPrice == d("65333.3333333333"));

    SECTION("reducing keeps the entry price; flat removes the position") {
        accepted(rig.venue.placeOrder(market("r1", Side::Sell, "0.001")));
        Position p = positionOf(rig.venue, "BTCUSDT");
        CHECK(p.quantity == d("0.002"));
        CHECK(p.entryPrice == d("65333.3333333333"));
        accepted(rig.venue.placeOrder(market("r2", Side::Sell, "0.002")));
        CHECK(positionsOf(rig.venue).empty());

        // Reopening starts a fresh average.
        rig.venue.setPrice("BTCUSDT", d("67000"));
        accepted(rig.venue.placeOrder(market("r3", Side::Sell, "0.001")));
        p = positionOf(rig.venue, "BTCUSDT");
        CHECK(p.quantity == d("-0.001"));
        CHECK(p.entryPrice == d("67000"));
    }
    SECTION("flipping through zero opens the rest at the fill price") {
        rig.venue.setPrice("BTCUSDT", d("64000"));
        accepted(rig.venue.placeOrder(market("f1", Side::Sell, "0.005")));
        const Position p = positionOf(rig.venue, "BTCUSDT");
        CHECK(p.quantity == d("-0.002"));
        CHECK(p.entryPrice == d("64000"));
    }
    SECTION("positions are per symbol") {
        accepted(rig.venue.placeOrder(market("g1", Side::Sell, "100", "DOGEUSDT")));
        const auto all = positionsOf(rig.venue);
        REQUIRE(all.size() == 2);
        CHECK(positionOf(rig.venue, "DOGEUSDT").quantity == d("-100"));
        CHECK(positionOf(rig.venue, "DOGEUSDT").entryPrice == d("0.1"));
        CHECK(positionOf(rig.venue, "BTCUSDT").quantity == d("0.003"));
    }
}

TEST_CASE("paper: reduce-only orders never grow a position", "[paper][reduce_only]") {
    Rig rig;
    SECTION("with no position") {
        const Side side = GENERATE(Side::Buy, Side::Sell);
        CHECK(rejectionCode(rig.venue.placeOrder(reduceOnly(market("ro", side, "0.001")))) == "REDUCE_ONLY");
    }
    SECTION("against a long position") {
        accepted(rig.venue.placeOrder(market("open", Side::Buy, "0.002")));
        CHECK(rejectionCode(rig.venue.placeOrder(reduceOnly(market("ro1", Side::Buy, "0.001")))) == "REDUCE_ONLY");
        CHECK(rejectionCode(rig.venue.placeOrder(reduceOnly(market("ro2", Side::Sell, "0.003")))) == "REDUCE_ONLY");
        CHECK(positionOf(rig.venue, "BTCUSDT").quantity == d("0.002"));
        // Below min_notional is fine when reduce-only: 0.001 x 1000 = 1 < 5.
        rig.venue.setPrice("BTCUSDT", d("1000"));
        CHECK(accepted(rig.venue.placeOrder(reduceOnly(market("ro3", Side::Sell, "0.001")))).status ==
              OrderStatus::Filled);
        CHECK(accepted(rig.venue.placeOrder(reduceOnly(market("ro4", Side::Sell, "0.001")))).status ==
              OrderStatus::Filled);
        CHECK(positionsOf(rig.venue).empty());
    }
    SECTION("a resting reduce-only limit expires if it could only grow the position when reached") {
        accepted(rig.venue.placeOrder(market("open", Side::Buy, "0.002")));
        accepted(rig.venue.placeOrder(reduceOnly(limit("tp", Side::Sell, "0.002", "70000"))));
        accepted(rig.venue.placeOrder(market("close", Side::Sell, "0.002")));  // closed by hand meanwhile
        rig.venue.setPrice("BTCUSDT", d("70000"));
        CHECK(expect<Found>(rig.venue.queryOrder("tp", "BTCUSDT")).order.status == OrderStatus::Expired);
        CHECK(positionsOf(rig.venue).empty());
        CHECK(openOrdersOf(rig.venue).empty());
    }
    SECTION("a resting reduce-only limit fills when the position is still there") {
        accepted(rig.venue.placeOrder(market("open", Side::Buy, "0.002")));
        accepted(rig.venue.placeOrder(reduceOnly(limit("tp", Side::Sell, "0.002", "70000"))));
        rig.venue.setPrice("BTCUSDT", d("70000"));
        CHECK(expect<Found>(rig.venue.queryOrder("tp", "BTCUSDT")).order.status == OrderStatus::Filled);
        CHECK(positionsOf(rig.venue).empty());
    }
}

TEST_CASE("paper: hedge mode keeps LONG and SHORT apart", "[paper][hedge]") {
    Rig rig({{"prices", Prices{{"BTCUSDT", "65000"}}}, {"hedge_mode", true}});

    accepted(rig.venue.placeOrder(withSide(market("l1", Side::Buy, "0.002"), PositionSide::Long)));
    accepted(rig.venue.placeOrder(withSide(market("s1", Side::Sell, "0.003"), PositionSide::Short)));
    auto all = positionsOf(rig.venue);
    REQUIRE(all.size() == 2);
    CHECK(positionOf(rig.venue, "BTCUSDT", PositionSide::Long).quantity == d("0.002"));
    CHECK(positionOf(rig.venue, "BTCUSDT", PositionSide::Short).quantity == d("-0.003"));
    CHECK(positionOf(rig.venue, "BTCUSDT", PositionSide::Both).quantity.isZero());

    // SELL on LONG and BUY on SHORT close; they can never open the opposite way.
    accepted(rig.venue.placeOrder(withSide(market("l2", Side::Sell, "0.001"), PositionSide::Long)));
    CHECK(positionOf(rig.venue, "BTCUSDT", PositionSide::Long).quantity == d("0.001"));
    CHECK(rejectionCode(rig.venue.placeOrder(withSide(market("l3", Side::Sell, "0.002"), PositionSide::Long))) ==
          "REDUCE_ONLY");
    CHECK(rejectionCode(rig.venue.placeOrder(withSide(market("s2", Side::Buy, "0.004"), PositionSide::Short))) ==
          "REDUCE_ONLY");
    accepted(rig.venue.placeOrder(withSide(market("s3", Side::Buy, "0.003"), PositionSide::Short)));
    all = positionsOf(rig.venue);
    REQUIRE(all.size() == 1);
    CHECK(all[0].positionSide == PositionSide::Long);
    // Opening more is not reduce-only, and a reduce-only flag on an opening order is refused.
    CHECK(rejectionCode(rig.venue.placeOrder(
              reduceOnly(withSide(market("l4", Side::Buy, "0.001"), PositionSide::Long)))) == "REDUCE_ONLY");
}

TEST_CASE("paper: in hedge mode an order naming BOTH is read as venue.h says", "[paper][hedge]") {
    Rig rig({{"prices", Prices{{"BTCUSDT", "65000"}}}, {"hedge_mode", true}});
    // BUY opens LONG, SELL opens SHORT; the order state names the book used.
    CHECK(accepted(rig.venue.placeOrder(market("b1", Side::Buy, "0.002"))).positionSide == PositionSide::Long);
    CHECK(accepted(rig.venue.placeOrder(market("s1", Side::Sell, "0.003"))).positionSide == PositionSide::Short);
    CHECK(positionOf(rig.venue, "BTCUSDT", PositionSide::Long).quantity == d("0.002"));
    CHECK(positionOf(rig.venue, "BTCUSDT", PositionSide::Short).quantity == d("-0.003"));
    CHECK(expect<Found>(rig.venue.queryOrder("b1", "BTCUSDT")).order.positionSide == PositionSide::Long);

    // Reduce-only: SELL closes LONG, BUY closes SHORT.
    CHECK(accepted(rig.venue.placeOrder(reduceOnly(market("s2", Side::Sell, "0.001")))).positionSide ==
          PositionSide::Long);
    CHECK(accepted(rig.venue.placeOrder(reduceOnly(market("b2", Side::Buy, "0.003")))).positionSide ==
          PositionSide::Short);
    CHECK(positionOf(rig.venue, "BTCUSDT", PositionSide::Long).quantity == d("0.001"));
    CHECK(positionOf(rig.venue, "BTCUSDT", PositionSide::Short).quantity.isZero());
    // A reduce-only BUY with no SHORT to close is refused, never opens LONG.
    CHECK(rejectionCode(rig.venue.placeOrder(reduceOnly(market("b3", Side::Buy, "0.001")))) == "REDUCE_ONLY");
    CHECK(positionOf(rig.venue, "BTCUSDT", PositionSide::Long).quantity == d("0.001"));

    // A resting limit naming BOTH rests on the inferred book and fills into it.
    const auto resting = accepted(rig.venue.placeOrder(limit("l1", Side::Sell, "0.002", "66000")));
    CHECK(resting.positionSide == PositionSide::Short);
    CHECK(openOrdersOf(rig.venue).at(0).positionSide == PositionSide::Short);
    rig.venue.setPrice("BTCUSDT", d("66000"));
    CHECK(positionOf(rig.venue, "BTCUSDT", PositionSide::Short).quantity == d("-0.002"));
}

TEST_CASE("paper: one-way mode accepts BOTH only", "[paper][hedge]") {
    Rig rig;
    const auto side = GENERATE(PositionSide::Long, PositionSide::Short);
    const auto result = rig.venue.placeOrder(withSide(market("s1", Side::Buy, "0.001"), side));
    CHECK(rejectionCode(result) == "INVALID_POSITION_SIDE");
    CHECK_THAT(expect<Rejected>(result).message, Catch::Contains("one-way"));
    CHECK(std::holds_alternative<NotFound>(rig.venue.queryOrder("s1", "BTCUSDT")));
    CHECK(accepted(rig.venue.placeOrder(market("b1", Side::Buy, "0.001"))).positionSide == PositionSide::Both);
}

TEST_CASE("paper: finished orders are kept up to max_finished_orders, open ones always", "[paper][memory]") {
    constexpr std::int64_t kKept = 5;
    Rig rig({{"prices", Prices{{"BTCUSDT", "65000"}}}, {"max_finished_orders", kKept}});
    // A resting order placed before all the others: never forgotten while open.
    const auto resting = accepted(rig.venue.placeOrder(limit("rest", Side::Buy, "0.001", "60000")));

    // N + 1 finished orders: the first is forgotten, the newest N are kept.
    for (int i = 0; i <= kKept; ++i) {
        accepted(rig.venue.placeOrder(market("m" + std::to_string(i), i % 2 ? Side::Sell : Side::Buy, "0.001")));
    }
    CHECK(std::holds_alternative<NotFound>(rig.venue.queryOrder("m0", "BTCUSDT")));
    for (int i = 1; i <= kKept; ++i) {
        CHECK(expect<Found>(rig.venue.queryOrder("m" + std::to_string(i), "BTCUSDT")).order.status ==
              OrderStatus::Filled);
    }
    CHECK(rig.context.fakeMetrics().value("orders_forgotten") == 1);

    // Many more: the open order is still there, found and listed.
    for (int i = 0; i < 50; ++i) accepted(rig.venue.placeOrder(market("x" + std::to_string(i), Side::Buy, "0.001")));
    CHECK(expect<Found>(rig.venue.queryOrder("rest", "BTCUSDT")).order.status == OrderStatus::New);
    REQUIRE(openOrdersOf(rig.venue).size() == 1);
    CHECK(std::holds_alternative<NotFound>(rig.venue.queryOrder("x44", "BTCUSDT")));
    CHECK(std::holds_alternative<Found>(rig.venue.queryOrder("x45", "BTCUSDT")));

    // Exchange ids keep counting: never reused after forgetting.
    const auto next = accepted(rig.venue.placeOrder(market("new", Side::Buy, "0.001")));
    CHECK(next.exchangeOrderId == std::to_string(1 + (kKept + 1) + 50 + 1));
    CHECK(std::holds_alternative<NotFound>(rig.venue.queryOrder("x45", "BTCUSDT")));

    // The resting order placed first still fills when the price reaches it, into the position.
    const Decimal before = positionOf(rig.venue, "BTCUSDT").quantity;
    rig.venue.setPrice("BTCUSDT", d("60000"));
    const auto filled = expect<Found>(rig.venue.queryOrder("rest", "BTCUSDT")).order;
    CHECK(filled.status == OrderStatus::Filled);
    CHECK(filled.exchangeOrderId == resting.exchangeOrderId);
    CHECK(positionOf(rig.venue, "BTCUSDT").quantity == before + d("0.001"));
    CHECK(openOrdersOf(rig.venue).empty());
}

TEST_CASE("paper: a forgotten id is free, and a reused one finds its newest order", "[paper][memory]") {
    Rig rig({{"prices", Prices{{"BTCUSDT", "65000"}}}, {"max_finished_orders", std::int64_t{2}}});
    accepted(rig.venue.placeOrder(market("same", Side::Buy, "0.001")));
    accepted(rig.venue.placeOrder(market("same", Side::Buy, "0.001")));  // the trap: a second order
    const auto third = accepted(rig.venue.placeOrder(market("same", Side::Buy, "0.001")));
    CHECK(expect<Found>(rig.venue.queryOrder("same", "BTCUSDT")).order.exchangeOrderId == third.exchangeOrderId);
    accepted(rig.venue.placeOrder(market("a", Side::Sell, "0.001")));
    accepted(rig.venue.placeOrder(market("b", Side::Sell, "0.001")));
    CHECK(std::holds_alternative<NotFound>(rig.venue.queryOrder("same", "BTCUSDT")));
    CHECK(positionOf(rig.venue, "BTCUSDT").quantity == d("0.001"));  // positions never forget
}

TEST_CASE("paper: max_finished_orders 0 keeps open orders only", "[paper][memory]") {
    Rig rig({{"prices", Prices{{"BTCUSDT", "65000"}}}, {"max_finished_orders", std::int64_t{0}}});
    const auto filled = accepted(rig.venue.placeOrder(market("m", Side::Buy, "0.001")));
    CHECK(filled.status == OrderStatus::Filled);  // the answer is whole even though it is forgotten at once
    CHECK(filled.filledQuantity == d("0.001"));
    CHECK(std::holds_alternative<NotFound>(rig.venue.queryOrder("m", "BTCUSDT")));
    accepted(rig.venue.placeOrder(limit("l", Side::Buy, "0.001", "60000")));
    CHECK(expect<Found>(rig.venue.queryOrder("l", "BTCUSDT")).order.status == OrderStatus::New);
    expect<Canceled>(rig.venue.cancelOrder("l", "BTCUSDT"));
    CHECK(std::holds_alternative<NotFound>(rig.venue.queryOrder("l", "BTCUSDT")));
}

namespace {

// A host-like sink: records what it is told, from any thread.
class RecordingSink final : public tradehost::OrderUpdateSink {
public:
    void orderUpdated(const tradehost::OrderState& order) override {
        std::lock_guard<std::mutex> lock(mutex_);
        updates_.push_back(order);
    }
    std::vector<tradehost::OrderState> updates() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return updates_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<tradehost::OrderState> updates_;
};

// Calls back into the venue from inside the push: proves the push runs without the venue's lock.
class ReentrantSink final : public tradehost::OrderUpdateSink {
public:
    explicit ReentrantSink(PaperVenue& venue) : venue_(venue) {}
    void orderUpdated(const tradehost::OrderState& order) override {
        seen.push_back(std::get<Found>(venue_.queryOrder(order.clientOrderId, order.symbol)).order.status);
    }
    std::vector<OrderStatus> seen;

private:
    PaperVenue& venue_;
};

}  // namespace

TEST_CASE("paper: watchOrders pushes what changes after the answer", "[paper][push]") {
    Rig rig;
    RecordingSink sink;
    REQUIRE(rig.venue.watchOrders(sink));

    // What placeOrder answers is not pushed again: only later changes are.
    accepted(rig.venue.placeOrder(market("m1", Side::Buy, "0.001")));
    accepted(rig.venue.placeOrder(limit("b1", Side::Buy, "0.001", "64000")));
    accepted(rig.venue.placeOrder(limit("b2", Side::Buy, "0.001", "63000")));
    accepted(rig.venue.placeOrder(limit("c1", Side::Buy, "0.001", "62000")));
    CHECK(sink.updates().empty());

    rig.venue.setPrice("BTCUSDT", d("63500"));  // reaches b1 only
    auto updates = sink.updates();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0].clientOrderId == "b1");
    CHECK(updates[0].status == OrderStatus::Filled);
    CHECK(updates[0].filledQuantity == d("0.001"));
    CHECK(updates[0].averagePrice == d("64000"));

    expect<Canceled>(rig.venue.cancelOrder("c1", "BTCUSDT"));
    updates = sink.updates();
    REQUIRE(updates.size() == 2);
    CHECK(updates[1].clientOrderId == "c1");
    CHECK(updates[1].status == OrderStatus::Canceled);

    SECTION("a resting reduce-only order that can only grow the position is pushed as expired") {
        accepted(rig.venue.placeOrder(reduceOnly(limit("tp", Side::Sell, "0.002", "70000"))));  // long 0.002
        accepted(rig.venue.placeOrder(market("close", Side::Sell, "0.002")));  // closed by hand meanwhile
        rig.venue.setPrice("BTCUSDT", d("70000"));
        updates = sink.updates();
        REQUIRE(updates.size() == 3);
        CHECK(updates[2].clientOrderId == "tp");
        CHECK(updates[2].status == OrderStatus::Expired);
    }
    SECTION("stop() ends pushing") {
        rig.venue.stop();
        rig.venue.setPrice("BTCUSDT", d("62500"));  // fills b2, but nobody is told
        CHECK(sink.updates().size() == 2);
        CHECK_FALSE(rig.venue.watchOrders(sink));
    }
}

TEST_CASE("paper: a push is made outside the venue's lock", "[paper][push]") {
    Rig rig;
    ReentrantSink sink(rig.venue);
    REQUIRE(rig.venue.watchOrders(sink));
    accepted(rig.venue.placeOrder(limit("b1", Side::Buy, "0.001", "64000")));
    rig.venue.setPrice("BTCUSDT", d("64000"));  // would deadlock if pushed under the lock
    REQUIRE(sink.seen.size() == 1);
    CHECK(sink.seen[0] == OrderStatus::Filled);
}

TEST_CASE("paper: stop() waits for a push in flight, and none starts after it", "[paper][push]") {
    Rig rig;
    // Blocks inside the push until released, so stop() has something in flight to wait for.
    class SlowSink final : public tradehost::OrderUpdateSink {
    public:
        void orderUpdated(const tradehost::OrderState&) override {
            entered = true;
            while (!release) std::this_thread::yield();
            ++count;
        }
        std::atomic<bool> entered{false}, release{false};
        std::atomic<int> count{0};
    } sink;
    REQUIRE(rig.venue.watchOrders(sink));
    accepted(rig.venue.placeOrder(limit("b1", Side::Buy, "0.001", "64000")));
    accepted(rig.venue.placeOrder(limit("b2", Side::Buy, "0.001", "60000")));
    std::thread mover([&] { rig.venue.setPrice("BTCUSDT", d("64000")); });
    while (!sink.entered) std::this_thread::yield();
    std::atomic<bool> stopped{false};
    std::thread stopper([&] {
        rig.venue.stop();
        stopped = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(stopped);  // still waiting for the push in flight
    sink.release = true;
    stopper.join();
    mover.join();
    CHECK(stopped);
    CHECK(sink.count == 1);
    rig.venue.setPrice("BTCUSDT", d("60000"));  // fills b2 after stop(): not pushed
    CHECK(sink.count == 1);
}

TEST_CASE("paper: symbolRules", "[paper][rules]") {
    Rig rig({{"prices", Prices{{"BTCUSDT", "65000"}}},
             {"tick_size", d("0.1")},
             {"step_size", d("0.0001")},
             {"min_notional", d("100")}});
    const auto rules = expect<SymbolRules>(rig.venue.symbolRules("BTCUSDT"));
    CHECK(rules.symbol == "BTCUSDT");
    CHECK(rules.tickSize == d("0.1"));
    CHECK(rules.stepSize == d("0.0001"));
    CHECK(rules.minNotional == d("100"));
    CHECK_FALSE(rules.minQuantity.has_value());
    CHECK_FALSE(rules.maxQuantity.has_value());
    CHECK(std::holds_alternative<NotFound>(rig.venue.symbolRules("ETHUSDT")));
    // The configured filters are the ones applied.
    CHECK(rejectionCode(rig.venue.placeOrder(market("a", Side::Buy, "0.001"))) == "MIN_NOTIONAL");  // 65 < 100
    CHECK(accepted(rig.venue.placeOrder(market("b", Side::Buy, "0.0016"))).status == OrderStatus::Filled);
    CHECK(accepted(rig.venue.placeOrder(limit("c", Side::Buy, "0.002", "64000.05"))).price == d("64000"));
}

TEST_CASE("paper: latency_ms delays every call", "[paper][latency]") {
    Rig rig({{"prices", Prices{{"BTCUSDT", "65000"}}}, {"latency_ms", std::int64_t{30}}});
    // A lower bound only: sleeping never takes less than asked. Speed is never asserted.
    const auto started = std::chrono::steady_clock::now();
    accepted(rig.venue.placeOrder(market("slow", Side::Buy, "0.001")));
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(30));
}

TEST_CASE("paper: concurrent callers", "[paper][threads]") {
    Rig rig;
    constexpr int kThreads = 8;
    constexpr int kOrdersPerThread = 150;

    SECTION("distinct ids: every order fills once and the position is their sum") {
        std::atomic<bool> done{false};
        std::thread reader([&] {
            while (!done.load()) {
                (void)rig.venue.positions();
                (void)rig.venue.openOrders();
                (void)rig.venue.queryOrder("t0-0", "BTCUSDT");
            }
        });
        std::vector<std::thread> writers;
        for (int t = 0; t < kThreads; ++t) {
            writers.emplace_back([&rig, t] {
                for (int i = 0; i < kOrdersPerThread; ++i) {
                    const Side side = i % 3 == 2 ? Side::Sell : Side::Buy;
                    (void)rig.venue.placeOrder(
                        market("t" + std::to_string(t) + "-" + std::to_string(i), side, "0.001"));
                }
            });
        }
        for (auto& w : writers) w.join();
        done = true;
        reader.join();

        // Per thread: 100 buys and 50 sells of 0.001.
        CHECK(positionOf(rig.venue, "BTCUSDT").quantity == Decimal::fromInt(kThreads * 50) * d("0.001"));
        CHECK(rig.context.fakeMetrics().value("orders_accepted") == kThreads * kOrdersPerThread);
        std::set<std::string> exchangeIds;
        for (int t = 0; t < kThreads; ++t) {
            for (int i = 0; i < kOrdersPerThread; ++i) {
                const auto order =
                    expect<Found>(rig.venue.queryOrder("t" + std::to_string(t) + "-" + std::to_string(i), "BTCUSDT"))
                        .order;
                CHECK(order.status == OrderStatus::Filled);
                exchangeIds.insert(order.exchangeOrderId);
            }
        }
        CHECK(exchangeIds.size() == static_cast<std::size_t>(kThreads * kOrdersPerThread));
        CHECK(exchangeIds.count(std::to_string(kThreads * kOrdersPerThread)) == 1);
    }
    SECTION("one id from many threads at once: exactly one open order") {
        std::vector<std::thread> racers;
        std::vector<std::string> seen(kThreads);
        for (int t = 0; t < kThreads; ++t) {
            racers.emplace_back([&rig, &seen, t] {
                const auto result = rig.venue.placeOrder(limit("same", Side::Buy, "0.001", "60000"));
                if (const auto* a = std::get_if<Accepted>(&result))
                    seen[static_cast<std::size_t>(t)] = a->order.exchangeOrderId;
            });
        }
        for (auto& r : racers) r.join();
        CHECK(std::all_of(seen.begin(), seen.end(), [](const std::string& id) { return id == "1"; }));
        CHECK(openOrdersOf(rig.venue).size() == 1);
    }
}

// ---- the account outlives the process: the state file ----------------------------------------

namespace {

using tradehost::test::TempDir;

// One run of a host: a context on `dir` and a started venue. Destroying it is the host stopping.
struct Run {
    Run(const TempDir& dir, std::map<std::string, SettingValue> values = {{"prices", Prices{{"BTCUSDT", "65000"}}}})
        : context("paper", dir.path().string()),
          venue(std::make_unique<PaperVenue>(settingsFor(PaperVenue::settingsSchema(), std::move(values)), context)) {
        venue->start();
    }
    ~Run() {
        if (venue) venue->stop();
    }
    FakeContext context;
    std::unique_ptr<PaperVenue> venue;
};

std::string stateFileIn(const TempDir& dir) { return dir.file("paper_state.log"); }

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeFile(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// What start() says about a state file it refuses; empty if it starts.
std::string startFailure(const TempDir& dir,
                         std::map<std::string, SettingValue> values = {{"prices", Prices{{"BTCUSDT", "65000"}}}}) {
    FakeContext context("paper", dir.path().string());
    PaperVenue venue(settingsFor(PaperVenue::settingsSchema(), std::move(values)), context);
    try {
        venue.start();
    } catch (const std::exception& e) {
        venue.stop();
        return e.what();
    }
    venue.stop();
    return "";
}

// The state file's checksum (FNV-1a 32), to write a well-formed change by hand.
std::string checksum(const std::string& lines) {
    std::uint32_t hash = 2166136261u;
    for (const char c : lines) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 16777619u;
    }
    char text[9];
    std::snprintf(text, sizeof text, "%08x", hash);
    return text;
}

mode_t modeOf(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("paper: a restart resumes positions, open orders, exchange ids and prices", "[paper][state]") {
    TempDir dir;
    const std::map<std::string, SettingValue> settings{{"prices", Prices{{"BTCUSDT", "65000"}, {"DOGEUSDT", "0.1"}}}};
    tradehost::OrderState resting, closing, filled;
    std::vector<Position> positionsBefore;
    {
        Run first(dir, settings);
        PaperVenue& venue = *first.venue;
        first.context.fakeClock().setMs(1'700'000'000'000);
        filled = accepted(venue.placeOrder(market("m1", Side::Buy, "0.0035")));  // floored to 0.003
        accepted(venue.placeOrder(market("m2", Side::Buy, "0.001")));
        accepted(venue.placeOrder(market("d1", Side::Sell, "100", "DOGEUSDT")));
        first.context.fakeClock().advanceMs(1000);
        resting = accepted(venue.placeOrder(limit("r1", Side::Buy, "0.002", "64000")));
        closing = accepted(venue.placeOrder(reduceOnly(limit("r2", Side::Sell, "0.001", "66000"))));
        accepted(venue.placeOrder(limit("c1", Side::Buy, "0.001", "63000")));
        expect<Canceled>(venue.cancelOrder("c1", "BTCUSDT"));
        venue.setPrice("ETHUSDT", d("3000"));   // a symbol the deployment does not have
        venue.setPrice("BTCUSDT", d("64500"));  // moves the market, reaches nothing
        positionsBefore = positionsOf(venue);
        REQUIRE(positionsBefore.size() == 2);
    }
    Run second(dir, settings);
    PaperVenue& venue = *second.venue;
    CHECK(second.context.fakeLogger().contains("resumed from " + stateFileIn(dir)));

    SECTION("positions, with their entry prices") {
        const auto positions = positionsOf(venue);
        REQUIRE(positions.size() == positionsBefore.size());
        for (std::size_t i = 0; i < positions.size(); ++i) {
            CHECK(positions[i].symbol == positionsBefore[i].symbol);
            CHECK(positions[i].quantity == positionsBefore[i].quantity);
            CHECK(positions[i].entryPrice == positionsBefore[i].entryPrice);
        }
        CHECK(positionOf(venue, "BTCUSDT").quantity == d("0.004"));
        CHECK(positionOf(venue, "DOGEUSDT").quantity == d("-100"));
    }
    SECTION("open orders with their ids, quantities, prices and times; finished ones still found") {
        const auto open = openOrdersOf(venue);
        REQUIRE(open.size() == 2);
        CHECK(open[0].clientOrderId == "r1");
        CHECK(open[0].exchangeOrderId == resting.exchangeOrderId);
        CHECK(open[0].quantity == d("0.002"));
        CHECK(open[0].filledQuantity.isZero());
        CHECK(open[0].price == d("64000"));
        CHECK(open[0].updateTimeMs == resting.updateTimeMs);
        CHECK(open[1].clientOrderId == "r2");
        CHECK(open[1].exchangeOrderId == closing.exchangeOrderId);
        CHECK(open[1].reduceOnly);
        const auto m1 = expect<Found>(venue.queryOrder("m1", "BTCUSDT")).order;
        CHECK(m1.status == OrderStatus::Filled);
        CHECK(m1.quantity == d("0.003"));
        CHECK(m1.exchangeOrderId == filled.exchangeOrderId);
        CHECK(expect<Found>(venue.queryOrder("c1", "BTCUSDT")).order.status == OrderStatus::Canceled);
        CHECK(expect<Found>(venue.queryOrder("r1", "BTCUSDT")).order.status == OrderStatus::New);
        // Still holding its id: placing under it again adopts the order, nothing new is placed.
        CHECK(accepted(venue.placeOrder(limit("r1", Side::Buy, "0.002", "64000"))).exchangeOrderId ==
              resting.exchangeOrderId);
    }
    SECTION("exchange ids go on counting, never reused") {
        CHECK(accepted(venue.placeOrder(market("m3", Side::Buy, "0.001"))).exchangeOrderId == "7");
    }
    SECTION("prices set before the restart") {
        CHECK(accepted(venue.placeOrder(market("e1", Side::Buy, "0.01", "ETHUSDT"))).averagePrice == d("3000"));
        CHECK(accepted(venue.placeOrder(market("b1", Side::Sell, "0.001"))).averagePrice == d("64500"));
    }
    SECTION("a resting order placed before the restart fills after it, into the resumed position") {
        RecordingSink sink;
        REQUIRE(venue.watchOrders(sink));
        venue.setPrice("BTCUSDT", d("63900"));
        const auto r1 = expect<Found>(venue.queryOrder("r1", "BTCUSDT")).order;
        CHECK(r1.status == OrderStatus::Filled);
        CHECK(r1.averagePrice == d("64000"));
        CHECK(positionOf(venue, "BTCUSDT").quantity == d("0.006"));
        CHECK(sink.updates().size() == 1);
        venue.setPrice("BTCUSDT", d("66000"));  // the reduce-only SELL closes part of it
        CHECK(expect<Found>(venue.queryOrder("r2", "BTCUSDT")).order.status == OrderStatus::Filled);
        CHECK(positionOf(venue, "BTCUSDT").quantity == d("0.005"));
        CHECK(openOrdersOf(venue).empty());
    }
}

TEST_CASE("paper: every change is in the file before the call returns (kill -9)", "[paper][state]") {
    TempDir dir;
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // No destructor, no stop(), no flush: what is not in the file by now is lost.
        FakeContext context("paper", dir.path().string());
        PaperVenue venue(settingsFor(PaperVenue::settingsSchema(), {{"prices", Prices{{"BTCUSDT", "65000"}}}}),
                         context);
        venue.start();
        venue.placeOrder(market("k1", Side::Buy, "0.002"));
        venue.placeOrder(limit("k2", Side::Buy, "0.001", "60000"));
        venue.placeOrder(limit("k3", Side::Sell, "0.001", "70000"));
        venue.cancelOrder("k3", "BTCUSDT");
        ::kill(::getpid(), SIGKILL);
        ::_exit(0);  // not reached
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);

    Run after(dir);
    CHECK(positionOf(*after.venue, "BTCUSDT").quantity == d("0.002"));
    const auto open = openOrdersOf(*after.venue);
    REQUIRE(open.size() == 1);
    CHECK(open[0].clientOrderId == "k2");
    CHECK(expect<Found>(after.venue->queryOrder("k3", "BTCUSDT")).order.status == OrderStatus::Canceled);
    CHECK(expect<Found>(after.venue->queryOrder("k1", "BTCUSDT")).order.status == OrderStatus::Filled);
}

TEST_CASE("paper: a change cut short by a kill is dropped, and the file is whole again", "[paper][state]") {
    TempDir dir;
    {
        Run run(dir);
        accepted(run.venue->placeOrder(market("t1", Side::Buy, "0.001")));
    }
    const std::string whole = readFile(stateFileIn(dir));
    // What a write() interrupted by SIGKILL leaves: the start of a change, without its closing line.
    const std::string tail =
        GENERATE(as<std::string>{}, "O 9 t9 BTCUSDT BUY MARKET BOTH FILLED 5", "B BTCUSDT BOTH 5 5 325000\n");
    CAPTURE(tail);
    writeFile(stateFileIn(dir), whole + tail);
    Run run(dir);
    CHECK(run.context.fakeLogger().contains("was cut short"));
    CHECK(positionOf(*run.venue, "BTCUSDT").quantity == d("0.001"));
    CHECK(std::holds_alternative<NotFound>(run.venue->queryOrder("t9", "BTCUSDT")));
    // The next change rewrites the file without the fragment, so later changes are not behind it.
    accepted(run.venue->placeOrder(market("t2", Side::Buy, "0.001")));
    CHECK(readFile(stateFileIn(dir)).find(tail) == std::string::npos);
    CHECK(startFailure(dir).empty());
}

TEST_CASE("paper: a corrupt or unreadable state file is refused, naming the file and the problem", "[paper][state]") {
    TempDir dir;
    {
        Run run(dir);
        accepted(run.venue->placeOrder(market("x1", Side::Buy, "0.001")));
        accepted(run.venue->placeOrder(limit("x2", Side::Buy, "0.001", "60000")));
    }
    const std::string path = stateFileIn(dir);
    const std::string whole = readFile(path);
    REQUIRE(startFailure(dir).empty());

    std::string expected;
    SECTION("a digit changed inside a change: the checksum says so") {
        std::string damaged = whole;
        const auto at = damaged.find(" 60000 ");
        REQUIRE(at != std::string::npos);
        damaged[at + 1] = '5';  // the resting BUY's limit 60000 -> 50000
        writeFile(path, damaged);
        expected = "checksum";
    }
    SECTION("a well-formed change holding a line this version does not know") {
        const std::string lines = "X 1\n";
        writeFile(path, whole + lines + "C 1 " + checksum(lines) + "\n");
        expected = "unknown line 'X 1'";
    }
    SECTION("a change with a field that does not parse") {
        const std::string lines = "B BTCUSDT BOTH lots 1 1\n";
        writeFile(path, whole + lines + "C 1 " + checksum(lines) + "\n");
        expected = "bad quantity 'lots'";
    }
    SECTION("not a state file at all") {
        writeFile(path, "{\"positions\": []}\n");
        expected = "not a paper state file";
    }
    SECTION("an empty file") {
        writeFile(path, "");
        expected = "empty";
    }
    SECTION("a file of another version") {
        writeFile(path, "tradehost-paper-state 99\n");
        expected = "another version";
    }
    SECTION("a directory where the file should be") {
        std::filesystem::remove(path);
        std::filesystem::create_directory(path);
        expected = "cannot read the state file";
    }
    const std::string failure = startFailure(dir);
    CAPTURE(failure);
    CHECK_THAT(failure, Catch::Contains(path));
    CHECK_THAT(failure, Catch::Contains(expected));
}

TEST_CASE("paper: the state file is private: mode 0600, whatever the umask or a leftover file", "[paper][state]") {
    TempDir dir;
    // A leftover temporary file from a killed rewrite, readable by all, and a permissive umask.
    writeFile(stateFileIn(dir) + ".tmp", "junk");
    ::chmod((stateFileIn(dir) + ".tmp").c_str(), 0666);
    const mode_t umaskBefore = ::umask(0);
    Run run(dir);
    accepted(run.venue->placeOrder(market("p1", Side::Buy, "0.001")));
    ::umask(umaskBefore);
    CHECK(modeOf(stateFileIn(dir)) == 0600);
    CHECK(modeOf(dir.path().string()) == 0700);  // what the host (here the fake) lends
    CHECK_FALSE(std::filesystem::exists(stateFileIn(dir) + ".tmp"));
}

TEST_CASE("paper: hedge_mode changed while positions or orders exist is refused at start", "[paper][state]") {
    TempDir dir;
    const bool hedgeBefore = GENERATE(true, false);
    CAPTURE(hedgeBefore);
    const std::map<std::string, SettingValue> before{{"prices", Prices{{"BTCUSDT", "65000"}}},
                                                     {"hedge_mode", hedgeBefore}};
    const std::map<std::string, SettingValue> after{{"prices", Prices{{"BTCUSDT", "65000"}}},
                                                    {"hedge_mode", !hedgeBefore}};
    {
        Run run(dir, before);
        accepted(run.venue->placeOrder(market("h1", Side::Buy, "0.001")));
    }
    CHECK_THAT(startFailure(dir, after), Catch::Contains(stateFileIn(dir)) && Catch::Contains("hedge_mode"));
    {
        Run run(dir, before);
        accepted(run.venue->placeOrder(reduceOnly(market("h2", Side::Sell, "0.001"))));
    }
    CHECK(startFailure(dir, after).empty());  // flat: the mode may change
}

TEST_CASE("paper: a price the deployment changed wins over the kept one; a moved one stays", "[paper][state]") {
    TempDir dir;
    {
        Run run(dir, {{"prices", Prices{{"BTCUSDT", "65000"}, {"ETHUSDT", "3000"}}}});
        run.venue->setPrice("BTCUSDT", d("64000"));
        run.venue->setPrice("ETHUSDT", d("3100"));
    }
    Run run(dir, {{"prices", Prices{{"BTCUSDT", "65000"}, {"ETHUSDT", "3500"}}}});
    CHECK(accepted(run.venue->placeOrder(market("a", Side::Buy, "0.001"))).averagePrice == d("64000"));
    CHECK(accepted(run.venue->placeOrder(market("b", Side::Buy, "0.01", "ETHUSDT"))).averagePrice == d("3500"));
}

TEST_CASE("paper: the file is rewritten as it grows, and what it resumes is the same", "[paper][state]") {
    TempDir dir;
    const std::map<std::string, SettingValue> settings{{"prices", Prices{{"BTCUSDT", "65000"}}},
                                                       {"max_finished_orders", std::int64_t{3}}};
    std::uintmax_t largest = 0;
    {
        Run run(dir, settings);
        accepted(run.venue->placeOrder(limit("rest", Side::Buy, "0.001", "60000")));
        for (int i = 0; i < 3000; ++i) {
            accepted(run.venue->placeOrder(market("m" + std::to_string(i), Side::Buy, "0.001")));
            largest = std::max(largest, std::filesystem::file_size(stateFileIn(dir)));
        }
    }
    // 3000 orders of about 150 bytes each would be 450 kB; the rewrites keep it near one batch.
    CHECK(largest < 250'000);
    Run run(dir, settings);
    CHECK(positionOf(*run.venue, "BTCUSDT").quantity == d("3"));
    CHECK(openOrdersOf(*run.venue).size() == 1);
    CHECK(std::holds_alternative<NotFound>(run.venue->queryOrder("m2996", "BTCUSDT")));
    CHECK(std::holds_alternative<Found>(run.venue->queryOrder("m2997", "BTCUSDT")));
    CHECK(std::holds_alternative<Found>(run.venue->queryOrder("m2999", "BTCUSDT")));
    CHECK(accepted(run.venue->placeOrder(market("next", Side::Buy, "0.001"))).exchangeOrderId == "3002");
}

TEST_CASE("paper: a change the file cannot take is not made: Deferred, and nothing moved", "[paper][state]") {
    TempDir dir;
    Run run(dir);
    accepted(run.venue->placeOrder(market("w1", Side::Buy, "0.001")));
    accepted(run.venue->placeOrder(limit("w2", Side::Buy, "0.001", "60000")));
    // The file may not grow by a whole change: write() fails (EFBIG) part way, as a full disk would.
    struct rlimit before {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &before) == 0);
    const auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit tight = before;
    tight.rlim_cur = static_cast<rlim_t>(std::filesystem::file_size(stateFileIn(dir)) + 20);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &tight) == 0);
    const auto placed = run.venue->placeOrder(market("w3", Side::Buy, "0.001"));
    const auto canceled = run.venue->cancelOrder("w2", "BTCUSDT");
    ::setrlimit(RLIMIT_FSIZE, &before);
    std::signal(SIGXFSZ, previousHandler);

    REQUIRE(std::holds_alternative<tradehost::Deferred>(placed));
    CHECK_THAT(std::get<tradehost::Deferred>(placed).reason, Catch::Contains(stateFileIn(dir)));
    CHECK(std::holds_alternative<NotFound>(run.venue->queryOrder("w3", "BTCUSDT")));
    CHECK(expect<Rejected>(canceled).code == "STATE_NOT_WRITTEN");
    CHECK(expect<Found>(run.venue->queryOrder("w2", "BTCUSDT")).order.status == OrderStatus::New);
    CHECK(positionOf(*run.venue, "BTCUSDT").quantity == d("0.001"));
    CHECK(run.context.fakeMetrics().value("state_write_failures") == 2);

    // Room again: the same order goes, and a restart resumes exactly what was answered.
    CHECK(accepted(run.venue->placeOrder(market("w3", Side::Buy, "0.001"))).exchangeOrderId == "3");
    run.venue->stop();
    run.venue.reset();
    Run again(dir);
    CHECK(positionOf(*again.venue, "BTCUSDT").quantity == d("0.002"));
    CHECK(openOrdersOf(*again.venue).size() == 1);
}

TEST_CASE("paper: start() refuses a data directory that is not there", "[paper][state]") {
    TempDir dir;
    const std::string missing = dir.file("gone");
    FakeContext context("paper", missing);
    PaperVenue venue(settingsFor(PaperVenue::settingsSchema()), context);
    CHECK_THROWS_WITH(venue.start(), Catch::Contains(missing) && Catch::Contains("not a directory"));
    venue.stop();
}
