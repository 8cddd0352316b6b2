// An alert as one line of JSON.
#include "alerts/alert_json.h"

#include "events/json_text.h"
#include "intake/signal/json_value.h"

namespace tradehost::host {

std::string alertToJson(const Alert& a) {
    std::string out = "{\"id\":";
    appendJsonString(out, a.id);
    out += ",\"key\":";
    appendJsonString(out, a.key);
    out += ",\"severity\":";
    appendJsonString(out, toString(a.severity));
    out += ",\"title\":";
    appendJsonString(out, a.title);
    out += ",\"text\":";
    appendJsonString(out, a.text);
    out += ",\"ts_ms\":" + std::to_string(a.timestampMs) + ",\"fields\":[";
    for (std::size_t i = 0; i < a.fields.size(); ++i) {
        out += i ? ",[" : "[";
        appendJsonString(out, a.fields[i].first);
        out += ',';
        appendJsonString(out, a.fields[i].second);
        out += ']';
    }
    return out + "],\"suppressed\":" + std::to_string(a.suppressedCount) + "}";
}

std::optional<Alert> alertFromJson(const std::string& json) {
    const auto read = readJson(json);
    const auto* root = std::get_if<JsonValue>(&read);
    if (!root || root->kind != JsonValue::Kind::Object) return std::nullopt;
    Alert a;
    for (const auto& [key, target] :
         {std::pair<const char*, std::string*>{"id", &a.id}, {"key", &a.key}, {"title", &a.title}, {"text", &a.text}}) {
        const JsonValue* v = root->find(key);
        if (!v || v->kind != JsonValue::Kind::String) return std::nullopt;
        *target = v->text;
    }
    const JsonValue* severity = root->find("severity");
    if (!severity || severity->kind != JsonValue::Kind::String) return std::nullopt;
    if (severity->text == "info")
        a.severity = Severity::Info;
    else if (severity->text == "warning")
        a.severity = Severity::Warning;
    else if (severity->text == "critical")
        a.severity = Severity::Critical;
    else
        return std::nullopt;
    const JsonValue* ts = root->find("ts_ms");
    const JsonValue* suppressed = root->find("suppressed");
    const JsonValue* fields = root->find("fields");
    if (!ts || ts->kind != JsonValue::Kind::Number || !suppressed || suppressed->kind != JsonValue::Kind::Number ||
        !fields || fields->kind != JsonValue::Kind::Array)
        return std::nullopt;
    try {
        a.timestampMs = std::stoll(ts->text);
        a.suppressedCount = std::stoi(suppressed->text);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    for (const auto& f : fields->items) {
        if (f.kind != JsonValue::Kind::Array || f.items.size() != 2 || f.items[0].kind != JsonValue::Kind::String ||
            f.items[1].kind != JsonValue::Kind::String)
            return std::nullopt;
        a.fields.emplace_back(f.items[0].text, f.items[1].text);
    }
    return a;
}

}  // namespace tradehost::host
