// Turns a webhook body (any Content-Type, raw bytes) into a validated Signal or a 400 naming the field.
#include "intake/signal/signal_parser.h"

#include <array>
#include <cstdint>
#include <utility>

#include "intake/signal/json_value.h"

namespace tradehost::host {

namespace {

using Kind = JsonValue::Kind;
using Error = std::optional<ParseError>;

// The sender's timestamp must fall in [2001-09-09T01:46:40Z, 9999-12-31T23:59:59.999Z]: every
// such value has 13 to 15 digits in epoch milliseconds, so a value in seconds (10 digits) is
// refused instead of being read as a date in January 1970.
constexpr std::int64_t kMinSentAtMs = 1'000'000'000'000;
constexpr std::int64_t kMaxSentAtMs = 253'402'300'799'999;

constexpr std::array<std::string_view, 10> kLegFields = {
    "venue", "symbol", "side", "type", "quantity", "price", "reduce_only", "time_in_force", "tif", "position_side"};
// Names a sender may give its timestamp under; at most one of them may be present.
constexpr std::array<std::string_view, 3> kTimeFields = {"sent_at", "timenow", "time"};
constexpr std::array<std::string_view, 4> kSignalFields = {"secret", "signal_id", "legs", "payload"};

constexpr std::string_view kLegFieldList =
    "venue, symbol, side, type, quantity, price, reduce_only, time_in_force, tif, position_side";

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view key) {
    for (auto name : names)
        if (name == key) return true;
    return false;
}

ParseError error(std::string field, std::string message) {
    return ParseError{400, std::move(field), std::move(message), std::nullopt};
}

std::string at(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}

std::string lowerAscii(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string upperAscii(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool endsWith(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Null counts as absent everywhere: TradingView templates write "price": null for market orders.
const JsonValue* present(const JsonValue& object, std::string_view key) {
    const JsonValue* v = object.find(key);
    return v && !v->isNull() ? v : nullptr;
}

// ---- field readers: each returns an error naming `field`, or fills `out` ---------------------

// Plain decimal notation only, as JSON number or string: -?(0|[1-9][0-9]*)(\.[0-9]+)?. The
// exponent form is refused although JSON allows it: TradingView never sends it, and an amount
// like 1e3 in an order is far more likely a bug upstream than an intent.
bool isPlainDecimal(std::string_view t) {
    std::size_t i = 0;
    if (i < t.size() && t[i] == '-') ++i;
    if (i >= t.size() || !isDigit(t[i])) return false;
    if (t[i] == '0') {
        ++i;
    } else {
        while (i < t.size() && isDigit(t[i])) ++i;
    }
    if (i < t.size() && t[i] == '.') {
        ++i;
        if (i >= t.size() || !isDigit(t[i])) return false;
        while (i < t.size() && isDigit(t[i])) ++i;
    }
    return i == t.size();
}

// A plain decimal followed by an exponent ("2e-3", "6.5E4"): worth its own message.
bool isExponentForm(std::string_view t) {
    const auto e = t.find_first_of("eE");
    if (e == std::string_view::npos || !isPlainDecimal(t.substr(0, e))) return false;
    std::size_t i = e + 1;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (i >= t.size()) return false;
    for (; i < t.size(); ++i)
        if (!isDigit(t[i])) return false;
    return true;
}

Error readPositiveDecimal(const JsonValue& v, const std::string& field, Decimal& out) {
    if (v.kind != Kind::Number && v.kind != Kind::String)
        return error(field, "must be a decimal number greater than zero (a JSON number or a string)");
    if (isExponentForm(v.text))
        return error(field, "exponent notation is not accepted; write the number as plain decimals");
    if (!isPlainDecimal(v.text))
        return error(field, "must be a plain decimal number such as \"0.002\" (no spaces, signs or leading zeros)");
    const auto d = Decimal::parse(v.text);
    if (!d) return error(field, "has more than 38 significant digits or more than 30 decimals");
    if (!d->isPositive()) return error(field, "must be greater than zero");
    out = *d;
    return std::nullopt;
}

Error readSide(const JsonValue& v, const std::string& field, Side& out) {
    const std::string s = v.kind == Kind::String ? lowerAscii(v.text) : std::string();
    if (s == "buy") {
        out = Side::Buy;
    } else if (s == "sell") {
        out = Side::Sell;
    } else {
        // "long"/"short" are refused on purpose: "short" may mean "open a short" or "close the
        // long", and TradingView's {{strategy.market_position}} is a position, not an action.
        return error(field, "must be \"buy\" or \"sell\" (any case)");
    }
    return std::nullopt;
}

Error readOrderType(const JsonValue& v, const std::string& field, OrderType& out) {
    const std::string s = v.kind == Kind::String ? lowerAscii(v.text) : std::string();
    if (s == "market") {
        out = OrderType::Market;
    } else if (s == "limit") {
        out = OrderType::Limit;
    } else {
        return error(field, "must be \"market\" or \"limit\" (any case)");
    }
    return std::nullopt;
}

Error readTimeInForce(const JsonValue& v, const std::string& field, TimeInForce& out) {
    const std::string s = v.kind == Kind::String ? upperAscii(v.text) : std::string();
    if (s == "GTC") {
        out = TimeInForce::GTC;
    } else if (s == "IOC") {
        out = TimeInForce::IOC;
    } else if (s == "FOK") {
        out = TimeInForce::FOK;
    } else if (s == "GTX") {
        out = TimeInForce::GTX;
    } else {
        return error(field, "must be one of \"GTC\", \"IOC\", \"FOK\", \"GTX\" (any case)");
    }
    return std::nullopt;
}

// Strings are accepted because templates often quote every placeholder, and a Python sender
// writing str(True) gives "True".
Error readPositionSide(const JsonValue& v, const std::string& field, PositionSide& out) {
    const std::string s = v.kind == Kind::String ? upperAscii(v.text) : std::string();
    if (s == "BOTH") {
        out = PositionSide::Both;
    } else if (s == "LONG") {
        out = PositionSide::Long;
    } else if (s == "SHORT") {
        out = PositionSide::Short;
    } else {
        return error(field, "must be one of \"BOTH\" (one-way mode), \"LONG\", \"SHORT\" (hedge mode), any case");
    }
    return std::nullopt;
}

Error readFlag(const JsonValue& v, const std::string& field, bool& out) {
    if (v.kind == Kind::Bool) {
        out = v.boolean;
        return std::nullopt;
    }
    const std::string s = v.kind == Kind::String ? lowerAscii(v.text) : std::string();
    if (s == "true" || s == "false") {
        out = s == "true";
        return std::nullopt;
    }
    return error(field, "must be true or false");
}

// Only the "BINANCE:" prefix is removed: any other exchange prefix may contradict the venue the
// leg goes to, and the parser cannot know which exchange that venue is, so it refuses.
Error readSymbol(const JsonValue& v, const std::string& field, std::string& out) {
    if (v.kind != Kind::String) return error(field, "must be a string such as \"BTCUSDT\"");
    auto symbol = canonicalSymbol(v.text);
    if (symbol.index() == 1) return error(field, std::get<1>(symbol));
    out = std::move(std::get<0>(symbol));
    return std::nullopt;
}

// Same syntax as isValidInstanceName() in config/deployment.h, repeated so that the parser
// stays free of the configuration code; whether the instance exists is the router's question.
Error readVenue(const JsonValue& v, const std::string& field, std::string& out) {
    if (v.kind != Kind::String) return error(field, "must be a string naming a venue instance");
    const std::string& s = v.text;
    if (s.empty()) {
        out.clear();  // same as absent: the router's default venue
        return std::nullopt;
    }
    bool ok = s.size() <= kMaxVenueNameLength && s[0] >= 'a' && s[0] <= 'z';
    for (char c : s) ok = ok && ((c >= 'a' && c <= 'z') || isDigit(c) || c == '_');
    if (!ok) {
        return error(field,
                     "is not a venue instance name (a lower-case letter, then lower-case letters, digits "
                     "and '_', at most " +
                         std::to_string(kMaxVenueNameLength) + " characters)");
    }
    out = s;
    return std::nullopt;
}

Error readSignalId(const JsonValue* v, std::string& out) {
    const std::string field = "signal_id";
    if (!v)
        return error(field,
                     "is required: 1-128 printable characters unique to this signal (e.g. strategy, ticker, {{time}})");
    if (v->kind != Kind::String) return error(field, "must be a string");
    const std::string& s = v->text;
    if (s.empty()) return error(field, "must not be empty");
    if (s.size() > kMaxSignalIdLength)
        return error(field, "is longer than " + std::to_string(kMaxSignalIdLength) + " characters");
    for (char c : s)
        if (c < 0x20 || c > 0x7E) return error(field, "may contain only printable ASCII characters (0x20-0x7E)");
    // Edge spaces make two ids that look identical in every log differ; refuse rather than trim,
    // because trimming would change the id the sender will resend.
    if (s.front() == ' ' || s.back() == ' ') return error(field, "must not start or end with a space");
    out = s;
    return std::nullopt;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// TradingView's {{time}} / {{timenow}} format, exactly: yyyy-MM-ddTHH:mm:ssZ.
std::optional<std::int64_t> parseIsoUtc(std::string_view t) {
    if (t.size() != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != 'Z')
        return std::nullopt;
    const auto number = [&](std::size_t from, std::size_t len) -> std::optional<unsigned> {
        unsigned n = 0;
        for (std::size_t i = from; i < from + len; ++i) {
            if (!isDigit(t[i])) return std::nullopt;
            n = n * 10 + static_cast<unsigned>(t[i] - '0');
        }
        return n;
    };
    const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
    const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
    static constexpr unsigned kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
    if (*month < 1 || *month > 12 || *day < 1) return std::nullopt;
    if (*day > kDaysInMonth[*month - 1] + (*month == 2 && leap ? 1 : 0)) return std::nullopt;
    if (*hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
    const std::int64_t days = daysFromCivil(*year, *month, *day);
    return ((days * 24 + *hour) * 60 + *minute) * 60 * 1000 + std::int64_t{*second} * 1000;
}

Error readSentAt(const JsonValue& v, const std::string& field, std::optional<std::int64_t>& out) {
    const std::string hint = "must be yyyy-MM-ddTHH:mm:ssZ (UTC, as {{timenow}} gives) or epoch milliseconds";
    if (v.kind != Kind::Number && v.kind != Kind::String) return error(field, hint);
    const std::string& t = v.text;
    std::optional<std::int64_t> ms;
    if (!t.empty() && t.size() <= 15 && t.find_first_not_of("0123456789") == std::string::npos) {
        std::int64_t n = 0;
        for (char c : t) n = n * 10 + (c - '0');  // at most 15 digits: cannot overflow
        ms = n;
    } else if (v.kind == Kind::String) {
        ms = parseIsoUtc(t);
    }
    if (!ms) return error(field, hint);
    if (*ms < kMinSentAtMs || *ms > kMaxSentAtMs)
        return error(field, "is out of range (2001-09-09 to 9999-12-31; epoch milliseconds, not seconds)");
    out = ms;
    return std::nullopt;
}

// ---- structure ----------------------------------------------------------------------------

Error refuseUnknownLegFields(const JsonValue& object, const std::string& prefix) {
    for (const auto& m : object.members) {
        if (!contains(kLegFields, m.key))
            return error(at(prefix, printableKey(m.key)),
                         "unknown field (leg fields: " + std::string(kLegFieldList) + ")");
    }
    return std::nullopt;
}

// Reads the order fields of `object`; `prefix` is its path ("" for the flat form).
Error readLeg(const JsonValue& object, const std::string& prefix, Leg& leg) {
    if (const auto* v = present(object, "venue"))
        if (auto e = readVenue(*v, at(prefix, "venue"), leg.venue)) return e;

    const auto* symbol = present(object, "symbol");
    if (!symbol) return error(at(prefix, "symbol"), "is required (e.g. \"BTCUSDT\" or {{ticker}})");
    if (auto e = readSymbol(*symbol, at(prefix, "symbol"), leg.symbol)) return e;

    const auto* side = present(object, "side");
    if (!side) return error(at(prefix, "side"), "is required: \"buy\" or \"sell\" (e.g. {{strategy.order.action}})");
    if (auto e = readSide(*side, at(prefix, "side"), leg.side)) return e;

    // Required although TradingView users often leave it out: the host never picks the kind of
    // order for the sender, and a forgotten "limit" must not become a market order.
    const auto* type = present(object, "type");
    if (!type) return error(at(prefix, "type"), "is required: \"market\" or \"limit\"");
    if (auto e = readOrderType(*type, at(prefix, "type"), leg.type)) return e;

    const auto* quantity = present(object, "quantity");
    if (!quantity) return error(at(prefix, "quantity"), "is required: a decimal number greater than zero");
    if (auto e = readPositiveDecimal(*quantity, at(prefix, "quantity"), leg.quantity)) return e;

    // A market order with a price is refused rather than sent without it: the sender may believe
    // the price protects them, and silently dropping it would trade at any price.
    const auto* price = present(object, "price");
    if (leg.type == OrderType::Limit) {
        if (!price) return error(at(prefix, "price"), "is required for a limit order");
        Decimal p;
        if (auto e = readPositiveDecimal(*price, at(prefix, "price"), p)) return e;
        leg.price = p;
    } else if (price) {
        return error(at(prefix, "price"),
                     "must be null or left out for a market order (use \"type\": \"limit\" to trade at a price)");
    }

    if (object.find("time_in_force") && object.find("tif"))
        return error(at(prefix, "tif"), "give only one of time_in_force and tif");
    const std::string tifName = object.find("tif") ? "tif" : "time_in_force";
    if (const auto* tif = present(object, tifName)) {
        if (leg.type == OrderType::Market)
            return error(at(prefix, tifName), "applies to limit orders only; leave it out for a market order");
        if (auto e = readTimeInForce(*tif, at(prefix, tifName), leg.timeInForce)) return e;
    }

    if (const auto* v = present(object, "reduce_only"))
        if (auto e = readFlag(*v, at(prefix, "reduce_only"), leg.reduceOnly)) return e;
    if (const auto* v = present(object, "position_side"))
        if (auto e = readPositionSide(*v, at(prefix, "position_side"), leg.positionSide)) return e;
    return std::nullopt;
}

Error readLegs(const JsonValue& root, std::vector<Leg>& legs) {
    const auto* listed = root.find("legs");
    const auto* envelope = root.find("payload");
    if (listed && envelope) return error("payload", "give either \"legs\" or \"payload\", not both");

    if (!listed && !envelope) {  // flat form: the top-level object is the one leg
        Leg leg;
        if (auto e = readLeg(root, "", leg)) return e;
        legs.push_back(std::move(leg));
        return std::nullopt;
    }

    // Flat order fields next to "legs"/"payload" are refused, not merged or ignored: either
    // reading could place an order the sender did not mean.
    const char* container = listed ? "legs" : "payload";
    for (const auto& m : root.members) {
        if (contains(kLegFields, m.key))
            return error(m.key, std::string("is not allowed next to \"") + container + "\"; put it inside " +
                                    (listed ? "each leg" : "\"payload\""));
    }

    if (envelope) {
        if (envelope->kind != Kind::Object) return error("payload", "must be an object holding the order fields");
        if (auto e = refuseUnknownLegFields(*envelope, "payload")) return e;
        Leg leg;
        if (auto e = readLeg(*envelope, "payload", leg)) return e;
        legs.push_back(std::move(leg));
        return std::nullopt;
    }

    const std::string range = "1 to " + std::to_string(kMaxLegs);
    if (listed->kind != Kind::Array) return error("legs", "must be an array of " + range + " legs");
    if (listed->items.empty()) return error("legs", "must hold at least one leg");
    if (listed->items.size() > kMaxLegs) return error("legs", "holds more than " + std::to_string(kMaxLegs) + " legs");
    for (std::size_t i = 0; i < listed->items.size(); ++i) {
        const std::string prefix = "legs[" + std::to_string(i) + "]";
        const JsonValue& item = listed->items[i];
        if (item.kind != Kind::Object) return error(prefix, "must be an object holding the order fields");
        if (auto e = refuseUnknownLegFields(item, prefix)) return e;
        Leg leg;
        if (auto e = readLeg(item, prefix, leg)) return e;
        legs.push_back(std::move(leg));
    }
    return std::nullopt;
}

Error readSentAtField(const JsonValue& root, std::optional<std::int64_t>& out) {
    const std::string* found = nullptr;
    for (const auto& m : root.members) {
        if (!contains(kTimeFields, m.key)) continue;
        if (found) return error(m.key, "give only one of sent_at, timenow and time");
        found = &m.key;
    }
    if (!found) return std::nullopt;
    if (const auto* v = present(root, *found)) return readSentAt(*v, *found, out);
    return std::nullopt;
}

// ---- canonical form -----------------------------------------------------------------------

void writeString(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {  // cannot happen for validated fields; keeps the output JSON anyway
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0x0F];
        } else {
            out += ch;
        }
    }
    out += '"';
}

}  // namespace

std::string canonicalJson(const Signal& signal) {
    // Keys are written in sorted (byte) order by hand; the schema is fixed, so no map is needed.
    std::string out = "{\"legs\":[";
    for (std::size_t i = 0; i < signal.legs.size(); ++i) {
        const Leg& leg = signal.legs[i];
        if (i > 0) out += ',';
        const bool limit = leg.type == OrderType::Limit;
        out += '{';
        // Written only when not BOTH, so a one-way signal keeps the exact canonical bytes it had
        // before the field existed: a resend after an upgrade is still a duplicate, not a conflict.
        if (leg.positionSide != PositionSide::Both) {
            out += "\"position_side\":";
            writeString(out, toString(leg.positionSide));
            out += ',';
        }
        out += "\"price\":";
        if (limit && leg.price) {
            writeString(out, leg.price->toString());
        } else {
            out += "null";
        }
        out += ",\"quantity\":";
        writeString(out, leg.quantity.toString());
        out += ",\"reduce_only\":";
        out += leg.reduceOnly ? "true" : "false";
        out += ",\"side\":";
        out += leg.side == Side::Buy ? "\"buy\"" : "\"sell\"";
        out += ",\"symbol\":";
        writeString(out, leg.symbol);
        out += ",\"time_in_force\":";
        if (limit) {
            writeString(out, toString(leg.timeInForce));
        } else {
            out += "null";  // a market order has none; writing "GTC" would not parse back
        }
        out += ",\"type\":";
        out += limit ? "\"limit\"" : "\"market\"";
        out += ",\"venue\":";
        if (leg.venue.empty()) {
            out += "null";
        } else {
            writeString(out, leg.venue);
        }
        out += '}';
    }
    out += "],\"sent_at\":";
    out += signal.sentAtMs ? std::to_string(*signal.sentAtMs) : "null";
    out += ",\"signal_id\":";
    writeString(out, signal.signalId);
    out += '}';
    return out;
}

std::variant<std::string, std::string> canonicalSymbol(std::string_view text) {
    using Result = std::variant<std::string, std::string>;
    std::string s = upperAscii(text);
    if (startsWith(s, "BINANCE:")) s.erase(0, 8);
    if (endsWith(s, ".P")) s.erase(s.size() - 2);
    if (s.empty()) return Result(std::in_place_index<1>, "must not be empty");
    if (s.size() > kMaxSymbolLength)
        return Result(std::in_place_index<1>, "is longer than " + std::to_string(kMaxSymbolLength) + " characters");
    if (s.find(':') != std::string::npos)
        return Result(std::in_place_index<1>,
                      "has an exchange prefix other than \"BINANCE:\"; send the bare ticker ({{ticker}})");
    for (char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || isDigit(c) || c == '_' || c == '-' || c == '/';
        if (!ok)
            return Result(std::in_place_index<1>,
                          "may contain only letters, digits, '_', '-' and '/' (after a \".P\" suffix is removed)");
    }
    return Result(std::in_place_index<0>, std::move(s));
}

std::variant<Parsed, ParseError> parseSignal(std::string_view body) {
    if (body.size() > kMaxSignalBodyBytes)
        return ParseError{413, "body", "is larger than " + std::to_string(kMaxSignalBodyBytes) + " bytes",
                          std::nullopt};

    const auto unreadable = [](ParseError e) {
        e.unreadable = true;
        return e;
    };
    auto read = readJson(body);
    if (auto* bad = std::get_if<JsonError>(&read)) {
        const std::string where = " at byte " + std::to_string(bad->offset);
        if (bad->duplicateKey)  // names the key: a second copy is a classic way to smuggle a value
            return unreadable(error(bad->path, "appears more than once" + where));
        return unreadable(error(bad->path.empty() ? "body" : bad->path, "not JSON: " + bad->message + where));
    }
    const JsonValue& root = std::get<JsonValue>(read);
    if (root.kind != Kind::Object) return unreadable(error("body", "must be a JSON object"));

    Parsed parsed;
    if (const auto* secret = root.find("secret")) {
        if (secret->kind == Kind::String) {
            parsed.secret = secret->text;
        } else if (!secret->isNull()) {
            return error("secret", "must be a string");
        }
    }
    auto withSecret = [&](ParseError e) {
        e.secret = parsed.secret;
        return e;
    };

    // Unknown keys first, so that a typo ("quantiy") is named instead of "quantity is required".
    for (const auto& m : root.members) {
        if (!contains(kSignalFields, m.key) && !contains(kLegFields, m.key) && !contains(kTimeFields, m.key)) {
            return withSecret(
                error(printableKey(m.key),
                      "unknown field (signal fields: secret, signal_id, legs, payload, sent_at, timenow, time, " +
                          std::string(kLegFieldList) + ")"));
        }
    }

    Signal& signal = parsed.signal;
    if (auto e = readSignalId(present(root, "signal_id"), signal.signalId)) return withSecret(*e);
    if (auto e = readLegs(root, signal.legs)) return withSecret(*e);
    if (auto e = readSentAtField(root, signal.sentAtMs)) return withSecret(*e);
    signal.canonical = canonicalJson(signal);
    return parsed;
}

}  // namespace tradehost::host
