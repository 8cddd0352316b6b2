// The event log's line format: writes one event as one canonical JSON line and checks a line read back.
#include "events/event_line.h"

#include <cstdio>
#include <limits>
#include <stdexcept>

#include "events/json_text.h"
#include "text/sha256.h"

namespace tradehost::host {

namespace {

bool isEventNameChar(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }
bool isLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool isHash(std::string_view text) {
    if (text.size() != kHashHexLength) return false;
    for (char c : text)
        if (!isLowerHex(c)) return false;
    return true;
}

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days), so the
// timestamp does not depend on the C library's gmtime or the process's time zone.
void civilFromDays(std::int64_t days, std::int64_t& year, unsigned& month, unsigned& day) {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto dayOfEra = static_cast<unsigned>(days - era * 146097);
    const unsigned yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
    const unsigned dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    const unsigned mp = (5 * dayOfYear + 2) / 153;
    day = dayOfYear - (153 * mp + 2) / 5 + 1;
    month = mp < 10 ? mp + 3 : mp - 9;
    year = static_cast<std::int64_t>(yearOfEra) + era * 400 + (month <= 2 ? 1 : 0);
}

// Reads the fixed-format line left to right; the first mismatch becomes the reason.
class LineParser {
public:
    explicit LineParser(std::string_view line) : line_(line) {}

    bool literal(std::string_view expected) {
        if (line_.substr(pos_, expected.size()) != expected)
            return fail("expected " + std::string(expected) + " at byte " + std::to_string(pos_ + 1));
        pos_ += expected.size();
        return true;
    }

    // Decimal digits without sign or leading zero, as written.
    bool unsignedNumber(const char* name, std::uint64_t& value) {
        const std::size_t start = pos_;
        value = 0;
        while (pos_ < line_.size() && line_[pos_] >= '0' && line_[pos_] <= '9') {
            const auto digit = static_cast<std::uint64_t>(line_[pos_] - '0');
            if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
                return fail(std::string(name) + " out of range");
            value = value * 10 + digit;
            ++pos_;
        }
        if (pos_ == start || (line_[start] == '0' && pos_ - start > 1))
            return fail(std::string(name) + " is not a plain decimal number");
        return true;
    }

    bool token(std::size_t length, std::string_view& out) {
        if (line_.size() - pos_ < length) return fail("line ends early");
        out = line_.substr(pos_, length);
        pos_ += length;
        return true;
    }

    bool eventName() {
        const std::size_t start = pos_;
        while (pos_ < line_.size() && isEventNameChar(line_[pos_])) ++pos_;
        if (pos_ == start) return fail("event is not [a-z_]+");
        return true;
    }

    bool jsonString(const char* name) {
        std::string error;
        if (!scanJsonString(line_, pos_, pos_, error))
            return fail(std::string(name) + " is not a JSON string: " + error);
        return true;
    }

    bool jsonObject(const char* name) {
        std::string error;
        if (!scanJsonObject(line_, pos_, pos_, error))
            return fail(std::string(name) + " is not a JSON object: " + error);
        return true;
    }

    bool fail(std::string reason) {
        if (reason_.empty()) reason_ = std::move(reason);
        return false;
    }

    std::size_t pos() const { return pos_; }
    bool atEnd() const { return pos_ == line_.size(); }
    const std::string& reason() const { return reason_; }

private:
    std::string_view line_;
    std::size_t pos_ = 0;
    std::string reason_;
};

}  // namespace

std::string formatEventTimestamp(std::int64_t tsMs) {
    if (tsMs < 0 || tsMs > kMaxEventTimestampMs)
        throw std::invalid_argument("timestamp " + std::to_string(tsMs) + " ms is outside 1970..9999");
    const std::int64_t msPerDay = 86'400'000;
    const std::int64_t days = tsMs / msPerDay;
    const std::int64_t msOfDay = tsMs % msPerDay;
    std::int64_t year = 0;
    unsigned month = 0, day = 0;
    civilFromDays(days, year, month, day);
    char text[48];  // room for any int the compiler cannot prove small; 24 are used
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(year), month, day,
                  static_cast<int>(msOfDay / 3'600'000), static_cast<int>(msOfDay / 60'000 % 60),
                  static_cast<int>(msOfDay / 1000 % 60), static_cast<int>(msOfDay % 1000));
    return text;
}

std::string appendEventLine(std::string& out, const Event& event, const std::string& prevHash,
                            const EventRedactor& redact) {
    if (event.event.empty() || event.event.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
        std::string shown;
        appendJsonString(shown, event.event.substr(0, 64));
        throw std::invalid_argument("event name must be [a-z_]+, got " + shown);
    }
    if (!isHash(prevHash)) throw std::invalid_argument("previous hash is not 64 lowercase hex digits");
    const std::string ts = formatEventTimestamp(event.tsMs);
    if (event.dataJson.empty() || event.dataJson.front() != '{')
        throw std::invalid_argument("event " + std::to_string(event.id) + ": data must be a JSON object");
    if (event.dataJson.find('\n') != std::string::npos)
        throw std::invalid_argument("event " + std::to_string(event.id) + ": data must not contain a line feed");

    // Validated in full, not just by its first byte: a line verify() would call malformed must
    // never be written, or the next open() would cut a good event off as a torn tail.
    std::string data = sanitizeUtf8(event.dataJson);
    if (redact) {
        data = redactJsonStrings(data, redact);
    } else {
        std::size_t end = 0;
        std::string error;
        if (!scanJsonObject(data, 0, end, error) || end != data.size())
            throw std::invalid_argument("event " + std::to_string(event.id) + ": data is not a single JSON object: " +
                                        (error.empty() ? "trailing text" : error));
    }
    auto field = [&](const std::string& value) { return redact ? redact(value) : value; };

    std::string line;
    line.reserve(256 + data.size() + event.signalId.size() + event.clientOrderId.size());
    line += "{\"id\":";
    line += std::to_string(event.id);
    line += ",\"ts\":\"";
    line += ts;
    line += "\",\"ts_ms\":";
    line += std::to_string(event.tsMs);
    line += ",\"event\":\"";
    line += event.event;
    line += "\",\"signal_id\":";
    appendJsonString(line, field(event.signalId));
    line += ",\"client_order_id\":";
    appendJsonString(line, field(event.clientOrderId));
    line += ",\"venue\":";
    appendJsonString(line, field(event.venue));
    line += ",\"data\":";
    line += data;
    line += ",\"prev\":\"";
    line += prevHash;
    line += "\",";
    std::string hash = sha256Hex(line);
    line += "\"hash\":\"";
    line += hash;
    line += "\"}";
    if (line.size() > kMaxEventLineBytes)
        throw std::invalid_argument("event " + std::to_string(event.id) + ": line would be " +
                                    std::to_string(line.size()) + " bytes, over the limit of " +
                                    std::to_string(kMaxEventLineBytes));
    line += '\n';
    out += line;
    return hash;
}

EventLineCheck checkEventLine(std::string_view line) {
    EventLineCheck check;
    auto malformed = [&](const std::string& reason) {
        check.fault = EventLineCheck::Fault::kMalformed;
        check.reason = "malformed: " + reason;
        return check;
    };
    if (line.empty()) return malformed("empty line");
    if (line.size() > kMaxEventLineBytes)
        return malformed("longer than " + std::to_string(kMaxEventLineBytes) + " bytes");

    LineParser r(line);
    std::uint64_t tsMs = 0;
    std::string_view ts, prev, hash;
    const bool ok = r.literal("{\"id\":") && r.unsignedNumber("id", check.id) && r.literal(",\"ts\":\"") &&
                    r.token(24, ts) && r.literal("\",\"ts_ms\":") && r.unsignedNumber("ts_ms", tsMs) &&
                    r.literal(",\"event\":\"") && r.eventName() && r.literal("\",\"signal_id\":") &&
                    r.jsonString("signal_id") && r.literal(",\"client_order_id\":") &&
                    r.jsonString("client_order_id") && r.literal(",\"venue\":") && r.jsonString("venue") &&
                    r.literal(",\"data\":") && r.jsonObject("data") && r.literal(",\"prev\":\"") &&
                    r.token(kHashHexLength, prev) && r.literal("\",");
    if (!ok) return malformed(r.reason());
    const std::size_t prefixLength = r.pos();
    if (!(r.literal("\"hash\":\"") && r.token(kHashHexLength, hash) && r.literal("\"}"))) return malformed(r.reason());
    if (!r.atEnd()) return malformed("text after the closing brace");
    if (!isHash(prev)) return malformed("prev is not 64 lowercase hex digits");
    if (!isHash(hash)) return malformed("hash is not 64 lowercase hex digits");
    if (tsMs > static_cast<std::uint64_t>(kMaxEventTimestampMs)) return malformed("ts_ms out of range");
    if (ts != formatEventTimestamp(static_cast<std::int64_t>(tsMs))) return malformed("ts does not match ts_ms");

    check.prev = std::string(prev);
    check.hash = std::string(hash);
    if (sha256Hex(line.substr(0, prefixLength)) != hash) {
        check.fault = EventLineCheck::Fault::kHashMismatch;
        check.reason = "hash does not match the line's content";
    }
    return check;
}

}  // namespace tradehost::host
