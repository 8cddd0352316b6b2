// Partial fills under test control (/control/fill): every view a client has of the order and the position agrees.
#include <catch2/catch.hpp>

#include "emulator_fixture.h"

using namespace tradehost::binance_emulator;
using namespace tradehost::binance_emulator::test;

namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

HttpResult placeLimit(EmulatorClient& c, const std::string& id, const std::string& side, const std::string& price,
                      const std::string& qty = "0.010", const std::string& symbol = "BTCUSDT",
                      const std::string& extra = "") {
    return c.send("POST", "/fapi/v1/order",
                  "symbol=" + symbol + "&side=" + side + "&type=LIMIT&timeInForce=GTC&quantity=" + qty +
                      "&price=" + price + "&newClientOrderId=" + id + "&newOrderRespType=RESULT" + extra);
}

HttpResult fill(EmulatorClient& c, const std::string& json) { return c.control("POST", "/control/fill", json); }

HttpResult fillOk(EmulatorClient& c, const std::string& json) {
    auto r = fill(c, json);
    INFO(json << " -> " << r.body);
    REQUIRE(r.status == 200);
    return r;
}

HttpResult queryById(EmulatorClient& c, const std::string& id, const std::string& path = "/fapi/v1/order") {
    return c.send("GET", path, "symbol=BTCUSDT&origClientOrderId=" + id);
}

Poco::JSON::Object::Ptr position(EmulatorClient& c, const std::string& path = "/fapi/v2/positionRisk") {
    auto a = c.send("GET", path, "symbol=BTCUSDT").array();
    REQUIRE(a->size() == 1);
    return at(a, 0);
}

Poco::JSON::Object::Ptr ledgerEntry(EmulatorClient& c, const std::string& id) {
    auto ledger = c.control("GET", "/control/ledger?clientOrderId=" + id).object();
    REQUIRE(ledger->getValue<int>("count") == 1);
    return ledger->getArray("orders")->getObject(0);
}

void advanceClock(EmulatorClient& c, std::int64_t ms) {
    REQUIRE(c.control("POST", "/control/clock", "{\"advance_ms\":" + std::to_string(ms) + "}").status == 200);
    c.syncTime();
}

}  // namespace

TEST_CASE("control fill: two partial fills at different prices, seen the same everywhere", "[fills]") {
    RunningEmulator emu;
    auto& c = emu.api();
    auto placed = placeLimit(c, "pf-1", "BUY", "64000.00");
    REQUIRE(placed.status == 200);
    REQUIRE(placed.str("status") == "NEW");
    const auto placedAt = placed.object()->getValue<Poco::Int64>("updateTime");
    advanceClock(c, 1000);  // so updateTime visibly moves

    auto first = fillOk(c, R"({"clientOrderId":"pf-1","quantity":"0.004"})");
    CHECK(first.str("status") == "PARTIALLY_FILLED");
    CHECK(first.str("origQty") == "0.010");
    CHECK(first.str("executedQty") == "0.004");
    CHECK(first.str("avgPrice") == "64000.00000");  // the order's own limit: it is the maker
    CHECK(first.str("cumQuote") == "256.00000");
    CHECK(first.str("price") == "64000.00");
    CHECK(first.object()->getValue<Poco::Int64>("updateTime") >= placedAt + 1000);
    CHECK(first.object()->getValue<Poco::Int64>("time") == placedAt);

    auto second = fillOk(c, R"({"clientOrderId":"pf-1","symbol":"BTCUSDT","quantity":"0.003","price":"63900.00"})");
    CHECK(second.str("status") == "PARTIALLY_FILLED");
    CHECK(second.str("executedQty") == "0.007");
    CHECK(second.str("cumQuote") == "447.70000");  // 256 + 0.003 x 63900
    // 447.7 / 0.007 = 63957.142857142..., rounded half-up to 8 places like entry prices.
    CHECK(second.str("avgPrice") == "63957.14285714");

    auto q = queryById(c, "pf-1");
    REQUIRE(q.status == 200);
    CHECK(q.str("status") == "PARTIALLY_FILLED");
    CHECK(q.str("executedQty") == "0.007");
    CHECK(q.str("avgPrice") == "63957.14285714");
    CHECK(q.str("cumQuote") == "447.70000");
    CHECK(q.str("updateTime") == second.str("updateTime"));
    CHECK(queryById(c, "pf-1", "/fapi/v1/openOrder").str("status") == "PARTIALLY_FILLED");
    auto open = c.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").array();
    REQUIRE(open->size() == 1);
    CHECK(field(at(open, 0), "clientOrderId") == "pf-1");
    CHECK(field(at(open, 0), "executedQty") == "0.007");

    auto p = position(c);
    CHECK(field(p, "positionAmt") == "0.007");
    CHECK(field(p, "entryPrice") == "63957.14285714");
    auto v3 = position(c, "/fapi/v3/positionRisk");
    CHECK(field(v3, "bidNotional") == "192.0");  // only the remaining 0.003 x 64000 is still bid

    auto entry = ledgerEntry(c, "pf-1");
    CHECK(field(entry, "status") == "PARTIALLY_FILLED");
    CHECK(field(entry, "executedQty") == "0.007");
    CHECK(field(entry, "avgPrice") == "63957.14285714");
    CHECK(entry->get("filledAt").isEmpty());

    // Still open, so it still holds its client order id.
    CHECK(c.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002&newClientOrderId=pf-1")
              .code() == -4116);

    SECTION("a price move that crosses it fills only the remainder, at its limit") {
        auto moved = c.control("POST", "/control/price", R"({"symbol":"BTCUSDT","price":"63990.00"})");
        REQUIRE(moved.status == 200);
        CHECK(moved.object()->getArray("filledOrderIds")->size() == 1);
        auto done = queryById(c, "pf-1");
        CHECK(done.str("status") == "FILLED");
        CHECK(done.str("executedQty") == "0.010");
        CHECK(done.str("cumQuote") == "639.70000");  // 447.7 + 0.003 x 64000
        CHECK(done.str("avgPrice") == "63970.00000");
        CHECK(field(position(c), "positionAmt") == "0.010");
        CHECK(c.send("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").array()->size() == 0);
        auto finished = ledgerEntry(c, "pf-1");
        CHECK(field(finished, "status") == "FILLED");
        CHECK(field(finished, "executedQty") == "0.010");
        CHECK(finished->get("filledAt").isInteger());
        auto again = fill(c, R"({"clientOrderId":"pf-1","quantity":"0.001"})");
        CHECK(again.status == 400);
        CHECK(again.str("error").find("is FILLED, not open") != std::string::npos);
    }
    SECTION("the last control fill makes it FILLED") {
        auto last = fillOk(c, R"({"clientOrderId":"pf-1","quantity":"0.003"})");
        CHECK(last.str("status") == "FILLED");
        CHECK(last.str("executedQty") == "0.010");
        CHECK(last.str("avgPrice") == "63970.00000");
        CHECK(c.send("GET", "/fapi/v1/openOrders", "").array()->size() == 0);
        CHECK(queryById(c, "pf-1", "/fapi/v1/openOrder").code() == -2013);
        CHECK(ledgerEntry(c, "pf-1")->get("filledAt").isInteger());
    }
    SECTION("a cancel keeps what was executed, and so does retention") {
        auto cancelled = c.send("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=pf-1");
        INFO(cancelled.body);
        REQUIRE(cancelled.status == 200);
        CHECK(cancelled.str("status") == "CANCELED");
        CHECK(cancelled.str("executedQty") == "0.007");
        CHECK(cancelled.str("avgPrice") == "63957.14285714");
        CHECK(queryById(c, "pf-1").str("executedQty") == "0.007");
        CHECK(c.send("GET", "/fapi/v1/openOrders", "").array()->size() == 0);
        CHECK(field(position(c), "positionAmt") == "0.007");
        auto e = ledgerEntry(c, "pf-1");
        CHECK(field(e, "status") == "CANCELED");
        CHECK(field(e, "executedQty") == "0.007");
        CHECK(fill(c, R"({"clientOrderId":"pf-1","quantity":"0.001"})").status == 400);
        // A cancelled order with a fill is kept for 90 days, not 3.
        advanceClock(c, 3 * kDayMs + 60000);
        CHECK(queryById(c, "pf-1").str("status") == "CANCELED");
    }
}

TEST_CASE("control fill: bad input is a 400 naming the problem, and changes nothing", "[fills][control]") {
    RunningEmulator emu;
    auto& c = emu.api();
    auto placed = placeLimit(c, "pf-2", "BUY", "64000.00");
    REQUIRE(placed.status == 200);
    const std::string orderId = placed.str("orderId");
    REQUIRE(c.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002&newClientOrderId=mk-1")
                .status == 200);

    struct Case {
        std::string json;
        const char* error;  // a part of the message
    };
    const Case cases[] = {
        {R"({"clientOrderId":"nope","quantity":"0.001"})", "no order with clientOrderId 'nope'"},
        {R"({"orderId":1,"quantity":"0.001"})", "no order 1 in account 0"},
        {R"({"clientOrderId":"pf-2","symbol":"ETHUSDT","quantity":"0.001"})", "on ETHUSDT"},
        {R"({"clientOrderId":"mk-1","quantity":"0.001"})", "is FILLED, not open"},
        {R"({"clientOrderId":"pf-2","quantity":"0"})", "'quantity' must be positive"},
        {R"({"clientOrderId":"pf-2","quantity":"-0.001"})", "'quantity' must be positive"},
        {R"({"clientOrderId":"pf-2","quantity":"0.011"})", "more than the 0.010 that remains"},
        {R"({"clientOrderId":"pf-2","quantity":"0.0015"})", "not a multiple of the BTCUSDT LOT_SIZE stepSize 0.001"},
        {R"({"clientOrderId":"pf-2","quantity":"0.001","price":"64000.10"})", "above the BUY limit 64000.00"},
        {R"({"clientOrderId":"pf-2","quantity":"0.001","price":"63999.95"})", "PRICE_FILTER"},
        {R"({"clientOrderId":"pf-2","quantity":"0.001","price":"0"})", "'price' must be positive"},
        {R"({"clientOrderId":"pf-2"})", "'quantity' is required"},
        {R"({"quantity":"0.001"})", "exactly one of 'clientOrderId' or 'orderId'"},
        {R"({"clientOrderId":"pf-2","orderId":)" + orderId + R"(,"quantity":"0.001"})", "exactly one"},
        {R"({"clientOrderId":"pf-2","quantity":0.001})", "'quantity' must be a decimal in a string"},
        {R"({"clientOrderId":"pf-2","quantity":"0.001","qty":"1"})", "unknown key 'qty'"},
        {R"({"clientOrderId":"pf-2","quantity":"0.001","account":1})", "no account 1"},
        {R"({"clientOrderId":"pf-2","quantity":"0.001","symbol":"XRPUSDT"})", "unknown symbol XRPUSDT"},
    };
    for (const auto& tc : cases) {
        auto r = fill(c, tc.json);
        INFO(tc.json << " -> " << r.body);
        CHECK(r.status == 400);
        CHECK(r.str("error").find(tc.error) != std::string::npos);
    }
    auto q = queryById(c, "pf-2");
    CHECK(q.str("status") == "NEW");
    CHECK(q.str("executedQty") == "0");
    CHECK(field(position(c), "positionAmt") == "0.002");  // only the market order

    // By orderId, then the limit on what remains follows the fills.
    fillOk(c, R"({"orderId":)" + orderId + R"(,"quantity":"0.006","price":"63000.00"})");
    auto over = fill(c, R"({"clientOrderId":"pf-2","quantity":"0.005"})");
    CHECK(over.status == 400);
    CHECK(over.str("error").find("more than the 0.004 that remains") != std::string::npos);
}

TEST_CASE("control fill: a SELL in a second account, by orderId and apiKey", "[fills]") {
    EmulatorConfig config = testConfig();
    config.credentials.push_back({"second-key", "second-secret"});
    RunningEmulator emu(config);
    EmulatorClient second("127.0.0.1", emu.server.port(), "second-key", "second-secret");
    auto placed = placeLimit(second, "pf-3", "SELL", "3600.00", "0.100", "ETHUSDT");
    REQUIRE(placed.status == 200);
    const std::string orderId = placed.str("orderId");

    auto wrongAccount = fill(emu.api(), R"({"orderId":)" + orderId + R"(,"quantity":"0.040"})");
    CHECK(wrongAccount.status == 400);
    CHECK(wrongAccount.str("error").find("in account 0") != std::string::npos);
    auto worse =
        fill(emu.api(), R"({"apiKey":"second-key","orderId":)" + orderId + R"(,"quantity":"0.040","price":"3590.00"})");
    CHECK(worse.status == 400);
    CHECK(worse.str("error").find("below the SELL limit 3600.00") != std::string::npos);

    auto r = fillOk(emu.api(), R"({"apiKey":"second-key","orderId":)" + orderId +
                                   R"(,"symbol":"ETHUSDT","quantity":"0.040","price":"3650.00"})");
    CHECK(r.str("status") == "PARTIALLY_FILLED");
    CHECK(r.str("executedQty") == "0.040");
    CHECK(r.str("avgPrice") == "3650.00000");
    auto positions = second.send("GET", "/fapi/v3/positionRisk", "symbol=ETHUSDT").array();
    REQUIRE(positions->size() == 1);
    CHECK(field(at(positions, 0), "positionAmt") == "-0.040");
    CHECK(field(at(positions, 0), "entryPrice") == "3650.0");
    CHECK(field(at(positions, 0), "askNotional") == "216.0");  // 0.060 x 3600
    CHECK(emu.api().send("GET", "/fapi/v3/positionRisk", "").array()->size() == 0);
}

TEST_CASE("control fill: a reduce-only order never grows the position, even filled by hand", "[fills]") {
    RunningEmulator emu;
    auto& c = emu.api();
    REQUIRE(c.send("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010").status == 200);
    REQUIRE(placeLimit(c, "ro-1", "SELL", "66000.00", "0.010", "BTCUSDT", "&reduceOnly=true").status == 200);
    auto part = fillOk(c, R"({"clientOrderId":"ro-1","quantity":"0.004"})");
    CHECK(part.str("status") == "PARTIALLY_FILLED");
    CHECK(field(position(c), "positionAmt") == "0.006");
    // The position shrinks behind the client's back; the next fill can only close what is left.
    REQUIRE(c.control("POST", "/control/position", R"({"symbol":"BTCUSDT","quantity":"0.002"})").status == 200);
    auto capped = fillOk(c, R"({"clientOrderId":"ro-1","quantity":"0.005"})");
    CHECK(capped.str("status") == "EXPIRED");
    CHECK(capped.str("executedQty") == "0.006");
    CHECK(field(position(c), "positionAmt") == "0.000");
    CHECK(c.send("GET", "/fapi/v1/openOrders", "").array()->size() == 0);
}
