// A named venue instance: the plugin object behind the firewall, with its context and state.
#pragma once

#include <tradehost/venue.h>

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string>

#include "metrics/component_metrics.h"
#include "plugins/instance_context.h"
#include "plugins/plugin_loader.h"

namespace tradehost::host {

enum class InstanceState { Created, Running, Stopped, Failed };
const char* toString(InstanceState s);

// Itself a Venue: the pipeline talks to the SDK interface, so its tests can hand it a fake. Every
// call is noexcept (a throwing plugin becomes Unknown, or Deferred when nothing can have left).
class VenueInstance final : public Venue {
public:
    VenueInstance(const LoadedPlugin& plugin, std::unique_ptr<InstanceContext> context, std::unique_ptr<Venue> venue);
    ~VenueInstance() override;

    const std::string& name() const { return context_->instanceName(); }
    // Host-enforced limits from the deployment's `risk:` (venueRiskSchema()).
    const Settings& risk() const { return risk_; }
    void setRisk(Settings risk) { risk_ = std::move(risk); }
    const LoadedPlugin& plugin() const { return plugin_; }
    InstanceState state() const { return state_; }
    // How long each call into the plugin takes, from now on. Before the host's workers call it
    // (the handles are read without a lock); their series must outlive the instance's calls.
    void setMetrics(VenueCallMetrics metrics) { metrics_ = metrics; }

    // Throws std::runtime_error "venue '<name>' (<type>) failed to start: <reason>".
    void start() override;
    // Waits for calls in flight (each bounded by the plugin's own timeout), then stops the plugin;
    // later calls are refused without reaching it.
    void stop() noexcept override;

    ClientOrderIdRules clientOrderIdRules() const override { return rules_; }
    PlaceResult placeOrder(const OrderIntent& intent) noexcept override;
    QueryResult queryOrder(const std::string& clientOrderId, const std::string& symbol) noexcept override;
    CancelResult cancelOrder(const std::string& clientOrderId, const std::string& symbol) noexcept override;
    PositionsResult positions() noexcept override;
    OpenOrdersResult openOrders() noexcept override;
    SymbolRulesResult symbolRules(const std::string& symbol) noexcept override;
    // Asks the plugin to push order updates to `sink` (which must outlive stop()); false if it
    // cannot (or threw).
    bool watchOrders(OrderUpdateSink& sink) noexcept override;

private:
    bool callable() const { return state_ == InstanceState::Running; }
    // Calls hold it shared; stop() holds it exclusively, so the plugin never sees both at once.
    mutable std::shared_mutex lifecycle_;

    const LoadedPlugin& plugin_;
    std::unique_ptr<InstanceContext> context_;  // declared first: outlives the plugin object
    std::unique_ptr<Venue> venue_;
    ClientOrderIdRules rules_;
    Settings risk_;
    std::atomic<InstanceState> state_{InstanceState::Created};
    VenueCallMetrics metrics_;
};

}  // namespace tradehost::host
