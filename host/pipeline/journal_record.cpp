// What intake writes to the journal: a signal it acknowledged, or a refusal it must still record.
#include "pipeline/journal_record.h"

#include "events/json_text.h"
#include "intake/signal/json_value.h"

namespace tradehost::host {

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
