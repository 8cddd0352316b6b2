// The pipeline end to end with the paper venue: real tradehost process, real HTTP, real files.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "process_runner.h"
#include "temp_dir.h"

using Catch::Matchers::Contains;
using tradehost::test::BackgroundProcess;
using tradehost::test::runProcess;
using tradehost::test::TempDir;

namespace {

const std::string kBin = TRADEHOST_BIN;
const std::string kSecret = "pipeline-canary-5f0c2e8d91";

struct Host {
    TempDir dir;
    std::unique_ptr<BackgroundProcess> process;
    unsigned short port = 0;

    explicit Host(const std::string& extra = "", const std::string& venueRisk = "") {
        dir.write("d.yaml",
                  "webhook: {listen: \"127.0.0.1:0\", secret: \"${TH_SECRET}\"}\n"
                  "storage: {dir: \"" +
                      dir.file("var") + "\"}\n" + extra +
                      "venues:\n  - name: paper\n    type: paper\n    settings: {prices: {BTCUSDT: '65000', ETHUSDT: "
                      "'3200'}}\n" +
                      venueRisk + "alerts:\n  - {name: local, type: file_alerts, settings: {path: \"" +
                      dir.file("var/alerts.jsonl") + "\"}}\n");
        start();
    }
    void start() {
        process = std::make_unique<BackgroundProcess>(kBin, std::vector<std::string>{"--config", dir.file("d.yaml")},
                                                      std::map<std::string, std::string>{{"TH_SECRET", kSecret}});
        REQUIRE(process->waitFor("Stop: Ctrl-C"));
        std::smatch m;
        const std::string out = process->out();
        REQUIRE(std::regex_search(out, m, std::regex("Webhook: http://127\\.0\\.0\\.1:([0-9]+)/webhook")));
        port = static_cast<unsigned short>(std::stoi(m[1]));
    }
    void stop() {
        ::kill(process->pid(), SIGTERM);
        CHECK(process->wait() == 0);
    }
    std::pair<int, std::string> post(const std::string& body, const std::string& path = "/webhook") {
        Poco::Net::HTTPClientSession s("127.0.0.1", port);
        Poco::Net::HTTPRequest req("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("text/plain");  // as TradingView sends it at times
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        s.sendRequest(req) << body;
        Poco::Net::HTTPResponse res;
        std::string text;
        Poco::StreamCopier::copyToString(s.receiveResponse(res), text);
        return {static_cast<int>(res.getStatus()), text};
    }
    std::string signal(const std::string& id, const std::string& orderFields) {
        return "{\"secret\":\"" + kSecret + "\",\"signal_id\":\"" + id + "\"," + orderFields + "}";
    }
    // Every event line, re-read each call.
    std::vector<Poco::JSON::Object::Ptr> events() {
        std::ifstream in(dir.file("var/events.jsonl"));
        std::vector<Poco::JSON::Object::Ptr> out;
        for (std::string line; std::getline(in, line);) {
            Poco::JSON::Parser parser;
            out.push_back(parser.parse(line).extract<Poco::JSON::Object::Ptr>());
        }
        return out;
    }
    // Waits for an event named `name` for `signalId`; returns its data object.
    Poco::JSON::Object::Ptr waitEvent(const std::string& name, const std::string& signalId) {
        for (int i = 0; i < 100; ++i) {
            for (const auto& e : events())
                if (e->getValue<std::string>("event") == name && e->getValue<std::string>("signal_id") == signalId)
                    return e->getObject("data");
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        FAIL("no " << name << " event for " << signalId);
        return nullptr;
    }
};

const std::string kMarketBuy =
    "\"venue\":\"paper\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"type\":\"market\",\"quantity\":\"0.002\"";

}  // namespace

TEST_CASE("a signal is journaled before 202, executed once, and its chain ends in order_ack") {
    Host h;
    const auto first = h.post(h.signal("s1", kMarketBuy));
    CHECK(first.first == 202);
    CHECK_THAT(first.second, Contains("\"journal_seq\":1"));
    const auto ack = h.waitEvent("order_ack", "s1");
    CHECK(ack->getValue<std::string>("status") == "FILLED");
    CHECK(ack->getValue<std::string>("filled") == "0.002");

    SECTION("the same signal again is a duplicate: 200, no second order") {
        const auto again = h.post(h.signal("s1", kMarketBuy));
        CHECK(again.first == 200);
        CHECK_THAT(again.second, Contains("duplicate"));
    }
    SECTION("the same id with another payload is refused (422) and recorded") {
        const auto other = h.post(h.signal(
            "s1",
            "\"venue\":\"paper\",\"symbol\":\"BTCUSDT\",\"side\":\"sell\",\"type\":\"market\",\"quantity\":\"0.002\""));
        CHECK(other.first == 422);
        CHECK(h.waitEvent("signal_rejected", "s1")->getValue<std::string>("reason") ==
              "same signal_id, different payload");
    }
    h.stop();
    int acks = 0;
    for (const auto& e : h.events()) acks += e->getValue<std::string>("event") == "order_ack";
    CHECK(acks == 1);
    const auto verify = runProcess(kBin, {"verify-events", h.dir.file("var/events.jsonl")});
    CHECK(verify.exitCode == 0);
    CHECK_THAT(verify.out, Contains("chain intact"));
}

TEST_CASE("the secret is checked, stripped, and never stored") {
    Host h;
    CHECK(h.post("{\"secret\":\"wrong\",\"signal_id\":\"x\"," + kMarketBuy + "}").first == 401);
    CHECK(h.post("{\"signal_id\":\"x\"," + kMarketBuy + "}").first == 401);
    // With the right secret, a bad field is named (the sender is known, so it may be told).
    const auto bad = h.post(h.signal(
        "x", "\"venue\":\"paper\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"type\":\"market\",\"quantity\":\"-1\""));
    CHECK(bad.first == 400);
    CHECK_THAT(bad.second, Contains("\"field\":\"quantity\""));
    CHECK(h.post(h.signal("ok1", kMarketBuy)).first == 202);
    h.waitEvent("order_ack", "ok1");
    h.stop();
    for (const char* file : {"var/events.jsonl", "var/gate.sqlite", "var/alerts.jsonl"}) {
        std::ifstream in(h.dir.file(file), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK(bytes.find(kSecret) == std::string::npos);
    }
    for (const auto& entry : std::filesystem::directory_iterator(h.dir.file("var/journal"))) {
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK(bytes.find(kSecret) == std::string::npos);
    }
    CHECK(h.process->out().find(kSecret) == std::string::npos);
    CHECK(h.process->err().find(kSecret) == std::string::npos);
}

TEST_CASE("the kill switch blocks legs, persists, and is set offline by 'tradehost pause'") {
    Host h;
    h.stop();
    const auto paused = runProcess(kBin, {"pause", "--config", h.dir.file("d.yaml")}, {{"TH_SECRET", kSecret}});
    CHECK(paused.exitCode == 0);
    h.start();
    CHECK(h.post(h.signal("p1", kMarketBuy)).first == 202);
    CHECK(h.waitEvent("order_blocked", "p1")->getValue<std::string>("reason") == "trading is paused (kill switch)");
    h.waitEvent("trade_fail", "p1");
    // The operator sees each outcome on the console as well.
    CHECK(h.process->waitFor("signal p1 leg 0 on paper: blocked, not sent; trading is paused (kill switch)"));
    h.stop();
    CHECK(runProcess(kBin, {"resume", "--config", h.dir.file("d.yaml")}, {{"TH_SECRET", kSecret}}).exitCode == 0);
    h.start();
    CHECK(h.post(h.signal("p2", kMarketBuy)).first == 202);
    h.waitEvent("order_ack", "p2");
    CHECK(h.process->waitFor("signal p2 leg 0 on paper: filled: BUY 0.002 BTCUSDT MARKET"));
    CHECK(h.process->err().find("signal p1 ") == std::string::npos);  // a restart prints nothing old
}

TEST_CASE("host risk limits block legs with a reason code, for any plugin") {
    Host h(
        "",
        "    risk: {symbols: [BTCUSDT], max_quantity: \"0.01\", max_notional: \"1000\", max_orders_per_minute: 3}\n");
    CHECK(h.post(h.signal("r1",
                          "\"venue\":\"paper\",\"symbol\":\"ETHUSDT\",\"side\":\"buy\",\"type\":\"market\","
                          "\"quantity\":\"0.01\""))
              .first == 202);
    CHECK_THAT(h.waitEvent("order_blocked", "r1")->getValue<std::string>("reason"), Contains("RISK_SYMBOL"));
    CHECK(h.post(h.signal("r2",
                          "\"venue\":\"paper\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"type\":\"market\","
                          "\"quantity\":\"0.02\""))
              .first == 202);
    CHECK_THAT(h.waitEvent("order_blocked", "r2")->getValue<std::string>("reason"), Contains("RISK_MAX_QUANTITY"));
    CHECK(h.post(h.signal("r3",
                          "\"venue\":\"paper\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"type\":\"limit\",\"price\":"
                          "\"150000\",\"quantity\":\"0.01\""))
              .first == 202);
    CHECK_THAT(h.waitEvent("order_blocked", "r3")->getValue<std::string>("reason"), Contains("RISK_MAX_NOTIONAL"));
    for (int i = 0; i < 4; ++i) CHECK(h.post(h.signal("rate" + std::to_string(i), kMarketBuy)).first == 202);
    h.waitEvent("order_ack", "rate2");
    CHECK_THAT(h.waitEvent("order_blocked", "rate3")->getValue<std::string>("reason"), Contains("RISK_ORDER_RATE"));
}

TEST_CASE("a leg for a venue the deployment does not have is refused at intake, naming the venues") {
    Host h;
    const auto refused = h.post(h.signal("u1",
                                         "\"venue\":\"nowhere\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"type\":"
                                         "\"market\",\"quantity\":\"0.002\""));
    CHECK(refused.first == 400);
    CHECK_THAT(refused.second, Contains("\"field\":\"venue\"") && Contains("this deployment has: paper"));
    // Nothing was journaled: the next signal is the journal's first record.
    const auto next = h.post(h.signal("u2", kMarketBuy));
    CHECK(next.first == 202);
    CHECK_THAT(next.second, Contains("\"journal_seq\":1"));
}

TEST_CASE("a signal processed past max_signal_age_s is expired, not executed late") {
    Host h("risk: {max_signal_age_s: 0}\n");
    CHECK(h.post(h.signal("old1", kMarketBuy)).first == 202);
    CHECK_THAT(h.waitEvent("order_expired", "old1")->getValue<std::string>("reason"),
               Contains("past max_signal_age_s"));
}

TEST_CASE("a second tradehost on the same storage exits with a clear error") {
    Host h;
    const auto second = runProcess(kBin, {"--config", h.dir.file("d.yaml")}, {{"TH_SECRET", kSecret}});
    CHECK(second.exitCode == 75);
    CHECK_THAT(second.err, Contains("another tradehost is running on"));
}

TEST_CASE("multi-leg signals and the Python bot's envelope are both executed per leg") {
    Host h;
    const std::string legs =
        "\"legs\":[{\"venue\":\"paper\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"type\":\"market\",\"quantity\":\"0."
        "002\"},"
        "{\"venue\":\"paper\",\"symbol\":\"ETHUSDT\",\"side\":\"buy\",\"type\":\"market\",\"quantity\":\"0.01\"}]";
    CHECK(h.post(h.signal("m1", legs)).first == 202);
    CHECK(h.post("{\"secret\":\"" + kSecret +
                 "\",\"signal_id\":\"env1\",\"payload\":{\"symbol\":\"BINANCE:ETHUSDT.P\",\"side\":\"SELL\","
                 "\"type\":\"market\",\"quantity\":0.01,\"venue\":\"paper\"}}")
              .first == 202);
    h.waitEvent("order_ack", "env1");
    for (int i = 0; i < 100; ++i) {
        int acks = 0;
        for (const auto& e : h.events())
            acks += e->getValue<std::string>("event") == "order_ack" && e->getValue<std::string>("signal_id") == "m1";
        if (acks == 2) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (i == 99) FAIL("both legs of m1 were not acknowledged");
    }
}
