// The event log's line format: writes one event as one canonical JSON line and checks a line read back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "events/event.h"

namespace tradehost::host {

// Line format — exactly one JSON object per line, members always in this order, no whitespace,
// so the bytes (and therefore the hashes) are reproducible:
//
//   {"id":N,"ts":"2026-11-24T10:00:00.123Z","ts_ms":N,"event":"...","signal_id":"...",
//    "client_order_id":"...","venue":"...","data":{...},"prev":"<64 hex>","hash":"<64 hex>"}\n
//
// - id: decimal, no sign or leading zero; ts_ms: Unix epoch milliseconds; ts: the same instant in
//   UTC with exactly three fractional digits (derived from ts_ms, so the two always agree).
// - event: [a-z_]+. signal_id, client_order_id, venue: JSON strings (possibly empty); quote and
//   backslash escaped, control characters as \u00xx, valid UTF-8 as-is, invalid bytes as U+FFFD.
// - data: the caller's JSON object text, byte for byte (after UTF-8 repair and redaction).
// - prev: the previous line's hash; kGenesisHash (64 zeros) on the first line.
// - hash: lowercase hex SHA-256 of the line's prefix — every byte before `"hash":`, that is from
//   the opening `{` up to and including the comma after the prev member.
//
// The hash covers prev, so every line vouches for all lines before it: editing, deleting,
// inserting or reordering any line breaks the chain at the first line touched.

constexpr std::size_t kHashHexLength = 64;
inline const std::string kGenesisHash(kHashHexLength, '0');
// 9999-12-31T23:59:59.999Z: the largest instant the fixed-width `ts` can show.
constexpr std::int64_t kMaxEventTimestampMs = 253'402'300'799'999;
// Bounds what a reader must buffer for one line; an event is a few hundred bytes.
constexpr std::size_t kMaxEventLineBytes = 1 << 20;

using EventRedactor = std::function<std::string(std::string)>;

// "2026-11-24T10:00:00.123Z"; tsMs must be within [0, kMaxEventTimestampMs].
std::string formatEventTimestamp(std::int64_t tsMs);

// Appends `event` as one line (with its '\n') chained to `prevHash` and returns the line's hash.
// `redact`, if set, is applied to signal_id, client_order_id, venue and every string inside data
// before anything is hashed. Throws std::invalid_argument for an event the format cannot carry
// (event name not [a-z_]+, timestamp out of range, data not a single-line JSON object, line too
// long); `out` is left unchanged then.
std::string appendEventLine(std::string& out, const Event& event, const std::string& prevHash,
                            const EventRedactor& redact);

// What checkEventLine found in one line (given without its '\n').
struct EventLineCheck {
    enum class Fault {
        kNone,
        kMalformed,     // not in the line format above (includes invalid JSON)
        kHashMismatch,  // well-formed, but `hash` is not the SHA-256 of the prefix
    };
    Fault fault = Fault::kNone;
    std::string reason;  // set when fault != kNone
    std::uint64_t id = 0;
    std::string prev;
    std::string hash;
};

// Checks the line on its own (format and own hash); linking it to its neighbours is the caller's job.
EventLineCheck checkEventLine(std::string_view line);


}  // namespace tradehost::host
