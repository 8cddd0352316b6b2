// The real binance-emulator executable: --help, HTTPS with a certificate made at test time, outages, clean SIGTERM.
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "emulator_client.h"
#include "process_guard.h"

using namespace tradehost::binance_emulator::test;
using namespace tradehost::tools::test;

namespace {

std::uint16_t portOf(const std::string& listeningLine, const std::string& scheme) {
    const std::string prefix = "listening on " + scheme + "://127.0.0.1:";
    REQUIRE(listeningLine.rfind(prefix, 0) == 0);
    return static_cast<std::uint16_t>(std::stoi(listeningLine.substr(prefix.size())));
}

bool connectRefused(std::uint16_t port) {
    try {
        Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
        return false;
    } catch (const Poco::Net::ConnectionRefusedException&) {
        return true;
    }
}

}  // namespace

TEST_CASE("--help prints the usage and exits 0", "[process]") {
    ProcessGuard p(BINANCE_EMULATOR_EXE, {"--help"});
    const std::string text = p.readAll();
    CHECK(text.find("Usage: binance-emulator") != std::string::npos);
    CHECK(text.find("--listen HOST:PORT") != std::string::npos);
    CHECK(p.waitFor(5000) == 0);
}

TEST_CASE("a bad option exits 2 without listening", "[process]") {
    ProcessGuard p(BINANCE_EMULATOR_EXE, {"--listen"});
    CHECK(p.readAll().empty());
    CHECK(p.waitFor(5000) == 2);
}

TEST_CASE("HTTPS smoke: self-signed certificate, signed order over TLS, SIGTERM stops it cleanly", "[process][https]") {
    TempDir dir;
    makeSelfSignedCert(dir);
    // The secret travels in the environment, not on the command line.
    ProcessGuard emulator(BINANCE_EMULATOR_EXE,
                          {"--listen", "127.0.0.1:0", "--cert", dir.file("cert.pem"), "--key", dir.file("key.pem")},
                          {{"BINANCE_EMULATOR_API_KEY", "tls-key"}, {"BINANCE_EMULATOR_API_SECRET", "tls-secret"}});
    const std::uint16_t port = portOf(emulator.readLine(), "https");

    Poco::Net::Context::Ptr tls = trustingClientContext(dir.file("cert.pem"));
    {
        EmulatorClient c("127.0.0.1", port, "tls-key", "tls-secret", tls);
        CHECK(c.get("/fapi/v1/ping").status == 200);
        auto placed =
            c.send("POST", "/fapi/v1/order",
                   "symbol=ETHUSDT&side=SELL&type=MARKET&quantity=0.010&newClientOrderId=tls-1&newOrderRespType=RESULT",
                   ParamsIn::Body);
        INFO(placed.body);
        REQUIRE(placed.status == 200);
        CHECK(placed.str("status") == "FILLED");
        CHECK(c.send("GET", "/fapi/v1/order", "symbol=ETHUSDT&origClientOrderId=tls-1").str("executedQty") == "0.010");
        auto positions = c.send("GET", "/fapi/v3/positionRisk", "").array();
        REQUIRE(positions->size() == 1);
        CHECK(positions->getObject(0)->getValue<std::string>("positionAmt") == "-0.010");

        // Faults work the same under TLS: a reset is an abort, not an orderly TLS close.
        REQUIRE(c.control("POST", "/control/faults", R"({"mode":"reset","count":1})").status == 200);
        CHECK_THROWS_AS(c.get("/fapi/v1/time"), Poco::Exception);
        CHECK(c.get("/fapi/v1/time").status == 200);
    }
    CHECK(emulator.terminate(SIGTERM, 10000) == 0);
}

TEST_CASE("HTTPS outage: refused, back on the same port with the same certificate; SIGTERM mid-outage exits 0",
          "[process][https]") {
    TempDir dir;
    makeSelfSignedCert(dir);
    ProcessGuard emulator(BINANCE_EMULATOR_EXE,
                          {"--listen", "127.0.0.1:0", "--cert", dir.file("cert.pem"), "--key", dir.file("key.pem")},
                          {{"BINANCE_EMULATOR_API_KEY", "tls-key"}, {"BINANCE_EMULATOR_API_SECRET", "tls-secret"}});
    const std::uint16_t port = portOf(emulator.readLine(), "https");
    Poco::Net::Context::Ptr tls = trustingClientContext(dir.file("cert.pem"));
    {
        EmulatorClient c("127.0.0.1", port, "tls-key", "tls-secret", tls);
        REQUIRE(c.send("POST", "/fapi/v1/order",
                       "symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=3400.00"
                       "&newClientOrderId=tls-rest")
                    .status == 200);
        auto answer = c.control("POST", "/control/outage", R"({"ms":1000})");
        INFO(answer.body);
        REQUIRE(answer.status == 200);
        CHECK(connectRefused(port));
        bool back = false;
        for (int i = 0; i < 500 && !back; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            back = !connectRefused(port);
        }
        REQUIRE(back);
    }
    {
        // A new client that verifies the peer: the reopened listener has the same certificate.
        EmulatorClient c("127.0.0.1", port, "tls-key", "tls-secret", tls);
        auto kept = c.send("GET", "/fapi/v1/order", "symbol=ETHUSDT&origClientOrderId=tls-rest");
        INFO(kept.body);
        REQUIRE(kept.status == 200);
        CHECK(kept.str("status") == "NEW");
        CHECK(c.control("GET", "/control/state").object()->getValue<int>("outages") == 1);

        // A long outage, and the stop signal in the middle of it.
        REQUIRE(c.control("POST", "/control/outage", R"({"ms":600000})").status == 200);
        CHECK(connectRefused(port));
    }
    CHECK(emulator.terminate(SIGTERM, 10000) == 0);
}
