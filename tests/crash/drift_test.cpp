// Issue 10 against real processes: the Binance emulator moves a position behind the host's back,
// and the reconciler and the alert router tell a human exactly once, then once more when it is
// restored; while signals flow, nothing is mistaken for drift.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "alerts/alert_json.h"
#include "emulator_process.h"
#include "host_process.h"
#include "invariant_checker.h"
#include "signal_run.h"
#include "temp_dir.h"

using namespace tradehost::test;
using namespace std::chrono_literals;

namespace {

std::vector<tradehost::Alert> fallbackAlerts(const HostProcess& host) {
    std::ifstream in(host.storageDir() / "alerts-fallback.jsonl");
    std::vector<tradehost::Alert> out;
    for (std::string line; std::getline(in, line);)
        if (auto a = tradehost::host::alertFromJson(line)) out.push_back(*a);
    return out;
}

long count(const std::vector<EventLine>& events, const std::string& name) {
    return std::count_if(events.begin(), events.end(), [&](const EventLine& e) { return e.event == name; });
}

}  // namespace

TEST_CASE("a position moved behind the host's back: one drift alert within two intervals, one when restored",
          "[drift]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    config.reconcileIntervalS = 1;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    SignalRun run(host, emulator, {"dr-", config.venue, 1, "0.002"}, dir.path() / "drift.ledger");

    // While 60 signals flow (market orders filling as they come), nothing is drift.
    auto options = run.options(60);
    options.rate = 30;
    const auto sent = run.send(options);
    REQUIRE(run.drain(30s));
    std::this_thread::sleep_for(2500ms);  // two more checks with everything settled
    CHECK(count(run.events(), "drift_detected") == 0);
    CHECK(count(run.events(), "position_snapshot") >= 2);

    // Someone trades 0.003 BTCUSDT by hand on the account.
    const auto moved = std::chrono::steady_clock::now();
    emulator.control("POST", "/control/position", R"({"symbol":"BTCUSDT","delta":"0.003"})");
    long detected = 0;
    while (detected == 0 && std::chrono::steady_clock::now() - moved < 5s) {
        std::this_thread::sleep_for(100ms);
        detected = count(run.events(), "drift_detected");
    }
    const auto tookMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - moved).count();
    REQUIRE(detected == 1);
    CHECK(tookMs <= 2 * 1000 + 1500);     // two intervals, and the check's own time
    std::this_thread::sleep_for(2500ms);  // more checks inside the dedup window: nothing more
    CHECK(count(run.events(), "drift_detected") == 1);

    emulator.control("POST", "/control/position", R"({"symbol":"BTCUSDT","delta":"-0.003"})");
    const auto restored = std::chrono::steady_clock::now();
    while (count(run.events(), "drift_cleared") == 0 && std::chrono::steady_clock::now() - restored < 5s)
        std::this_thread::sleep_for(100ms);
    CHECK(count(run.events(), "drift_cleared") == 1);
    std::this_thread::sleep_for(500ms);  // the router's turn

    CHECK(host.stop() == 0);
    int driftAlerts = 0, resolved = 0;
    std::string driftTitle;
    for (const auto& a : fallbackAlerts(host)) {
        if (a.key != "drift:bn:BTCUSDT") continue;
        if (a.title.rfind("resolved: ", 0) == 0)
            ++resolved;
        else {
            ++driftAlerts;
            driftTitle = a.title;
        }
    }
    std::cout << "[crash.drift] " << sent.line() << "; drift detected " << tookMs
              << " ms after the position moved (interval 1 s); alerts: " << driftAlerts << " drift, " << resolved
              << " resolved: \"" << driftTitle << "\"" << std::endl;
    CHECK(driftAlerts == 1);
    CHECK(resolved == 1);
    CHECK(driftTitle.find("venue holds") != std::string::npos);
    CHECK(driftTitle.find("the host expects") != std::string::npos);
}
