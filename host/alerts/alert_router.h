// The one entry point for every alert: decides what a human is told (AlertPolicy), records it
// durably for each sink its severity routes to (AlertOutbox), writes it to the local fallback
// file whatever the sinks do, and wakes the sinks' delivery workers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "alerts/alert_policy.h"
#include "gate/alert_outbox.h"
#include "pipeline/outbox_dispatcher.h"

namespace tradehost::host {

struct AlertRoute {
    std::string sink;               // alert sink instance name
    std::set<Severity> severities;  // which alerts it gets
};

struct AlertRouterOptions {
    AlertPolicyOptions policy;
    std::string fallbackFile;  // every alert told, one JSON line each, fsynced; empty: none (tests)
};

// Thread-safe. Also an outbox consumer ("alerts"): events that call for a human (a leg ended
// without trading, an order that cannot be resolved, the kill switch) become alerts here, so every
// component raises alerts the same way it records what it did.
class AlertRouter : public OutboxConsumer {
public:
    AlertRouter(AlertOutbox& outbox, std::vector<AlertRoute> routes, AlertRouterOptions options,
                std::function<void(const std::string& sink)> wakeSink);
    ~AlertRouter() override;

    // Returns the alert's outbox id when it was told (0: held back or muted).
    std::uint64_t raise(const RaisedAlert& alert, std::int64_t nowMs);
    void resolve(const std::string& key, const std::string& text, std::int64_t nowMs);
    // Inhibition: while an instance is unreachable its per-order alerts are muted (counted).
    std::uint64_t setUnreachable(const std::string& instance, bool unreachable);
    // The policy's held-back and muted alerts, counted from now on.
    void setMetrics(AlertPolicyMetrics metrics) {
        std::lock_guard<std::mutex> lock(mutex_);
        policy_.setMetrics(metrics);
    }

    // OutboxConsumer. Alerts are at least once: after a crash the events of the last second may
    // be handed over again (the dispatcher's stored cursor), and the policy's memory starts empty.
    std::string cursorName() const override { return "alerts"; }
    std::uint64_t durableThrough() const override { return 0; }
    void consume(const std::vector<StoredEvent>& events) override;

private:
    std::uint64_t tell(Alert alert, std::int64_t nowMs);  // with mutex_ held
    void writeFallback(const Alert& alert);

    AlertOutbox& outbox_;
    const std::vector<AlertRoute> routes_;
    const AlertRouterOptions options_;
    std::function<void(const std::string&)> wakeSink_;
    std::mutex mutex_;
    AlertPolicy policy_;
    int fallbackFd_ = -1;
};

}  // namespace tradehost::host
