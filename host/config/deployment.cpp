// A deployment: the YAML file that names the host's settings and every plugin instance.
#include "config/deployment.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/settings_validator.h"
#include "intake/net/address_range.h"

namespace tradehost::host {
namespace {

int lineOf(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

using T = SettingType;

void parseInstances(const YAML::Node& list, const std::string& section, PluginKind kind, const std::string& file,
                    std::vector<InstanceSpec>& out, ConfigErrors& errors) {
    if (!list.IsDefined() || list.IsNull()) return;
    if (!list.IsSequence()) {
        errors.add(
            {file, lineOf(list), "section '" + section + "'", "", "must be a list of {name, type, settings} entries"});
        return;
    }
    for (const auto& entry : list) {
        const int line = lineOf(entry);
        if (!entry.IsMap()) {
            errors.add({file, line, "section '" + section + "'", "",
                        "each entry must be a mapping with name, type and settings"});
            continue;
        }
        InstanceSpec spec;
        spec.kind = kind;
        spec.line = line;
        // yaml-cpp's operator[] on a missing key gives a node that throws on any question but
        // IsDefined(), so every lookup goes through this one walk over the entry's keys.
        std::map<std::string, YAML::Node> keys;
        std::vector<std::pair<std::string, int>> repeated;
        for (const auto& kv : entry) {
            const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
            if (!keys.emplace(key, kv.second).second) repeated.emplace_back(key, lineOf(kv.first));
        }
        const auto scalarAt = [&](const char* key) -> std::string {
            const auto it = keys.find(key);
            return it != keys.end() && it->second.IsScalar() ? it->second.Scalar() : "";
        };
        spec.name = scalarAt("name");
        const std::string where = spec.name.empty() ? section + " entry" : spec.where();
        for (const auto& [key, keyLine] : repeated)
            errors.add({file, keyLine, where, key, "given twice (YAML would silently keep only one)"});
        const bool isVenue = kind == PluginKind::Venue;
        for (const auto& kv : entry) {
            const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
            if (key != "name" && key != "type" && key != "settings" &&
                !(isVenue && (key == "risk" || key == "on_drift")) && !(!isVenue && key == "severities"))
                errors.add({file, lineOf(kv.first), where, key,
                            std::string("unknown key (valid keys: name, type, settings, ") +
                                (isVenue ? "risk, on_drift)" : "severities)")});
        }
        if (const auto it = keys.find("severities"); !isVenue && it != keys.end()) {
            const YAML::Node& severities = it->second;
            if (!severities.IsSequence() || severities.size() == 0) {
                errors.add({file, lineOf(severities), where, "severities",
                            "must be a list of one or more of info, warning, critical"});
            } else {
                for (const auto& item : severities) {
                    const std::string v = item.IsScalar() ? item.Scalar() : "";
                    if (v == "info" || v == "warning" || v == "critical")
                        spec.severities.push_back(v);
                    else
                        errors.add({file, lineOf(item), where, "severities",
                                    "'" + v.substr(0, 30) + "' is not a severity (info, warning, critical)"});
                }
            }
        }
        if (!keys.count("name")) {
            errors.add({file, line, where, "name", "missing: every instance needs a name"});
        } else if (spec.name.empty() || !isValidInstanceName(spec.name)) {
            errors.add({file, lineOf(keys.at("name")), where, "name",
                        "must start with a lower-case letter and use only a-z, 0-9 and _"});
        }
        spec.type = scalarAt("type");
        if (!keys.count("type"))
            errors.add({file, line, where, "type", "missing: name the plugin type, e.g. paper"});
        else if (spec.type.empty())
            errors.add({file, lineOf(keys.at("type")), where, "type", "must be a plugin type name, e.g. paper"});
        if (const auto it = keys.find("settings"); it != keys.end()) spec.settings = it->second;
        if (const auto it = keys.find("risk"); it != keys.end()) spec.risk = it->second;
        if (const auto it = keys.find("on_drift"); isVenue && it != keys.end()) {
            spec.onDrift = it->second.IsScalar() ? it->second.Scalar() : "";
            if (spec.onDrift != "alert" && spec.onDrift != "pause_symbol")
                errors.add({file, lineOf(it->second), where, "on_drift",
                            "'" + spec.onDrift.substr(0, 30) + "' is not a drift policy (alert, pause_symbol)"});
        }
        out.push_back(std::move(spec));
    }
}

// Address lists are checked where they are written, so a typo names its line, not a silent miss.
void checkAddressList(const YAML::Node& webhook, const char* key, const std::string& file, ConfigErrors& errors) {
    if (!webhook.IsMap()) return;
    const YAML::Node list = webhook[key];
    if (!list.IsDefined() || !list.IsSequence()) return;  // the settings check reported the kind
    for (const auto& item : list) {
        if (item.IsScalar() && !AddressRange::parse(item.Scalar()))
            errors.add({file, lineOf(item), "section 'webhook'", key,
                        "'" + item.Scalar().substr(0, 60) +
                            "' is not an IP address or CIDR range (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/32)"});
    }
}

void checkWebhook(const YAML::Node& webhook, const Deployment& d, int line, ConfigErrors& errors) {
    checkAddressList(webhook, "allow_ips", d.file, errors);
    checkAddressList(webhook, "trusted_proxies", d.file, errors);
    if (d.webhook.has("trusted_proxies") && !d.webhook.list("trusted_proxies").empty() &&
        (!d.webhook.has("allow_ips") || d.webhook.list("allow_ips").empty()))
        errors.add({d.file, line, "section 'webhook'", "trusted_proxies",
                    "has no effect without allow_ips (it only decides which client address allow_ips sees)"});
}

}  // namespace

bool generatesWebhookSecret(const Deployment& d) {
    return d.webhook.has("generate_secret") && d.webhook.boolean("generate_secret");
}

bool hasWebhookAuthentication(const Deployment& d) {
    for (const char* key : {"secret", "path_token", "signing_secret"})
        if (d.webhook.has(key) && !d.webhook.string(key).empty()) return true;
    return generatesWebhookSecret(d);
}

void requireWebhookAuthentication(const Deployment& d, ConfigErrors& errors) {
    // A file that did not parse, or a webhook section that did not validate (a secret's variable
    // unset, say), has told the user already; "no method" would only mislead.
    for (const auto& e : errors.all())
        if (e.where.empty() || (e.where == "section 'webhook'" && e.key != "allow_ips" && e.key != "trusted_proxies"))
            return;
    if (generatesWebhookSecret(d) && d.webhook.has("secret"))
        errors.add({d.file, d.webhookLine, "section 'webhook'", "generate_secret",
                    "and secret are both set: keep one (generate_secret makes the body secret itself)"});
    if (hasWebhookAuthentication(d)) return;
    errors.add({d.file, d.webhookLine, "section 'webhook'", "secret",
                "no authentication method: set secret, path_token or signing_secret (as ${ENV_VAR}), or "
                "generate_secret: true; allow_ips is a filter, never authentication (TradingView's sender "
                "addresses are shared by all its users)"});
}

const std::vector<HostSection>& hostSectionSchemas() {
    static const std::vector<HostSection> sections = {
        {"webhook",
         {SettingSpec("listen", T::String)
              .byDefault(std::string("127.0.0.1:8080"))
              .describe("address:port the signal webhook listens on"),
          SettingSpec("secret", T::String).isSecret().describe("shared secret senders put in the body as \"secret\""),
          SettingSpec("generate_secret", T::Boolean)
              .byDefault(false)
              .describe("make a random body secret on first start, kept in <storage dir>/webhook.secret (0600); "
                        "instead of secret"),
          SettingSpec("path_token", T::String).isSecret().describe("secret token accepted as POST /webhook/<token>"),
          SettingSpec("signing_secret", T::String)
              .isSecret()
              .describe("key for X-Signature: sha256=<hex HMAC of the body>, for senders that can sign"),
          SettingSpec("allow_ips", T::StringList)
              .byDefault(std::vector<std::string>{})
              .describe("client addresses or CIDR ranges allowed to send signals, on top of authentication; "
                        "empty allows any"),
          SettingSpec("trusted_proxies", T::StringList)
              .byDefault(std::vector<std::string>{})
              .describe("addresses or CIDR ranges of your reverse proxies: only from these is X-Forwarded-For "
                        "believed (for allow_ips)"),
          SettingSpec("max_body_bytes", T::Integer)
              .byDefault(std::int64_t{65536})
              .describe("larger bodies are refused with 413 without being read"),
          SettingSpec("max_connections", T::Integer)
              .byDefault(std::int64_t{512})
              .describe("open connections at once; one more is answered 503 (Retry-After: 1) and closed")},
         &Deployment::webhook},
        {"admin",
         {SettingSpec("listen", T::String)
              .byDefault(std::string("127.0.0.1:8081"))
              .describe("address:port of the admin page and API (the section enables them); loopback unless "
                        "behind TLS"),
          SettingSpec("token", T::String)
              .isSecret()
              .describe("operator token (every action), at least 16 characters; unset: made on first start in "
                        "<storage dir>/admin.token (0600)"),
          SettingSpec("viewer_token", T::String)
              .isSecret()
              .describe("optional read-only token, at least 16 characters"),
          SettingSpec("tls_cert", T::String)
              .describe("PEM certificate (chain) file: the admin page is served over HTTPS (with tls_key)"),
          SettingSpec("tls_key", T::String).describe("PEM private key file of tls_cert")},
         &Deployment::admin},
        {"storage",
         {SettingSpec("dir", T::String)
              .byDefault(std::string("./var"))
              .describe("directory for the journal, the gate database and the event log")},
         &Deployment::storage},
        {"plugins",
         {SettingSpec("search_path", T::StringList)
              .byDefault(std::vector<std::string>{})
              .describe("directories searched for tradehost_<type>.so; empty means <dir of tradehost>/plugins")},
         &Deployment::plugins},
        {"risk",
         {SettingSpec("max_signal_age_s", T::Integer)
              .byDefault(std::int64_t{60})
              .describe("signals older than this when processed are expired, never executed late"),
          SettingSpec("signal_retention_days", T::Integer)
              .byDefault(std::int64_t{7})
              .describe("signal ids are remembered this long; older signals are refused")},
         &Deployment::risk},
        {"routing",
         {SettingSpec("default_venue", T::String)
              .byDefault(std::string())
              .describe("venue instance for legs that name none; empty: such legs are blocked")},
         &Deployment::routing},
        {"resolver",
         {SettingSpec("settle_window_s", T::Integer)
              .byDefault(std::int64_t{30})
              .describe("an order is absent only after NotFound answers spanning this long (> the venue's recvWindow)"),
          SettingSpec("unresolved_alert_s", T::Integer)
              .byDefault(std::int64_t{120})
              .describe("an order still unresolved after this long raises an order_unresolved event"),
          SettingSpec("working_poll_ms", T::Integer)
              .byDefault(std::int64_t{1000})
              .describe("how often an open (working) order is asked about until it is filled, cancelled or expired"),
          SettingSpec("working_queries_per_s", T::Integer)
              .byDefault(std::int64_t{10})
              .describe("at most this many working-order queries per second per venue instance (Binance: weight 1 "
                        "each); more working orders are asked about less often")},
         &Deployment::resolver},
        {"reconciler",
         {SettingSpec("interval_s", T::Integer).byDefault(std::int64_t{15}).describe("seconds between position audits"),
          SettingSpec("on_drift", T::String)
              .byDefault(std::string("alert"))
              .describe("what the host does about drift: alert, or pause_symbol (its signals are blocked until an "
                        "operator resumes it); a venue instance's own on_drift overrides it")},
         &Deployment::reconciler},
        {"alerting",
         {SettingSpec("dedup_window_s", T::Integer)
              .byDefault(std::int64_t{60})
              .describe("an alert with the same key inside this window is held back (and counted)"),
          SettingSpec("repeat_interval_s", T::Integer)
              .byDefault(std::int64_t{14400})
              .describe("an unchanged condition (drift, a venue unreachable) is told again after this long"),
          SettingSpec("fallback_file", T::String)
              .byDefault(std::string())
              .describe("every alert told, one JSON line each, whatever the sinks do; empty: "
                        "<storage dir>/alerts-fallback.jsonl")},
         &Deployment::alerting},
    };
    return sections;
}

const SettingsSchema& venueRiskSchema() {
    static const SettingsSchema schema = {
        SettingSpec("symbols", T::StringList)
            .byDefault(std::vector<std::string>{})
            .describe("symbols this instance may trade; empty allows any"),
        SettingSpec("max_quantity", T::Decimal).describe("largest quantity of one leg"),
        SettingSpec("max_notional", T::Decimal).describe("largest price x quantity of one limit leg"),
        SettingSpec("max_orders_per_minute", T::Integer)
            .byDefault(std::int64_t{0})
            .describe("orders sent to this instance per rolling minute; 0: no limit"),
    };
    return schema;
}

bool isValidInstanceName(const std::string& name) {
    if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

Deployment parseDeployment(const std::string& yamlText, const std::string& file, const Environment& env,
                           ConfigErrors& errors) {
    Deployment d;
    d.file = file;
    YAML::Node root;
    try {
        root = YAML::Load(yamlText);
    } catch (const YAML::Exception& e) {
        errors.add({file, e.mark.line + 1, "", "", "YAML syntax error: " + e.msg});
        return d;
    }
    if (root.IsNull() || !root.IsDefined()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) {
        errors.add({file, lineOf(root), "", "", "the deployment must be a mapping of sections (webhook, venues, ...)"});
        return d;
    }

    std::set<std::string> known = {"venues", "alerts"};
    for (const auto& s : hostSectionSchemas()) known.insert(s.name);
    std::set<std::string> seen;
    for (const auto& kv : root) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
        if (!seen.insert(key).second) {
            errors.add({file, lineOf(kv.first), "", key, "section given twice"});
        } else if (!known.count(key)) {
            std::string list;
            for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
            errors.add({file, lineOf(kv.first), "", key, "unknown section (valid sections: " + list + ")"});
        }
    }

    for (const auto& section : hostSectionSchemas()) {
        const YAML::Node node = root[section.name];
        d.*section.field = validateSettings(
            node, section.schema, {file, "section '" + section.name + "'", node.IsDefined() ? lineOf(node) : 0}, env,
            errors);
    }
    parseInstances(root["venues"], "venues", PluginKind::Venue, file, d.venues, errors);
    parseInstances(root["alerts"], "alerts", PluginKind::AlertSink, file, d.alerts, errors);

    // The line of a section's own key (its value's mark is its first entry's line).
    const auto sectionLine = [&](const std::string& name) {
        for (const auto& kv : root)
            if (kv.first.IsScalar() && kv.first.Scalar() == name) return lineOf(kv.first);
        return 0;
    };
    checkWebhook(root["webhook"], d, sectionLine("webhook"), errors);
    d.webhookLine = sectionLine("webhook");
    d.adminLine = sectionLine("admin");
    for (const char* key : {"token", "viewer_token"})
        if (d.admin.has(key) && !d.admin.string(key).empty() && d.admin.string(key).size() < 16)
            errors.add({file, d.adminLine, "section 'admin'", key, "must be at least 16 characters"});
    if (d.admin.has("tls_cert") != d.admin.has("tls_key"))
        errors.add({file, d.adminLine, "section 'admin'", d.admin.has("tls_cert") ? "tls_key" : "tls_cert",
                    "tls_cert and tls_key go together (the certificate and its private key)"});
    if (d.reconciler.has("interval_s") && d.reconciler.integer("interval_s") < 1)
        errors.add({file, sectionLine("reconciler"), "section 'reconciler'", "interval_s", "must be 1 or more"});
    if (const std::string v = d.reconciler.has("on_drift") ? d.reconciler.string("on_drift") : "alert";
        v != "alert" && v != "pause_symbol")
        errors.add({file, sectionLine("reconciler"), "section 'reconciler'", "on_drift",
                    "'" + v.substr(0, 30) + "' is not a drift policy (alert, pause_symbol)"});
    if (const std::string v = d.routing.has("default_venue") ? d.routing.string("default_venue") : "";
        !v.empty() &&
        std::none_of(d.venues.begin(), d.venues.end(), [&](const InstanceSpec& s) { return s.name == v; }))
        errors.add({file, sectionLine("routing"), "section 'routing'", "default_venue",
                    "names no venue instance of this deployment"});

    // One namespace for all instance names: logs, events and the admin page name instances alone.
    std::map<std::string, int> firstLine;
    for (auto* list : {&d.venues, &d.alerts}) {
        for (const auto& spec : *list) {
            if (spec.name.empty()) continue;
            auto [it, inserted] = firstLine.emplace(spec.name, spec.line);
            if (!inserted)
                errors.add({file, spec.line, spec.where(), "name",
                            "duplicate instance name (first defined at line " + std::to_string(it->second) + ")"});
        }
    }
    return d;
}

Deployment loadDeployment(const std::string& path, Environment& env, ConfigErrors& errors) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        errors.add({path, 0, "", "", "cannot read the deployment file"});
        Deployment d;
        d.file = path;
        return d;
    }
    std::ostringstream text;
    text << in.rdbuf();
    const auto dotEnv = std::filesystem::path(path).parent_path() / ".env";
    std::error_code ec;
    if (std::filesystem::exists(dotEnv, ec)) {
        const std::string problem = env.loadDotEnv(dotEnv.string());
        if (!problem.empty()) errors.add({dotEnv.string(), 0, "", "", problem});
    }
    return parseDeployment(text.str(), path, env, errors);
}

}  // namespace tradehost::host
