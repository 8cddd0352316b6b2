// Turns a deployment's venues and alerts into running plugin instances, reporting every error.
#include "plugins/instance_set.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "config/settings_validator.h"
#include "ids/client_order_id.h"
#include "plugins/firewall.h"

namespace tradehost::host {

VenueInstance* InstanceSet::venue(const std::string& name) const {
    for (const auto& v : venues)
        if (v->name() == name) return v.get();
    return nullptr;
}

void InstanceSet::startAll(const std::string& file, ConfigErrors& errors) {
    for (auto& v : venues) {
        try {
            v->start();
        } catch (const std::exception& e) {
            errors.add({file, 0, "venue '" + v->name() + "'", "", e.what()});
        }
    }
    for (auto& a : alerts) {
        try {
            a->start();
        } catch (const std::exception& e) {
            errors.add({file, 0, "alert '" + a->name() + "'", "", e.what()});
        }
    }
}

void InstanceSet::stopAll() noexcept {
    for (auto& v : venues) v->stop();
    for (auto& a : alerts) a->stop();
}

namespace {

// Constructs through the firewall; a throwing constructor is a configuration error.
template <class Object>
std::unique_ptr<Object> construct(const InstanceSpec& spec, const LoadedPlugin& plugin, const std::string& file,
                                  ConfigErrors& errors, const std::function<std::unique_ptr<Object>()>& create) {
    std::string failure;
    auto object = firewall(create, [&](const std::string& reason) {
        failure = reason;
        return std::unique_ptr<Object>();
    });
    if (!failure.empty()) {
        errors.add({file, spec.line, spec.where(), "", plugin.typeName + " refused the settings: " + failure});
        return nullptr;
    }
    if (!object) errors.add({file, spec.line, spec.where(), "", "plugin " + plugin.path + " returned no object"});
    return object;
}

// A plugin's own table must be sound before a deployment is judged against it.
std::string checkSchema(const SettingsSchema& schema) {
    std::set<std::string> names;
    for (const auto& spec : schema) {
        if (!names.insert(spec.name).second) return "its settings table declares '" + spec.name + "' twice";
        if (spec.defaultValue && spec.defaultValue->index() != static_cast<std::size_t>(spec.type))
            return "its settings table gives '" + spec.name + "' a default that is not a " + toString(spec.type);
        if (spec.secret && spec.defaultValue)
            return "its settings table gives the secret '" + spec.name + "' a default";
    }
    return "";
}

}  // namespace

InstanceSet buildInstances(const Deployment& deployment, PluginRegistry& registry, const Environment& env,
                           MetricsRegistry& metrics, ConfigErrors& errors) {
    InstanceSet set;
    set.pluginMetrics = &metrics;
    const std::string& file = deployment.file;
    // The host's own default (deployment.cpp) for a Deployment built without parsing.
    const std::filesystem::path storageDir =
        deployment.storage.has("dir") ? deployment.storage.string("dir") : std::string("./var");
    for (const auto* list : {&deployment.venues, &deployment.alerts}) {
        for (const InstanceSpec& spec : *list) {
            if (spec.name.empty() || spec.type.empty()) continue;  // already reported by the parser
            const LoadedPlugin* plugin = nullptr;
            try {
                plugin = &registry.find(spec.type);
            } catch (const PluginLoadError& e) {
                errors.add({file, spec.line, spec.where(), "type", e.what()});
                continue;
            }
            if (plugin->kind != spec.kind) {
                errors.add(
                    {file, spec.line, spec.where(), "type",
                     "'" + spec.type + "' is " + (plugin->kind == PluginKind::Venue ? "a venue" : "an alert sink") +
                         " plugin; list it under " + (plugin->kind == PluginKind::Venue ? "venues:" : "alerts:")});
                continue;
            }
            SettingsSchema schema;
            std::string schemaFailure;
            firewall([&] { schema = plugin->factory->settingsSchema(); },
                     [&](const std::string& reason) { schemaFailure = "settingsSchema() threw: " + reason; });
            if (schemaFailure.empty()) schemaFailure = checkSchema(schema);
            if (!schemaFailure.empty()) {
                errors.add({file, spec.line, spec.where(), "", plugin->path + ": " + schemaFailure});
                continue;
            }
            const std::size_t before = errors.size();
            const Settings settings =
                validateSettings(spec.settings, schema, {file, spec.where(), spec.line}, env, errors);
            if (errors.size() != before) continue;

            // The instance's own directory exists before its constructor runs (context.h). So
            // --check-config creates it too: an instance that could not keep its files cannot work.
            // Not for a name the parser refused ("../x" would leave plugins/): that deployment
            // never starts, and the instance is still built to report its other errors.
            const std::filesystem::path dataDir = instanceDataDir(storageDir, spec.name);
            try {
                if (isValidInstanceName(spec.name)) createInstanceDataDir(dataDir);
            } catch (const std::exception& e) {
                errors.add({file, spec.line, spec.where(), "", std::string(e.what()) + " (storage.dir)"});
                continue;
            }
            const bool isVenue = spec.kind == PluginKind::Venue;
            auto context = std::make_unique<InstanceContext>(spec.name, (isVenue ? "venue." : "alert.") + spec.name,
                                                             SystemClock::instance(), metrics, dataDir.string());
            if (!isVenue) context->lendCommands(*set.commandRelay);
            if (isVenue) {
                auto venue = construct<Venue>(spec, *plugin, file, errors,
                                              [&] { return plugin->factory->createVenue(settings, *context); });
                if (!venue) continue;
                std::unique_ptr<VenueInstance> instance;
                std::string failure;
                firewall(
                    [&] { instance = std::make_unique<VenueInstance>(*plugin, std::move(context), std::move(venue)); },
                    [&](const std::string& reason) {
                        failure = spec.type + ": clientOrderIdRules() threw: " + reason;
                    });
                if (!instance) {
                    errors.add({file, spec.line, spec.where(), "", failure});
                    continue;
                }
                const auto rules = instance->clientOrderIdRules();
                const std::size_t limit = maxVenueNameLength(rules);
                if (spec.name.size() > limit) {
                    errors.add({file, spec.line, spec.where(), "name",
                                "is " + std::to_string(spec.name.size()) + " characters; client order ids on '" +
                                    spec.type + "' allow at most " + std::to_string(rules.maxLength) +
                                    ", which leaves " + std::to_string(limit) + " for the venue name"});
                    continue;
                }
                try {
                    ClientOrderIdCodec codec(rules, spec.name);  // separator, digest alphabet, name characters
                } catch (const std::invalid_argument& e) {
                    errors.add({file, spec.line, spec.where(), "name", e.what()});
                    continue;
                }
                const std::size_t errorsBefore = errors.size();
                Settings risk = validateSettings(spec.risk, venueRiskSchema(),
                                                 {file, spec.where() + " risk", spec.line}, env, errors);
                if (errors.size() != errorsBefore) continue;
                instance->setRisk(std::move(risk));
                set.venues.push_back(std::move(instance));
            } else {
                auto sink = construct<AlertSink>(spec, *plugin, file, errors,
                                                 [&] { return plugin->factory->createAlertSink(settings, *context); });
                if (!sink) continue;
                set.alerts.push_back(std::make_unique<AlertSinkInstance>(*plugin, std::move(context), std::move(sink)));
            }
        }
    }
    return set;
}

}  // namespace tradehost::host
