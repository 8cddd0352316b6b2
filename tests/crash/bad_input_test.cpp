// F1/F3 + A3: every refused request is refused with the right status, journals nothing, trades nothing.
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crash_env.h"
#include "emulator_process.h"
#include "exactly_once_checks.h"
#include "host_process.h"
#include "raw_http.h"
#include "signal_run.h"
#include "temp_dir.h"

using namespace tradehost::test;

TEST_CASE("bad input matrix: refused with the right status, nothing journaled, no order, host keeps serving",
          "[bad_input]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    config.pathToken = "crash-token-" + randomHex(8);
    config.signingSecret = "crash-signing-" + randomHex(8);
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    const unsigned short port = host.port();
    const std::string secret = config.webhookSecret;

    // Valid signals are "ok-N"; everything refused carries a "bad-" id (when it has one at all).
    long expectedSeq = 0;
    int valid = 0;
    auto sendValid = [&](const std::string& how) {
        ++valid;
        const std::string id = "ok-" + std::to_string(valid);
        RawAnswer a;
        if (how == "token") {
            a = rawExchange(port, post("/webhook/" + config.pathToken, flat(id, "")), flat(id, ""));
        } else if (how == "signature") {
            const std::string body = flat(id, "");
            a = rawExchange(
                port, post("/webhook", body, "X-Signature: sha256=" + hmacHex(config.signingSecret, body) + "\r\n"),
                body);
        } else {
            a = rawExchange(port, post("/webhook", flat(id, secret)), flat(id, secret));
        }
        INFO("valid signal via " << how << ": " << a.text);
        REQUIRE(a.status == 202);
        const long seq = journalSeqOf(a);
        if (expectedSeq != 0) CHECK(seq == expectedSeq + 1);  // nothing was journaled in between
        expectedSeq = seq;
    };
    sendValid("secret");

    const std::string big(70000, ' ');
    const std::string deepArray =
        "{\"secret\":\"" + secret + "\",\"signal_id\":\"bad-deep\",\"x\":" + std::string(60000, '[') + "}";
    std::string deepObject = "{\"secret\":\"" + secret + "\",\"signal_id\":\"bad-deep2\",\"x\":";
    for (int i = 0; i < 5000; ++i) deepObject += "{\"a\":";
    const std::string chunkedBig = [&] {
        std::string c;
        for (int i = 0; i < 20; ++i) c += "1000\r\n" + std::string(4096, 'x') + "\r\n";
        return c + "0\r\n\r\n";
    }();
    const std::string goodBody = flat("bad-framing", secret);
    const std::string tokenPath = "/webhook/" + config.pathToken;

    struct Case {
        std::string name;
        std::string head;
        std::string body;
        std::vector<int> statuses;  // any of these
        bool early = false;
    };
    const std::vector<Case> cases = {
        // Authentication (F1): 401 whatever else is wrong, before anything is parsed for meaning.
        {"no secret", post("/webhook", flat("bad-1", "")), flat("bad-1", ""), {401}},
        {"wrong secret", post("/webhook", flat("bad-2", secret + "x")), flat("bad-2", secret + "x"), {401}},
        {"secret of the wrong type",
         post(
             "/webhook",
             R"({"secret":12,"signal_id":"bad-3","venue":"bn","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"})"),
         R"({"secret":12,"signal_id":"bad-3","venue":"bn","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"})",
         {401}},
        {"wrong path token", post("/webhook/" + config.pathToken + "x", flat("bad-4", "")), flat("bad-4", ""), {401}},
        {"path token prefix",
         post("/webhook/" + config.pathToken.substr(0, 5), flat("bad-5", "")),
         flat("bad-5", ""),
         {401}},
        {"X-Signature of another body",
         post("/webhook", flat("bad-6", ""),
              "X-Signature: sha256=" + hmacHex(config.signingSecret, flat("bad-7", "")) + "\r\n"),
         flat("bad-6", ""),
         {401}},
        {"X-Signature with the wrong key",
         post("/webhook", flat("bad-8", ""), "X-Signature: sha256=" + hmacHex("other", flat("bad-8", "")) + "\r\n"),
         flat("bad-8", ""),
         {401}},
        {"X-Signature not hex",
         post("/webhook", flat("bad-9", ""), "X-Signature: sha256=zz\r\n"),
         flat("bad-9", ""),
         {401}},
        {"X-Signature sha1",
         post("/webhook", flat("bad-10", ""),
              "X-Signature: sha1=" + hmacHex(config.signingSecret, flat("bad-10", "")) + "\r\n"),
         flat("bad-10", ""),
         {401}},
        // Not JSON, so no secret can be read from it: 400 at the byte (a TradingView template
        // mistake is named as such, never blamed on the secret); nothing journaled either way.
        {"malformed JSON, unauthenticated",
         post("/webhook", "{\"secret\":\"" + secret + "\",\"signal_id\":"),
         "{\"secret\":\"" + secret + "\",\"signal_id\":",
         {400}},
        // Authenticated (path token) but invalid: 400.
        {"empty body", post(tokenPath, ""), "", {400}},
        {"malformed JSON", post(tokenPath, "{\"signal_id\":\"bad-11\","), "{\"signal_id\":\"bad-11\",", {400}},
        {"JSON that is not an object", post(tokenPath, "[1,2]"), "[1,2]", {400}},
        {"deep array nesting", post(tokenPath, deepArray), deepArray, {400}},
        {"deep object nesting", post(tokenPath, deepObject), deepObject, {400}},
        {"invalid UTF-8", post(tokenPath, flat("bad-\xff\xfe", "")), flat("bad-\xff\xfe", ""), {400}},
        {"overlong UTF-8 encoding", post(tokenPath, flat("bad-\xc0\xaf", "")), flat("bad-\xc0\xaf", ""), {400}},
        {"huge number",
         post(tokenPath, flat("bad-12", "", std::string(400, '9'))),
         flat("bad-12", "", std::string(400, '9')),
         {400}},
        {"huge exponent", post(tokenPath, flat("bad-13", "", "1e400")), flat("bad-13", "", "1e400"), {400}},
        {"huge number in a string",
         post(tokenPath, flat("bad-14", "", "\"" + std::string(60, '9') + "\"")),
         flat("bad-14", "", "\"" + std::string(60, '9') + "\""),
         {400}},
        {"negative quantity",
         post(tokenPath, flat("bad-15", "", "\"-0.002\"")),
         flat("bad-15", "", "\"-0.002\""),
         {400}},
        {"duplicate key",
         post(
             tokenPath,
             R"({"signal_id":"bad-16","venue":"bn","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002","quantity":"5"})"),
         R"({"signal_id":"bad-16","venue":"bn","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002","quantity":"5"})",
         {400}},
        {"missing side",
         post(tokenPath,
              R"({"signal_id":"bad-17","venue":"bn","symbol":"BTCUSDT","type":"market","quantity":"0.002"})"),
         R"({"signal_id":"bad-17","venue":"bn","symbol":"BTCUSDT","type":"market","quantity":"0.002"})",
         {400}},
        // Framing and size (F3).
        {"oversize body (Content-Length over the cap)", post(tokenPath, big), big, {413}, true},
        {"oversize chunked body",
         "POST " + tokenPath +
             " HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
         chunkedBig,
         {413}},
        {"two different Content-Lengths",
         "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(goodBody.size()) +
             "\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
         goodBody,
         {400}},
        {"Content-Length with Transfer-Encoding",
         "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(goodBody.size()) +
             "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
         goodBody,
         {400}},
        {"negative Content-Length",
         "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\nConnection: close\r\n\r\n",
         goodBody,
         {400}},
        {"header over 8 KiB",
         post("/webhook", goodBody, "X-Junk: " + std::string(9000, 'j') + "\r\n"),
         goodBody,
         {400, 431}},
        {"body shorter than its Content-Length (client stalls)",
         "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(goodBody.size() + 10) +
             "\r\n\r\n",
         goodBody,
         {400, 408}},
    };

    int refused = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const Case& c = cases[i];
        const auto started = std::chrono::steady_clock::now();
        const RawAnswer a = rawExchange(port, c.head, c.body, c.early);
        const bool statusOk = std::find(c.statuses.begin(), c.statuses.end(), a.status) != c.statuses.end();
        std::cout << "[crash.bad_input] " << c.name << ": " << (a.status ? std::to_string(a.status) : "no answer")
                  << " " << secondsSince(started) << (statusOk ? "" : "  <-- UNEXPECTED") << std::endl;
        INFO(c.name << " -> " << a.text.substr(0, 400));
        CHECK(statusOk);
        if (statusOk) ++refused;
        REQUIRE(host.running());  // the host survives every one of them
        // Every few cases, and after the last one, a valid signal proves nothing was journaled.
        if (i % 6 == 5 || i + 1 == cases.size()) sendValid(i % 3 == 0 ? "token" : i % 3 == 1 ? "signature" : "secret");
    }

    // A3: the same signal id with another payload, once the first is known: 422, no order.
    RawAnswer first;
    for (int i = 0; i < 50; ++i) {  // the first valid signal is in the gate once it has an order
        first = rawExchange(port, post("/webhook", flat("ok-1", secret)), flat("ok-1", secret));
        if (first.status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(first.status == 200);  // a duplicate is answered 200, not journaled again
    const RawAnswer conflict =
        rawExchange(port, post("/webhook", flat("ok-1", secret, "\"0.003\"")), flat("ok-1", secret, "\"0.003\""));
    INFO(conflict.text);
    CHECK(conflict.status == 422);
    // The refusal itself is journaled (intake never writes to the gate), so the admitter records
    // it as signal_rejected: one record between the valid signals, and never a signal.
    expectedSeq += 1;
    sendValid("secret");

    // The IP allowlist uses the real peer: a host that allows only another address refuses us.
    HostConfig fenced = config;
    fenced.allowIps = {"192.0.2.7"};
    {
        HostProcess other(dir.path() / "fenced", emulator, fenced);
        REQUIRE(other.start());
        const RawAnswer a = rawExchange(other.port(), post("/webhook", flat("bad-ip", secret)), flat("bad-ip", secret));
        std::cout << "[crash.bad_input] source IP not in allow_ips: " << a.status << std::endl;
        CHECK(a.status == 403);
        CHECK(other.stop() == 0);
        std::uint64_t records = 0;
        std::string detail;
        CHECK(rereadJournal(other.journalDir(), records, detail));
        CHECK(records == 0);
    }

    SignalRun run(host, emulator, {"ok-", config.venue, 1, "0.002"}, dir.path() / "unused.ledger");
    // The valid signals were sent by hand: tell the checker what the sender was told.
    std::vector<tradehost::tools::DeliveryRecord> told;
    for (int i = 1; i <= valid; ++i) {
        tradehost::tools::DeliveryRecord r;
        r.signalId = "ok-" + std::to_string(i);
        r.outcome = tradehost::tools::Outcome::Ok;
        r.status = 202;
        told.push_back(r);
    }
    EventTail tail(host.eventsFile());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!allLegsTerminal(run.spec(), told, tail.events()) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        tail.poll();
    }
    CHECK(host.stop() == 0);
    tail.poll();
    const auto orders = emulator.ledger();
    const auto check = checkInvariants(run.spec(), told, orders, tail.events());
    const auto storage = run.checkStorage();
    int badOrders = 0, badEvents = 0;
    for (const auto& o : orders)
        if (o.clientOrderId.rfind("ok-", 0) != 0) ++badOrders;
    for (const auto& e : tail.events())
        if (e.event == "signal_received" && e.signalId.rfind("ok-", 0) != 0) ++badEvents;
    printReport("crash.bad_input",
                std::to_string(cases.size()) + " bad requests + same-id-other-payload + IP allowlist", check, &storage,
                "refused as expected=" + std::to_string(refused) + "/" + std::to_string(cases.size()) +
                    " valid signals=" + std::to_string(valid) + " orders for refused ids=" + std::to_string(badOrders));
    INFO(check.summary() << "\n" << storage.summary());
    CHECK(refused == static_cast<int>(cases.size()));
    CHECK(badOrders == 0);
    CHECK(badEvents == 0);
    CHECK(check.signalsOk == valid);
    CHECK(check.orders == valid);
    checkExactlyOnceInvariants(check);
    CHECK(storage.clean());
    // Only the valid ones were journaled, and the one refusal of a conflicting payload.
    CHECK(storage.journalRecords == static_cast<std::uint64_t>(valid) + 1);
    int rejected = 0;
    for (const auto& e : tail.events()) rejected += e.event == "signal_rejected" && e.signalId == "ok-1";
    CHECK(rejected == 1);
}

// RFC 9112 §6.3: an invalid Content-Length is unrecoverable framing: 400 and close. Poco 1.11's
// own connection loop dropped such a connection without an answer (it throws while building the
// request, before any handler runs); tradehost's loop answers it.
TEST_CASE("a Content-Length that is not a number is refused: nothing journaled, the host keeps serving",
          "[bad_input]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    const std::string body = flat("bad-cl", config.webhookSecret);
    const RawAnswer a =
        rawExchange(host.port(), "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 12abc\r\n\r\n", body);
    std::cout << "[crash.bad_input] Content-Length not a number: "
              << (a.status ? std::to_string(a.status) : "no answer") << std::endl;
    INFO(a.text);
    CHECK(a.status == 400);
    CHECK(a.text.find("\"field\":\"Content-Length\"") != std::string::npos);
    CHECK(Poco::toLower(a.text).find("connection: close") != std::string::npos);
    CHECK(host.running());
    CHECK(host.stop() == 0);
    std::uint64_t records = 0;
    std::string detail;
    CHECK(rereadJournal(host.journalDir(), records, detail));
    CHECK(records == 0);
}

// A3: bounded connections. Idle connections hold nothing (no thread per connection): 16 of them,
// then 30 senders at once, and every sender is answered 202 at once. At webhook.max_connections an
// idle connection, or a request dawdling for over a second, makes room for a newcomer; when every
// connection is a young request under way, one more is answered 503 with Retry-After at once,
// without anything journaled, and closed.
TEST_CASE("over capacity: idle and dawdling connections make room; else 503 at once, nothing journaled",
          "[bad_input]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    config.maxConnections = 48;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());

    auto connect = [&] {
        return std::make_unique<Poco::Net::StreamSocket>(Poco::Net::SocketAddress("127.0.0.1", host.port()));
    };
    auto readAnswer = [](Poco::Net::StreamSocket& s) {
        s.setReceiveTimeout(Poco::Timespan(10, 0));
        std::string text;
        char buf[4096];
        try {
            for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;) {
                text.append(buf, static_cast<std::size_t>(n));
                const auto head = text.find("\r\n\r\n");
                std::smatch m;
                if (head != std::string::npos &&
                    std::regex_search(text, m, std::regex("Content-Length: ([0-9]+)", std::regex::icase)) &&
                    text.size() >= head + 4 + std::stoul(m[1]))
                    break;
            }
        } catch (const Poco::Exception&) {
            // a timeout: no answer, status 0 below
        }
        return text;
    };
    auto statusOf = [](const std::string& text) {
        std::smatch m;
        return std::regex_search(text, m, std::regex("^HTTP/1\\.[01] ([0-9]{3})")) ? std::stoi(m[1]) : 0;
    };

    constexpr int kIdle = 16;
    constexpr int kSenders = 30;
    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> idle;
    for (int i = 0; i < kIdle; ++i) idle.push_back(connect());
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> senders;
    for (int i = 0; i < kSenders; ++i) {
        const std::string body = flat("cap-" + std::to_string(i), config.webhookSecret);
        auto s = connect();
        const std::string request = post("/webhook", body) + body;
        REQUIRE(s->sendBytes(request.data(), static_cast<int>(request.size())) == static_cast<int>(request.size()));
        senders.push_back(std::move(s));
    }
    std::map<int, int> statuses;
    std::set<long> seqs;
    for (auto& s : senders) {
        const std::string text = readAnswer(*s);
        const int status = statusOf(text);
        ++statuses[status];
        if (status == 202) seqs.insert(journalSeqOf(RawAnswer{status, text}));
    }
    const auto servedMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    CHECK(statuses[202] == kSenders);  // the idle connections held nothing back
    CHECK(seqs.size() == static_cast<std::size_t>(kSenders));

    // The senders asked to close. At the cap, an idle connection makes room: fill the host up to
    // its 48 connections with idle ones, and a sender is still served, the oldest idle one closed.
    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> more;
    for (int i = kIdle; i < 48; ++i) more.push_back(connect());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // accepted before the sender below
    {
        const std::string body = flat("evicts-idle", config.webhookSecret);
        auto s = connect();
        const std::string request = post("/webhook", body) + body;
        s->sendBytes(request.data(), static_cast<int>(request.size()));
        CHECK(statusOf(readAnswer(*s)) == 202);
        // Exactly one idle connection was closed to make room (the oldest; accepted in the same
        // millisecond as others, any of those).
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        int closed = 0;
        for (auto* group : {&idle, &more}) {
            for (auto& c : *group) {
                if (!c->poll(Poco::Timespan(0, 20000), Poco::Net::Socket::SELECT_READ)) continue;
                char byte = 0;
                try {
                    if (c->receiveBytes(&byte, 1) == 0) ++closed;
                } catch (const Poco::Exception&) {
                    ++closed;  // reset: closed as well
                }
            }
        }
        CHECK(closed == 1);
    }
    idle.clear();
    more.clear();

    // Requests under way are not evicted while they are young: 48 connections each in the middle
    // of a request, then 5 more senders are answered 503 with Retry-After at once.
    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> partial;
    const std::string head = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < 48; ++i) {
        partial.push_back(connect());
        partial.back()->sendBytes(head.data(), static_cast<int>(head.size()));
    }
    const auto filled = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    int shed = 0, shedWithRetryAfter = 0, probesInTime = 0;
    for (int i = 0; i < 5; ++i) {
        const std::string body = flat("over-" + std::to_string(i), config.webhookSecret);
        auto s = connect();
        const std::string request = post("/webhook", body) + body;
        s->sendBytes(request.data(), static_cast<int>(request.size()));
        const std::string text = readAnswer(*s);
        // Past a second, the oldest dawdling request may be evicted for a sender: only the probes
        // inside that second must be shed.
        if (std::chrono::steady_clock::now() - filled > std::chrono::milliseconds(900)) continue;
        ++probesInTime;
        if (statusOf(text) == 503) ++shed;
        if (text.find("Retry-After: 1") != std::string::npos && text.find("over capacity") != std::string::npos)
            ++shedWithRetryAfter;
    }
    std::cout << "[crash.bad_input] over capacity: " << kIdle << " idle connections, " << kSenders
              << " senders answered 202 in " << servedMs << " ms; at the cap an idle connection made room; with 48 "
              << "requests under way, " << shed << "/" << probesInTime << " more answered 503 with Retry-After"
              << std::endl;
    REQUIRE(probesInTime >= 1);
    CHECK(shed == probesInTime);
    CHECK(shedWithRetryAfter == probesInTime);

    // A request dawdling past a second gives way to a sender at the cap: the sender is served and
    // the oldest dawdler is answered 408.
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    {
        const std::string body = flat("evicts-slow", config.webhookSecret);
        auto s = connect();
        const std::string request = post("/webhook", body) + body;
        s->sendBytes(request.data(), static_cast<int>(request.size()));
        CHECK(statusOf(readAnswer(*s)) == 202);
        CHECK(statusOf(readAnswer(*partial.front())) == 408);
    }
    partial.clear();

    // Room again once connections close: the host serves normally, and the shed ones were never
    // journaled.
    senders.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const RawAnswer after = rawExchange(host.port(), post("/webhook", flat("cap-after", config.webhookSecret)),
                                        flat("cap-after", config.webhookSecret));
    CHECK(after.status == 202);
    CHECK(host.stop() == 0);
    std::uint64_t records = 0;
    std::string detail;
    CHECK(rereadJournal(host.journalDir(), records, detail));
    CHECK(records == static_cast<std::uint64_t>(kSenders + 3));  // + evicts-idle, evicts-slow, cap-after
}
