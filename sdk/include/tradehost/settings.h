// The settings table a plugin declares, and the validated read-only values the host hands it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tradehost/decimal.h"
#include "tradehost/visibility.h"

namespace tradehost {

// The YAML shape a setting accepts.
enum class SettingType {
    String,      // a scalar, taken as text
    Integer,     // a whole number (64-bit)
    Boolean,     // true / false
    Decimal,     // an exact decimal, written as a number or a quoted string ("0.001")
    StringList,  // a sequence of scalars
    StringMap,   // a mapping of scalar keys to scalar values (e.g. symbol -> price)
};

inline const char* toString(SettingType type) {
    switch (type) {
        case SettingType::String: return "string";
        case SettingType::Integer: return "integer";
        case SettingType::Boolean: return "boolean";
        case SettingType::Decimal: return "decimal";
        case SettingType::StringList: return "list of strings";
        case SettingType::StringMap: return "map of strings";
    }
    return "?";
}

// One value, in the alternative that matches its SettingType (same order).
using SettingValue = std::variant<std::string, std::int64_t, bool, Decimal, std::vector<std::string>,
                                  std::map<std::string, std::string>>;

// One row of a plugin's settings table. The host validates a deployment against it before the
// plugin is constructed (unknown keys, wrong types, missing required keys are config errors
// naming file:line, instance and key), fills defaults, and prints it for --describe-plugins.
//
//   static tradehost::SettingsSchema settingsSchema() {
//       return {tradehost::SettingSpec("path", tradehost::SettingType::String).isRequired()
//                   .describe("file the alerts are appended to")};
//   }
struct SettingSpec {
    std::string name;
    SettingType type = SettingType::String;
    bool required = false;
    std::optional<SettingValue> defaultValue;  // used when the key is absent
    bool secret = false;  // must come from ${ENV}; never printed, logged or echoed back
    std::string description;

    SettingSpec(std::string name_, SettingType type_) : name(std::move(name_)), type(type_) {}
    SettingSpec isRequired() const { SettingSpec s = *this; s.required = true; return s; }
    SettingSpec isSecret() const { SettingSpec s = *this; s.secret = true; return s; }
    SettingSpec byDefault(SettingValue v) const { SettingSpec s = *this; s.defaultValue = std::move(v); return s; }
    SettingSpec describe(std::string text) const { SettingSpec s = *this; s.description = std::move(text); return s; }
};

using SettingsSchema = std::vector<SettingSpec>;

// Thrown by Settings accessors when a plugin asks for a key it did not declare, or with another
// type than it declared. That is a bug in the plugin, caught by the host at construction.
class TRADEHOST_SDK_API SettingsError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

// Validated settings for one instance: every declared key with a value or a default is present,
// with the declared type. Immutable; safe to read from any thread.
class Settings {
public:
    Settings() = default;
    explicit Settings(std::map<std::string, SettingValue> values) : values_(std::move(values)) {}

    bool has(const std::string& name) const { return values_.count(name) != 0; }
    const std::string& string(const std::string& name) const { return get<std::string>(name); }
    std::int64_t integer(const std::string& name) const { return get<std::int64_t>(name); }
    bool boolean(const std::string& name) const { return get<bool>(name); }
    const Decimal& decimal(const std::string& name) const { return get<Decimal>(name); }
    const std::vector<std::string>& list(const std::string& name) const { return get<std::vector<std::string>>(name); }
    const std::map<std::string, std::string>& map(const std::string& name) const {
        return get<std::map<std::string, std::string>>(name);
    }
    const std::map<std::string, SettingValue>& all() const { return values_; }

private:
    template <class T>
    const T& get(const std::string& name) const {
        auto it = values_.find(name);
        if (it == values_.end()) throw SettingsError("setting '" + name + "' has no value (not declared, or optional and unset)");
        if (const T* v = std::get_if<T>(&it->second)) return *v;
        throw SettingsError("setting '" + name + "' read with a type other than the declared one");
    }
    std::map<std::string, SettingValue> values_;
};

}  // namespace tradehost
