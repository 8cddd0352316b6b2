// Every fault mode over real HTTP: what the client sees, what the exchange did, and the fired counters.
#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "emulator_fixture.h"

using namespace tradehost::binance_emulator;
using namespace tradehost::binance_emulator::test;

namespace {

HttpResult order(EmulatorClient& c, const std::string& id) {
    return c.send("POST", "/fapi/v1/order",
                  "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002&newOrderRespType=RESULT&newClientOrderId=" + id);
}

HttpResult query(EmulatorClient& c, const std::string& id) {
    return c.send("GET", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=" + id);
}

void addFault(EmulatorClient& c, const std::string& json) {
    auto r = c.control("POST", "/control/faults", json);
    INFO(r.body);
    REQUIRE(r.status == 200);
}

// fired count of the first fault with this mode, and the per-mode total.
std::pair<int, int> fired(EmulatorClient& c, const std::string& mode) {
    auto report = c.control("GET", "/control/faults").object();
    int count = -1;
    auto faults = report->getArray("faults");
    for (unsigned i = 0; i < faults->size(); ++i) {
        if (field(faults->getObject(i), "mode") == mode) {
            count = faults->getObject(i)->getValue<int>("fired");
            break;
        }
    }
    auto totals = report->getObject("fired_total");
    return {count, totals->has(mode) ? totals->getValue<int>(mode) : 0};
}

int ledgerCount(EmulatorClient& c, const std::string& id) {
    return c.control("GET", "/control/ledger?clientOrderId=" + id).object()->getValue<int>("count");
}

}  // namespace

TEST_CASE("drop_after_execute: the order exists, the answer never comes", "[faults]") {
    RunningEmulator emu;
    auto& c = emu.api();
    addFault(c, R"({"mode":"drop_after_execute","count":1})");
    // An orderly close with no status line: Poco reports "no message".
    CHECK_THROWS_AS(order(c, "drop-1"), Poco::Net::NoMessageException);
    CHECK(query(c, "drop-1").str("status") == "FILLED");
    CHECK(ledgerCount(c, "drop-1") == 1);
    auto entry = c.control("GET", "/control/ledger?clientOrderId=drop-1").object()->getArray("orders")->getObject(0);
    CHECK(field(entry, "fault") == "drop_after_execute");
    CHECK(fired(c, "drop_after_execute") == std::make_pair(1, 1));
    // count 1 is spent: the next order is answered normally.
    CHECK(order(c, "drop-2").status == 200);
    CHECK(fired(c, "drop_after_execute").first == 1);
}

TEST_CASE("a fault whose request failed is not counted as fired", "[faults]") {
    RunningEmulator emu;
    auto& c = emu.api();
    addFault(c, R"({"mode":"drop_after_execute","count":1})");
    // Below MIN_NOTIONAL: a normal -4164, nothing executed, nothing dropped.
    auto r = c.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001");
    CHECK(r.code() == -4164);
    CHECK(fired(c, "drop_after_execute").first == 0);
    // Queries are not "executions": the default path is POST /fapi/v1/order only.
    CHECK(c.send("GET", "/fapi/v2/positionRisk", "").status == 200);
    CHECK_THROWS_AS(order(c, "drop-3"), Poco::Exception);
    CHECK(fired(c, "drop_after_execute").first == 1);
}

TEST_CASE("unknown_503_after_execute: 503 'Unknown error', the order exists", "[faults]") {
    RunningEmulator emu;
    auto& c = emu.api();
    addFault(c, R"({"mode":"unknown_503_after_execute","count":1})");
    auto r = order(c, "u503-1");
    CHECK(r.status == 503);
    CHECK(r.code() == -1000);
    CHECK(r.str("msg") == "Unknown error, please check your request or try again later.");
    CHECK(query(c, "u503-1").str("status") == "FILLED");
    CHECK(fired(c, "unknown_503_after_execute").first == 1);
}

TEST_CASE("timeout_1007_after_execute: 408 -1007, the order exists", "[faults]") {
    RunningEmulator emu;
    auto& c = emu.api();
    addFault(c, R"({"mode":"timeout_1007_after_execute","count":1})");
    auto r = order(c, "t1007-1");
    CHECK(r.status == 408);
    CHECK(r.code() == -1007);
    CHECK(r.str("msg").find("execution status unknown") != std::string::npos);
    CHECK(query(c, "t1007-1").str("status") == "FILLED");
    CHECK(fired(c, "timeout_1007_after_execute").first == 1);
}

TEST_CASE("late_execute: -1007 now, -2013 on query, the order appears later", "[faults]") {
    RunningEmulator emu;
    auto& c = emu.api();
    addFault(c, R"({"mode":"late_execute","delay_ms":600,"count":1})");
    auto r = order(c, "late-1");
    CHECK(r.status == 408);
    CHECK(r.code() == -1007);
    CHECK(query(c, "late-1").code() == -2013);
    CHECK(c.send("GET", "/fapi/v1/openOrders", "").array()->size() == 0);
    auto pending = c.control("GET", "/control/ledger?clientOrderId=late-1").object()->getArray("orders")->getObject(0);
    CHECK(field(pending, "status") == "PENDING");
    CHECK(pending->get("orderId").isEmpty());
    CHECK(fired(c, "late_execute").first == 1);

    HttpResult found;
    for (int i = 0; i < 100; ++i) {
        found = query(c, "late-1");
        if (found.status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(found.status == 200);
    CHECK(found.str("status") == "FILLED");
    auto done = c.control("GET", "/control/ledger?clientOrderId=late-1").object()->getArray("orders")->getObject(0);
    CHECK(field(done, "status") == "FILLED");
    CHECK(done->get("orderId").isInteger());
}

TEST_CASE("late_execute: a blind resend within the window makes two orders", "[faults]") {
    RunningEmulator emu;
    auto& c = emu.api();
    addFault(c, R"({"mode":"late_execute","delay_ms":300,"count":1,"answer":"drop"})");
    CHECK_THROWS_AS(order(c, "late-2"), Poco::Exception);
    // The naive client saw nothing, found nothing, and sent again with the same id: accepted,
    // because the first order does not exist yet (and will be FILLED, not open, when it does).
    CHECK(query(c, "late-2").code() == -2013);
    REQUIRE(order(c, "late-2").status == 200);
    for (int i = 0; i < 100 && c.control("GET", "/control/state").object()->getValue<int>("pendingLateOrders") > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto ledger = c.control("GET", "/control/ledger?clientOrderId=late-2").object();
    REQUIRE(ledger->getValue<int>("count") == 2);
    CHECK(field(ledger->getArray("orders")->getObject(0), "status") == "FILLED");
    CHECK(field(ledger->getArray("orders")->getObject(1), "status") == "FILLED");
}

TEST_CASE("delay: the answer is late, the order is not", "[faults]") {
    RunningEmulator emu;
    auto& c = emu.api();
    addFault(c, R"({"mode":"delay","delay_ms":500,"count":1,"path":"POST /fapi/v1/order"})");
    c.setTimeoutMs(150);
    CHECK_THROWS_AS(order(c, "slow-1"), Poco::TimeoutException);
    c.setTimeoutMs(10000);
    CHECK(ledgerCount(c, "slow-1") == 1);
    CHECK(fired(c, "delay").first == 1);
}

TEST_CASE("reset: the connection is cut and nothing is executed", "[faults]") {
    RunningEmulator emu;
    auto& c = emu.api();
    addFault(c, R"({"mode":"reset","count":1})");
    CHECK_THROWS_AS(order(c, "reset-1"), Poco::Net::ConnectionResetException);
    CHECK(ledgerCount(c, "reset-1") == 0);
    CHECK(query(c, "reset-1").code() == -2013);
    CHECK(fired(c, "reset") == std::make_pair(1, 1));
}

TEST_CASE("http_5xx: gateway pages and JSON 5xx, nothing executed", "[faults]") {
    RunningEmulator emu;
    auto& c = emu.api();
    SECTION("502 from the gateway, twice") {
        addFault(c, R"({"mode":"http_5xx","status":502,"count":2,"path":"/fapi/v1/order"})");
        for (int i = 0; i < 2; ++i) {
            auto r = order(c, "gw-1");
            CHECK(r.status == 502);
            CHECK(r.header("Content-Type").find("text/html") != std::string::npos);
        }
        CHECK(ledgerCount(c, "gw-1") == 0);
        CHECK(order(c, "gw-1").status == 200);
        CHECK(fired(c, "http_5xx").first == 2);
    }
    SECTION("500 with Binance's -1001") {
        addFault(c, R"({"mode":"http_5xx","status":500,"count":1})");
        auto r = c.get("/fapi/v1/time");
        CHECK(r.status == 500);
        CHECK(r.code() == -1001);
    }
    SECTION("executed first, then 502, when asked") {
        addFault(c, R"({"mode":"http_5xx","status":504,"execute":true,"count":1,"path":"POST /fapi/v1/order"})");
        CHECK(order(c, "gw-2").status == 504);
        CHECK(ledgerCount(c, "gw-2") == 1);
    }
    SECTION("the path filter: only the named request is hit") {
        addFault(c, R"({"mode":"http_5xx","status":503,"path":"GET /fapi/v1/time"})");
        CHECK(c.get("/fapi/v1/ping").status == 200);
        auto r = c.get("/fapi/v1/time");
        CHECK(r.status == 503);
        CHECK(r.str("msg") == "Service Unavailable.");
        CHECK(fired(c, "http_5xx").first == 1);
    }
    SECTION("rate 0 never fires, clear removes everything") {
        addFault(c, R"({"mode":"http_5xx","rate":0})");
        for (int i = 0; i < 20; ++i) CHECK(c.get("/fapi/v1/ping").status == 200);
        CHECK(fired(c, "http_5xx").first == 0);
        addFault(c, R"({"mode":"clear"})");
        CHECK(c.control("GET", "/control/faults").object()->getArray("faults")->size() == 0);
    }
}

TEST_CASE("http_429 and http_418 injected at a rate carry Retry-After", "[faults]") {
    RunningEmulator emu;
    auto& c = emu.api();
    addFault(c, R"({"mode":"http_429","count":1})");
    auto r = c.get("/fapi/v1/time");
    CHECK(r.status == 429);
    CHECK(r.code() == -1003);
    CHECK(r.header("Retry-After") == "1");
    addFault(c, R"({"mode":"http_418","count":1,"retry_after_s":7})");
    auto banned = c.get("/fapi/v1/time");
    CHECK(banned.status == 418);
    CHECK(banned.code() == -1003);
    CHECK(banned.header("Retry-After") == "7");
    CHECK(c.get("/fapi/v1/time").status == 200);
    CHECK(fired(c, "http_429").second == 1);
    CHECK(fired(c, "http_418").second == 1);
}

TEST_CASE("the control API refuses what it does not understand", "[faults][control]") {
    RunningEmulator emu;
    auto& c = emu.api();
    CHECK(c.control("POST", "/control/faults", R"({"mode":"explode"})").status == 400);
    CHECK(c.control("POST", "/control/faults", R"({"mode":"delay","delay":100})").status == 400);
    CHECK(c.control("POST", "/control/faults", R"({"mode":"delay","delay_ms":100,"path":"/control/x"})").status == 400);
    CHECK(c.control("POST", "/control/faults", "not json").status == 400);
    CHECK(c.control("GET", "/control/nothing").status == 404);
    // And never touches the fapi paths with its own answers.
    CHECK(c.get("/fapi/v1/control").status == 404);
}
