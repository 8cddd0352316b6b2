// The host's metrics: every tradehost_ series, made up front from the deployment's instance names.
#include "metrics/host_metrics.h"

#include <algorithm>
#include <chrono>

#include "gate/leg_store.h"
#include "log/metrics_registry.h"

namespace tradehost::host {

const char* toString(SignalOutcome outcome) {
    switch (outcome) {
        case SignalOutcome::Accepted:
            return "accepted";
        case SignalOutcome::Duplicate:
            return "duplicate";
        case SignalOutcome::Conflict:
            return "conflict";
        case SignalOutcome::BadRequest:
            return "bad_request";
        case SignalOutcome::Unauthorized:
            return "unauthorized";
        case SignalOutcome::Forbidden:
            return "forbidden";
        case SignalOutcome::TooLarge:
            return "too_large";
        case SignalOutcome::Timeout:
            return "timeout";
        case SignalOutcome::OverCapacity:
            return "over_capacity";
        case SignalOutcome::Unavailable:
            return "unavailable";
        case SignalOutcome::Error:
            return "error";
    }
    return "error";
}

const char* toString(VenueCall call) {
    switch (call) {
        case VenueCall::Place:
            return "place";
        case VenueCall::Query:
            return "query";
        case VenueCall::Cancel:
            return "cancel";
        case VenueCall::Positions:
            return "positions";
        case VenueCall::OpenOrders:
            return "open_orders";
        case VenueCall::SymbolRules:
            return "symbol_rules";
    }
    return "?";
}

const std::vector<std::string>& HostMetrics::legStates() {
    static const std::vector<std::string> states{"pending", "submitted", "unknown", "absent", "working"};
    return states;
}

const std::vector<std::string>& HostMetrics::legOutcomes() {
    static const std::vector<std::string> outcomes{"filled",   "working", "cancelled", "blocked",
                                                   "rejected", "expired", "unresolved"};
    return outcomes;
}

HostMetrics::HostMetrics(const std::vector<std::string>& venues, const std::vector<std::string>& sinks)
    : venues_(venues) {
    PrometheusRegistry& r = registry_;
    r.gauge("tradehost_build_info", "Always 1; the version of tradehost as a label", {{"version", TRADEHOST_VERSION}})
        .set(1);
    r.gauge("tradehost_start_time_seconds", "When this tradehost process started, in unix time")
        .set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());

    for (std::size_t i = 0; i < kSignalOutcomes; ++i) {
        const auto outcome = static_cast<SignalOutcome>(i);
        intake_.signals[i] =
            &r.counter("tradehost_signals_total", "Requests to the webhook (probes aside) by what they were answered",
                       {{"outcome", toString(outcome)}});
    }
    intake_.ackSeconds =
        &r.histogram("tradehost_intake_ack_seconds",
                     "From a journaled request read whole to its answer written (the journal's fdatasync included)",
                     Histogram::fastSecondsBuckets());
    journal_.fdatasyncSeconds =
        &r.histogram("tradehost_journal_fdatasync_seconds", "Duration of each fdatasync of the journal",
                     Histogram::fastSecondsBuckets());
    journal_.groupCommitRecords =
        &r.histogram("tradehost_journal_group_commit_records",
                     "Journal records made durable by one fdatasync (group commit)", Histogram::countBuckets());

    for (const auto& v : venues) {
        VenueCallMetrics calls;
        for (std::size_t i = 0; i < kVenueCalls; ++i)
            calls.seconds[i] = &r.histogram(
                "tradehost_venue_call_seconds", "Duration of calls into a venue plugin (the venue's answer included)",
                Histogram::secondsBuckets(), {{"venue", v}, {"call", toString(static_cast<VenueCall>(i))}});
        venueCalls_[v] = calls;
        ReconcilerMetrics rec;
        rec.driftPositions = &r.gauge("tradehost_drift_positions",
                                      "Positions at the venue that differ from the host's book (drift reported, "
                                      "or held at the first check and not yet accepted)",
                                      {{"venue", v}});
        rec.reachable = &r.gauge("tradehost_venue_reachable",
                                 "1 when the reconciler's last check could read the venue's positions and open "
                                 "orders, else 0 (also 0 before the first check)",
                                 {{"venue", v}});
        rec.lastSuccessSeconds =
            &r.gauge("tradehost_reconcile_last_success_timestamp_seconds",
                     "Unix time of the reconciler's last check that could read the venue; 0: none", {{"venue", v}});
        reconcilers_[v] = rec;
        for (const auto& state : legStates())
            legs_[{v, state}] = &r.gauge("tradehost_legs",
                                         "Legs of this host in each unsettled state, read from the gate at the scrape",
                                         {{"venue", v}, {"state", state}});
        for (const auto& outcome : legOutcomes())
            legOutcomes_[{v, outcome}] =
                &r.counter("tradehost_leg_outcomes_total",
                           "Leg outcomes as the console tells them (working: an order rests at the venue; it is "
                           "counted again when it ends)",
                           {{"venue", v}, {"outcome", outcome}});
    }

    for (const auto& s : sinks) {
        const std::string help = "Deliveries of alerts to an alert sink, by what the sink answered";
        deliveries_[s] = {&r.counter("tradehost_alerts_total", help, {{"sink", s}, {"outcome", "sent"}}),
                          &r.counter("tradehost_alerts_total", help, {{"sink", s}, {"outcome", "retried"}}),
                          &r.counter("tradehost_alerts_total", help, {{"sink", s}, {"outcome", "failed"}})};
    }
    const std::string suppressed =
        "Alerts not told: deduplicated (the same kind, venue and symbol inside the dedup "
        "window, or an unchanged condition), or inhibited (per order, venue unreachable)";
    alertPolicy_.deduplicated =
        &r.counter("tradehost_alerts_suppressed_total", suppressed, {{"reason", "deduplicated"}});
    alertPolicy_.inhibited = &r.counter("tradehost_alerts_suppressed_total", suppressed, {{"reason", "inhibited"}});
}

VenueCallMetrics HostMetrics::venueCalls(const std::string& venue) const {
    const auto it = venueCalls_.find(venue);
    return it == venueCalls_.end() ? VenueCallMetrics{} : it->second;
}

ReconcilerMetrics HostMetrics::reconciler(const std::string& venue) const {
    const auto it = reconcilers_.find(venue);
    return it == reconcilers_.end() ? ReconcilerMetrics{} : it->second;
}

AlertDeliveryMetrics HostMetrics::alertDelivery(const std::string& sink) const {
    const auto it = deliveries_.find(sink);
    return it == deliveries_.end() ? AlertDeliveryMetrics{} : it->second;
}

void HostMetrics::legOutcome(const std::string& venue, const std::string& outcome) {
    const auto it = legOutcomes_.find({venue, outcome});
    if (it != legOutcomes_.end()) it->second->inc();
}

void HostMetrics::watchLegs(LegStore& legs, std::string owner) {
    registry_.addCollector([this, &legs, owner = std::move(owner)] {
        std::map<std::pair<std::string, std::string>, double> counts;
        for (const auto& leg : legs.legsIn(
                 {LegState::Pending, LegState::Submitted, LegState::Unknown, LegState::Absent, LegState::Working},
                 owner)) {
            std::string state = toString(leg.state);
            for (auto& c : state) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            counts[{leg.intent.venue, state}] += 1;
        }
        for (const auto& [key, gauge] : legs_) {
            const auto it = counts.find(key);
            gauge->set(it == counts.end() ? 0 : it->second);
        }
    });
}

std::vector<std::pair<std::string, std::int64_t>> HostMetrics::pluginValues(const std::string& instance) const {
    std::vector<std::pair<std::string, std::int64_t>> out;
    if (!plugins_) return out;
    const std::string prefix = instance + ".";
    for (const auto& [key, value] : plugins_->snapshot())
        if (key.compare(0, prefix.size(), prefix) == 0) out.emplace_back(key.substr(prefix.size()), value);
    return out;
}

void HostMetrics::watchPluginMetrics(const MetricsRegistry& plugins) {
    plugins_ = &plugins;
    registry_.addCollector([this, &plugins] {
        for (const auto& [key, value] : plugins.snapshot()) {
            const auto dot = key.find('.');
            if (dot == std::string::npos) continue;
            const std::string instance = key.substr(0, dot);
            const std::string name = key.substr(dot + 1);
            registry_
                .gauge("tradehost_plugin_metric",
                       "A plugin's own metric as it publishes it (PluginContext::metrics()): a count or a level",
                       {{"plugin_instance", instance}, {"metric", name}})
                .set(static_cast<double>(value));
            // The venues' rate limits by their own names (Binance's response headers).
            const bool venue = std::find(venues_.begin(), venues_.end(), instance) != venues_.end();
            if (!venue) continue;
            if (name == "used_weight_1m")
                registry_
                    .gauge("tradehost_venue_used_weight",
                           "Request weight used in the venue's current one-minute window, as the venue last said",
                           {{"venue", instance}})
                    .set(static_cast<double>(value));
            else if (name == "order_count_10s" || name == "order_count_1m")
                registry_
                    .gauge("tradehost_venue_window_orders",
                           "Orders counted by the venue in its current window (10s, 1m), as the venue last said",
                           {{"venue", instance}, {"window", name.substr(12)}})
                    .set(static_cast<double>(value));
        }
    });
}

}  // namespace tradehost::host
