// An alert as one line of JSON.
#include "alerts/alert_json.h"

#include <algorithm>
#include <fstream>

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

std::vector<Alert> recentAlerts(const std::string& path, std::size_t limit) {
    std::vector<Alert> out;
    std::ifstream in(path, std::ios::binary);
    if (!in) return out;
    constexpr std::streamoff kTail = 1 << 20;
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    const std::streamoff from = size > kTail ? size - kTail : 0;
    in.seekg(from);
    std::string text(static_cast<std::size_t>(size - from), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    // Each line a JSON object; a first line cut by the tail fails to parse and is skipped.
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t nl = std::min(text.find('\n', pos), text.size());
        lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    for (auto it = lines.rbegin(); it != lines.rend() && out.size() < limit; ++it)
        if (auto alert = alertFromJson(*it)) out.push_back(std::move(*alert));
    return out;
}

}  // namespace tradehost::host
