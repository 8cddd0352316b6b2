// One stream of signals against a host: send (and resend), drain, then check every invariant.
#include "signal_run.h"

#include <iostream>
#include <thread>

#include "emulator_process.h"
#include "host_process.h"

namespace tradehost::test {

SignalRun::SignalRun(HostProcess& host, EmulatorProcess& emulator, RunSpec spec, std::filesystem::path ledger)
    : host_(host), emulator_(emulator), spec_(std::move(spec)), ledger_(std::move(ledger)), events_(host.eventsFile()) {}

tools::SenderOptions SignalRun::options(int count) const {
    tools::SenderOptions o;
    o.url = host_.webhookUrl();
    o.secret = host_.config().webhookSecret;
    o.count = count;
    o.legs = spec_.legs;
    o.venue = spec_.venue;
    o.quantity = spec_.quantity;
    o.prefix = spec_.prefix;
    o.concurrency = 4;
    o.resendOn5xx = true;
    o.resendDelayMs = 300;
    o.ledgerPath = ledger_.string();
    return o;
}

tools::SenderSummary SignalRun::send(const tools::SenderOptions& options) {
    tools::SignalSender sender(options);
    const auto summary = sender.run();
    deliveries_.insert(deliveries_.end(), sender.records().begin(), sender.records().end());
    return summary;
}

tools::SenderSummary SignalRun::resendUnsettled(tools::SenderOptions options) {
    options.skip = tools::settledSignals(deliveries_);
    options.duplicates = 1;
    options.race = false;
    return send(options);
}

bool SignalRun::drain(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        events_.poll();
        if (allLegsTerminal(spec_, deliveries_, events_.events()) && emulator_.pendingLateOrders() == 0) return true;
        if (!host_.running()) {
            // Nothing in these tests stops the host during a drain: say so loudly.
            const auto code = host_.waitExit(std::chrono::milliseconds(0));
            std::cout << "[drain] tradehost exited on its own with code " << (code ? *code : -1) << "; its output:\n"
                      << host_.output() << std::endl;
            return false;
        }
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

CheckReport SignalRun::check() {
    events_.poll();
    return checkInvariants(spec_, deliveries_, emulator_.ledger(), events_.events());
}

StorageReport SignalRun::checkStorage() const {
    return test::checkStorage(host_.eventsFile(), host_.gateFile(), host_.journalDir());
}

void printReport(const std::string& test, const std::string& label, const CheckReport& check,
                 const StorageReport* storage, const std::string& extra) {
    std::cout << "[" << test << "] " << label << (extra.empty() ? "" : " | " + extra) << "\n    " << check.summary() << "\n";
    if (storage) std::cout << "    " << storage->summary() << "\n";
    // The first findings say what went wrong; the rest would only bury the summary.
    constexpr std::size_t kShown = 12;
    for (std::size_t i = 0; i < check.problems.size() && i < kShown; ++i) std::cout << "    ! " << check.problems[i] << "\n";
    if (check.problems.size() > kShown) std::cout << "    ! ... and " << (check.problems.size() - kShown) << " more\n";
    std::cout << std::flush;
}

}  // namespace tradehost::test
