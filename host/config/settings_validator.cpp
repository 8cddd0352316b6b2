// Checks a YAML settings mapping against a settings table and turns it into typed Settings.
#include "config/settings_validator.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <set>

#include "log/redactor.h"

namespace tradehost::host {
namespace {

int lineOf(const YAML::Node& n, int fallback) {
    const auto mark = n.Mark();
    return mark.line >= 0 ? mark.line + 1 : fallback;
}

// A value short enough to quote back in an error; never used for secrets.
std::string quote(const std::string& raw) {
    return "'" + (raw.size() > 60 ? raw.substr(0, 57) + "..." : raw) + "'";
}

class Checker {
public:
    Checker(const SettingsLocation& loc, const Environment& env, ConfigErrors& errors)
        : loc_(loc), env_(env), errors_(errors) {}

    void error(int line, const std::string& key, const std::string& message) {
        errors_.add({loc_.file, line, loc_.where, key, message});
    }

    // Expands ${...} in one scalar. Returns false (after reporting) if it cannot be used.
    bool scalar(const YAML::Node& n, const SettingSpec& spec, std::string& out) {
        if (!n.IsScalar()) {
            error(lineOf(n, loc_.line), spec.name, std::string("expected a ") + toString(spec.type) + " value, got a " +
                                                         (n.IsMap() ? "mapping" : n.IsSequence() ? "list" : "null"));
            return false;
        }
        const auto e = env_.expand(n.Scalar());
        const int line = lineOf(n, loc_.line);
        if (!e.syntaxError.empty()) {
            error(line, spec.name, e.syntaxError);
            return false;
        }
        for (const auto& m : e.missing)
            error(line, spec.name, "environment variable " + m + " is not set (nor in the .env file)");
        if (!e.missing.empty()) return false;
        if (spec.secret && !e.hadReference) {
            error(line, spec.name, "is a secret: give it as a ${ENV_VAR} reference, not inline in the file");
            return false;
        }
        if (spec.secret) Redactor::instance().addSecret(e.value);
        out = e.value;
        return true;
    }

    // The text to quote back for a bad value: the raw YAML (with ${VAR} unexpanded), never a secret.
    static std::string shown(const YAML::Node& n, const SettingSpec& spec) {
        return spec.secret ? "(secret value not shown)" : quote(n.Scalar());
    }

    std::optional<SettingValue> convert(const YAML::Node& n, const SettingSpec& spec) {
        const int line = lineOf(n, loc_.line);
        switch (spec.type) {
            case SettingType::String: {
                std::string s;
                if (!scalar(n, spec, s)) return std::nullopt;
                return SettingValue(s);
            }
            case SettingType::Integer: {
                std::string s;
                if (!scalar(n, spec, s)) return std::nullopt;
                errno = 0;
                char* end = nullptr;
                const long long v = std::strtoll(s.c_str(), &end, 10);
                if (s.empty() || *end != '\0' || errno == ERANGE || std::isspace(static_cast<unsigned char>(s[0]))) {
                    error(line, spec.name, "expected an integer, got " + shown(n, spec));
                    return std::nullopt;
                }
                return SettingValue(static_cast<std::int64_t>(v));
            }
            case SettingType::Boolean: {
                std::string s;
                if (!scalar(n, spec, s)) return std::nullopt;
                std::string lower(s);
                std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
                if (lower == "true") return SettingValue(true);
                if (lower == "false") return SettingValue(false);
                error(line, spec.name, "expected true or false, got " + shown(n, spec));
                return std::nullopt;
            }
            case SettingType::Decimal: {
                std::string s;
                if (!scalar(n, spec, s)) return std::nullopt;
                auto d = Decimal::parse(s);
                if (!d) {
                    error(line, spec.name, "expected a decimal number such as \"0.001\", got " + shown(n, spec));
                    return std::nullopt;
                }
                return SettingValue(*d);
            }
            case SettingType::StringList: {
                if (n.IsNull()) return SettingValue(std::vector<std::string>{});
                if (!n.IsSequence()) {
                    error(line, spec.name, "expected a list such as [a, b]");
                    return std::nullopt;
                }
                std::vector<std::string> items;
                bool ok = true;
                for (const auto& item : n) {
                    std::string s;
                    if (scalar(item, spec, s)) items.push_back(s);
                    else ok = false;
                }
                if (!ok) return std::nullopt;
                return SettingValue(items);
            }
            case SettingType::StringMap: {
                if (n.IsNull()) return SettingValue(std::map<std::string, std::string>{});
                if (!n.IsMap()) {
                    error(line, spec.name, "expected a mapping such as {KEY: value}");
                    return std::nullopt;
                }
                std::map<std::string, std::string> items;
                bool ok = true;
                for (const auto& kv : n) {
                    std::string value;
                    if (!kv.first.IsScalar()) {
                        error(lineOf(kv.first, line), spec.name, "mapping keys must be plain scalars");
                        ok = false;
                    } else if (items.count(kv.first.Scalar())) {
                        error(lineOf(kv.first, line), spec.name, "duplicate entry " + quote(kv.first.Scalar()));
                        ok = false;
                    } else if (scalar(kv.second, spec, value)) {
                        items[kv.first.Scalar()] = value;
                    } else {
                        ok = false;
                    }
                }
                if (!ok) return std::nullopt;
                return SettingValue(items);
            }
        }
        return std::nullopt;
    }

private:
    const SettingsLocation& loc_;
    const Environment& env_;
    ConfigErrors& errors_;
};

std::string validKeys(const SettingsSchema& schema) {
    if (schema.empty()) return "this plugin takes no settings";
    std::string s = "valid keys: ";
    for (std::size_t i = 0; i < schema.size(); ++i) s += (i ? ", " : "") + schema[i].name;
    return s;
}

}  // namespace

Settings validateSettings(const YAML::Node& node, const SettingsSchema& schema, const SettingsLocation& location,
                          const Environment& env, ConfigErrors& errors) {
    Checker check(location, env, errors);
    std::map<std::string, SettingValue> values;
    std::set<std::string> seen;

    if (node.IsDefined() && !node.IsNull() && !node.IsMap()) {
        check.error(lineOf(node, location.line), "", "settings must be a mapping of key: value");
        return Settings();
    }
    if (node.IsMap()) {
        for (const auto& kv : node) {
            const int line = lineOf(kv.first, location.line);
            const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
            if (!seen.insert(key).second) {
                check.error(line, key, "given twice");
                continue;
            }
            const auto spec = std::find_if(schema.begin(), schema.end(), [&](const SettingSpec& s) { return s.name == key; });
            if (spec == schema.end()) {
                check.error(line, key, "unknown key (" + validKeys(schema) + ")");
                continue;
            }
            if (kv.second.IsNull() && spec->type != SettingType::StringList && spec->type != SettingType::StringMap) {
                check.error(line, key, "has no value");
                continue;
            }
            if (auto v = check.convert(kv.second, *spec)) values[key] = *v;
        }
    }
    for (const auto& spec : schema) {
        if (seen.count(spec.name)) continue;
        if (spec.defaultValue) values[spec.name] = *spec.defaultValue;
        else if (spec.required) check.error(location.line, spec.name, "missing required key (" + spec.description + ")");
    }
    return Settings(std::move(values));
}

std::string describeValue(const SettingValue& value) {
    struct Visitor {
        std::string operator()(const std::string& s) const { return s.empty() ? "\"\"" : s; }
        std::string operator()(std::int64_t v) const { return std::to_string(v); }
        std::string operator()(bool v) const { return v ? "true" : "false"; }
        std::string operator()(const Decimal& d) const { return d.toString(); }
        std::string operator()(const std::vector<std::string>& l) const {
            std::string s = "[";
            for (std::size_t i = 0; i < l.size(); ++i) s += (i ? ", " : "") + l[i];
            return s + "]";
        }
        std::string operator()(const std::map<std::string, std::string>& m) const {
            std::string s = "{";
            bool first = true;
            for (const auto& kv : m) {
                s += (first ? "" : ", ") + kv.first + ": " + kv.second;
                first = false;
            }
            return s + "}";
        }
    };
    return std::visit(Visitor{}, value);
}

}  // namespace tradehost::host
