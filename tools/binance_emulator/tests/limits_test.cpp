// Weight and order-count headers, 429 then 418 escalation, -1015, and keep-alive reuse.
#include <catch2/catch.hpp>

#include "emulator_fixture.h"

using namespace tradehost::binance_emulator;
using namespace tradehost::binance_emulator::test;

namespace {

int weightOf(const HttpResult& r) { return std::stoi(r.header("X-MBX-USED-WEIGHT-1M")); }

}  // namespace

TEST_CASE("X-MBX-USED-WEIGHT-1M adds up the documented endpoint weights", "[limits]") {
    RunningEmulator emu;
    auto& c = emu.api();
    CHECK(weightOf(c.get("/fapi/v1/ping")) == 1);
    CHECK(weightOf(c.get("/fapi/v1/time")) == 2);
    CHECK(weightOf(c.get("/fapi/v1/exchangeInfo")) == 3);
    CHECK(weightOf(c.send("GET", "/fapi/v2/positionRisk", "")) == 8);
    CHECK(weightOf(c.send("GET", "/fapi/v3/positionRisk", "")) == 13);
    CHECK(weightOf(c.send("GET", "/fapi/v1/positionSide/dual", "")) == 43);
    CHECK(weightOf(c.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT")) == 44);
    CHECK(weightOf(c.send("GET", "/fapi/v1/openOrders", "")) == 84);
    // Errors cost weight too.
    CHECK(weightOf(c.send("GET", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=x")) == 85);

    auto placed = c.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002");
    CHECK(weightOf(placed) == 85);  // new orders cost no IP weight
    CHECK(placed.header("X-MBX-ORDER-COUNT-10S") == "1");
    CHECK(placed.header("X-MBX-ORDER-COUNT-1M") == "1");
    auto again = c.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002");
    CHECK(again.header("X-MBX-ORDER-COUNT-10S") == "2");
    CHECK(c.get("/fapi/v1/ping").header("X-MBX-ORDER-COUNT-10S").empty());
}

TEST_CASE("over the weight limit: 429 with Retry-After, then a 418 ban for those who keep going", "[limits]") {
    RunningEmulator emu;
    auto& c = emu.api();
    REQUIRE(c.control("POST", "/control/limits",
                      R"({"weight_per_minute":10,"ban_after_429s":2,"ban_ms":60000,"reset_usage":true})")
                .status == 200);
    for (int i = 1; i <= 10; ++i) REQUIRE(c.get("/fapi/v1/time").status == 200);

    auto limited = c.get("/fapi/v1/time");
    CHECK(limited.status == 429);
    CHECK(limited.code() == -1003);
    CHECK(weightOf(limited) == 11);
    CHECK_FALSE(limited.header("Retry-After").empty());
    CHECK(std::stoi(limited.header("Retry-After")) >= 1);
    CHECK(c.get("/fapi/v1/time").status == 429);
    CHECK(c.get("/fapi/v1/time").status == 429);

    auto banned = c.get("/fapi/v1/time");
    CHECK(banned.status == 418);
    CHECK(banned.code() == -1003);
    CHECK(banned.str("msg").find("banned until") != std::string::npos);
    CHECK(banned.header("Retry-After") == "60");
    // Banned means banned: weightless and signed requests too.
    CHECK(c.get("/fapi/v1/ping").status == 418);
    CHECK(c.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002").status == 418);

    // The ban and the window run on the emulator clock: advancing it lifts both.
    REQUIRE(c.control("POST", "/control/clock", R"({"advance_ms":61000})").status == 200);
    c.syncTime();
    CHECK(c.get("/fapi/v1/ping").status == 200);
}

TEST_CASE("too many orders: -1015 with 429", "[limits]") {
    RunningEmulator emu;
    auto& c = emu.api();
    REQUIRE(c.control("POST", "/control/limits", R"({"orders_per_10s":2})").status == 200);
    const std::string params = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002";
    CHECK(c.send("POST", "/fapi/v1/order", params).status == 200);
    CHECK(c.send("POST", "/fapi/v1/order", params).status == 200);
    auto r = c.send("POST", "/fapi/v1/order", params);
    CHECK(r.status == 429);
    CHECK(r.code() == -1015);
    CHECK(r.header("X-MBX-ORDER-COUNT-10S") == "3");
    CHECK(c.control("GET", "/control/ledger").object()->getValue<int>("count") == 2);
}

TEST_CASE("keep-alive: many requests ride one connection", "[limits][keepalive]") {
    RunningEmulator emu;
    auto& c = emu.api();
    c.get("/fapi/v1/ping");
    const int before = c.control("GET", "/control/state").object()->getObject("connections")->getValue<int>("total");
    for (int i = 0; i < 25; ++i) {
        REQUIRE(c.get("/fapi/v1/time").status == 200);
        REQUIRE(c.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002").status == 200);
    }
    const int after = c.control("GET", "/control/state").object()->getObject("connections")->getValue<int>("total");
    CHECK(after == before);
}

TEST_CASE("control reset wipes orders, positions, faults, clock and limits", "[limits][control]") {
    RunningEmulator emu;
    auto& c = emu.api();
    REQUIRE(c.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002").status == 200);
    REQUIRE(c.control("POST", "/control/faults", R"({"mode":"http_5xx","path":"GET /fapi/v1/time"})").status == 200);
    REQUIRE(c.control("POST", "/control/limits", R"({"weight_per_minute":5})").status == 200);
    REQUIRE(c.control("POST", "/control/reset").status == 200);
    CHECK(c.control("GET", "/control/ledger").object()->getValue<int>("count") == 0);
    CHECK(c.get("/fapi/v1/time").status == 200);
    CHECK(c.control("GET", "/control/limits").object()->getValue<int>("weight_per_minute") == 2400);
    CHECK(c.send("GET", "/fapi/v3/positionRisk", "").array()->size() == 0);
}
