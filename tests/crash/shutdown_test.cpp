// A supervisor's SIGTERM stops the host cleanly whenever it comes, even right after startup.
#include <catch2/catch.hpp>
#include <csignal>
#include <iostream>
#include <map>
#include <string>

#include "crash_env.h"
#include "emulator_process.h"
#include "host_process.h"
#include "temp_dir.h"

using namespace tradehost::test;

// The host announces readiness (its webhook URL) and only then starts waiting for SIGTERM/SIGINT.
// A signal that arrives in between must still take the clean shutdown path (exit 0, "stopped
// cleanly"), not the default action (killed by the signal, nothing closed).
TEST_CASE("SIGTERM as soon as the host says it is ready stops it cleanly", "[shutdown]") {
    const int rounds = static_cast<int>(envInt("TRADEHOST_SHUTDOWN_ROUNDS", 30));
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostProcess host(dir.path() / "host", emulator);
    std::map<int, int> exits;
    for (int i = 0; i < rounds; ++i) {
        REQUIRE(host.start());
        ::kill(host.pid(), SIGTERM);
        const auto code = host.waitExit(std::chrono::seconds(20));
        REQUIRE(code.has_value());
        ++exits[*code];
    }
    std::string text;
    for (const auto& [code, n] : exits)
        text += " " +
                (code >= 256 ? "killed-by-signal-" + std::to_string(code - 256) : "exit-" + std::to_string(code)) +
                "=" + std::to_string(n);
    std::cout << "[crash.shutdown] " << rounds << " starts, SIGTERM on the ready line:" << text << std::endl;
    CHECK(exits[0] == rounds);
}
