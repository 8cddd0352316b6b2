// When an alert is told to a human: deduplication by key, repeats of an unchanged condition,
// "resolved" once, and muting of per-order alerts while their instance cannot be reached.
#pragma once

#include <tradehost/alert_sink.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metrics/component_metrics.h"

namespace tradehost::host {

// One alert as a component raises it. Its key is kind:instance:symbol (symbol may be empty):
// never an unbounded value such as a signal id, so the router's memory stays bounded.
struct RaisedAlert {
    std::string kind;      // "drift", "venue_unreachable", "trade_failed", ...
    std::string instance;  // venue or sink instance; empty for the host itself
    std::string symbol;    // empty when the alert is not about one symbol
    Severity severity = Severity::Warning;
    std::string title;
    std::string text;
    std::vector<std::pair<std::string, std::string>> fields;
    // A condition (drift, venue unreachable) holds until resolve(); its repeats are kept back
    // for repeatIntervalMs. A one-off event (a trade failed) is only deduplicated.
    bool condition = false;
    // About one order of `instance`: muted (counted) while the instance is unreachable.
    bool perOrder = false;

    std::string key() const { return kind + ":" + instance + ":" + symbol; }
};

struct AlertPolicyOptions {
    std::int64_t dedupWindowMs = 60'000;            // dedup_window_s
    std::int64_t repeatIntervalMs = 4 * 3'600'000;  // repeat_interval_s
};

// Not thread-safe: the alert router owns one and calls it from its thread.
class AlertPolicy {
public:
    explicit AlertPolicy(AlertPolicyOptions options = {}) : options_(options) {}

    enum class Verdict {
        Send,      // tell the sinks: `alert` is filled in (suppressedCount: held back since the last one)
        Suppress,  // the same key was told moments ago, or the condition is unchanged: counted
        Mute,      // a per-order alert while its instance is unreachable: counted for that instance
    };
    struct Decision {
        Verdict verdict = Verdict::Suppress;
        Alert alert;  // Send only; `id` is left for the router (it comes from the durable outbox)
    };

    Decision raise(const RaisedAlert& raised, std::int64_t nowMs);
    // The condition behind `key` is over: a "resolved" alert once if it was told, else nothing.
    std::optional<Alert> resolve(const std::string& key, const std::string& text, std::int64_t nowMs);

    // Inhibition: while an instance is unreachable its per-order alerts are muted (counted, not
    // lost). Marking it reachable again returns how many were muted meanwhile, for the alert
    // that says it is back.
    std::uint64_t setUnreachable(const std::string& instance, bool unreachable);
    std::uint64_t mutedFor(const std::string& instance) const;

    // Keys whose last alert is older than the repeat interval and that are not active
    // conditions are forgotten, so memory follows what is happening now (a count of alerts held
    // back since then goes with them: nothing with that key happened for that long).
    void forgetOlderThan(std::int64_t nowMs);
    std::size_t keysHeld() const { return keys_.size(); }
    // Alerts held back and muted, counted from now on.
    void setMetrics(AlertPolicyMetrics metrics) { metrics_ = metrics; }

private:
    struct KeyState {
        std::int64_t lastSentMs = 0;
        int suppressed = 0;
        bool active = false;  // a condition told and not resolved
        Severity severity = Severity::Info;
        std::string title;
    };

    Alert toAlert(const RaisedAlert& raised, std::int64_t nowMs, int suppressed) const;

    AlertPolicyOptions options_;
    std::map<std::string, KeyState> keys_;
    std::map<std::string, std::uint64_t> unreachable_;  // instance -> per-order alerts muted
    AlertPolicyMetrics metrics_;
};

}  // namespace tradehost::host
