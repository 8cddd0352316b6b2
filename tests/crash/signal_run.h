// One stream of signals against a host: send (and resend), drain, then check every invariant.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "invariant_checker.h"
#include "signal_sender.h"
#include "storage_checks.h"

namespace tradehost::test {

class EmulatorProcess;
class HostProcess;

class SignalRun {
public:
    // Signals are spec.prefix + 1..count; deliveries are appended to `ledger` (JSON lines).
    SignalRun(HostProcess& host, EmulatorProcess& emulator, RunSpec spec, std::filesystem::path ledger);

    // Sender options for this run and host: TradingView's behaviour (resend the identical body
    // on a 5xx, up to 3 times) with a shorter resend delay so tests stay fast.
    tools::SenderOptions options(int count) const;
    // Runs the sender in-process; every delivery is kept for the checker.
    tools::SenderSummary send(const tools::SenderOptions& options);
    // Sends again every signal of `options` that has no ok/fail delivery yet (what a sender that
    // was never told would try again).
    tools::SenderSummary resendUnsettled(tools::SenderOptions options);
    // One signal of any shape, once (no resend): the body is {"secret": ..., "signal_id": id,
    // FIELDS} where `fieldsJson` is the rest of the object's members ("\"venue\":\"bn\",...").
    // The delivery is kept for the checker like the sender's and returned.
    tools::DeliveryRecord post(const std::string& signalId, const std::string& fieldsJson);
    // The host's event log as read so far (read up to its end now).
    const std::vector<EventLine>& events();

    // Waits until every accepted or admitted leg has a terminal event and the venue has no late
    // order pending; false after `timeout` or if the host stopped.
    bool drain(std::chrono::milliseconds timeout = std::chrono::seconds(60));
    // The invariants from the sender's ledger, the venue's ledger and the event log.
    CheckReport check();
    // Chain, gate integrity and journal re-read: only once the host has stopped.
    StorageReport checkStorage() const;

    const std::vector<tools::DeliveryRecord>& deliveries() const { return deliveries_; }
    const RunSpec& spec() const { return spec_; }

private:
    HostProcess& host_;
    EmulatorProcess& emulator_;
    RunSpec spec_;
    std::filesystem::path ledger_;
    EventTail events_;
    std::vector<tools::DeliveryRecord> deliveries_;
};

// Waits until some event of the run satisfies `match`; false after `timeout` or when the host
// stopped.
bool waitForEvent(SignalRun& run, HostProcess& host, const std::function<bool(const EventLine&)>& match,
                  std::chrono::milliseconds timeout = std::chrono::seconds(15));

// Prints one report block for a run to stdout (ctest -V and the CI log show it); `storage` may
// be null while the host still runs.
void printReport(const std::string& test, const std::string& label, const CheckReport& check,
                 const StorageReport* storage, const std::string& extra = "");

}  // namespace tradehost::test
