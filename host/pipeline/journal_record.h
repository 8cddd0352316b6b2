// What intake writes to the journal: a signal it acknowledged, or a refusal it must still record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace tradehost::host {

// {"received_ms":N,"signal":<canonical signal JSON>} — the canonical form never holds the secret.
inline std::string encodeSignalRecord(std::int64_t receivedMs, const std::string& canonical) {
    return "{\"received_ms\":" + std::to_string(receivedMs) + ",\"signal\":" + canonical + "}";
}

// The inverse; nullopt for a record of another shape.
inline std::optional<std::pair<std::int64_t, std::string>> decodeSignalRecord(const std::string& payload) {
    static const std::string head = "{\"received_ms\":";
    static const std::string mid = ",\"signal\":";
    if (payload.rfind(head, 0) != 0 || payload.size() < head.size() + mid.size() + 3 || payload.back() != '}')
        return std::nullopt;
    const auto comma = payload.find(mid, head.size());
    if (comma == std::string::npos) return std::nullopt;
    const std::string digits = payload.substr(head.size(), comma - head.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18)
        return std::nullopt;
    return std::make_pair(std::stoll(digits),
                          payload.substr(comma + mid.size(), payload.size() - comma - mid.size() - 1));
}

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
