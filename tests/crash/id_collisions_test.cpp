// Adversarial signal ids: a raw id equal to another signal's digest form, ids shaped like the host's
// own client order ids, ids full of the separator, with lost answers, a retried attempt and a kill
// among them. Each signal trades once under the client order id the codec predicts, no two share
// one, and a restart afterwards is clean.
#include <catch2/catch.hpp>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crash_env.h"
#include "emulator_process.h"
#include "exactly_once_checks.h"
#include "host_process.h"
#include "ids/client_order_id.h"
#include "signal_run.h"
#include "temp_dir.h"

using namespace tradehost::test;
using namespace std::chrono_literals;

TEST_CASE("adversarial signal ids: digest lookalikes, host-made shapes, separators; each trades once",
          "[id_collisions]") {
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());

    // The Binance plugin's id rules (plugins/binance_futures: 36 characters of [.A-Z:/a-z0-9_-]).
    tradehost::ClientOrderIdRules rules;
    rules.maxLength = 36;
    rules.alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/_-";
    const tradehost::host::ClientOrderIdCodec codec(rules, config.venue);

    const std::string tail = ":" + config.venue + ":0:0";  // leg 0, attempt 0
    const std::string spaced = "collide #1 with spaces";   // characters ids cannot carry: digest
    const std::string tooLong = "a-signal-id-far-too-long-to-fit-a-client-order-id-2";  // digest
    const std::vector<std::string> ids = {
        spaced,
        codec.digest(spaced),            // raw id = the digest form of another signal's id
        codec.digest(spaced).substr(1),  // ... and without its leading separator (usable raw)
        codec.encode(spaced, 0, 0),      // = the other signal's whole client order id
        tooLong,
        codec.digest(tooLong),
        "x",
        "x:" + config.venue + ":0:0",         // = the client order id of signal "x"
        "x:" + config.venue + ":0:1",         // = the id x's next attempt would get
        "x:" + config.venue + ":0:0" + tail,  // = the client order id of the signal above
        ":lead",                              // starts with the separator
        "trail:",
        "a::b",
        ":",
        "::" + config.venue + ":0:0",
        "x:" + config.venue + ":1:0",  // = the id a second leg of "x" would get
    };

    // Two of them meet venue faults: the digest lookalike's answer is lost after it executed (the
    // resolver finds it by its id), and "x" gets the gateway's 502 with nothing executed, so once
    // proven absent it goes again as attempt 1: "x:bn:0:1", the very text of another signal's id.
    // The host is killed while "x" is unknown and must recover it by its id.
    const std::string lookalike = codec.digest(spaced);
    const std::string retried = "x";

    // Every id's predicted client order id, and its {signal} part for the checker.
    RunSpec spec{"", config.venue, 1, "0.002"};
    std::map<std::string, std::string> predicted;  // signal id -> client order id of its one order
    std::set<std::string> distinct;
    for (const auto& id : ids) {
        spec.signalIds.insert(id);
        predicted[id] = codec.encode(id, 0, id == retried ? 1 : 0);
        distinct.insert(predicted[id]);
        spec.signalParts[codec.encode(id, 0, 0).substr(0, codec.encode(id, 0, 0).size() - tail.size())] = id;
    }
    REQUIRE(spec.signalIds.size() == ids.size());
    CHECK(distinct.size() == ids.size());  // the codec itself keeps them apart
    SignalRun run(host, emulator, spec, dir.path() / "ids.ledger");

    auto fields = [&](std::size_t i) {
        return R"("venue":")" + config.venue + R"(","symbol":"BTCUSDT","side":")" + (i % 2 ? "sell" : "buy") +
               R"(","type":"market","quantity":"0.002","price":null,"reduce_only":false)";
    };
    // One at a time, each settled before the next, so an armed fault hits the order it is meant for.
    int accepted = 0, kills = 0, armed = 0;
    bool settled = true;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] == lookalike) {
            emulator.addFault(R"({"mode":"drop_after_execute","count":1})");
            ++armed;
        }
        if (ids[i] == retried) {
            emulator.addFault(R"({"mode":"http_5xx","status":502,"count":1,"path":"POST /fapi/v1/order"})");
            ++armed;
        }
        const auto d = run.post(ids[i], fields(i));
        INFO("signal id '" << ids[i] << "': HTTP " << d.status << " " << d.answer << d.error);
        CHECK(d.status == 202);
        if (d.status == 202) ++accepted;
        if (ids[i] == retried) {
            bool unknown = false;
            for (int waited = 0; waited < 200 && !unknown; ++waited) {
                for (const auto& e : run.events())
                    if (e.event == "order_unknown" && e.signalId == retried) unknown = true;
                if (!unknown) std::this_thread::sleep_for(50ms);
            }
            CHECK(unknown);
            host.kill();
            ++kills;
            REQUIRE(host.start());
        }
        settled = run.drain(30s) && settled;
    }
    const bool drained = run.drain(30s) && settled;
    const auto fired = emulator.faultsFired();
    long firedTotal = 0;
    for (const auto& [mode, n] : fired) firedTotal += n;
    const bool runningAfter = host.running();
    const auto ledger = emulator.ledger();
    std::map<std::string, int> ordersById;
    for (const auto& o : ledger)
        if (o.orderId) ++ordersById[o.clientOrderId];
    const int stopped = host.stop();

    // A restart afterwards: it starts, recovers nothing to send, answers every id again as a
    // duplicate (200), sends nothing, and stops cleanly.
    const bool restarted = host.start();
    int duplicates = 0;
    if (restarted)
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (run.post(ids[i], fields(i)).status == 200) ++duplicates;
    std::this_thread::sleep_for(2s);
    const auto ledgerAfter = emulator.ledger();
    const int stoppedAgain = host.stop();
    int submitted = 0;  // over all runs: one per leg, ever, and one more for x's second attempt
    for (const auto& e : run.events())
        if (e.event == "order_submitted" && spec.signalIds.count(e.signalId)) ++submitted;
    const auto check = run.check();
    const auto storage = run.checkStorage();

    printReport("crash.id_collisions", std::to_string(ids.size()) + " adversarial signal ids", check, &storage,
                "faults fired=" + std::to_string(firedTotal) + " (armed " + std::to_string(armed) +
                    "), kills=" + std::to_string(kills) + ", ids accepted=" + std::to_string(accepted) +
                    ", distinct client order ids=" + std::to_string(distinct.size()) +
                    ", duplicates answered 200 after the restart=" + std::to_string(duplicates) +
                    ", venue orders before/after the restart=" + std::to_string(ledger.size()) + "/" +
                    std::to_string(ledgerAfter.size()) + "; " + secondsSince(started));
    INFO(check.summary() << "\n" << storage.summary());
    CHECK(firedTotal == armed);
    CHECK(accepted == static_cast<int>(ids.size()));
    CHECK(ordersById[codec.encode(retried, 0, 0)] == 0);  // its first attempt never executed
    for (const auto& id : ids) {
        INFO("signal id '" << id << "' -> client order id " << predicted[id]);
        CHECK(ordersById[predicted[id]] == 1);
    }
    CHECK(drained);
    CHECK(runningAfter);
    CHECK(stopped == 0);
    CHECK(restarted);
    CHECK(duplicates == static_cast<int>(ids.size()));
    CHECK(ledgerAfter.size() == ledger.size());            // nothing sent again
    CHECK(submitted == static_cast<int>(ids.size()) + 1);  // no leg sent again after the restarts
    CHECK(stoppedAgain == 0);
    CHECK(check.signalsOk == static_cast<int>(ids.size()));
    CHECK(check.orders == static_cast<int>(ids.size()));
    checkExactlyOnceInvariants(check);
    CHECK(storage.clean());
}
