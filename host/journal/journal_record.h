// One journal line, {"seq":N,"crc32c":"xxxxxxxx","rec":<payload>}: formatting and strict parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tradehost::host {

// A record as read back: `payload` views the line it was parsed from.
struct JournalRecord {
    std::uint64_t seq = 0;
    std::string_view payload;

    // The line for (seq, payload), '\n' included. The checksum is CRC-32C of exactly the payload
    // bytes, written as 8 lowercase hex digits. The caller has checked that the payload holds no
    // '\n' (Journal::append does).
    static std::string format(std::uint64_t seq, std::string_view payload);

    // Parses one line given WITHOUT its '\n'. Accepts only the exact shape format() writes:
    // seq a decimal without leading zeros in 1..2^64-1, the checksum 8 lowercase hex digits that
    // match the payload, a non-empty payload, '}' as the last byte. Anything else gives nullopt
    // and a short reason in `error` (for JournalCorrupt messages and torn-tail reports).
    // The sequence number is not covered by the checksum; the journal catches a damaged one
    // because numbers must be contiguous.
    static std::optional<JournalRecord> parse(std::string_view line, std::string& error);
};

}  // namespace tradehost::host
