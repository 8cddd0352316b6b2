// tradehost-sender: records ok/fail/indeterminate truthfully and resends exactly like TradingView.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "crash_paths.h"
#include "process_runner.h"
#include "signal_sender.h"
#include "temp_dir.h"

using namespace tradehost::test;
using tradehost::tools::Outcome;
using tradehost::tools::SenderOptions;
using tradehost::tools::SignalSender;

namespace {

// A webhook stand-in that answers each signal id from a script: the listed statuses in turn,
// then the last one forever. "slow-" ids are answered after 1.5 s.
class ScriptedWebhook {
public:
    explicit ScriptedWebhook(std::map<std::string, std::vector<int>> script) : state_(std::make_shared<State>()) {
        state_->script = std::move(script);
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64);
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(16);
        server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), socket, params);
        server_->start();
    }
    ~ScriptedWebhook() { server_->stopAll(true); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/webhook"; }
    std::vector<std::string> bodiesOf(const std::string& id) {
        std::lock_guard<std::mutex> lock(state_->mutex);
        return state_->bodies[id];
    }
    int maxInFlight() const { return state_->maxInFlight; }

private:
    struct State {
        std::mutex mutex;
        std::map<std::string, std::vector<int>> script;
        std::map<std::string, std::vector<std::string>> bodies;
        std::atomic<int> inFlight{0};
        std::atomic<int> maxInFlight{0};
    };
    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(std::shared_ptr<State> s) : s_(std::move(s)) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
            const int now = ++s_->inFlight;
            for (int seen = s_->maxInFlight; now > seen && !s_->maxInFlight.compare_exchange_weak(seen, now);) {
            }
            std::string body;
            Poco::StreamCopier::copyToString(request.stream(), body);
            std::smatch m;
            const std::string id =
                std::regex_search(body, m, std::regex("\"signal_id\":\"([^\"]*)\"")) ? std::string(m[1]) : "";
            int status = 202;
            {
                std::lock_guard<std::mutex> lock(s_->mutex);
                const std::size_t n = s_->bodies[id].size();
                s_->bodies[id].push_back(body);
                if (auto it = s_->script.find(id); it != s_->script.end() && !it->second.empty())
                    status = it->second[std::min(n, it->second.size() - 1)];
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(id.rfind("slow-", 0) == 0 ? 1500 : 30));
            --s_->inFlight;
            response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
            response.setContentType("application/json");
            const std::string answer = "{\"status\":" + std::to_string(status) + "}";
            response.setContentLength(static_cast<std::streamsize>(answer.size()));
            response.send() << answer;
        }

    private:
        std::shared_ptr<State> s_;
    };
    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(std::shared_ptr<State> s) : s_(std::move(s)) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Handler(s_);
        }

    private:
        std::shared_ptr<State> s_;
    };
    std::shared_ptr<State> state_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

const tradehost::tools::DeliveryRecord& recordOf(const SignalSender& sender, const std::string& id) {
    for (const auto& r : sender.records())
        if (r.signalId == id) return r;
    FAIL("no record for " << id);
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("outcomes: 2xx ok, 4xx fail, 5xx resent identically up to 3 times then indeterminate", "[sender]") {
    ScriptedWebhook hook({{"s-1", {202}}, {"s-2", {503, 502, 202}}, {"s-3", {503}}, {"s-4", {400}}, {"s-5", {200}}});
    TempDir dir;
    SenderOptions o;
    o.url = hook.url();
    o.secret = "canary-sender-secret";
    o.count = 5;
    o.prefix = "s-";
    o.legs = 2;
    o.resendOn5xx = true;
    o.resendDelayMs = 50;
    o.ledgerPath = dir.file("ledger.jsonl");
    SignalSender sender(o);
    const auto summary = sender.run();
    INFO(summary.line());
    CHECK(recordOf(sender, "s-1").outcome == Outcome::Ok);
    CHECK(recordOf(sender, "s-1").attempts == 1);
    CHECK(recordOf(sender, "s-2").outcome == Outcome::Ok);
    CHECK(recordOf(sender, "s-2").statuses == std::vector<int>{503, 502, 202});
    CHECK(recordOf(sender, "s-3").outcome == Outcome::Indeterminate);
    CHECK(recordOf(sender, "s-3").attempts == 4);  // TradingView: the first send and 3 resends
    CHECK(recordOf(sender, "s-4").outcome == Outcome::Fail);
    CHECK(recordOf(sender, "s-4").attempts == 1);  // a 4xx is never resent
    CHECK(recordOf(sender, "s-5").outcome == Outcome::Ok);
    CHECK(summary.signalsOk == 3);
    CHECK(summary.resends == 2 + 3);
    // Resends are byte-identical, and the ledger's hash is of exactly those bytes.
    const auto bodies = hook.bodiesOf("s-3");
    REQUIRE(bodies.size() == 4);
    CHECK(std::all_of(bodies.begin(), bodies.end(), [&](const std::string& b) { return b == bodies.front(); }));
    CHECK(bodies.front() == tradehost::tools::signalBody(o, "s-3"));
    CHECK(bodies.front().find("\"legs\":[") != std::string::npos);

    const auto ledger = tradehost::tools::readLedger(o.ledgerPath);
    REQUIRE(ledger.size() == 5);
    for (const auto& r : ledger) CHECK(r.bodySha256 == recordOf(sender, r.signalId).bodySha256);
    const auto settled = tradehost::tools::settledSignals(ledger);
    CHECK(settled == std::set<std::string>{"s-1", "s-2", "s-4", "s-5"});

    SECTION("without --resend-on-5xx a 5xx is final") {
        SenderOptions once = o;
        once.resendOn5xx = false;
        once.prefix = "t-";
        once.count = 1;
        SignalSender plain(once);
        plain.run();
        CHECK(plain.records().front().attempts == 1);
    }
}

TEST_CASE("no answer: refused and timed out deliveries are indeterminate; --resend-on-error retries them", "[sender]") {
    SenderOptions o;
    {
        // A port nothing listens on: bind one, then close it.
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
        o.url = "http://127.0.0.1:" + std::to_string(socket.address().port()) + "/webhook";
    }
    o.count = 1;
    o.resendDelayMs = 20;
    SignalSender refused(o);
    refused.run();
    CHECK(refused.records().front().outcome == Outcome::Indeterminate);
    CHECK(refused.records().front().status == 0);
    CHECK(refused.records().front().attempts == 1);
    CHECK_FALSE(refused.records().front().error.empty());

    o.resendOnError = true;
    SignalSender harsh(o);
    harsh.run();
    CHECK(harsh.records().front().attempts == 4);

    ScriptedWebhook hook({});
    SenderOptions slow;
    slow.url = hook.url();
    slow.prefix = "slow-";
    slow.timeoutMs = 300;
    SignalSender timedOut(slow);
    timedOut.run();
    CHECK(timedOut.records().front().outcome == Outcome::Indeterminate);
    CHECK(timedOut.records().front().status == 0);
}

TEST_CASE("duplicates are shuffled copies; a race sends every copy at once; --rate paces", "[sender]") {
    ScriptedWebhook hook({});
    SenderOptions o;
    o.url = hook.url();
    o.count = 30;
    o.prefix = "d-";
    o.duplicates = 4;
    o.concurrency = 8;
    SignalSender storm(o);
    const auto summary = storm.run();
    CHECK(summary.deliveries > 30);
    CHECK(summary.deliveries <= 120);
    CHECK(summary.ok == summary.deliveries);
    std::map<std::string, int> copies;
    for (const auto& r : storm.records()) ++copies[r.signalId];
    CHECK(copies.size() == 30);
    for (const auto& [id, n] : copies) CHECK((n >= 1 && n <= 4));
    // Shuffled: the copies of one signal do not all arrive back to back.
    bool interleaved = false;
    for (std::size_t i = 1; i < storm.records().size(); ++i)
        if (storm.records()[i].signalId != storm.records()[i - 1].signalId && copies[storm.records()[i].signalId] > 1)
            interleaved = true;
    CHECK(interleaved);

    SenderOptions race;
    race.url = hook.url();
    race.count = 2;
    race.prefix = "r-";
    race.race = true;
    race.duplicates = 8;
    race.concurrency = 8;
    SignalSender racer(race);
    CHECK(racer.run().deliveries == 16);
    CHECK(hook.bodiesOf("r-1").size() == 8);
    CHECK(hook.maxInFlight() >= 4);  // the copies overlapped at the receiver

    SenderOptions paced;
    paced.url = hook.url();
    paced.count = 11;
    paced.prefix = "p-";
    paced.rate = 20;
    SignalSender pacer(paced);
    CHECK(pacer.run().elapsedS >= 0.45);
}

TEST_CASE("the tradehost-sender executable: --help, usage errors, a run with a ledger and --skip-settled", "[sender]") {
    const auto help = runProcess(kSenderBin, {"--help"});
    CHECK(help.exitCode == 0);
    for (const char* option :
         {"--url", "--secret", "--count", "--legs", "--venue", "--symbol", "--quantity", "--concurrency", "--rate",
          "--duplicates", "--resend-on-5xx", "--resend-delay-ms", "--ledger", "--prefix"})
        CHECK(help.out.find(option) != std::string::npos);
    CHECK(runProcess(kSenderBin, {"--count", "3"}).exitCode == 64);  // no --url
    CHECK(runProcess(kSenderBin, {"--url", "http://127.0.0.1:1/webhook", "--count", "x"}).exitCode == 64);
    CHECK(runProcess(kSenderBin, {"--url", "http://127.0.0.1:1/webhook", "--bogus"}).exitCode == 64);

    ScriptedWebhook hook({{"c-2", {400}}});
    TempDir dir;
    const std::string ledger = dir.file("ledger.jsonl");
    const auto run = runProcess(kSenderBin, {"--url", hook.url(), "--count", "4", "--prefix", "c-", "--legs", "2",
                                             "--ledger", ledger, "--resend-on-5xx", "--resend-delay-ms", "10"});
    INFO(run.out << run.err);
    CHECK(run.exitCode == 1);  // c-2 was refused
    CHECK(run.out.find("tradehost-sender: 4 signals") != std::string::npos);
    CHECK(run.out.find("signals ok=3/4") != std::string::npos);
    CHECK(tradehost::tools::readLedger(ledger).size() == 4);

    const auto again =
        runProcess(kSenderBin, {"--url", hook.url(), "--count", "4", "--prefix", "c-", "--skip-settled", ledger});
    INFO(again.out << again.err);
    CHECK(again.exitCode == 0);
    CHECK(again.out.find("tradehost-sender: 0 signals") != std::string::npos);
}
