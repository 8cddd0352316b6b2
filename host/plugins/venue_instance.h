// A named venue instance: the plugin object behind the firewall, with its context and state.
#pragma once

#include <tradehost/venue.h>

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string>

#include "plugins/instance_context.h"
#include "plugins/plugin_loader.h"

namespace tradehost::host {

enum class InstanceState { Created, Running, Stopped, Failed };
const char* toString(InstanceState s);

class VenueInstance {
public:
    VenueInstance(const LoadedPlugin& plugin, std::unique_ptr<InstanceContext> context, std::unique_ptr<Venue> venue);
    ~VenueInstance();

    const std::string& name() const { return context_->instanceName(); }
    // Host-enforced limits from the deployment's `risk:` (venueRiskSchema()).
    const Settings& risk() const { return risk_; }
    void setRisk(Settings risk) { risk_ = std::move(risk); }
    const LoadedPlugin& plugin() const { return plugin_; }
    InstanceState state() const { return state_; }

    // Throws std::runtime_error "venue '<name>' (<type>) failed to start: <reason>".
    void start();
    // Waits for calls in flight (each bounded by the plugin's own timeout), then stops the plugin;
    // later calls are refused without reaching it.
    void stop() noexcept;

    ClientOrderIdRules clientOrderIdRules() const { return rules_; }
    PlaceResult placeOrder(const OrderIntent& intent) noexcept;
    QueryResult queryOrder(const std::string& clientOrderId, const std::string& symbol) noexcept;
    CancelResult cancelOrder(const std::string& clientOrderId, const std::string& symbol) noexcept;
    PositionsResult positions() noexcept;
    OpenOrdersResult openOrders() noexcept;
    SymbolRulesResult symbolRules(const std::string& symbol) noexcept;
    // Asks the plugin to push order updates to `sink` (which must outlive stop()); false if it
    // cannot (or threw).
    bool watchOrders(OrderUpdateSink& sink) noexcept;

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
};

}  // namespace tradehost::host
