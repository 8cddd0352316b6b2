// The late-bound path from an alert instance's context to the host's operator command handler.
#pragma once

#include <tradehost/operator_commands.h>

#include <shared_mutex>
#include <string>

namespace tradehost::host {

// What acts on a command; `via` is the instance it came through (e.g. "tg").
class CommandHandler {
public:
    virtual ~CommandHandler() = default;
    virtual CommandReply run(const OperatorCommand& command, const std::string& via) noexcept = 0;
};

// Alert instances get their contexts before the gate exists (the host opens storage after it has
// built them), so each context holds this relay instead of the handler: the host attaches the
// handler once it can act, and detaches it before it stops the instances. Until then a command is
// answered "tradehost is starting" (after a detach: "tradehost is stopping") and not recorded:
// nothing is there to record it in. Thread-safe.
class CommandRelay {
public:
    void attach(CommandHandler& handler);
    // Waits for runs in progress; afterwards the handler is never called again.
    void detach() noexcept;
    CommandReply run(const OperatorCommand& command, const std::string& via) noexcept;

private:
    std::shared_mutex mutex_;
    CommandHandler* handler_ = nullptr;
    bool detached_ = false;
};

// The OperatorCommands one instance's context lends its plugin: the relay, naming the instance.
class RelayedCommands final : public OperatorCommands {
public:
    RelayedCommands(CommandRelay& relay, std::string via) : relay_(relay), via_(std::move(via)) {}
    CommandReply run(const OperatorCommand& command) override { return relay_.run(command, via_); }

private:
    CommandRelay& relay_;
    std::string via_;
};

}  // namespace tradehost::host
