// A named alert sink instance: the plugin object behind the firewall, with its context and state.
#include "plugins/alert_sink_instance.h"

#include <stdexcept>

#include "plugins/firewall.h"

namespace tradehost::host {

AlertSinkInstance::AlertSinkInstance(const LoadedPlugin& plugin, std::unique_ptr<InstanceContext> context,
                                     std::unique_ptr<AlertSink> sink)
    : plugin_(plugin), context_(std::move(context)), sink_(std::move(sink)) {}

AlertSinkInstance::~AlertSinkInstance() { stop(); }

void AlertSinkInstance::start() {
    std::string failure;
    firewall([&] { sink_->start(); }, [&](const std::string& reason) { failure = reason; });
    if (!failure.empty()) {
        state_ = InstanceState::Failed;
        throw std::runtime_error(plugin_.typeName + " failed to start: " + failure);
    }
    state_ = InstanceState::Running;
}

void AlertSinkInstance::stop() noexcept {
    std::lock_guard<std::mutex> lock(sendMutex_);
    const InstanceState was = state_.exchange(InstanceState::Stopped);
    if (was == InstanceState::Running || was == InstanceState::Failed) sink_->stop();
}

SendResult AlertSinkInstance::send(const Alert& alert) noexcept {
    std::lock_guard<std::mutex> lock(sendMutex_);
    if (state_ != InstanceState::Running) return Fail{"alert sink instance is not running"};
    return firewall([&] { return sink_->send(alert); }, [](const std::string& r) -> SendResult {
        return Retry{std::chrono::seconds(30), "plugin threw during send(): " + r};
    });
}

}  // namespace tradehost::host
