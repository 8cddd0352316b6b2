// What intake writes to the journal: a signal it acknowledged, or a refusal it must still record.
#include "pipeline/journal_record.h"

#include "events/json_text.h"
#include "intake/signal/json_value.h"

namespace tradehost::host {

namespace {
constexpr std::string_view kHead = "{\"received_ms\":";
constexpr std::string_view kSignal = ",\"signal\":";
// Unambiguous after the canonical signal: a quote inside any of its strings is escaped, so this
// text (with its bare quotes) can only be the member that follows it.
constexpr std::string_view kOrigin = ",\"origin\":";
}  // namespace

std::string encodeSignalRecord(std::int64_t receivedMs, const std::string& canonical,
                               const std::optional<SignalOrigin>& origin) {
    std::string out = std::string(kHead) + std::to_string(receivedMs) + std::string(kSignal) + canonical;
    if (origin) {
        out += std::string(kOrigin) + "{\"source\":";
        appendJsonString(out, origin->source);
        out += ",\"by\":";
        appendJsonString(out, origin->by);
        out += ",\"why\":";
        appendJsonString(out, origin->why);
        out += '}';
    }
    return out + "}";
}

std::optional<SignalRecord> decodeSignalRecord(const std::string& payload) {
    if (payload.rfind(kHead, 0) != 0 || payload.size() < kHead.size() + kSignal.size() + 3 || payload.back() != '}')
        return std::nullopt;
    const auto comma = payload.find(kSignal, kHead.size());
    if (comma == std::string::npos) return std::nullopt;
    const std::string digits = payload.substr(kHead.size(), comma - kHead.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18)
        return std::nullopt;
    SignalRecord r;
    r.receivedMs = std::stoll(digits);
    const std::size_t from = comma + kSignal.size();
    std::size_t end = payload.size() - 1;
    const auto origin = payload.find(kOrigin, from);
    if (origin != std::string::npos) {
        auto read = readJson(std::string_view(payload).substr(origin + kOrigin.size(), end - origin - kOrigin.size()));
        const auto* o = std::get_if<JsonValue>(&read);
        if (!o || o->kind != JsonValue::Kind::Object) return std::nullopt;
        SignalOrigin so;
        for (const auto& [key, field] :
             {std::pair<const char*, std::string*>{"source", &so.source}, {"by", &so.by}, {"why", &so.why}}) {
            const JsonValue* v = o->find(key);
            if (!v || v->kind != JsonValue::Kind::String) return std::nullopt;
            *field = v->text;
        }
        r.origin = std::move(so);
        end = origin;
    }
    r.canonical = payload.substr(from, end - from);
    return r;
}

std::string encodeRefusalRecord(const Refusal& r) {
    std::string out = "{\"received_ms\":" + std::to_string(r.receivedMs) + ",\"refused\":{\"signal_id\":";
    appendJsonString(out, r.signalId);
    out += ",\"reason\":";
    appendJsonString(out, r.reason);
    out += ",\"refused_payload\":";
    appendJsonString(out, r.refusedPayload);
    if (r.count != 1) out += ",\"count\":" + std::to_string(r.count);
    return out + "}}";
}

std::optional<Refusal> decodeRefusalRecord(const std::string& payload) {
    if (payload.find("\"refused\":") == std::string::npos) return std::nullopt;
    auto read = readJson(payload);
    const auto* root = std::get_if<JsonValue>(&read);
    if (!root || root->kind != JsonValue::Kind::Object) return std::nullopt;
    const JsonValue* received = root->find("received_ms");
    const JsonValue* refused = root->find("refused");
    if (!received || received->kind != JsonValue::Kind::Number || !refused || refused->kind != JsonValue::Kind::Object)
        return std::nullopt;
    Refusal r;
    try {
        r.receivedMs = std::stoll(received->text);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    for (const auto& [key, field] : {std::pair<const char*, std::string*>{"signal_id", &r.signalId},
                                     {"reason", &r.reason},
                                     {"refused_payload", &r.refusedPayload}}) {
        const JsonValue* v = refused->find(key);
        if (!v || v->kind != JsonValue::Kind::String) return std::nullopt;
        *field = v->text;
    }
    if (const JsonValue* count = refused->find("count")) {  // absent: one delivery
        if (count->kind != JsonValue::Kind::Number) return std::nullopt;
        try {
            r.count = std::stoull(count->text);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    return r;
}

}  // namespace tradehost::host
