// What each component is lent to count with: plain pointers to series made up front (null: not counted).
#pragma once

#include <array>
#include <cstddef>

#include "metrics/counter.h"
#include "metrics/gauge.h"
#include "metrics/histogram.h"

namespace tradehost::host {

// What the webhook answered a request (probes aside): a closed set, one series each.
enum class SignalOutcome {
    Accepted,      // 202: journaled
    Duplicate,     // 200: the signal was already taken
    Conflict,      // 422: its id was used with another payload
    BadRequest,    // 400, 404, 405, 414, 417, 431, 501, 505: not a signal we can read
    Unauthorized,  // 401
    Forbidden,     // 403: allow_ips
    TooLarge,      // 413
    Timeout,       // 408: did not arrive whole in time
    OverCapacity,  // 503 with Retry-After: too many connections, or admission far behind
    Unavailable,   // 503: not ready (recovery), or the journal could not record it
    Error,         // anything else (500)
};
constexpr std::size_t kSignalOutcomes = 11;
const char* toString(SignalOutcome outcome);

struct IntakeMetrics {
    std::array<Counter*, kSignalOutcomes> signals{};
    Histogram* ackSeconds = nullptr;  // request read whole -> answer written, for journaled requests

    void answered(SignalOutcome outcome) const {
        if (Counter* c = signals[static_cast<std::size_t>(outcome)]) c->inc();
    }
};

struct JournalMetrics {
    Histogram* fdatasyncSeconds = nullptr;
    Histogram* groupCommitRecords = nullptr;  // records made durable by one fdatasync
};

// The calls the host makes into a venue plugin (VenueInstance, the firewall every call goes through).
enum class VenueCall { Place, Query, Cancel, Positions, OpenOrders, SymbolRules };
constexpr std::size_t kVenueCalls = 6;
const char* toString(VenueCall call);

struct VenueCallMetrics {
    std::array<Histogram*, kVenueCalls> seconds{};

    Histogram* of(VenueCall call) const { return seconds[static_cast<std::size_t>(call)]; }
};

struct ReconcilerMetrics {
    Gauge* driftPositions = nullptr;      // positions differing from the book, as reported (drift_detected)
    Gauge* reachable = nullptr;           // 1 after a check that could read positions and open orders, else 0
    Gauge* lastSuccessSeconds = nullptr;  // unix time of the last such check
};

struct AlertDeliveryMetrics {
    Counter* sent = nullptr;     // the sink said Ok
    Counter* retried = nullptr;  // the sink said Retry(after)
    Counter* failed = nullptr;   // the sink said Fail
};

struct AlertPolicyMetrics {
    Counter* deduplicated = nullptr;  // held back: same key inside the dedup window, or an unchanged condition
    Counter* inhibited = nullptr;     // muted: a per-order alert while its venue is unreachable
};

}  // namespace tradehost::host
