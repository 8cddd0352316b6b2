// A1/A2: duplicate storms and same-key races: exactly one order per leg, and every copy gets a 2xx.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "crash_env.h"
#include "emulator_process.h"
#include "exactly_once_checks.h"
#include "host_process.h"
#include "signal_run.h"
#include "temp_dir.h"

using namespace tradehost::test;

namespace {

// The checks both cases share: one order per leg, and no copy of a signal was refused or lost.
void checkExactlyOnce(const std::string& label, SignalRun& run, HostProcess& host, int signals,
                      const tradehost::tools::SenderSummary& sent, const std::string& extra) {
    const bool drained = run.drain();
    const int stopped = host.stop();
    const auto check = run.check();
    const auto storage = run.checkStorage();
    printReport("crash.duplicates", label, check, &storage, sent.line() + " | " + extra);
    INFO(check.summary() << "\n" << storage.summary() << "\n" << sent.line());
    CHECK(drained);
    CHECK(stopped == 0);
    CHECK(check.signalsOk == signals);
    CHECK(check.deliveriesOk == check.deliveries);  // every duplicate got a 2xx
    CHECK(check.orders == signals * run.spec().legs);
    checkExactlyOnceInvariants(check);
    CHECK(storage.clean());
}

}  // namespace

TEST_CASE("duplicate storm: each signal 1-4 times, byte-identical, shuffled, on 8 connections", "[duplicates]") {
    const int signals = static_cast<int>(envInt("TRADEHOST_STORM_SIGNALS", 200));
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    SignalRun run(host, emulator, {"storm-", config.venue, 2, "0.002"}, dir.path() / "storm.ledger");
    auto options = run.options(signals);
    options.duplicates = 4;  // TradingView's most: the first send and 3 resends
    options.concurrency = 8;
    options.seed = 7;
    const auto sent = run.send(options);
    CHECK(sent.deliveries > signals);  // the storm really had duplicates
    checkExactlyOnce("storm", run, host, signals, sent,
                     "duplicates absorbed=" + std::to_string(sent.deliveries - signals) + " " + secondsSince(started));
}

TEST_CASE("same-key race: each signal sent on 8 connections at the same moment", "[duplicates]") {
    const int signals = static_cast<int>(envInt("TRADEHOST_RACE_SIGNALS", 40));
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    SignalRun run(host, emulator, {"race-", config.venue, 2, "0.002"}, dir.path() / "race.ledger");
    auto options = run.options(signals);
    options.race = true;
    options.duplicates = 8;
    options.concurrency = 8;
    const auto sent = run.send(options);
    CHECK(sent.deliveries == signals * 8);
    checkExactlyOnce("race", run, host, signals, sent,
                     "races=" + std::to_string(signals) + " " + secondsSince(started));
}

// A3 under a race: one signal id with two different payloads (say a buy and a sell alert that
// built the same id) arriving together. Exactly one payload may be accepted; the other must be
// refused (422), never answered 2xx and then dropped.
TEST_CASE("same id, different payloads, at the same moment: only one payload is ever acknowledged", "[duplicates]") {
    const int signals = static_cast<int>(envInt("TRADEHOST_CONFLICT_SIGNALS", 10));
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());

    int bothAcknowledged = 0;
    std::map<int, int> statuses;
    for (int s = 1; s <= signals; ++s) {
        const std::string id = "cf-" + std::to_string(s);
        tradehost::tools::SenderOptions a;
        a.secret = config.webhookSecret;
        a.venue = config.venue;
        a.legs = 1;
        tradehost::tools::SenderOptions b = a;
        b.quantity = "0.003";
        const std::string bodies[2] = {tradehost::tools::signalBody(a, id), tradehost::tools::signalBody(b, id)};
        std::atomic<int> ready{0};
        std::atomic<bool> go{false};
        int answers[8] = {};
        std::vector<std::thread> threads;
        for (int c = 0; c < 8; ++c) {
            threads.emplace_back([&, c] {
                Poco::Net::HTTPClientSession session("127.0.0.1", host.port());
                session.setTimeout(Poco::Timespan(5, 0));
                ++ready;
                while (!go) std::this_thread::yield();
                try {
                    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/webhook",
                                                   Poco::Net::HTTPMessage::HTTP_1_1);
                    request.setContentType("application/json");
                    request.setContentLength(static_cast<std::streamsize>(bodies[c % 2].size()));
                    session.sendRequest(request) << bodies[c % 2];
                    Poco::Net::HTTPResponse response;
                    std::string ignored;
                    Poco::StreamCopier::copyToString(session.receiveResponse(response), ignored);
                    answers[c] = static_cast<int>(response.getStatus());
                } catch (const Poco::Exception&) {
                    answers[c] = 0;
                }
            });
        }
        while (ready < 8) std::this_thread::yield();
        go = true;
        for (auto& t : threads) t.join();
        bool acked[2] = {false, false};
        for (int c = 0; c < 8; ++c) {
            ++statuses[answers[c]];
            if (answers[c] >= 200 && answers[c] < 300) acked[c % 2] = true;
        }
        if (acked[0] && acked[1]) ++bothAcknowledged;
    }
    // Let the gate settle every id, then look at what was traded.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    CHECK(host.stop() == 0);
    int orders = 0, doubled = 0;
    std::map<std::string, int> perId;
    for (const auto& o : emulator.ledger())
        if (o.orderId && ++perId[o.clientOrderId] > 1) ++doubled;
    for (const auto& [coid, n] : perId) orders += n;
    std::string answerText;
    for (const auto& [status, n] : statuses) answerText += " " + std::to_string(status) + "=" + std::to_string(n);
    std::cout << "[crash.duplicates] conflicting payloads: " << signals
              << " ids x 8 connections (4 per payload); answers:" << answerText
              << "; ids where both payloads got a 2xx: " << bothAcknowledged << "; orders=" << orders
              << " doubled=" << doubled << std::endl;
    CHECK(orders == signals);
    CHECK(doubled == 0);
    CHECK(bothAcknowledged == 0);
}

// "Never a 2xx without a durable record" holds for duplicates too: a copy may be answered 200
// ("already known") only once the first copy's journal record is durable. Races of 8 identical
// copies for 4 ids at once (so some first copies wait for a group commit), and the host is
// killed -9 the moment any copy is told 200. Every signal a copy was told 2xx for must trade.
TEST_CASE("a duplicate is told 2xx only once its first copy is durable: kill -9 on the first 200", "[duplicates]") {
    const int rounds = static_cast<int>(envInt("TRADEHOST_DUPLICATE_KILL_ROUNDS", 10));
    constexpr int kIds = 4;
    constexpr int kCopies = 8;
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    RunSpec spec{"dk-", config.venue, 1, "0.002"};
    SignalRun run(host, emulator, spec, dir.path() / "dk.ledger");

    std::vector<tradehost::tools::DeliveryRecord> told;
    int kills = 0, early200 = 0;
    for (int round = 0; round < rounds; ++round) {
        tradehost::tools::SenderOptions o;
        o.secret = config.webhookSecret;
        o.venue = config.venue;
        o.legs = 1;
        std::vector<std::string> ids, bodies;
        for (int i = 0; i < kIds; ++i) {
            ids.push_back(spec.prefix + std::to_string(round * kIds + i + 1));
            bodies.push_back(tradehost::tools::signalBody(o, ids.back()));
        }
        std::atomic<int> ready{0};
        std::atomic<bool> go{false}, killed{false};
        std::vector<int> answers(kIds * kCopies, 0);
        const int pid = host.pid();
        std::vector<std::thread> threads;
        for (int c = 0; c < kIds * kCopies; ++c) {
            threads.emplace_back([&, c] {
                Poco::Net::HTTPClientSession session("127.0.0.1", host.port());
                session.setTimeout(Poco::Timespan(5, 0));
                const std::string& body = bodies[static_cast<std::size_t>(c % kIds)];
                ++ready;
                while (!go) std::this_thread::yield();
                try {
                    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/webhook",
                                                   Poco::Net::HTTPMessage::HTTP_1_1);
                    request.setContentType("application/json");
                    request.setContentLength(static_cast<std::streamsize>(body.size()));
                    session.sendRequest(request) << body;
                    Poco::Net::HTTPResponse response;
                    std::string ignored;
                    Poco::StreamCopier::copyToString(session.receiveResponse(response), ignored);
                    answers[static_cast<std::size_t>(c)] = static_cast<int>(response.getStatus());
                    if (answers[static_cast<std::size_t>(c)] == 200 && !killed.exchange(true)) ::kill(pid, SIGKILL);
                } catch (const Poco::Exception&) {
                    answers[static_cast<std::size_t>(c)] = 0;
                }
            });
        }
        while (ready < kIds * kCopies) std::this_thread::yield();
        go = true;
        for (auto& t : threads) t.join();
        for (int c = 0; c < kIds * kCopies; ++c) {
            tradehost::tools::DeliveryRecord r;
            r.signalId = ids[static_cast<std::size_t>(c % kIds)];
            r.status = answers[static_cast<std::size_t>(c)];
            r.outcome = r.status >= 200 && r.status < 300   ? tradehost::tools::Outcome::Ok
                        : r.status >= 400 && r.status < 500 ? tradehost::tools::Outcome::Fail
                                                            : tradehost::tools::Outcome::Indeterminate;
            told.push_back(r);
        }
        // An id whose copies got a 200 but no 202 at all: only the (possibly unfinished) first
        // copy could have made it durable.
        for (int i = 0; i < kIds; ++i) {
            bool got200 = false, got202 = false;
            for (int c = i; c < kIds * kCopies; c += kIds) {
                got200 = got200 || answers[static_cast<std::size_t>(c)] == 200;
                got202 = got202 || answers[static_cast<std::size_t>(c)] == 202;
            }
            if (got200 && !got202) ++early200;
        }
        if (killed) {
            ++kills;
            REQUIRE(host.waitExit(std::chrono::seconds(10)).has_value());
            REQUIRE(host.start());
        }
    }
    EventTail tail(host.eventsFile());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!allLegsTerminal(spec, told, tail.events()) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        tail.poll();
    }
    CHECK(host.stop() == 0);
    tail.poll();
    const auto check = checkInvariants(spec, told, emulator.ledger(), tail.events());
    const auto storage = run.checkStorage();
    printReport("crash.duplicates", "kill -9 on the first 200", check, &storage,
                std::to_string(rounds) + " rounds of " + std::to_string(kIds) + " ids x " + std::to_string(kCopies) +
                    " copies; kills=" + std::to_string(kills) +
                    "; ids told 200 with no copy told 202=" + std::to_string(early200));
    INFO(check.summary());
    CHECK(kills > 0);
    CHECK(check.lost == 0);
    CHECK(check.doubled == 0);
    CHECK(check.phantom == 0);
    CHECK(storage.clean());
}
