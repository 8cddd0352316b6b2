// A deployment: the YAML file that names the host's settings and every plugin instance.
#pragma once

#include <tradehost/plugin.h>
#include <tradehost/settings.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "config/config_error.h"
#include "config/environment.h"

namespace tradehost::host {

// One entry of `venues:` or `alerts:`. Its settings are checked later, against the plugin's
// own table, once the plugin is loaded.
struct InstanceSpec {
    std::string name;
    std::string type;
    PluginKind kind = PluginKind::Venue;
    YAML::Node settings;  // a mapping, or null
    YAML::Node risk;      // venues only: host-enforced limits, checked against venueRiskSchema()
    // Alerts only: the severities this sink gets ("info", "warning", "critical"); all when unset.
    std::vector<std::string> severities;
    // Venues only: "alert" or "pause_symbol"; empty: the reconciler section's on_drift.
    std::string onDrift;
    int line = 0;

    std::string where() const { return std::string(kind == PluginKind::Venue ? "venue" : "alert") + " '" + name + "'"; }
};

struct Deployment {
    std::string file;  // shown in errors: the path given, or "config/default.yaml (embedded)"
    // The host's own sections, validated against the tables in hostSectionSchemas().
    Settings webhook, admin, storage, plugins, risk, routing, resolver, reconciler, alerting;
    std::vector<InstanceSpec> venues;
    std::vector<InstanceSpec> alerts;
    int webhookLine = 0;  // of the `webhook:` section, 0 when absent
    int adminLine = 0;    // of the `admin:` section, 0 when absent (then nothing listens for it)
};

// Whether `webhook:` sets secret, path_token, signing_secret or generate_secret.
bool hasWebhookAuthentication(const Deployment& d);
bool generatesWebhookSecret(const Deployment& d);
// Nothing listens unauthenticated: every deployment names a method (and not two body secrets).
void requireWebhookAuthentication(const Deployment& d, ConfigErrors& errors);

struct HostSection {
    std::string name;
    SettingsSchema schema;
    Settings Deployment::*field;
};
// The host's sections and their settings tables (also printed by --describe-plugins).
const std::vector<HostSection>& hostSectionSchemas();

// Pre-trade limits the host enforces on a venue instance, whatever its plugin: `risk:` in a
// `venues:` entry.
const SettingsSchema& venueRiskSchema();

// Instance names: a lower-case letter, then lower-case letters, digits and '_'. Venue names are
// also part of every client order id, so the venue plugin's id rules bound their length.
bool isValidInstanceName(const std::string& name);

// Parses and checks everything that does not need a plugin: YAML syntax, sections, host
// settings, instance entries (name, type, duplicate names). Appends every problem to `errors`.
Deployment parseDeployment(const std::string& yamlText, const std::string& file, const Environment& env,
                           ConfigErrors& errors);

// Reads the file, loads `.env` beside it when present, and parses it.
Deployment loadDeployment(const std::string& path, Environment& env, ConfigErrors& errors);

}  // namespace tradehost::host
