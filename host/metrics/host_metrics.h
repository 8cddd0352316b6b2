// The host's metrics: every tradehost_ series, made up front from the deployment's instance names.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "metrics/component_metrics.h"
#include "metrics/prometheus_registry.h"

namespace tradehost::host {

class LegStore;
class MetricsRegistry;

// Owned by the Host, which lends each component its handles (component_metrics.h) before the
// component's threads start. Label values are the deployment's venue and sink names and closed
// sets (outcomes, states, calls): never an id. docs/metrics.md lists every metric.
//
// Venue instances are labelled `venue`, not `instance`: Prometheus attaches `instance` (the
// scraped address) to every series and would rename ours to `exported_instance`.
class HostMetrics {
public:
    HostMetrics(const std::vector<std::string>& venues, const std::vector<std::string>& sinks);
    HostMetrics(const HostMetrics&) = delete;
    HostMetrics& operator=(const HostMetrics&) = delete;

    // What /metrics serves (Content-Type: text/plain; version=0.0.4). Thread-safe.
    std::string prometheusText() const { return registry_.render(); }
    PrometheusRegistry& registry() { return registry_; }

    IntakeMetrics intake() const { return intake_; }
    JournalMetrics journal() const { return journal_; }
    // Null handles for a name the deployment does not have.
    VenueCallMetrics venueCalls(const std::string& venue) const;
    ReconcilerMetrics reconciler(const std::string& venue) const;
    AlertDeliveryMetrics alertDelivery(const std::string& sink) const;
    AlertPolicyMetrics alertPolicy() const { return alertPolicy_; }

    // A leg outcome as the console tells it (filled, working, cancelled, blocked, rejected,
    // expired, unresolved); other venues or outcomes are not counted. Thread-safe, no lock.
    void legOutcome(const std::string& venue, const std::string& outcome);

    // Collectors, read at each scrape: legs in each unsettled state per venue (`legs` must outlive
    // this object, or the collector must not run after it is gone: the Host owns both), and the
    // plugins' own metrics (PluginContext::metrics(), "<instance>.<name>").
    void watchLegs(LegStore& legs, std::string owner);
    void watchPluginMetrics(const MetricsRegistry& plugins);
    // What one plugin instance publishes now (the admin page's Instances view), by metric name.
    std::vector<std::pair<std::string, std::int64_t>> pluginValues(const std::string& instance) const;

    static const std::vector<std::string>& legStates();    // the unsettled states, lower case
    static const std::vector<std::string>& legOutcomes();  // what legOutcome() counts

private:
    PrometheusRegistry registry_;
    const MetricsRegistry* plugins_ = nullptr;
    std::vector<std::string> venues_;
    IntakeMetrics intake_;
    JournalMetrics journal_;
    AlertPolicyMetrics alertPolicy_;
    std::map<std::string, VenueCallMetrics> venueCalls_;
    std::map<std::string, ReconcilerMetrics> reconcilers_;
    std::map<std::string, AlertDeliveryMetrics> deliveries_;
    std::map<std::pair<std::string, std::string>, Counter*> legOutcomes_;  // (venue, outcome); fixed after construction
    std::map<std::pair<std::string, std::string>, Gauge*> legs_;           // (venue, state)
};

}  // namespace tradehost::host
