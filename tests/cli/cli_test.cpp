// The tradehost executable as a user meets it: real processes, real exit codes, real HTTP.
#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

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

}  // namespace

TEST_CASE("--help explains every mode and exits 0") {
    const auto r = runProcess(kBin, {"--help"});
    CHECK(r.exitCode == 0);
    for (const char* option : {"--config", "--check-config", "--describe-plugins", "--plugin-path", "--env-file"})
        CHECK_THAT(r.out, Contains(option));
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
                                "  - {name: f, type: file_alerts, settings: {path: 12, secret_thing: \"" + kCanary + "\"}}\n");
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
    const auto path = dir.write("d.yaml", "alerts:\n  - {name: f, type: file_alerts, settings: {path: \"${TH_TEST_UNSET_VAR}\"}}\n");
    const auto r = runProcess(kBin, {"--check-config", path});
    CHECK(r.exitCode == 78);
    CHECK_THAT(r.err, Contains("d.yaml:2: alert 'f', key 'path': environment variable TH_TEST_UNSET_VAR is not set"));

    const auto broken = dir.write("b.yaml", "venues:\n  - {name: w, type: wrong_abi}\n");
    const auto r2 = runProcess(kBin, {"--check-config", broken, "--plugin-path", std::string(BROKEN_PLUGIN_DIR) + "/wrong_abi"});
    CHECK(r2.exitCode == 78);
    CHECK_THAT(r2.err, Contains("tradehost_wrong_abi.so: built for tradehost plugin ABI"));
}

TEST_CASE("--check-config reports an alert sink that cannot start") {
    TempDir dir;
    dir.write("blocker", "a file where a directory is needed");
    const auto path = dir.write("d.yaml", "alerts:\n  - {name: f, type: file_alerts, settings: {path: \"" +
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
        const auto b = runProcess(kBin, {"--describe-plugins", "--plugin-path", std::string(BROKEN_PLUGIN_DIR) + "/not_a_plugin"});
        CHECK(b.exitCode == 78);
        CHECK_THAT(b.out, Contains("not a tradehost plugin"));
    }
}

TEST_CASE("running a deployment prints the webhook URL and a curl, serves probes, and stops cleanly on SIGTERM/SIGINT") {
    const int signal = GENERATE(SIGTERM, SIGINT);
    TempDir dir;
    const auto path = dir.write("run.yaml",
                                "webhook: {listen: \"127.0.0.1:0\", secret: \"${TH_TEST_SECRET}\"}\n"
                                "storage: {dir: \"" + dir.file("var") + "\"}\n"
                                "venues:\n  - {name: paper, type: paper, settings: {prices: {BTCUSDT: '65000'}}}\n"
                                "alerts:\n  - {name: local, type: file_alerts, settings: {path: \"" + dir.file("alerts.jsonl") + "\"}}\n");
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
    const auto unauthenticated = httpGet("127.0.0.1", port, "/webhook", "POST");
    CHECK(unauthenticated.first == 401);
    CHECK(httpGet("127.0.0.1", port, "/webhook", "GET").first == 405);

    ::kill(host.pid(), signal);
    CHECK(host.wait() == 0);
    CHECK_THAT(host.err(), Contains("stopped cleanly"));
    CHECK_THAT(host.out() + host.err(), !Contains(kCanary));
}

TEST_CASE("a run with a broken deployment exits 78 before listening") {
    TempDir dir;
    const auto path = dir.write("bad.yaml", "venues:\n  - {name: p, type: paper, settings: {prices: nope}}\n");
    const auto r = runProcess(kBin, {"--config", path});
    CHECK(r.exitCode == 78);
    CHECK_THAT(r.err, Contains("bad.yaml:2: venue 'p', key 'prices': expected a mapping"));
    CHECK_THAT(r.out, !Contains("Webhook:"));
}
