// Checks a YAML settings mapping against a settings table and turns it into typed Settings.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include <tradehost/settings.h>

#include "config/config_error.h"
#include "config/environment.h"

namespace tradehost::host {

// Where the settings live, for error messages.
struct SettingsLocation {
    std::string file;
    std::string where;  // "venue 'paper'", "section 'webhook'"
    int line = 0;       // of the owner, used when the mapping itself is absent
};

// Validates `node` (a mapping, or null/undefined for "no settings") against `schema`: unknown
// keys (listing the valid ones), duplicate keys, wrong types, missing required keys, malformed or
// missing ${ENV} references, secrets given inline. Defaults fill absent keys. Every problem is
// appended to `errors`; the returned Settings hold whatever was valid. Resolved secret values are
// registered with the Redactor and never appear in an error.
Settings validateSettings(const YAML::Node& node, const SettingsSchema& schema, const SettingsLocation& location,
                          const Environment& env, ConfigErrors& errors);

// Human text of a value for --describe-plugins ("[]", "true", "0.01", "{BTCUSDT: 65000}").
std::string describeValue(const SettingValue& value);

}  // namespace tradehost::host
