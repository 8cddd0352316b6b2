// The tradehost executable as a user meets it: real processes, real exit codes, real HTTP.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
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
const std::string kSource = TRADEHOST_SOURCE_DIR;
const std::string kCanary = "canary-3b9d0e5f7a1c44e2";

std::pair<int, std::string> httpGet(const std::string& host, unsigned short port, const std::string& path,
                                    const std::string& method = "GET") {
    Poco::Net::HTTPClientSession session(host, port);
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentLength(0);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    return {static_cast<int>(response.getStatus()), body};
}

std::pair<int, std::string> httpPost(const std::string& host, unsigned short port, const std::string& path,
                                     const std::string& body) {
    Poco::Net::HTTPClientSession session(host, port);
    Poco::Net::HTTPRequest request("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string answer;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
    return {static_cast<int>(response.getStatus()), answer};
}

}  // namespace

TEST_CASE("--help explains every mode and exits 0") {
    const auto r = runProcess(kBin, {"--help"});
    CHECK(r.exitCode == 0);
    for (const char* option : {"--config", "--check-config", "--describe-plugins", "--plugin-path", "--env-file"})
        CHECK_THAT(r.out, Contains(option));
}

TEST_CASE("--help documents every exit code, and offers no daemon options it would not honour") {
    const auto r = runProcess(kBin, {"--help"});
    const std::string text = std::regex_replace(r.out, std::regex("\\s+"), " ");
    for (const char* code : {" 64 usage", " 65 cancel", " 66 pause", " 69 the webhook address is in use", " 70 stopped",
                             " 73 ", " 74 ", " 75 another tradehost", " 78 configuration"})
        CHECK_THAT(text, Contains(code));
    for (const char* poco : {"--daemon", "--umask", "--pidfile"}) CHECK_THAT(r.out, !Contains(poco));
    CHECK(runProcess(kBin, {"--daemon"}).exitCode == 64);
}

TEST_CASE("pause and resume name their deployment; a storage where nothing ran is refused, not made") {
    TempDir dir;
    auto r = runProcess(kBin, {"pause"});
    CHECK(r.exitCode == 64);
    CHECK_THAT(r.err, Contains("--config FILE") && Contains("--default"));
    CHECK(runProcess(kBin, {"resume", "--default", "--config", "x.yaml"}).exitCode == 64);
    const auto path =
        dir.write("d.yaml", "webhook: {generate_secret: true}\nstorage: {dir: \"" + dir.file("var") + "\"}\n");
    r = runProcess(kBin, {"pause", "--config", path});
    CHECK(r.exitCode == 66);
    CHECK_THAT(r.err, Contains("no tradehost storage at " + dir.file("var")));
    CHECK_FALSE(std::filesystem::exists(dir.file("var")));
}

TEST_CASE("generate_secret: made once (0600), used by the banner's curl without printing it, required on loopback") {
    TempDir dir;
    const auto path = dir.write("run.yaml",
                                "webhook: {listen: \"127.0.0.1:0\", generate_secret: true}\n"
                                "storage: {dir: \"" +
                                    dir.file("var") +
                                    "\"}\n"
                                    "venues:\n  - {name: paper, type: paper}\n");
    std::string secret;
    for (int run = 0; run < 2; ++run) {
        BackgroundProcess host(kBin, {"--config", path});
        REQUIRE(host.waitFor("Stop: Ctrl-C"));
        const auto file = dir.file("var") + "/webhook.secret";
        struct stat st {};
        REQUIRE(::stat(file.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        std::ifstream in(file);
        std::string now;
        std::getline(in, now);
        CHECK(now.size() == 64);
        if (run == 0) secret = now;
        CHECK(now == secret);  // kept across restarts
        const std::string out = host.out();
        CHECK_THAT(out, Contains("\"secret\": \"'\"$(cat " + file + ")\"'\""));
        CHECK_THAT(out, Contains("\"signal_id\": \"demo-'\"$(date +%s%N)\"'\""));
        CHECK_THAT(out + host.err(), !Contains(secret));
        std::smatch m;
        REQUIRE(std::regex_search(out, m, std::regex("Webhook: http://127\\.0\\.0\\.1:([0-9]+)/webhook")));
        const auto port = static_cast<unsigned short>(std::stoi(m[1]));
        const std::string signal =
            ",\"signal_id\":\"g" + std::to_string(run) +
            "\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"type\":\"market\",\"quantity\":\"0.002\"}";
        CHECK(httpPost("127.0.0.1", port, "/webhook", "{\"secret\":\"wrong\"" + signal).first == 401);
        CHECK(httpPost("127.0.0.1", port, "/webhook", "{\"secret\":\"" + secret + "\"" + signal).first == 202);
        ::kill(host.pid(), SIGTERM);
        CHECK(host.wait() == 0);
    }
}

TEST_CASE("a deployment without any webhook authentication is refused, naming the fix") {
    TempDir dir;
    const auto path = dir.write("open.yaml",
                                "webhook: {listen: \"127.0.0.1:0\", allow_ips: [\"127.0.0.1\"]}\n"
                                "venues:\n  - {name: paper, type: paper}\n");
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--check-config", path}, std::vector<std::string>{"--config", path}}) {
        const auto r = runProcess(kBin, args);
        CHECK(r.exitCode == 78);
        CHECK_THAT(r.err, Contains("open.yaml:1: section 'webhook', key 'secret': no authentication method"));
        CHECK_THAT(r.out, !Contains("Webhook:"));
    }
}

TEST_CASE("an unknown option or argument is a usage error (64) with a pointer to --help") {
    auto r = runProcess(kBin, {"--no-such-option"});
    CHECK(r.exitCode == 64);
    CHECK_THAT(r.err, Contains("see tradehost --help"));
    r = runProcess(kBin, {"stray"});
    CHECK(r.exitCode == 64);
    CHECK_THAT(r.err, Contains("unexpected argument 'stray'"));
}

TEST_CASE("--check-config accepts the shipped default and the options take a separate value") {
    const auto r = runProcess(kBin, {"--check-config", kSource + "/config/default.yaml"});
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK_THAT(r.out, Contains("ok (1 venue, 1 alert sink; each built, started and stopped)"));
}

TEST_CASE("--check-config lists every error at once, exits 78, and never echoes a secret") {
    TempDir dir;
    const auto path = dir.write("broken.yaml",
                                "webhook: {secret: \"${TH_TEST_SECRET}\", listen: 42x}\n"
                                "venues:\n"
                                "  - {name: paper, type: paper, settings: {prices: {BTCUSDT: '1'}, colour: red}}\n"
                                "  - {name: paper, type: paper}\n"
                                "  - {name: x, type: nope}\n"
                                "alerts:\n"
                                "  - {name: f, type: file_alerts, settings: {path: 12, secret_thing: \"" +
                                    kCanary + "\"}}\n");
    const auto r = runProcess(kBin, {"--check-config", path}, {{"TH_TEST_SECRET", kCanary}});
    CHECK(r.exitCode == 78);
    CHECK_THAT(r.err, Contains("broken.yaml:3: venue 'paper', key 'colour': unknown key"));
    CHECK_THAT(r.err, Contains("broken.yaml:4: venue 'paper', key 'name': duplicate instance name"));
    CHECK_THAT(r.err, Contains("broken.yaml:5: venue 'x', key 'type': no plugin of type 'nope'"));
    CHECK_THAT(r.err, Contains("broken.yaml:7: alert 'f', key 'secret_thing': unknown key"));
    CHECK_THAT(r.err, Contains("4 errors"));
    CHECK_THAT(r.out + r.err, !Contains(kCanary));
}

TEST_CASE("a missing environment variable is named, and a broken plugin names its library") {
    TempDir dir;
    const auto path =
        dir.write("d.yaml", "alerts:\n  - {name: f, type: file_alerts, settings: {path: \"${TH_TEST_UNSET_VAR}\"}}\n");
    const auto r = runProcess(kBin, {"--check-config", path});
    CHECK(r.exitCode == 78);
    CHECK_THAT(r.err, Contains("d.yaml:2: alert 'f', key 'path': environment variable TH_TEST_UNSET_VAR is not set"));

    const auto broken = dir.write("b.yaml", "venues:\n  - {name: w, type: wrong_abi}\n");
    const auto r2 =
        runProcess(kBin, {"--check-config", broken, "--plugin-path", std::string(BROKEN_PLUGIN_DIR) + "/wrong_abi"});
    CHECK(r2.exitCode == 78);
    CHECK_THAT(r2.err, Contains("tradehost_wrong_abi.so: built for tradehost plugin ABI"));
}

TEST_CASE("--check-config reports an alert sink that cannot start") {
    TempDir dir;
    dir.write("blocker", "a file where a directory is needed");
    const auto path = dir.write(
        "d.yaml", "webhook: {generate_secret: true}\nalerts:\n  - {name: f, type: file_alerts, settings: {path: \"" +
                      dir.file("blocker") + "/alerts.jsonl\"}}\n");
    const auto r = runProcess(kBin, {"--check-config", path});
    CHECK(r.exitCode == 78);
    CHECK_THAT(r.err, Contains("alert 'f': file_alerts failed to start"));
}

TEST_CASE("--describe-plugins prints each plugin's type, version and settings table; secrets never") {
    const auto r = runProcess(kBin, {"--describe-plugins"});
    CHECK(r.exitCode == 0);
    CHECK_THAT(r.out, Contains("paper "));
    CHECK_THAT(r.out, Contains("(venue)"));
    CHECK_THAT(r.out, Contains("file_alerts "));
    CHECK_THAT(r.out, Contains("(alert sink)"));
    CHECK_THAT(r.out, Contains("prices"));
    CHECK_THAT(r.out, Contains("webhook:"));
    CHECK_THAT(r.out, Contains("(secret: ${ENV})"));

    SECTION("broken libraries on the path are listed with their reasons and make the exit non-zero") {
        const auto b =
            runProcess(kBin, {"--describe-plugins", "--plugin-path", std::string(BROKEN_PLUGIN_DIR) + "/not_a_plugin"});
        CHECK(b.exitCode == 78);
        CHECK_THAT(b.out, Contains("not a tradehost plugin"));
    }
}

TEST_CASE(
    "running a deployment prints the webhook URL and a curl, serves probes, and stops cleanly on SIGTERM/SIGINT") {
    const int signal = GENERATE(SIGTERM, SIGINT);
    TempDir dir;
    const auto path = dir.write("run.yaml",
                                "webhook: {listen: \"127.0.0.1:0\", secret: \"${TH_TEST_SECRET}\"}\n"
                                "storage: {dir: \"" +
                                    dir.file("var") +
                                    "\"}\n"
                                    "venues:\n  - {name: paper, type: paper, settings: {prices: {BTCUSDT: '65000'}}}\n"
                                    "alerts:\n  - {name: local, type: file_alerts, settings: {path: \"" +
                                    dir.file("alerts.jsonl") + "\"}}\n");
    BackgroundProcess host(kBin, {"--config", path}, {{"TH_TEST_SECRET", kCanary}});
    REQUIRE(host.waitFor("Stop: Ctrl-C"));
    const std::string out = host.out();
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex("Webhook: http://127\\.0\\.0\\.1:([0-9]+)/webhook")));
    const auto port = static_cast<unsigned short>(std::stoi(m[1]));
    CHECK_THAT(out, Contains("curl -sS -X POST http://127.0.0.1:" + std::string(m[1]) + "/webhook"));
    CHECK_THAT(out, Contains("\"venue\": \"paper\""));

    CHECK(httpGet("127.0.0.1", port, "/healthz").first == 200);
    CHECK(httpGet("127.0.0.1", port, "/readyz").first == 200);
    // The webhook refuses what it cannot authenticate, before anything is journaled.
    const auto unauthenticated = httpPost("127.0.0.1", port, "/webhook", "{\"signal_id\":\"x\"}");
    CHECK(unauthenticated.first == 401);
    // An empty body is not JSON: said so at its byte (it cannot carry a secret either).
    const auto empty = httpGet("127.0.0.1", port, "/webhook", "POST");
    CHECK(empty.first == 400);
    CHECK_THAT(empty.second, Contains("at byte 0"));
    CHECK(httpGet("127.0.0.1", port, "/webhook", "GET").first == 405);

    ::kill(host.pid(), signal);
    CHECK(host.wait() == 0);
    CHECK_THAT(host.err(), Contains("stopped cleanly"));
    CHECK_THAT(host.out() + host.err(), !Contains(kCanary));
}

TEST_CASE("operator commands on one symbol: pause and resume it, and a baseline is never taken from a stale reading") {
    TempDir dir;
    const auto path =
        dir.write("ops.yaml",
                  "webhook: {listen: \"127.0.0.1:0\", secret: \"${TH_TEST_SECRET}\"}\n"
                  "storage: {dir: \"" +
                      dir.file("var") +
                      "\"}\n"
                      "reconciler: {interval_s: 3600}\n"  // read once, at start
                      "venues:\n  - {name: paper, type: paper, settings: {prices: {BTCUSDT: '65000'}}}\n");
    const std::map<std::string, std::string> env{{"TH_TEST_SECRET", kCanary}};
    BackgroundProcess host(kBin, {"--config", path}, env);
    REQUIRE(host.waitFor("Stop: Ctrl-C"));
    std::smatch m;
    const std::string out = host.out();
    REQUIRE(std::regex_search(out, m, std::regex("Webhook: http://127\\.0\\.0\\.1:([0-9]+)/webhook")));
    const auto port = static_cast<unsigned short>(std::stoi(m[1]));
    const auto signal = [&](const std::string& id) {
        return httpPost("127.0.0.1", port, "/webhook",
                        R"({"secret":")" + kCanary + R"(","signal_id":")" + id +
                            R"(","venue":"paper","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"})");
    };
    const auto command = [&](std::vector<std::string> args) {
        args.insert(args.end(), {"--config", path, "--by", "ops", "--why", "test"});
        return runProcess(kBin, args, env);
    };
    REQUIRE(signal("o-1").first == 202);
    const auto eventsHave = [&](const std::string& text) {
        for (int i = 0; i < 50; ++i) {
            std::ifstream in(dir.file("var") + "/events.jsonl");
            const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (all.find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    };
    REQUIRE(eventsHave("\"event\":\"order_fill\""));

    // The only reading of the venue is from before that fill: accepting it would set the expected
    // position to 0 while the venue holds 0.002. Refused, nothing recorded.
    auto r = command({"accept-baseline", "paper", "BTCUSDT"});
    CHECK(r.exitCode == 65);
    CHECK_THAT(r.err, Contains("the host booked a fill of BTCUSDT (o-1:paper:0:0)") && Contains("nothing changed"));
    r = command({"accept-baseline", "paper", "BTCUSDT", "SIDEWAYS"});
    CHECK(r.exitCode == 64);
    r = command({"pause", "paper", "<b>x</b>"});
    CHECK(r.exitCode == 64);
    CHECK_THAT(r.err, Contains("SYMBOL may contain only letters"));
    r = command({"pause", "nope", "BTCUSDT"});
    CHECK(r.exitCode == 64);
    CHECK_THAT(r.err, Contains("no venue instance 'nope'"));

    // One symbol paused (named as signals name it): its next signal is blocked; resumed, it trades.
    r = command({"pause", "paper", "binance:btcusdt.p"});
    CHECK(r.exitCode == 0);
    CHECK_THAT(r.out, Contains("BTCUSDT on paper paused by ops"));
    CHECK_THAT(command({"pause", "paper", "BTCUSDT"}).out, Contains("already paused"));
    REQUIRE(signal("o-2").first == 202);
    CHECK(eventsHave("BTCUSDT is paused on paper"));
    r = command({"resume", "paper", "BTCUSDT"});
    CHECK(r.exitCode == 0);
    REQUIRE(signal("o-3").first == 202);
    CHECK(eventsHave(
        "\"signal_id\":\"o-3\",\"client_order_id\":\"o-3:paper:0:0\",\"venue\":\"paper\",\"data\":{\"fill_qty\""));
    ::kill(host.pid(), SIGTERM);
    CHECK(host.wait() == 0);
    std::ifstream in(dir.file("var") + "/events.jsonl");
    const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(all.find("position_baseline_set") == std::string::npos);
    CHECK(all.find("\"event\":\"symbol_paused\"") != std::string::npos);
    CHECK(all.find("\"event\":\"symbol_resumed\"") != std::string::npos);
}

TEST_CASE("admin: the section opens the listener; its token is made once (0600) and never printed") {
    TempDir dir;
    unsigned short adminPort = 0;  // a fixed port, so that `tradehost status` can find it from the file
    {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
        adminPort = probe.address().port();
    }
    const auto path = dir.write("admin.yaml",
                                "webhook: {listen: \"127.0.0.1:0\", secret: \"${TH_TEST_SECRET}\"}\n"
                                "admin: {listen: \"127.0.0.1:" +
                                    std::to_string(adminPort) +
                                    "\", viewer_token: \"${TH_TEST_VIEWER}\"}\n"
                                    "storage: {dir: \"" +
                                    dir.file("var") +
                                    "\"}\n"
                                    "venues:\n  - {name: paper, type: paper}\n");
    const std::string viewer = "viewer-canary-5c2e9d1f0a7b4e63";
    BackgroundProcess host(kBin, {"--config", path}, {{"TH_TEST_SECRET", kCanary}, {"TH_TEST_VIEWER", viewer}});
    REQUIRE(host.waitFor("Metrics: "));
    std::smatch m;
    const std::string out = host.out();
    REQUIRE(std::regex_search(
        out, m,
        std::regex("Admin API: curl .*Bearer \\$\\(cat ([^)]+)\\)\" http://127\\.0\\.0\\.1:([0-9]+)/api/overview")));
    CHECK(m[1] == dir.file("var") + "/admin.token");
    const auto port = static_cast<unsigned short>(std::stoi(m[2]));
    CHECK_THAT(out, Contains("Admin page: http://127.0.0.1:" + std::to_string(port) +
                             "/  (log in with the operator token: the text in " + dir.file("var") + "/admin.token)"));
    struct stat st {};
    REQUIRE(::stat((dir.file("var") + "/admin.token").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::ifstream in(dir.file("var") + "/admin.token");
    std::string token;
    std::getline(in, token);
    CHECK(token.size() == 64);

    const auto get = [&](const std::string& target, const std::string& bearer) {
        Poco::Net::HTTPClientSession session("127.0.0.1", port);
        Poco::Net::HTTPRequest request("GET", target, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!bearer.empty()) request.set("Authorization", "Bearer " + bearer);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::string body;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
        return std::make_pair(static_cast<int>(response.getStatus()), body);
    };
    CHECK(get("/api/overview", "").first == 401);
    CHECK(get("/healthz", "").first == 200);
    const auto overview = get("/api/overview", token);
    CHECK(overview.first == 200);
    CHECK_THAT(overview.second, Contains("\"kill_switch\""));
    const auto metrics = get("/metrics", viewer);
    CHECK(metrics.first == 200);
    CHECK_THAT(metrics.second, Contains("tradehost_signals_total"));
    // The terminal's view of the same API, found from the deployment file alone.
    const std::map<std::string, std::string> env{{"TH_TEST_SECRET", kCanary}, {"TH_TEST_VIEWER", viewer}};
    auto status = runProcess(kBin, {"status", "--config", path}, env);
    CHECK(status.exitCode == 0);
    CHECK_THAT(status.out, Contains(": ready, up ") && Contains("trading: running") &&
                               Contains("paused symbols: none") && Contains("legs: 0 waiting to be sent"));
    const auto positions = runProcess(kBin, {"positions", "--config", path}, env);
    CHECK(positions.exitCode == 0);
    CHECK_THAT(positions.out, Contains("no positions"));
    CHECK_THAT(runProcess(kBin, {"signals", "--config", path}, env).out, Contains("no signals yet"));
    CHECK(runProcess(kBin, {"signals", "--last", "0", "--config", path}, env).exitCode == 64);
    // A signal, then the newest ones with their legs, as the page's Signals view has them.
    REQUIRE(std::regex_search(out, m, std::regex("Webhook: http://127\\.0\\.0\\.1:([0-9]+)/webhook")));
    const auto webhookPort = static_cast<unsigned short>(std::stoi(m[1]));
    for (const char* id : {"cli-sig-1", "cli-sig-2"})
        REQUIRE(httpPost("127.0.0.1", webhookPort, "/webhook",
                         std::string("{\"secret\":\"") + kCanary + "\",\"signal_id\":\"" + id +
                             "\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"type\":\"market\",\"quantity\":\"0.002\"}")
                    .first == 202);
    std::string listed;
    for (int i = 0; i < 50 && listed.find("REJECTED") == std::string::npos; ++i) {
        if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        listed = runProcess(kBin, {"signals", "--last", "1", "--config", path}, env).out;
    }
    // (This paper venue has no prices: the venue refuses, and the reason is shown.)
    CHECK_THAT(listed, Contains("REJECTED   cli-sig-2  (last: trade_fail)") &&
                           Contains("leg 0 paper: BUY 0.002 BTCUSDT MARKET  REJECTED (UNKNOWN_SYMBOL") &&
                           !Contains("cli-sig-1"));
    ::kill(host.pid(), SIGTERM);
    CHECK(host.wait() == 0);
    CHECK_THAT(host.out() + host.err(), !Contains(token) && !Contains(viewer) && !Contains(kCanary));
    // Stopped: said so, with the address it tried.
    status = runProcess(kBin, {"status", "--config", path}, env);
    CHECK(status.exitCode == 69);
    CHECK_THAT(status.err, Contains("no tradehost answers on 127.0.0.1:" + std::to_string(adminPort)));
}

TEST_CASE("a run with a broken deployment exits 78 before listening") {
    TempDir dir;
    const auto path = dir.write("bad.yaml", "venues:\n  - {name: p, type: paper, settings: {prices: nope}}\n");
    const auto r = runProcess(kBin, {"--config", path});
    CHECK(r.exitCode == 78);
    CHECK_THAT(r.err, Contains("bad.yaml:2: venue 'p', key 'prices': expected a mapping"));
    CHECK_THAT(r.out, !Contains("Webhook:"));
}
