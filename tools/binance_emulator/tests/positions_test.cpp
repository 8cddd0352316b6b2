// Positions after fills (v2 and v3 shapes, exact PnL), and positions changed behind the client's back.
#include <catch2/catch.hpp>

#include "emulator_fixture.h"

using namespace tradehost::binance_emulator;
using namespace tradehost::binance_emulator::test;

namespace {

HttpResult market(EmulatorClient& c, const std::string& symbol, const std::string& side, const std::string& qty) {
    return c.send("POST", "/fapi/v1/order", "symbol=" + symbol + "&side=" + side + "&type=MARKET&quantity=" + qty);
}

Poco::JSON::Object::Ptr btcPosition(EmulatorClient& c) {
    auto a = c.send("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT").array();
    REQUIRE(a->size() == 1);
    return at(a, 0);
}

void setPrice(EmulatorClient& c, const std::string& price) {
    REQUIRE(c.control("POST", "/control/price", R"({"symbol":"BTCUSDT","price":")" + price + "\"}").status == 200);
}

}  // namespace

TEST_CASE("positions follow fills with exact entry prices and PnL", "[positions]") {
    RunningEmulator emu;
    auto& c = emu.api();

    auto flat = c.send("GET", "/fapi/v2/positionRisk", "").array();
    REQUIRE(flat->size() == 2);  // v2 lists every symbol
    CHECK(field(at(flat, 0), "positionAmt") == "0.000");
    CHECK(c.send("GET", "/fapi/v3/positionRisk", "").array()->size() == 0);  // v3 only active ones

    REQUIRE(market(c, "BTCUSDT", "BUY", "0.010").status == 200);
    setPrice(c, "66000.00");
    REQUIRE(market(c, "BTCUSDT", "BUY", "0.010").status == 200);

    auto p = btcPosition(c);
    CHECK(field(p, "positionAmt") == "0.020");
    CHECK(field(p, "entryPrice") == "65500.0");
    CHECK(field(p, "markPrice") == "66000.00000000");
    CHECK(field(p, "unRealizedProfit") == "10.00000000");
    CHECK(field(p, "notional") == "1320.00000000");
    CHECK(field(p, "positionSide") == "BOTH");
    CHECK(field(p, "marginType") == "cross");

    auto v3 = c.send("GET", "/fapi/v3/positionRisk", "").array();
    REQUIRE(v3->size() == 1);
    CHECK(field(at(v3, 0), "symbol") == "BTCUSDT");
    CHECK(field(at(v3, 0), "positionAmt") == "0.020");
    CHECK(field(at(v3, 0), "marginAsset") == "USDT");

    SECTION("a reduction keeps the entry, a flip takes the fill price") {
        setPrice(c, "65000.10");
        REQUIRE(market(c, "BTCUSDT", "SELL", "0.005").status == 200);
        CHECK(field(btcPosition(c), "entryPrice") == "65500.0");
        CHECK(field(btcPosition(c), "unRealizedProfit") == "-7.49850000");  // (65000.1-65500) x 0.015
        REQUIRE(market(c, "BTCUSDT", "SELL", "0.025").status == 200);
        auto flipped = btcPosition(c);
        CHECK(field(flipped, "positionAmt") == "-0.010");
        CHECK(field(flipped, "entryPrice") == "65000.1");
    }
    SECTION("an entry that does not divide evenly is rounded to 8 decimals and PnL stays exact") {
        setPrice(c, "66000.10");
        REQUIRE(market(c, "BTCUSDT", "BUY", "0.010").status == 200);
        // (0.02 x 65500 + 0.01 x 66000.1) / 0.03 = 65666.7 exactly; then a third price.
        setPrice(c, "65000.00");
        REQUIRE(market(c, "BTCUSDT", "BUY", "0.007").status == 200);
        auto q = btcPosition(c);
        CHECK(field(q, "positionAmt") == "0.037");
        // (0.03 x 65666.7 + 0.007 x 65000) / 0.037 = 65540.567567567... -> 8 places
        CHECK(field(q, "entryPrice") == "65540.56756757");
        CHECK(field(q, "unRealizedProfit") == "-20.00100000009");  // (65000 - 65540.56756757) x 0.037
    }
    SECTION("a resting order makes a flat symbol appear in v3, with its notional") {
        REQUIRE(c.send("POST", "/fapi/v1/order",
                       "symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.100&price=3400.00")
                    .status == 200);
        auto active = c.send("GET", "/fapi/v3/positionRisk", "symbol=ETHUSDT").array();
        REQUIRE(active->size() == 1);
        CHECK(field(at(active, 0), "positionAmt") == "0.000");
        CHECK(field(at(active, 0), "bidNotional") == "340.0");
    }
}

TEST_CASE("control: positions set or nudged behind the client's back (drift)", "[positions][control]") {
    RunningEmulator emu;
    auto& c = emu.api();
    auto set = c.control("POST", "/control/position",
                         R"({"symbol":"BTCUSDT","positionSide":"BOTH","quantity":"0.010","entryPrice":"64000"})");
    INFO(set.body);
    REQUIRE(set.status == 200);
    CHECK(field(btcPosition(c), "positionAmt") == "0.010");
    CHECK(field(btcPosition(c), "unRealizedProfit") == "10.00000000");

    REQUIRE(c.control("POST", "/control/position", R"({"symbol":"BTCUSDT","delta":"0.001"})").status == 200);
    CHECK(field(btcPosition(c), "positionAmt") == "0.011");
    CHECK(field(btcPosition(c), "entryPrice") == "64000.0");
    REQUIRE(c.control("POST", "/control/position", R"({"symbol":"BTCUSDT","delta":"-0.011"})").status == 200);
    CHECK(field(btcPosition(c), "positionAmt") == "0.000");

    // Drift never shows up in the ledger: only orders do.
    CHECK(c.control("GET", "/control/ledger").object()->getValue<int>("count") == 0);

    auto bad = c.control("POST", "/control/position", R"({"symbol":"BTCUSDT","quantity":0.01})");
    CHECK(bad.status == 400);
    CHECK(bad.str("error").find("string") != std::string::npos);
    CHECK(c.control("POST", "/control/position", R"({"symbol":"BTCUSDT","qty":"1"})").status == 400);
    CHECK(
        c.control("POST", "/control/position", R"({"symbol":"BTCUSDT","positionSide":"LONG","quantity":"1"})").status ==
        400);
}
