// The late-bound path from an alert instance's context to the host's operator command handler.
#include "operator/command_relay.h"

#include <mutex>

namespace tradehost::host {

void CommandRelay::attach(CommandHandler& handler) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    handler_ = &handler;
    detached_ = false;
}

void CommandRelay::detach() noexcept {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    if (handler_) detached_ = true;
    handler_ = nullptr;
}

CommandReply CommandRelay::run(const OperatorCommand& command, const std::string& via) noexcept {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    if (handler_) return handler_->run(command, via);
    // Nobody to act on it and nowhere to record it; an unauthorized sender is told nothing.
    if (!command.authorized) return {false, ""};
    return {false, detached_ ? "tradehost is stopping; the command was not run"
                             : "tradehost is starting; try again in a moment"};
}

}  // namespace tradehost::host
