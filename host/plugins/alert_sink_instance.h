// A named alert sink instance: the plugin object behind the firewall, with its context and state.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include <tradehost/alert_sink.h>

#include "plugins/instance_context.h"
#include "plugins/plugin_loader.h"
#include "plugins/venue_instance.h"

namespace tradehost::host {

class AlertSinkInstance {
public:
    AlertSinkInstance(const LoadedPlugin& plugin, std::unique_ptr<InstanceContext> context, std::unique_ptr<AlertSink> sink);
    ~AlertSinkInstance();

    const std::string& name() const { return context_->instanceName(); }
    const LoadedPlugin& plugin() const { return plugin_; }
    InstanceState state() const { return state_; }

    void start();  // throws std::runtime_error naming the instance and the reason
    void stop() noexcept;
    // Serialised per instance, as the SDK promises. A throw becomes Retry.
    SendResult send(const Alert& alert) noexcept;

private:
    const LoadedPlugin& plugin_;
    std::unique_ptr<InstanceContext> context_;
    std::unique_ptr<AlertSink> sink_;
    std::mutex sendMutex_;
    std::atomic<InstanceState> state_{InstanceState::Created};
};

}  // namespace tradehost::host
