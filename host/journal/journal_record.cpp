// Journal line format: written by one function and read back by one strict parser.
#include "journal/journal_record.h"

#include <cstdio>
#include <limits>

#include "journal/crc32c.h"

namespace tradehost::host {
namespace {

constexpr std::string_view kSeqPrefix = "{\"seq\":";
constexpr std::string_view kCrcPrefix = ",\"crc32c\":\"";
constexpr std::string_view kRecPrefix = "\",\"rec\":";
constexpr std::size_t kCrcDigits = 8;
constexpr std::size_t kMaxSeqDigits = 20;  // 18446744073709551615

std::string hex32(std::uint32_t v) {
    char buf[kCrcDigits + 1];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(v));
    return std::string(buf, kCrcDigits);
}

bool allZeroBytes(std::string_view s) {
    for (const char c : s)
        if (c != '\0') return false;
    return true;
}

}  // namespace

std::string JournalRecord::format(std::uint64_t seq, std::string_view payload) {
    std::string line;
    line.reserve(kSeqPrefix.size() + kMaxSeqDigits + kCrcPrefix.size() + kCrcDigits + kRecPrefix.size() +
                 payload.size() + 2);
    line.append(kSeqPrefix);
    line.append(std::to_string(seq));
    line.append(kCrcPrefix);
    line.append(hex32(crc32c(payload)));
    line.append(kRecPrefix);
    line.append(payload);
    line.append("}\n");
    return line;
}

std::optional<JournalRecord> JournalRecord::parse(std::string_view line, std::string& error) {
    if (!line.empty() && allZeroBytes(line)) {
        error = "zero-filled bytes instead of a record";
        return std::nullopt;
    }
    if (line.substr(0, kSeqPrefix.size()) != kSeqPrefix) {
        error = "not a journal record (does not start with {\"seq\":)";
        return std::nullopt;
    }
    std::size_t pos = kSeqPrefix.size();
    const std::size_t digitsBegin = pos;
    std::uint64_t seq = 0;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    while (pos < line.size() && line[pos] >= '0' && line[pos] <= '9') {
        const auto digit = static_cast<std::uint64_t>(line[pos] - '0');
        if (seq > (kMax - digit) / 10) {
            error = "sequence number out of range";
            return std::nullopt;
        }
        seq = seq * 10 + digit;
        ++pos;
    }
    const std::size_t digits = pos - digitsBegin;
    if (digits == 0 || (digits > 1 && line[digitsBegin] == '0') || seq == 0) {
        error = "bad sequence number";
        return std::nullopt;
    }
    if (line.substr(pos, kCrcPrefix.size()) != kCrcPrefix) {
        error = "missing \"crc32c\" field";
        return std::nullopt;
    }
    pos += kCrcPrefix.size();
    const std::string_view storedHex = line.substr(pos, kCrcDigits);
    std::uint32_t stored = 0;
    bool hexOk = storedHex.size() == kCrcDigits;
    for (std::size_t i = 0; hexOk && i < storedHex.size(); ++i) {
        const char c = storedHex[i];
        std::uint32_t nibble = 0;
        if (c >= '0' && c <= '9') {
            nibble = static_cast<std::uint32_t>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            nibble = static_cast<std::uint32_t>(c - 'a' + 10);
        } else {
            hexOk = false;
        }
        stored = (stored << 4) | nibble;
    }
    if (!hexOk) {
        error = "bad \"crc32c\" value (want 8 lowercase hex digits)";
        return std::nullopt;
    }
    pos += kCrcDigits;
    if (line.substr(pos, kRecPrefix.size()) != kRecPrefix) {
        error = "missing \"rec\" field";
        return std::nullopt;
    }
    pos += kRecPrefix.size();
    if (line.size() < pos + 2 || line.back() != '}') {
        error = "record is cut short (no payload or no closing brace)";
        return std::nullopt;
    }
    const std::string_view payload = line.substr(pos, line.size() - 1 - pos);
    const std::uint32_t computed = crc32c(payload);
    if (computed != stored) {
        error = "checksum mismatch on record seq " + std::to_string(seq) + " (stored " + std::string(storedHex) +
                ", computed " + hex32(computed) + ")";
        return std::nullopt;
    }
    return JournalRecord{seq, payload};
}

}  // namespace tradehost::host
