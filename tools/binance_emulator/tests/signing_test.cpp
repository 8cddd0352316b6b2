// Signature and API-key checks: the documented vector, every place parameters may travel, rejections.
#include <catch2/catch.hpp>

#include "emulator_fixture.h"
#include "signature.h"

using namespace tradehost::binance_emulator;
using namespace tradehost::binance_emulator::test;

namespace {

constexpr const char* kVectorSecret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
constexpr const char* kVectorPayload =
    "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
constexpr const char* kVectorSignature = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9";

}  // namespace

TEST_CASE("the documented signature test vector", "[signing]") {
    CHECK(hmacSha256Hex(kVectorSecret, kVectorPayload) == kVectorSignature);
    CHECK(signatureMatches(kVectorSignature, "3C661234138461FCC7A7D8746C6558C9842D4E10870D2ECBEDF7777CAD694AF9"));
    CHECK_FALSE(signatureMatches(kVectorSignature, "3c66"));
}

TEST_CASE("the emulator accepts the documented request byte for byte", "[signing]") {
    EmulatorConfig config = testConfig();
    config.credentials = {{"vector-key", kVectorSecret}};
    RunningEmulator emu(config);
    auto& c = emu.api();
    // Put the emulator in June 2020 and at a price where the vector's order is valid.
    const std::int64_t skew = 1591702613943LL + 100 - EmulatorClock::wallMs();
    REQUIRE(c.control("POST", "/control/clock", "{\"skew_ms\":" + std::to_string(skew) + "}").status == 200);
    REQUIRE(c.control("POST", "/control/price", R"({"symbol":"BTCUSDT","price":"9000"})").status == 200);
    auto r =
        c.raw("POST", "/fapi/v1/order", std::string(kVectorPayload) + "&signature=" + kVectorSignature, "vector-key");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.str("status") == "NEW");  // ACK by default, though it filled
    auto ledger = c.control("GET", "/control/ledger").object();
    CHECK(ledger->getValue<int>("count") == 1);
    CHECK(ledger->getArray("orders")->getObject(0)->getValue<bool>("signatureValid"));
}

TEST_CASE("signed requests: every documented parameter placement works", "[signing]") {
    RunningEmulator emu;
    auto& c = emu.api();
    const std::string order = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002";
    SECTION("query string") { CHECK(c.send("POST", "/fapi/v1/order", order, ParamsIn::Query).status == 200); }
    SECTION("form body") { CHECK(c.send("POST", "/fapi/v1/order", order, ParamsIn::Body).status == 200); }
    SECTION("split between query and body, signed over their plain concatenation") {
        CHECK(c.send("POST", "/fapi/v1/order", order, ParamsIn::Split).status == 200);
    }
    SECTION("upper-case hex") {
        const std::string payload = "timestamp=" + std::to_string(c.timestamp());
        std::string sig = c.sign(payload);
        for (auto& ch : sig) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        CHECK(c.raw("GET", "/fapi/v2/positionRisk?" + payload + "&signature=" + sig, "", kTestKey).status == 200);
    }
    SECTION("the query string wins over the body") {
        // Signed over query+body; symbol=ETHUSDT in the body loses to BTCUSDT in the query.
        const std::string query = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002";
        const std::string body = "symbol=ETHUSDT&newOrderRespType=RESULT&timestamp=" + std::to_string(c.timestamp());
        auto r = c.raw("POST", "/fapi/v1/order?" + query, body + "&signature=" + c.sign(query + body), kTestKey);
        REQUIRE(r.status == 200);
        CHECK(r.str("symbol") == "BTCUSDT");
    }
}

TEST_CASE("signed requests: rejections carry the real codes and statuses", "[signing]") {
    RunningEmulator emu;
    auto& c = emu.api();
    const std::string payload = "timestamp=" + std::to_string(c.timestamp());

    SECTION("a wrong signature is -1022 / 400") {
        auto r = c.raw("GET", "/fapi/v2/positionRisk?" + payload + "&signature=" + std::string(64, 'a'), "", kTestKey);
        CHECK(r.status == 400);
        CHECK(r.code() == -1022);
        CHECK(r.str("msg") == "Signature for this request is not valid.");
    }
    SECTION("a signature that is not the last parameter is -1022") {
        auto r = c.raw("GET", "/fapi/v2/positionRisk?signature=" + c.sign("") + "&" + payload, "", kTestKey);
        CHECK(r.code() == -1022);
    }
    SECTION("a missing signature is -1102") {
        auto r = c.raw("GET", "/fapi/v2/positionRisk?" + payload, "", kTestKey);
        CHECK(r.status == 400);
        CHECK(r.code() == -1102);
    }
    SECTION("a missing timestamp is -1102") {
        auto r =
            c.raw("GET", "/fapi/v2/positionRisk?recvWindow=5000&signature=" + c.sign("recvWindow=5000"), "", kTestKey);
        CHECK(r.code() == -1102);
        CHECK(r.str("msg").find("'timestamp'") != std::string::npos);
    }
    SECTION("a missing API key is -2015 / 401") {
        auto r = c.raw("GET", "/fapi/v2/positionRisk?" + payload + "&signature=" + c.sign(payload));
        CHECK(r.status == 401);
        CHECK(r.code() == -2015);
    }
    SECTION("a wrong API key is -2015 / 401") {
        auto r = c.raw("GET", "/fapi/v2/positionRisk?" + payload + "&signature=" + c.sign(payload), "", "nope");
        CHECK(r.status == 401);
        CHECK(r.code() == -2015);
        CHECK(r.str("msg").find("request ip: 127.0.0.1") != std::string::npos);
    }
    SECTION("the signed body bytes are the ones checked") {
        const std::string body = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002&" + payload;
        auto r = c.raw("POST", "/fapi/v1/order", body + "&quantity=0.003&signature=" + c.sign(body), kTestKey);
        CHECK(r.code() == -1101);  // a repeated parameter is refused outright
        auto tampered = c.raw(
            "POST", "/fapi/v1/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.003&" + payload + "&signature=" + c.sign(body), kTestKey);
        CHECK(tampered.code() == -1022);
    }
    SECTION("public endpoints need no key") {
        CHECK(c.raw("GET", "/fapi/v1/ping").status == 200);
        CHECK(c.raw("GET", "/fapi/v1/ping").body == "{}");
        CHECK(c.raw("GET", "/fapi/v1/exchangeInfo").status == 200);
    }
    SECTION("with verification switched off a bad signature passes and the ledger says so") {
        REQUIRE(c.control("POST", "/control/settings", R"({"verify_signatures":false})").status == 200);
        const std::string body = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002&" + payload;
        auto r = c.raw("POST", "/fapi/v1/order", body + "&signature=" + std::string(64, '0'), kTestKey);
        REQUIRE(r.status == 200);
        auto ledger = c.control("GET", "/control/ledger").object();
        CHECK_FALSE(ledger->getArray("orders")->getObject(0)->getValue<bool>("signatureValid"));
    }
}

TEST_CASE("timestamp rule: -1021 in both directions, per the documented formula", "[signing][clock]") {
    RunningEmulator emu;
    auto& c = emu.api();
    SECTION("client clock 10 s behind the server") {
        REQUIRE(c.control("POST", "/control/clock", R"({"skew_ms":10000})").status == 200);
        auto r = c.send("GET", "/fapi/v2/positionRisk", "");
        CHECK(r.status == 400);
        CHECK(r.code() == -1021);
        CHECK(r.str("msg") == "Timestamp for this request is outside of the recvWindow.");
        // A recvWindow wider than the lag accepts it; a resynced client needs none.
        CHECK(c.send("GET", "/fapi/v2/positionRisk", "recvWindow=20000").status == 200);
        c.syncTime();
        CHECK(c.send("GET", "/fapi/v2/positionRisk", "").status == 200);
    }
    SECTION("client clock 5 s ahead of the server") {
        REQUIRE(c.control("POST", "/control/clock", R"({"skew_ms":-5000})").status == 200);
        auto r = c.send("GET", "/fapi/v2/positionRisk", "recvWindow=60000");
        CHECK(r.status == 400);
        CHECK(r.code() == -1021);
        CHECK(r.str("msg") == "Timestamp for this request was 1000ms ahead of the server's time.");
        c.syncTime();
        CHECK(c.send("GET", "/fapi/v2/positionRisk", "").status == 200);
    }
    SECTION("the rule's edges") {
        const std::int64_t now = c.control("GET", "/control/clock").object()->getValue<Poco::Int64>("serverTime");
        // 2 s ahead is refused whatever recvWindow says; 3 s behind is fine with the default.
        CHECK(
            c.send("GET", "/fapi/v2/positionRisk", "recvWindow=60000&timestamp=" + std::to_string(now + 2000)).code() ==
            -1021);
        CHECK(c.send("GET", "/fapi/v2/positionRisk", "timestamp=" + std::to_string(now - 3000)).status == 200);
        CHECK(c.send("GET", "/fapi/v2/positionRisk", "timestamp=" + std::to_string(now - 9000)).code() == -1021);
        CHECK(
            c.send("GET", "/fapi/v2/positionRisk", "recvWindow=12000&timestamp=" + std::to_string(now - 9000)).status ==
            200);
    }
}
