// B1: the host dies at every named crash point (k = 1..3), restarts, drains: nothing lost or doubled.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "crash_env.h"
#include "emulator_process.h"
#include "host_process.h"
#include "signal_run.h"
#include "temp_dir.h"
#include "testing/crash_point.h"

using namespace tradehost::test;

namespace {

bool startsWith(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

}  // namespace

TEST_CASE("every named crash point, hit 1..3: the host dies there, restarts, and no leg is lost or doubled", "[points]") {
    const int signals = static_cast<int>(envInt("TRADEHOST_CRASH_POINT_SIGNALS", 10));
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    config.webhookSecret = "crash-webhook-" + randomHex(8);

    // TRADEHOST_CRASH_POINT_FILTER=<substring> runs only the matching points (for a post-mortem).
    const char* filter = std::getenv("TRADEHOST_CRASH_POINT_FILTER");
    int runs = 0, crashes = 0;
    long faultsFired = 0;
    int pointIndex = 0;
    for (const char* point : tradehost::host::kCrashPoints) {
        ++pointIndex;
        if (filter && *filter && std::string(point).find(filter) == std::string::npos) continue;
        for (int hit = 1; hit <= 3; ++hit) {
            const std::string at = std::string(point) + ":" + std::to_string(hit);
            const std::string name = "p" + std::to_string(pointIndex) + "k" + std::to_string(hit);
            const auto started = std::chrono::steady_clock::now();
            HostProcess host(dir.path() / name, emulator, config);
            SignalRun run(host, emulator, {name + "-", config.venue, 2, "0.002"}, dir.path() / (name + ".ledger"));
            ++runs;

            // The resolver's points are only passed when legs are UNKNOWN: answers lost after the
            // order executed (found by query) and 503s with nothing executed (proven absent, then
            // sent again as the next attempt). Other points run on a clean venue.
            if (startsWith(point, "resolver.")) {
                emulator.addFault(R"({"mode":"unknown_503_after_execute","count":2})");
                emulator.addFault(R"({"mode":"http_5xx","status":503,"count":3,"path":"POST /fapi/v1/order"})");
            }
            // B3, the host dies while the venue works: the venue answers "-1007, status unknown"
            // and executes the order a moment later; the host dies before recording the answer.
            if (std::string(point) == "processor.after_venue_call")
                emulator.addFault(R"({"mode":"late_execute","delay_ms":)" + std::to_string(kLateExecuteMs) + R"(,"count":3})");
            const long firedBefore = emulator.faultsFiredTotal();

            REQUIRE(host.start({{"TRADEHOST_CRASH_AT", at}}));
            auto options = run.options(signals);
            // A stream over about a second: intake crashes land mid-flight, and the event writer
            // (which batches) passes its point more than three times.
            options.rate = 10;
            run.send(options);
            const auto exit = host.waitExit(std::chrono::seconds(20));
            INFO(at << ": " << host.output());
            // It must have died at the point (SIGKILL), not exited or carried on.
            CHECK(exit == HostProcess::killedBy(SIGKILL));
            if (exit == HostProcess::killedBy(SIGKILL)) ++crashes;
            host.kill();
            emulator.clearFaults();

            const std::string crashedAfter = secondsSince(started);
            REQUIRE(host.start());
            auto resend = options;
            resend.rate = 0;
            run.resendUnsettled(resend);
            const std::string resentAfter = secondsSince(started);
            const bool drained = run.drain();
            const std::string drainedAfter = secondsSince(started);
            const int stopped = host.stop();
            const auto check = run.check();
            const auto storage = run.checkStorage();
            const long fired = emulator.faultsFiredTotal() - firedBefore;
            faultsFired += fired;
            printReport("crash.points", at, check, &storage,
                        "crashed=" + std::string(exit == HostProcess::killedBy(SIGKILL) ? "yes" : "NO") +
                            " faults_fired=" + std::to_string(fired) + "; died at " + crashedAfter + ", resent at " + resentAfter +
                            ", drained at " + drainedAfter + ", done at " + secondsSince(started));
            INFO(check.summary() << "\n" << storage.summary());
            CHECK(drained);
            CHECK(stopped == 0);
            CHECK(check.signalsOk == signals);
            CHECK(check.lost == 0);
            CHECK(check.doubled == 0);
            CHECK(check.phantom == 0);
            CHECK(check.unterminated == 0);
            CHECK(check.disagreements == 0);
            CHECK(storage.chainOk);
            CHECK(storage.integrityOk);
            CHECK(storage.journalOk);
        }
    }
    std::cout << "[crash.points] " << runs / 3 << " points x 3 hits = " << runs << " runs, crashes fired " << crashes
              << ", emulator faults fired " << faultsFired << std::endl;
    CHECK(crashes == runs);
}
