// What intake writes to the journal: a signal it acknowledged, or a refusal it must still record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "intake/signal/signal.h"

namespace tradehost::host {

// {"received_ms":N,"signal":<canonical signal JSON>} — the canonical form never holds the secret.
// A signal with an origin (the admin page's order ticket) is followed by
// ,"origin":{"source":…,"by":…,"why":…}: the same record shape otherwise, so a journal written
// before origins existed reads the same.
std::string encodeSignalRecord(std::int64_t receivedMs, const std::string& canonical,
                               const std::optional<SignalOrigin>& origin = std::nullopt);

struct SignalRecord {
    std::int64_t receivedMs = 0;
    std::string canonical;
    std::optional<SignalOrigin> origin;
};
// The inverse; nullopt for a record of another shape.
std::optional<SignalRecord> decodeSignalRecord(const std::string& payload);

// A delivery intake refused (same signal_id, different payload) is journaled too, so the refusal
// reaches the event log without intake ever writing to the gate:
// {"received_ms":N,"refused":{"signal_id":"…","reason":"…","refused_payload":"<canonical>"}}.
struct Refusal {
    std::int64_t receivedMs = 0;
    std::string signalId;
    std::string reason;
    std::string refusedPayload;  // the last one refused
    // Deliveries this record stands for: intake journals one refusal per id and minute, with the
    // count of the deliveries it answered 422 meanwhile.
    std::uint64_t count = 1;
};
std::string encodeRefusalRecord(const Refusal& refusal);
std::optional<Refusal> decodeRefusalRecord(const std::string& payload);

}  // namespace tradehost::host
