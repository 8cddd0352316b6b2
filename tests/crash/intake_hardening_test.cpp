// Issue 9 against real processes: one listener per address, slow and idle clients, answers that
// say what is wrong, X-Forwarded-For only from trusted proxies, conflict storms, file modes, and
// a kill switch that reaches the right host.
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "emulator_process.h"
#include "host_process.h"
#include "invariant_checker.h"
#include "raw_http.h"
#include "storage_checks.h"
#include "temp_dir.h"

using namespace tradehost::test;

namespace {

std::vector<EventLine> eventsOf(const HostProcess& host) {
    EventTail tail(host.eventsFile());
    tail.poll();
    return tail.events();
}

long countEvents(const std::vector<EventLine>& events, const std::string& name) {
    return std::count_if(events.begin(), events.end(), [&](const EventLine& e) { return e.event == name; });
}

// Waits until the venue's ledger holds `count` orders (or 20 s pass); the orders.
std::vector<VenueOrder> waitForOrders(EmulatorProcess& emulator, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
        auto ledger = emulator.ledger();
        if (ledger.size() >= count || std::chrono::steady_clock::now() > deadline) return ledger;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

}  // namespace

// Item 1: no port sharing. The same deployment started from a second directory (its own storage)
// cannot bind the taken address: it exits 69 saying so, and a signal sent four times is one order.
TEST_CASE("a second host on a taken address exits 69 naming it; one signal is one order", "[intake_hardening]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess first(dir.path() / "first", emulator, config);
    REQUIRE(first.start());

    HostConfig same = config;
    same.port = first.port();
    HostProcess second(dir.path() / "second", emulator, same);
    CHECK_FALSE(second.start({}, std::chrono::seconds(15)));
    const auto code = second.waitExit(std::chrono::seconds(10));
    std::cout << "[crash.intake_hardening] second host on 127.0.0.1:" << first.port() << ": exit "
              << (code ? std::to_string(*code) : "none") << std::endl;
    REQUIRE(code);
    CHECK(*code == 69);
    CHECK_THAT(second.output(), Catch::Contains("address in use"));
    CHECK_THAT(second.output(), Catch::Contains("127.0.0.1:" + std::to_string(first.port())));

    const std::string body = flat("one-listener", config.webhookSecret);
    int accepted = 0, duplicates = 0;
    for (int i = 0; i < 4; ++i) {
        const RawAnswer a = rawExchange(first.port(), post("/webhook", body), body);
        accepted += a.status == 202;
        duplicates += a.status == 200;
    }
    CHECK(accepted == 1);
    CHECK(duplicates == 3);
    const auto ledger = waitForOrders(emulator, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a second order would show by now
    CHECK(emulator.ledger().size() == 1);
    CHECK(first.stop() == 0);
}

// Item 3: 16 slowloris connections (a header line every 4 s) and 100 idle ones, while a
// well-behaved sender posts a signal every 100 ms: every answer inside TradingView's 3 s, the
// slow requests answered 408 and never journaled, even one whose last byte comes after its
// deadline.
TEST_CASE("slowloris and idle connections: a real sender is answered inside 3 s, nothing late journaled",
          "[intake_hardening]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    const unsigned short port = host.port();
    auto connect = [&] {
        auto s = std::make_unique<Poco::Net::StreamSocket>(Poco::Net::SocketAddress("127.0.0.1", port));
        s->setSendTimeout(Poco::Timespan(2, 0));
        return s;
    };

    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> idle;
    for (int i = 0; i < 100; ++i) idle.push_back(connect());
    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> slow;
    for (int i = 0; i < 16; ++i) {
        slow.push_back(connect());
        const std::string line = "POST /webhook HTTP/1.1\r\n";
        slow.back()->sendBytes(line.data(), static_cast<int>(line.size()));
    }
    // One slow sender whose whole, valid signal trickles in over 6.5 s: past the 5 s deadline.
    const std::string lateBody = flat("too-late", config.webhookSecret);
    const std::string late = post("/webhook", lateBody) + lateBody;
    std::atomic<bool> stopTrickle{false};
    std::string lateAnswer;
    bool lateCutOff = false;  // the host closed the connection while the signal was still trickling in
    std::thread trickle([&] {
        auto s = connect();
        try {
            for (std::size_t i = 0; i < late.size() && !stopTrickle; i += 8) {
                s->sendBytes(late.data() + i, static_cast<int>(std::min<std::size_t>(8, late.size() - i)));
                std::this_thread::sleep_for(std::chrono::milliseconds(6500 / (late.size() / 8 + 1)));
            }
        } catch (const Poco::Exception&) {
            lateCutOff = true;
        }
        try {
            s->setReceiveTimeout(Poco::Timespan(3, 0));
            char buf[1024];
            const int n = s->receiveBytes(buf, sizeof buf);
            if (n > 0) lateAnswer.assign(buf, static_cast<std::size_t>(n));
        } catch (const Poco::Exception& e) {
            lateAnswer = "transport: " + e.displayText();
        }
    });
    std::thread loris([&] {
        for (int round = 0; round < 3 && !stopTrickle; ++round) {
            std::this_thread::sleep_for(std::chrono::seconds(4));
            for (auto& s : slow) {
                const std::string header = "X-Slow-" + std::to_string(round) + ": 1\r\n";
                try {
                    s->sendBytes(header.data(), static_cast<int>(header.size()));
                } catch (const Poco::Exception&) {
                    // closed by the host after its 408: that is the point
                }
            }
        }
    });

    constexpr int kSignals = 80;
    long worstMs = 0;
    int accepted = 0;
    for (int i = 0; i < kSignals; ++i) {
        const auto started = std::chrono::steady_clock::now();
        const std::string body = flat("real-" + std::to_string(i), config.webhookSecret);
        const RawAnswer a = rawExchange(port, post("/webhook", body), body, false, 3000);
        const long ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        worstMs = std::max(worstMs, ms);
        accepted += a.status == 202;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    stopTrickle = true;
    loris.join();
    trickle.join();
    int slowAnswered408 = 0;
    for (auto& s : slow) {
        s->setReceiveTimeout(Poco::Timespan(1, 0));
        char buf[512];
        try {
            const int n = s->receiveBytes(buf, sizeof buf);
            if (n > 0 && std::string(buf, static_cast<std::size_t>(n)).rfind("HTTP/1.1 408", 0) == 0) ++slowAnswered408;
        } catch (const Poco::Exception&) {
        }
    }
    std::cout << "[crash.intake_hardening] 100 idle + 16 slowloris connections: " << accepted << "/" << kSignals
              << " real signals accepted, slowest answer " << worstMs
              << " ms; slowloris answered 408: " << slowAnswered408
              << "/16; trickled signal: " << lateAnswer.substr(0, 24) << std::endl;
    CHECK(accepted == kSignals);
    CHECK(worstMs < 3000);
    CHECK(slowAnswered408 == 16);
    // Answered 408 at its deadline; if the host's close beat the reading of that answer, the
    // sender at least met a closed connection before its last byte. Never 202 (nor journaled).
    CHECK((lateAnswer.rfind("HTTP/1.1 408", 0) == 0 || lateCutOff));
    CHECK(lateAnswer.find("202") == std::string::npos);

    CHECK(host.stop() == 0);
    std::uint64_t records = 0;
    std::string detail;
    CHECK(rereadJournal(host.journalDir(), records, detail));
    CHECK(records == static_cast<std::uint64_t>(kSignals));  // the late signal was never journaled
}

// Item 4 and item 2's proxy rule, over real HTTP: each answer names what is wrong.
TEST_CASE("answers say what is wrong: JSON offset, venue names, 413, 501, hex case, absolute URI, proxies",
          "[intake_hardening]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    config.signingSecret = "crash-signing-" + randomHex(8);
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    const unsigned short port = host.port();
    const std::string secret = config.webhookSecret;

    // A TradingView template mistake with the right secret: 400 at the byte, not 401.
    const std::string trailingComma =
        R"({"secret":")" + secret + R"(","signal_id":"t1","venue":"bn","symbol":"BTCUSDT","side":"buy",)";
    RawAnswer a = rawExchange(port, post("/webhook", trailingComma + "}"), trailingComma + "}");
    CHECK(a.status == 400);
    CHECK_THAT(a.text, Catch::Contains("at byte"));
    CHECK_THAT(a.text, !Catch::Contains("secret") && !Catch::Contains("authentication"));
    const std::string unquoted = R"({"secret":")" + secret + R"(","signal_id":"t2","symbol":{{ticker}}})";
    a = rawExchange(port, post("/webhook", unquoted), unquoted);
    CHECK(a.status == 400);
    CHECK_THAT(a.text, Catch::Contains("at byte"));
    // Readable JSON with no or a wrong secret is still 401.
    a = rawExchange(port, post("/webhook", flat("t3", "wrong")), flat("t3", "wrong"));
    CHECK(a.status == 401);

    // A venue this deployment does not have: 400 naming the field and the valid names.
    std::string body =
        R"({"secret":")" + secret +
        R"(","signal_id":"t4","venue":"bn_main","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"})";
    a = rawExchange(port, post("/webhook", body), body);
    CHECK(a.status == 400);
    CHECK_THAT(a.text, Catch::Contains("\"field\":\"venue\"") && Catch::Contains("this deployment has: bn"));
    // No venue at all: the deployment's only venue takes it (documented).
    body = R"({"secret":")" + secret +
           R"(","signal_id":"t5","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"})";
    a = rawExchange(port, post("/webhook", body), body);
    CHECK(a.status == 202);

    // An absurd Content-Length: 413, never "not a number".
    a = rawExchange(port,
                    "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n"
                    "Connection: close\r\n\r\n",
                    "", true);
    CHECK(a.status == 413);
    // Expect: 100-continue with a body over the limit: 413, and no 100 Continue first.
    a = rawExchange(port,
                    "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\nExpect: 100-continue\r\n"
                    "Connection: close\r\n\r\n",
                    "", true);
    CHECK(a.status == 413);
    CHECK_THAT(a.text, !Catch::Contains("100 Continue"));
    // A transfer coding other than plain chunked: 501.
    a = rawExchange(
        port, "POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n",
        "0\r\n\r\n");
    CHECK(a.status == 501);
    // X-Signature hex in upper case: accepted.
    body = flat("t6", "");
    std::string upper = hmacHex(config.signingSecret, body);
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    a = rawExchange(port, post("/webhook", body, "X-Signature: sha256=" + upper + "\r\n"), body);
    CHECK(a.status == 202);
    // An absolute-form request target is routed like its path.
    body = flat("t7", secret);
    a = rawExchange(port,
                    "POST http://127.0.0.1:" + std::to_string(port) +
                        "/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n\r\n",
                    body);
    CHECK(a.status == 202);
    CHECK(host.stop() == 0);

    // X-Forwarded-For is believed only from a trusted proxy: allow_ips names a client address
    // that a proxy on loopback forwards for.
    HostConfig proxied = config;
    proxied.allowIps = {"198.51.100.0/24"};
    proxied.trustedProxies = {"127.0.0.0/8"};
    HostProcess behindProxy(dir.path() / "proxied", emulator, proxied);
    REQUIRE(behindProxy.start());
    body = flat("p1", secret);
    a = rawExchange(behindProxy.port(), post("/webhook", body, "X-Forwarded-For: 198.51.100.7\r\n"), body);
    CHECK(a.status == 202);
    body = flat("p2", secret);
    a = rawExchange(behindProxy.port(), post("/webhook", body, "X-Forwarded-For: 203.0.113.9\r\n"), body);
    CHECK(a.status == 403);
    // A client's own forged entry on the left is not believed: the proxy's (rightmost) is.
    body = flat("p3", secret);
    a = rawExchange(behindProxy.port(), post("/webhook", body, "X-Forwarded-For: 198.51.100.7, 203.0.113.9\r\n"), body);
    CHECK(a.status == 403);
    CHECK(behindProxy.stop() == 0);

    HostConfig untrusted = config;
    untrusted.allowIps = {"198.51.100.0/24"};
    HostProcess noProxy(dir.path() / "untrusted", emulator, untrusted);
    REQUIRE(noProxy.start());
    body = flat("u1", secret);
    a = rawExchange(noProxy.port(), post("/webhook", body, "X-Forwarded-For: 198.51.100.7\r\n"), body);
    CHECK(a.status == 403);  // loopback is no trusted proxy here: the header is ignored
    CHECK(noProxy.stop() == 0);
}

// Item 7: a storm of one id with other payloads is one event per id and minute, with a count.
TEST_CASE("a conflict storm is one signal_rejected per id and minute, with the count", "[intake_hardening]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    const std::string original = flat("storm", config.webhookSecret);
    REQUIRE(rawExchange(host.port(), post("/webhook", original), original).status == 202);
    int refused = 0;
    for (int i = 0; i < 40; ++i) {
        const std::string other = flat("storm", config.webhookSecret, "\"0.00" + std::to_string(3 + i % 5) + "\"");
        refused += rawExchange(host.port(), post("/webhook", other), other).status == 422;
    }
    CHECK(refused == 40);
    // The minute's count is journaled at shutdown (and admitted, like any record, at the next start).
    CHECK(host.stop() == 0);
    REQUIRE(host.start());
    CHECK(host.stop() == 0);
    const auto events = eventsOf(host);
    long rejected = 0, deliveries = 0;
    for (const auto& e : events) {
        if (e.event != "signal_rejected") continue;
        ++rejected;
        deliveries += std::stol(e.dataText("deliveries"));
    }
    std::cout << "[crash.intake_hardening] 40 conflicting deliveries: " << rejected << " signal_rejected events for "
              << deliveries << " deliveries" << std::endl;
    CHECK(rejected == 2);  // the first, at once; the rest of its minute, counted
    CHECK(deliveries == 40);
}

// Item 6 and item 9: the kill switch reaches the host that runs, the host says so, and every
// file and directory it wrote is the operator's alone.
TEST_CASE("pause and resume reach the running host, which logs who and why; storage is 0600/0700",
          "[intake_hardening]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());

    CommandResult r = host.command({"pause"});
    CHECK(r.exitCode == 64);  // which deployment? never a guess
    CHECK_THAT(r.err, Catch::Contains("--config FILE"));
    const auto elsewhere = dir.path() / "elsewhere";
    std::filesystem::create_directories(elsewhere);
    {
        std::ofstream y(elsewhere / "deployment.yaml");
        y << "webhook: {secret: \"${TH_CRASH_WEBHOOK_SECRET}\"}\nstorage: {dir: \"" << (elsewhere / "var").string()
          << "\"}\n";
    }
    r = host.command({"pause", "--config", (elsewhere / "deployment.yaml").string()});
    CHECK(r.exitCode == 66);
    CHECK_FALSE(std::filesystem::exists(elsewhere / "var"));  // nothing made where nothing ran

    r = host.command({"pause", "--config", host.deploymentFile(), "--by", "ops@desk", "--why", "drill"});
    CHECK(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::Contains("trading paused by ops@desk"));
    r = host.command({"pause", "--config", host.deploymentFile()});
    CHECK(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::Contains("already paused") && Catch::Contains("ops@desk") && Catch::Contains("drill"));

    const std::string body = flat("while-paused", config.webhookSecret);
    CHECK(rawExchange(host.port(), post("/webhook", body), body).status == 202);
    CHECK(host.waitForOutput("trading paused by ops@desk"));
    CHECK(host.waitForOutput("blocked"));
    r = host.command({"resume", "--config", host.deploymentFile(), "--by", "ops@desk", "--why", "drill over"});
    CHECK(r.exitCode == 0);
    const std::string after = flat("after-resume", config.webhookSecret);
    CHECK(rawExchange(host.port(), post("/webhook", after), after).status == 202);
    CHECK(host.waitForOutput("trading resumed by ops@desk"));
    const auto ledger = waitForOrders(emulator, 1);
    CHECK(ledger.size() == 1);  // only the signal sent after resume traded
    CHECK(host.stop() == 0);
    const auto events = eventsOf(host);
    CHECK(countEvents(events, "trading_paused") == 1);  // "already paused" recorded nothing
    CHECK(countEvents(events, "trading_resumed") == 1);

    int files = 0;
    std::vector<std::string> wrong;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(host.storageDir())) {
        struct stat st {};
        REQUIRE(::lstat(entry.path().c_str(), &st) == 0);
        const auto mode = st.st_mode & 0777;
        if (S_ISDIR(st.st_mode) ? mode != 0700 : mode != 0600) wrong.push_back(entry.path().string());
        ++files;
    }
    struct stat top {};
    REQUIRE(::stat(host.storageDir().c_str(), &top) == 0);
    if ((top.st_mode & 0777) != 0700) wrong.push_back(host.storageDir().string());
    std::string wrongList;
    for (const auto& w : wrong) wrongList += w + " ";
    INFO("modes wrong: " << wrongList);
    CHECK(files > 5);
    CHECK(wrong.empty());
}
