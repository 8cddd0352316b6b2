// D1/D2: answers lost after execution and orders executed late, under every client id uniqueness mode.
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "crash_env.h"
#include "emulator_process.h"
#include "host_process.h"
#include "signal_run.h"
#include "temp_dir.h"

using namespace tradehost::test;

namespace {

struct FaultCase {
    std::string mode;  // as fired_total names it
    std::string json;
};

// Every fault where the venue may hold an order the host was not told about. The late delay is
// below the settle window (HostConfig::settleWindowS): the window must outlast the venue's own
// internal timeout, which is what kLateExecuteMs stands for.
std::vector<FaultCase> faultCases() {
    const std::string late = std::to_string(kLateExecuteMs);
    return {
        {"drop_after_execute", R"({"mode":"drop_after_execute","count":1})"},
        {"unknown_503_after_execute", R"({"mode":"unknown_503_after_execute","count":1})"},
        {"timeout_1007_after_execute", R"({"mode":"timeout_1007_after_execute","count":1})"},
        {"late_execute", R"({"mode":"late_execute","delay_ms":)" + late + R"(,"count":1})"},
        {"late_execute", R"({"mode":"late_execute","delay_ms":)" + late + R"(,"answer":"drop","count":1})"},
        {"late_execute", R"({"mode":"late_execute","delay_ms":)" + late + R"(,"answer":"503","count":1})"},
        // Nothing executed, answer 503: proven absent after the window, then the next attempt.
        {"http_5xx", R"({"mode":"http_5xx","status":503,"count":1,"path":"POST /fapi/v1/order"})"},
    };
}

}  // namespace

TEST_CASE("late execution and lost answers under every uniqueness mode: never a second order", "[late_execution]") {
    const int signals = static_cast<int>(envInt("TRADEHOST_LATE_SIGNALS", 8));
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    config.webhookSecret = "crash-webhook-" + randomHex(8);
    REQUIRE(config.settleWindowS * 1000 > kLateExecuteMs);
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());

    std::deque<SignalRun> runs;
    std::map<std::string, long> firedByMode;
    for (const std::string uniqueness : {"open", "global", "none"}) {
        const auto started = std::chrono::steady_clock::now();
        emulator.setUniqueness(uniqueness);
        const auto firedBefore = emulator.faultsFired();
        // Faults fire in the order added, each on the next order requests: one run exercises all.
        for (const auto& f : faultCases()) emulator.addFault(f.json);
        const std::string prefix = "u" + uniqueness + "-";
        runs.emplace_back(host, emulator, RunSpec{prefix, config.venue, 2, "0.002"}, dir.path() / (uniqueness + ".ledger"));
        SignalRun& run = runs.back();
        auto options = run.options(signals);
        options.rate = 20;
        run.send(options);
        const bool drained = run.drain();
        emulator.clearFaults();
        const auto check = run.check();

        std::string fired;
        std::map<std::string, long> expected;
        for (const auto& f : faultCases()) expected[f.mode] += 1;
        const auto firedAfter = emulator.faultsFired();
        for (const auto& [mode, n] : expected) {
            const long delta = (firedAfter.count(mode) ? firedAfter.at(mode) : 0) - (firedBefore.count(mode) ? firedBefore.at(mode) : 0);
            firedByMode[mode] += delta;
            fired += " " + mode + "=" + std::to_string(delta);
            INFO("uniqueness " << uniqueness << ": fault " << mode << " must actually fire");
            CHECK(delta > 0);
        }
        printReport("crash.late_execution", "uniqueness=" + uniqueness, check, nullptr,
                    "faults fired:" + fired + " " + secondsSince(started));
        INFO("uniqueness " << uniqueness << ": " << check.summary());
        CHECK(drained);
        CHECK(check.signalsOk == signals);
        CHECK(check.doubled == 0);
        CHECK(check.lost == 0);
        CHECK(check.phantom == 0);
        CHECK(check.unterminated == 0);
        CHECK(check.disagreements == 0);
    }
    CHECK(host.stop() == 0);
    const auto storage = runs.front().checkStorage();
    INFO(storage.summary());
    std::cout << "[crash.late_execution] storage: " << storage.summary() << "\n[crash.late_execution] faults fired in total:";
    for (const auto& [mode, n] : firedByMode) std::cout << " " << mode << "=" << n;
    std::cout << std::endl;
    CHECK(storage.clean());
}

// Legs of one venue and symbol go in journal order, so everything behind an UNKNOWN leg waits for
// it: that costs the settle window, once. It must not cost more: once the leg is proven absent
// and sent again, the backlog behind it should trade at venue speed.
TEST_CASE("a backlog behind one leg awaiting proof of absence trades promptly once it is settled", "[late_execution]") {
    const int signals = static_cast<int>(envInt("TRADEHOST_BACKLOG_SIGNALS", 100));
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    config.webhookSecret = "crash-webhook-" + randomHex(8);
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    SignalRun run(host, emulator, {"bl-", config.venue, 2, "0.002"}, dir.path() / "backlog.ledger");

    // The first order gets a 503 with nothing executed: UNKNOWN, proven absent after the settle
    // window, then sent again. Every later leg on BTCUSDT queues behind it meanwhile.
    emulator.addFault(R"({"mode":"http_5xx","status":503,"count":1,"path":"POST /fapi/v1/order"})");
    auto first = run.options(1);
    run.send(first);
    const auto started = std::chrono::steady_clock::now();
    auto rest = run.options(signals - 1);
    rest.firstIndex = 2;
    rest.rate = 100;
    run.send(rest);
    const bool drained = run.drain(std::chrono::seconds(120));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    const int stopped = host.stop();
    const auto check = run.check();
    const auto storage = run.checkStorage();
    // Journal order per venue and symbol: rank every signal by its signal_received event (the
    // gate admits in journal order) and count first attempts that reached the venue after a
    // later signal's order did.
    EventTail events(host.eventsFile());
    events.poll();
    std::map<std::string, std::size_t> rank;
    for (const auto& e : events.events())
        if (e.event == "signal_received") rank.emplace(e.signalId, rank.size());
    int overtaken = 0;
    std::size_t highest = 0;
    bool any = false;
    for (const auto& o : emulator.ledger()) {
        OrderIdParts parts;
        if (!o.orderId || !parseClientOrderId(o.clientOrderId, parts) || parts.attempt != 0 || !rank.count(parts.signalId)) continue;
        const std::size_t r = rank.at(parts.signalId);
        if (any && r < highest) ++overtaken;
        highest = std::max(highest, r);
        any = true;
    }
    printReport("crash.late_execution", "backlog of " + std::to_string(2 * signals - 2) + " legs behind one unknown leg", check, &storage,
                "faults fired=" + std::to_string(emulator.faultsFiredTotal()) + ", all legs terminal after " + secondsSince(started) +
                    ", orders sent out of journal order=" + std::to_string(overtaken));
    INFO(check.summary());
    CHECK(emulator.faultsFiredTotal() == 1);
    CHECK(drained);
    CHECK(stopped == 0);
    CHECK(check.clean());
    CHECK(check.orders == 2 * signals);
    // Settle window (2 s) + three NotFound answers + sending 2*signals orders: well under 15 s.
    CHECK(elapsed < std::chrono::seconds(15));
    CHECK(overtaken == 0);  // legs of one venue and symbol run in journal order
}
