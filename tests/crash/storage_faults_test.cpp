// C1/C2: the disk refuses the journal (fdatasync EIO with the unsynced bytes dropped, or ENOSPC on
// write), injected into the real process by an LD_PRELOAD shim. The batch it hit is answered 503,
// never 2xx; the host fail-stops; a restart recovers; resends go through; nothing lost or doubled.
#include <catch2/catch.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "crash_env.h"
#include "crash_paths.h"
#include "emulator_process.h"
#include "exactly_once_checks.h"
#include "host_process.h"
#include "signal_run.h"
#include "temp_dir.h"

using namespace tradehost::test;

namespace {

struct StorageFault {
    std::string name;
    std::string variable;  // the shim's setting (storage_fault_shim.cpp)
};

}  // namespace

TEST_CASE("a journal the disk refuses: 503 for that batch, fail-stop, restart, nothing lost or doubled",
          "[storage_faults]") {
    const int signals = 12;
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    const std::vector<StorageFault> faults = {
        {"eio", "TRADEHOST_SHIM_FDATASYNC_EIO_AT"},
        {"enospc", "TRADEHOST_SHIM_WRITE_ENOSPC_AT"},
    };
    for (const auto& fault : faults) {
        SECTION(fault.name) {
            HostProcess host(dir.path() / fault.name, emulator, config);
            SignalRun run(host, emulator, {fault.name + "-", config.venue, 2, "0.002"},
                          dir.path() / (fault.name + ".ledger"));
            // The 4th journal write / sync of this run fails (the first happen at open and for the
            // first signals): mid-stream, with acknowledged signals before it.
            REQUIRE(host.start({{"LD_PRELOAD", kStorageFaultShim}, {fault.variable, "4"}}));
            auto options = run.options(signals);
            options.rate = 20;
            const auto first = run.send(options);
            const auto exit = host.waitExit(std::chrono::seconds(20));  // fail-stop, on its own
            const std::string output = host.output();
            INFO(output);
            REQUIRE(exit.has_value());
            CHECK(*exit == 70);  // EX_SOFTWARE: stopped after a fatal error
            CHECK(output.find("storage-fault-shim: ") != std::string::npos);  // the fault really fired
            CHECK(output.find("journal write failed") != std::string::npos);
            int refused = 0;  // deliveries told 503 at least once
            for (const auto& d : run.deliveries())
                for (const int status : d.statuses) refused += status == 503;
            CHECK(refused > 0);

            REQUIRE(host.start());  // without the shim: the disk has room again
            auto resend = options;
            resend.rate = 0;
            run.resendUnsettled(resend);
            const bool drained = run.drain();
            const int stopped = host.stop();
            const auto check = run.check();
            const auto storage = run.checkStorage();
            printReport("crash.storage_faults", fault.name + ": " + fault.variable + "=4", check, &storage,
                        "first stream: " + first.line() + "; 503 answers " + std::to_string(refused));
            CHECK(drained);
            CHECK(stopped == 0);
            CHECK(check.signalsOk == signals);  // every signal acknowledged in the end
            checkExactlyOnceInvariants(check);
            CHECK(storage.clean());
        }
    }
}
