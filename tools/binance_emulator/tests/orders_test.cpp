// Orders: ACK vs RESULT, validation codes, the open-only client id uniqueness trap, TIFs, cancel, retention.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "emulator_clock.h"
#include "emulator_fixture.h"

using namespace tradehost::binance_emulator;
using namespace tradehost::binance_emulator::test;

namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

HttpResult placeMarket(EmulatorClient& c, const std::string& id, const std::string& side = "BUY",
                       const std::string& qty = "0.010", const std::string& extra = "") {
    return c.send("POST", "/fapi/v1/order",
                  "symbol=BTCUSDT&side=" + side + "&type=MARKET&quantity=" + qty + "&newClientOrderId=" + id + extra);
}

HttpResult placeLimit(EmulatorClient& c, const std::string& id, const std::string& side, const std::string& price,
                      const std::string& tif = "GTC", const std::string& qty = "0.010") {
    return c.send("POST", "/fapi/v1/order",
                  "symbol=BTCUSDT&side=" + side + "&type=LIMIT&timeInForce=" + tif + "&quantity=" + qty +
                      "&price=" + price + "&newClientOrderId=" + id + "&newOrderRespType=RESULT");
}

HttpResult queryById(EmulatorClient& c, const std::string& id, const std::string& path = "/fapi/v1/order") {
    return c.send("GET", path, "symbol=BTCUSDT&origClientOrderId=" + id);
}

void advanceClock(EmulatorClient& c, std::int64_t ms) {
    REQUIRE(c.control("POST", "/control/clock", "{\"advance_ms\":" + std::to_string(ms) + "}").status == 200);
    c.syncTime();
}

}  // namespace

TEST_CASE("MARKET: ACK by default says NEW with nothing executed; the query shows the fill", "[orders]") {
    RunningEmulator emu;
    auto& c = emu.api();
    auto ack = placeMarket(c, "sig-1:bn:0:0");
    INFO(ack.body);
    REQUIRE(ack.status == 200);
    CHECK(ack.str("status") == "NEW");
    CHECK(ack.str("executedQty") == "0");
    CHECK(ack.str("clientOrderId") == "sig-1:bn:0:0");
    CHECK(ack.object()->get("orderId").isInteger());
    CHECK(ack.object()->getValue<Poco::Int64>("orderId") > 4294967296LL);

    auto q = queryById(c, "sig-1:bn:0:0");
    REQUIRE(q.status == 200);
    CHECK(q.str("status") == "FILLED");
    CHECK(q.str("executedQty") == "0.010");
    CHECK(q.str("avgPrice") == "65000.00000");
    CHECK(q.str("cumQuote") == "650.00000");
    CHECK(q.str("origType") == "MARKET");
    CHECK(q.object()->get("time").isInteger());

    SECTION("RESULT returns the final state") {
        auto r = placeMarket(c, "sig-2", "BUY", "0.010", "&newOrderRespType=RESULT");
        CHECK(r.str("status") == "FILLED");
        CHECK(r.str("executedQty") == "0.010");
        CHECK(r.str("cumQty") == "0.010");
    }
    SECTION("the same order by orderId, and the orderId wins over a wrong client id") {
        const auto orderId = ack.object()->getValue<Poco::Int64>("orderId");
        auto r = c.send("GET", "/fapi/v1/order",
                        "symbol=BTCUSDT&orderId=" + std::to_string(orderId) + "&origClientOrderId=nonexistent");
        CHECK(r.str("clientOrderId") == "sig-1:bn:0:0");
        CHECK(c.send("GET", "/fapi/v1/order", "symbol=ETHUSDT&orderId=" + std::to_string(orderId)).code() == -2013);
    }
}

TEST_CASE("client order ids are unique among OPEN orders only: the reuse trap", "[orders]") {
    RunningEmulator emu;
    auto& c = emu.api();
    const std::string id = "sig-7:bn:0:0";
    auto first = placeLimit(c, id, "BUY", "64000.00");
    REQUIRE(first.status == 200);
    REQUIRE(first.str("status") == "NEW");

    auto dup = placeMarket(c, id);
    CHECK(dup.status == 400);
    CHECK(dup.code() == -4116);
    CHECK(dup.str("msg") == "ClientOrderId is duplicated.");

    // The resting buy fills when the price comes down to it; the id is then free again.
    REQUIRE(c.control("POST", "/control/price", R"({"symbol":"BTCUSDT","price":"63990.00"})").status == 200);
    CHECK(queryById(c, id).str("status") == "FILLED");

    auto second = placeMarket(c, id);
    REQUIRE(second.status == 200);
    CHECK(second.object()->getValue<Poco::Int64>("orderId") != first.object()->getValue<Poco::Int64>("orderId"));

    auto ledger = c.control("GET", "/control/ledger?clientOrderId=" + id).object();
    CHECK(ledger->getValue<int>("count") == 2);
    // A query by that id now answers with the newest order.
    CHECK(queryById(c, id).str("orderId") == second.str("orderId"));

    SECTION("global uniqueness mode refuses the reuse") {
        REQUIRE(c.control("POST", "/control/settings", R"({"client_id_uniqueness":"global"})").status == 200);
        CHECK(placeMarket(c, id).code() == -4116);
    }
    SECTION("no uniqueness at all lets a duplicate open order in") {
        REQUIRE(c.control("POST", "/control/settings", R"({"client_id_uniqueness":"none"})").status == 200);
        REQUIRE(placeLimit(c, "open-twice", "BUY", "63000.00").status == 200);
        CHECK(placeLimit(c, "open-twice", "BUY", "63000.00").status == 200);
    }
}

TEST_CASE("parameter validation answers with Binance's codes", "[orders][validation]") {
    RunningEmulator emu;
    auto& c = emu.api();
    struct Case {
        const char* params;
        int code;
    };
    const Case cases[] = {
        {"symbol=BTCUSDT&side=BUY&type=MARKET", -1102},                           // no quantity
        {"side=BUY&type=MARKET&quantity=0.01", -1102},                            // no symbol
        {"symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.01&price=65000", -1102},  // no timeInForce
        {"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.0101", -1111},           // 4 decimals
        {"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=65000.123", -1111},
        {"symbol=BTCUSD&side=BUY&type=MARKET&quantity=0.01", -1121},
        {"symbol=BTCUSDT&side=BUY&type=ICEBERG&quantity=0.01", -1116},
        {"symbol=BTCUSDT&side=BUY&type=STOP_MARKET&quantity=0.01&stopPrice=60000", -4120},
        {"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=has%20space", -4015},
        {"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=0123456789012345678901234567890123456",
         -4015},
        {"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=bad*char", -4015},
        {"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&positionSide=LONG", -4061},
        {"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=65000.15", -4014},
        {"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0", -4003},
        {"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=121", -4005},  // MARKET_LOT_SIZE max 120
        {"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1001&price=65000", -4005},
        {"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001", -4164},                            // 65 USDT < 100
        {"symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.005", -4164},                            // 17.5 USDT < 20
        {"symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.01&reduceOnly=true", -2022},            // nothing to reduce
        {"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=70000", -4016},  // > mark x 1.05
        {"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=60000", -4024},  // < mark x 0.95
        {"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&timeInForce=GTC", -1106},
        {"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1e-2", -1100},
        {"symbol=BTCUSDT&side=HOLD&type=MARKET&quantity=0.01", -1117},
    };
    for (const auto& tc : cases) {
        auto r = c.send("POST", "/fapi/v1/order", tc.params);
        INFO(tc.params << " -> " << r.body);
        CHECK(r.status == 400);
        CHECK(r.code() == tc.code);
    }
    CHECK(c.control("GET", "/control/ledger").object()->getValue<int>("count") == 0);

    SECTION("a reduce-only order is exempt from MIN_NOTIONAL") {
        REQUIRE(placeMarket(c, "open-long").status == 200);
        auto r = placeMarket(c, "close-part", "SELL", "0.001", "&reduceOnly=true&newOrderRespType=RESULT");
        INFO(r.body);
        REQUIRE(r.status == 200);
        CHECK(r.str("status") == "FILLED");
        CHECK(r.object()->getValue<bool>("reduceOnly"));
    }
}

TEST_CASE("time in force: IOC expires, FOK and GTX are refused unrecorded", "[orders]") {
    RunningEmulator emu;
    auto& c = emu.api();
    auto ioc = placeLimit(c, "ioc-1", "BUY", "64000.00", "IOC");
    CHECK(ioc.str("status") == "EXPIRED");
    CHECK(queryById(c, "ioc-1").str("status") == "EXPIRED");

    auto iocFill = placeLimit(c, "ioc-2", "BUY", "65100.00", "IOC");
    CHECK(iocFill.str("status") == "FILLED");
    CHECK(iocFill.str("avgPrice") == "65000.00000");  // a taker gets the market, not its limit

    CHECK(placeLimit(c, "fok-1", "BUY", "64000.00", "FOK").code() == -5021);
    CHECK(placeLimit(c, "gtx-1", "BUY", "65100.00", "GTX").code() == -5022);
    CHECK(queryById(c, "fok-1").code() == -2013);
    CHECK(queryById(c, "gtx-1").code() == -2013);

    auto maker = placeLimit(c, "gtx-2", "BUY", "64000.00", "GTX");
    CHECK(maker.str("status") == "NEW");
    CHECK(maker.str("timeInForce") == "GTX");
}

TEST_CASE("cancel, openOrder and openOrders", "[orders]") {
    RunningEmulator emu;
    auto& c = emu.api();
    REQUIRE(placeLimit(c, "rest-1", "BUY", "64000.00").status == 200);
    REQUIRE(placeLimit(c, "rest-2", "SELL", "66000.00").status == 200);
    REQUIRE(placeMarket(c, "filled-1").status == 200);

    auto open = c.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").array();
    CHECK(open->size() == 2);
    CHECK(c.send("GET", "/fapi/v1/openOrders", "").array()->size() == 2);
    CHECK(queryById(c, "rest-1", "/fapi/v1/openOrder").str("status") == "NEW");
    CHECK(queryById(c, "filled-1", "/fapi/v1/openOrder").code() == -2013);

    auto cancelled = c.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=rest-1");
    INFO(cancelled.body);
    REQUIRE(cancelled.status == 200);
    CHECK(cancelled.str("status") == "CANCELED");
    CHECK(c.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=rest-1").code() == -2011);
    CHECK(c.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=filled-1").code() == -2011);
    CHECK(c.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=never-sent").code() == -2011);
    CHECK(c.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT").code() == -1102);
    CHECK(c.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").array()->size() == 1);
    CHECK(queryById(c, "never-sent").str("msg") == "Order does not exist.");
}

TEST_CASE("query retention: 3 days for unfilled cancels, 90 days for everything", "[orders][retention]") {
    RunningEmulator emu;
    auto& c = emu.api();
    REQUIRE(placeLimit(c, "cancel-me", "BUY", "64000.00").status == 200);
    REQUIRE(c.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=cancel-me").status == 200);
    REQUIRE(placeMarket(c, "fill-me").status == 200);
    REQUIRE(placeLimit(c, "expire-me", "BUY", "64000.00", "IOC").status == 200);

    advanceClock(c, 3 * kDayMs - 60000);
    CHECK(queryById(c, "cancel-me").str("status") == "CANCELED");
    CHECK(queryById(c, "expire-me").str("status") == "EXPIRED");

    advanceClock(c, 2 * 60000);
    CHECK(queryById(c, "cancel-me").code() == -2013);
    CHECK(queryById(c, "expire-me").code() == -2013);
    CHECK(queryById(c, "fill-me").str("status") == "FILLED");

    advanceClock(c, 87 * kDayMs);
    CHECK(queryById(c, "fill-me").code() == -2013);
    // Gone from queries, but the ledger (the emulator's own truth) keeps everything.
    CHECK(c.control("GET", "/control/ledger").object()->getValue<int>("count") == 3);
}

TEST_CASE("hedge mode: positionSide required, reduceOnly refused, closes are reduce-only", "[orders][hedge]") {
    RunningEmulator emu;
    auto& c = emu.api();
    CHECK(c.send("GET", "/fapi/v1/positionSide/dual", "").str("dualSidePosition") == "false");
    CHECK(c.send("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=false").code() == -4059);
    auto set = c.send("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=true");
    REQUIRE(set.status == 200);
    CHECK(set.body == R"({"code":200,"msg":"success"})");
    CHECK(c.send("GET", "/fapi/v1/positionSide/dual", "").str("dualSidePosition") == "true");

    CHECK(placeMarket(c, "h-0").code() == -4061);
    CHECK(placeMarket(c, "h-1", "BUY", "0.010", "&positionSide=BOTH").code() == -4061);
    auto reduce = placeMarket(c, "h-2", "BUY", "0.010", "&positionSide=LONG&reduceOnly=false");
    CHECK(reduce.code() == -1106);
    CHECK(reduce.str("msg") == "Parameter 'reduceonly' sent when not required.");
    CHECK(placeMarket(c, "h-3", "SELL", "0.010", "&positionSide=LONG").code() == -2022);  // no long to close

    REQUIRE(placeMarket(c, "h-4", "BUY", "0.010", "&positionSide=LONG").status == 200);
    REQUIRE(placeMarket(c, "h-5", "SELL", "0.020", "&positionSide=SHORT").status == 200);
    auto positions = c.send("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT").array();
    REQUIRE(positions->size() == 2);
    CHECK(field(at(positions, 0), "positionSide") == "LONG");
    CHECK(field(at(positions, 0), "positionAmt") == "0.010");
    CHECK(field(at(positions, 1), "positionSide") == "SHORT");
    CHECK(field(at(positions, 1), "positionAmt") == "-0.020");

    CHECK(c.send("POST", "/fapi/v1/positionSide/dual", "dualSidePosition=false").code() == -4068);
    CHECK(placeLimit(c, "h-6", "BUY", "64000.00", "GTC", "0.010").code() == -4061);
}

TEST_CASE("ledger: acceptedAtUs is the wall-clock receipt time in microseconds", "[orders][ledger]") {
    RunningEmulator emu;
    auto& c = emu.api();
    auto entryOf = [&](const std::string& id) {
        auto ledger = c.control("GET", "/control/ledger?clientOrderId=" + id).object();
        REQUIRE(ledger->getValue<int>("count") == 1);
        return ledger->getArray("orders")->getObject(0);
    };

    bool subMillisecond = false;
    for (int i = 0; i < 5; ++i) {
        const std::string id = "us-" + std::to_string(i);
        const std::int64_t beforeUs = EmulatorClock::wallUs();
        REQUIRE(placeMarket(c, id, i % 2 == 0 ? "BUY" : "SELL").status == 200);
        const std::int64_t afterUs = EmulatorClock::wallUs();
        auto e = entryOf(id);
        const auto acceptedAtUs = e->getValue<Poco::Int64>("acceptedAtUs");
        CHECK(acceptedAtUs >= beforeUs);
        CHECK(acceptedAtUs <= afterUs);
        // acceptedAt keeps its meaning: the emulator clock in ms, here the same wall clock.
        const auto acceptedAt = e->getValue<Poco::Int64>("acceptedAt");
        CHECK(acceptedAt >= beforeUs / 1000);
        CHECK(acceptedAt <= afterUs / 1000 + 1);
        if (acceptedAtUs % 1000 != 0) subMillisecond = true;
    }
    CHECK(subMillisecond);  // microseconds, not milliseconds times 1000

    SECTION("a skewed or advanced emulator clock moves acceptedAt, never acceptedAtUs") {
        REQUIRE(c.control("POST", "/control/clock", R"({"skew_ms":10000,"advance_ms":5000})").status == 200);
        c.syncTime();
        const std::int64_t beforeUs = EmulatorClock::wallUs();
        REQUIRE(placeMarket(c, "us-skewed").status == 200);
        const std::int64_t afterUs = EmulatorClock::wallUs();
        auto e = entryOf("us-skewed");
        CHECK(e->getValue<Poco::Int64>("acceptedAtUs") >= beforeUs);
        CHECK(e->getValue<Poco::Int64>("acceptedAtUs") <= afterUs);
        CHECK(e->getValue<Poco::Int64>("acceptedAt") >= beforeUs / 1000 + 15000);
    }
    SECTION("a late order carries the time its POST arrived, not the time it was placed") {
        REQUIRE(c.control("POST", "/control/faults", R"({"mode":"late_execute","delay_ms":300,"count":1})").status ==
                200);
        const std::int64_t beforeUs = EmulatorClock::wallUs();
        CHECK(placeMarket(c, "us-late").code() == -1007);
        const std::int64_t afterUs = EmulatorClock::wallUs();
        for (int i = 0; i < 100 && c.control("GET", "/control/state").object()->getValue<int>("pendingLateOrders") > 0;
             ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        auto e = entryOf("us-late");
        REQUIRE(field(e, "status") == "FILLED");
        CHECK(e->getValue<Poco::Int64>("acceptedAtUs") >= beforeUs);
        CHECK(e->getValue<Poco::Int64>("acceptedAtUs") <= afterUs);
        CHECK(e->getValue<Poco::Int64>("executedAt") >= afterUs / 1000);
    }
}
