// Turns a deployment's venues and alerts into running plugin instances, reporting every error.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config_error.h"
#include "config/deployment.h"
#include "config/environment.h"
#include "log/metrics_registry.h"
#include "operator/command_relay.h"
#include "plugins/alert_sink_instance.h"
#include "plugins/plugin_loader.h"
#include "plugins/venue_instance.h"

namespace tradehost::host {

class InstanceSet {
public:
    InstanceSet() = default;
    InstanceSet(InstanceSet&&) = default;
    InstanceSet& operator=(InstanceSet&&) = default;
    ~InstanceSet() { stopAll(); }

    // Lent to every alert instance's context (PluginContext::operatorCommands()); the host attaches
    // its command handler once it can act on commands. Heap-held: contexts keep its address;
    // declared first, so it outlives the instances.
    std::unique_ptr<CommandRelay> commandRelay = std::make_unique<CommandRelay>();
    std::vector<std::unique_ptr<VenueInstance>> venues;
    std::vector<std::unique_ptr<AlertSinkInstance>> alerts;
    // Where the instances' contexts put their metrics (buildInstances()' registry, which outlives
    // them); null for a set built by hand. Read by /metrics.
    const MetricsRegistry* pluginMetrics = nullptr;

    VenueInstance* venue(const std::string& name) const;

    // Starts every instance; each failure is an error naming the instance (others still start).
    void startAll(const std::string& file, ConfigErrors& errors);
    void stopAll() noexcept;  // alerts last, so a venue's last words can still be alerted
};

// For each instance: finds its plugin (kind must match the section), validates its settings
// against the plugin's table, creates its data directory (<storage.dir>/plugins/<name>, mode
// 0700), constructs it through the firewall, and checks that a venue's name fits its client
// order id rules. Every problem goes to `errors` with file:line, instance and key; instances with
// errors are left out.
InstanceSet buildInstances(const Deployment& deployment, PluginRegistry& registry, const Environment& env,
                           MetricsRegistry& metrics, ConfigErrors& errors);

}  // namespace tradehost::host
