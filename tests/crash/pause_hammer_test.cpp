// The kill switch hammered from outside: `tradehost pause` / `resume` as separate processes, again
// and again, while signals stream. The host keeps running; every leg is traded once or BLOCKED
// because trading was paused, and every switch is an event saying who and why.
#include <catch2/catch.hpp>
#include <future>
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
using namespace std::chrono_literals;

TEST_CASE("pause and resume hammered as processes while signals stream: traded once or blocked, never lost",
          "[pause_hammer]") {
    const int signals = static_cast<int>(envInt("TRADEHOST_HAMMER_SIGNALS", 60));
    const int minRounds = static_cast<int>(envInt("TRADEHOST_HAMMER_ROUNDS", 30));
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    SignalRun run(host, emulator, {"ph-", config.venue, 1, "0.002"}, dir.path() / "hammer.ledger");

    auto options = run.options(signals);
    options.rate = 8;  // about 7.5 s of signals
    auto sending = std::async(std::launch::async, [&run, options] { return run.send(options); });

    // pause, a moment, resume, a moment: at least `minRounds` times and for as long as signals come.
    int rounds = 0, pauses = 0, resumes = 0, failedCommands = 0, hostDown = 0;
    std::string firstFailure;
    auto operatorCommand = [&](const std::string& verb, const std::string& why) {
        const auto r = host.command({verb, "--config", host.deploymentFile(), "--by", "hammer", "--why", why});
        if (r.exitCode != 0) {
            ++failedCommands;
            if (firstFailure.empty())
                firstFailure = verb + " exited " + std::to_string(r.exitCode) + ": " + r.out + r.err;
        }
        if (!host.running()) ++hostDown;
    };
    while (rounds < minRounds || sending.wait_for(0ms) != std::future_status::ready) {
        ++rounds;
        operatorCommand("pause", "hammer round " + std::to_string(rounds));
        ++pauses;
        std::this_thread::sleep_for(60ms);
        operatorCommand("resume", "hammer round " + std::to_string(rounds) + " over");
        ++resumes;
        std::this_thread::sleep_for(60ms);
    }
    const auto sent = sending.get();
    const std::string hammerTime = secondsSince(started);
    const bool drained = run.drain(60s);
    const bool runningAfter = host.running();
    const int stopped = host.stop();
    const auto check = run.check();
    const auto storage = run.checkStorage();

    // The operator events (no signal id) and the reasons legs were blocked for.
    int paused = 0, resumed = 0, withoutWho = 0, blockedByPause = 0, blockedOtherwise = 0;
    std::string otherReason;
    for (const auto& e : run.events()) {
        if (e.event == "trading_paused" || e.event == "trading_resumed") {
            (e.event == "trading_paused" ? paused : resumed) += 1;
            if (e.dataText("by") != "hammer" || e.dataText("why").rfind("hammer round ", 0) != 0) ++withoutWho;
        }
        if (e.event == "order_blocked" && e.signalId.rfind("ph-", 0) == 0) {
            if (e.dataText("reason").find("trading is paused") != std::string::npos) {
                ++blockedByPause;
            } else {
                ++blockedOtherwise;
                otherReason = e.dataText("reason");
            }
        }
    }
    printReport("crash.pause_hammer",
                std::to_string(pauses) + " pauses and " + std::to_string(resumes) + " resumes (processes) during " +
                    std::to_string(signals) + " signals",
                check, &storage,
                "commands failed=" + std::to_string(failedCommands) + ", legs traded=" + std::to_string(check.orders) +
                    ", blocked while paused=" + std::to_string(blockedByPause) +
                    ", trading_paused=" + std::to_string(paused) + " trading_resumed=" + std::to_string(resumed) +
                    ", hammering " + hammerTime + ", total " + secondsSince(started) + "; " + sent.line());
    INFO(check.summary() << "\n" << storage.summary() << "\n" << firstFailure);
    CHECK(pauses >= 30);
    CHECK(resumes >= 30);
    CHECK(failedCommands == 0);
    CHECK(hostDown == 0);
    CHECK(runningAfter);
    CHECK(stopped == 0);
    CHECK(drained);
    CHECK(paused == pauses);
    CHECK(resumed == resumes);
    CHECK(withoutWho == 0);
    CHECK(check.signalsOk == signals);
    // Every leg either traded once or was blocked because trading was paused; both happened.
    CHECK(check.orders + blockedByPause == signals);
    CHECK(blockedOtherwise == 0);
    CHECK(check.orders > 0);
    CHECK(blockedByPause > 0);
    CHECK(check.blocked == blockedByPause);
    CHECK(check.lost == 0);
    CHECK(check.doubled == 0);
    CHECK(check.phantom == 0);
    CHECK(check.unterminated == 0);
    CHECK(check.disagreements == 0);
    CHECK(check.bookMismatches == 0);
    CHECK(check.expired + check.rejected == 0);
    CHECK(storage.clean());
}
