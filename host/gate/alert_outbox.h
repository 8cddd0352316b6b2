// Alerts waiting for their sinks: durable, in the order they were raised, per sink.
#pragma once

#include <tradehost/alert_sink.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tradehost::host {

struct PendingAlert {
    std::uint64_t id = 0;  // from the database; increases in the order alerts were raised
    std::string sink;
    Alert alert;  // alert.id is the text of `id`
    int attempts = 0;
    std::int64_t notBeforeMs = 0;  // a Retry{after} is not tried before this
    std::string lastError;
};

// The alert router's outbox. An alert is recorded once for every sink it goes to, in one
// transaction, and leaves a sink's queue only when that sink took it (delivered) or refused it for
// good (failed, kept with the reason). Each sink's queue is delivered oldest first: the next alert
// of a sink waits while the one before it is being retried, so a sink never tells a human things
// out of order. Survives restarts (the SQLite gate). Thread-safe; storage failures throw GateError.
class AlertOutbox {
public:
    virtual ~AlertOutbox() = default;

    // Returns the alert's id (its Alert::id is set to it).
    virtual std::uint64_t enqueueAlert(const Alert& alert, const std::vector<std::string>& sinks,
                                       std::int64_t nowMs) = 0;
    // The oldest alert `sink` has not taken yet, whatever its notBeforeMs; nullopt when none.
    virtual std::optional<PendingAlert> nextAlert(const std::string& sink) = 0;
    virtual void alertDelivered(const std::string& sink, std::uint64_t id, std::int64_t nowMs) = 0;
    virtual void alertRetry(const std::string& sink, std::uint64_t id, std::int64_t notBeforeMs,
                            const std::string& reason) = 0;
    virtual void alertFailed(const std::string& sink, std::uint64_t id, const std::string& reason,
                             std::int64_t nowMs) = 0;
    // Alerts waiting, per sink (sinks with none are absent).
    virtual std::map<std::string, std::size_t> alertBacklog() = 0;
    // Alerts refused for good, per sink, newest first, at most `limit`: (alert, reason).
    virtual std::vector<std::pair<PendingAlert, std::string>> failedAlerts(const std::string& sink,
                                                                           std::size_t limit) = 0;
};

}  // namespace tradehost::host
