// A named venue instance: the plugin object behind the firewall, with its context and state.
#include "plugins/venue_instance.h"

#include <chrono>
#include <stdexcept>

#include "plugins/firewall.h"

namespace tradehost::host {

const char* toString(InstanceState s) {
    switch (s) {
        case InstanceState::Created:
            return "created";
        case InstanceState::Running:
            return "running";
        case InstanceState::Stopped:
            return "stopped";
        case InstanceState::Failed:
            return "failed";
    }
    return "?";
}

VenueInstance::VenueInstance(const LoadedPlugin& plugin, std::unique_ptr<InstanceContext> context,
                             std::unique_ptr<Venue> venue)
    : plugin_(plugin), context_(std::move(context)), venue_(std::move(venue)) {
    // Constant for the instance's life, so asked once; a throw here is a construction error.
    rules_ = venue_->clientOrderIdRules();
}

VenueInstance::~VenueInstance() { stop(); }

void VenueInstance::start() {
    std::string failure;
    firewall([&] { venue_->start(); }, [&](const std::string& reason) { failure = reason; });
    if (!failure.empty()) {
        state_ = InstanceState::Failed;
        throw std::runtime_error(plugin_.typeName + " failed to start: " + failure);
    }
    state_ = InstanceState::Running;
}

void VenueInstance::stop() noexcept {
    std::unique_lock<std::shared_mutex> lock(lifecycle_);
    const InstanceState was = state_.exchange(InstanceState::Stopped);
    // stop() is noexcept in the SDK; a plugin that throws anyway terminates, as it would anywhere.
    if (was == InstanceState::Running || was == InstanceState::Failed) venue_->stop();
}

namespace {
const char* kNotRunning = "venue instance is not running";

// Observes a call's duration when it goes out of scope (whatever the call returned or threw).
class CallTimer {
public:
    explicit CallTimer(Histogram* seconds) : seconds_(seconds) {
        if (seconds_) start_ = std::chrono::steady_clock::now();
    }
    ~CallTimer() {
        if (seconds_)
            seconds_->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
    CallTimer(const CallTimer&) = delete;
    CallTimer& operator=(const CallTimer&) = delete;

private:
    Histogram* seconds_;
    std::chrono::steady_clock::time_point start_;
};
}  // namespace

PlaceResult VenueInstance::placeOrder(const OrderIntent& intent) noexcept {
    std::shared_lock<std::shared_mutex> lock(lifecycle_);
    // Not running means nothing was sent, and it may run again: Deferred, never Unknown.
    if (!callable()) return Deferred{kNotRunning, 1000};
    const CallTimer timer(metrics_.of(VenueCall::Place));
    return firewall(
        [&] { return venue_->placeOrder(intent); },
        [](const std::string& r) -> PlaceResult { return Unknown{"plugin threw during placeOrder(): " + r}; });
}

QueryResult VenueInstance::queryOrder(const std::string& clientOrderId, const std::string& symbol) noexcept {
    std::shared_lock<std::shared_mutex> lock(lifecycle_);
    if (!callable()) return Unknown{kNotRunning};
    const CallTimer timer(metrics_.of(VenueCall::Query));
    return firewall(
        [&] { return venue_->queryOrder(clientOrderId, symbol); },
        [](const std::string& r) -> QueryResult { return Unknown{"plugin threw during queryOrder(): " + r}; });
}

CancelResult VenueInstance::cancelOrder(const std::string& clientOrderId, const std::string& symbol) noexcept {
    std::shared_lock<std::shared_mutex> lock(lifecycle_);
    if (!callable()) return Unknown{kNotRunning};
    const CallTimer timer(metrics_.of(VenueCall::Cancel));
    return firewall(
        [&] { return venue_->cancelOrder(clientOrderId, symbol); },
        [](const std::string& r) -> CancelResult { return Unknown{"plugin threw during cancelOrder(): " + r}; });
}

PositionsResult VenueInstance::positions() noexcept {
    std::shared_lock<std::shared_mutex> lock(lifecycle_);
    if (!callable()) return Unknown{kNotRunning};
    const CallTimer timer(metrics_.of(VenueCall::Positions));
    return firewall(
        [&] { return venue_->positions(); },
        [](const std::string& r) -> PositionsResult { return Unknown{"plugin threw during positions(): " + r}; });
}

OpenOrdersResult VenueInstance::openOrders() noexcept {
    std::shared_lock<std::shared_mutex> lock(lifecycle_);
    if (!callable()) return Unknown{kNotRunning};
    const CallTimer timer(metrics_.of(VenueCall::OpenOrders));
    return firewall(
        [&] { return venue_->openOrders(); },
        [](const std::string& r) -> OpenOrdersResult { return Unknown{"plugin threw during openOrders(): " + r}; });
}

bool VenueInstance::watchOrders(OrderUpdateSink& sink) noexcept {
    std::shared_lock<std::shared_mutex> lock(lifecycle_);
    if (!callable()) return false;
    return firewall([&] { return venue_->watchOrders(sink); }, [](const std::string&) { return false; });
}

SymbolRulesResult VenueInstance::symbolRules(const std::string& symbol) noexcept {
    std::shared_lock<std::shared_mutex> lock(lifecycle_);
    if (!callable()) return Unknown{kNotRunning};
    const CallTimer timer(metrics_.of(VenueCall::SymbolRules));
    return firewall(
        [&] { return venue_->symbolRules(symbol); },
        [](const std::string& r) -> SymbolRulesResult { return Unknown{"plugin threw during symbolRules(): " + r}; });
}

}  // namespace tradehost::host
