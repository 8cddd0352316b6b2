// What the host does with an operator's command from a chat: /status, /positions, /pause, /resume.
#pragma once

#include <tradehost/context.h>

#include <atomic>
#include <cstddef>
#include <string>

#include "gate/control_state.h"
#include "gate/event_outbox.h"
#include "gate/leg_store.h"
#include "gate/position_book.h"
#include "operator/command_relay.h"

namespace tradehost::host {

struct OperatorCommandOptions {
    std::string owner = "local";        // whose legs /status counts (PipelineOptions::owner)
    std::size_t maxPositionLines = 30;  // /positions lists at most this many, then says how many more
};

// Every command, authorized or not, known or not, becomes one `operator_command` event with
// via (the instance), from, command, args (bounded) and outcome ("done", "ignored: <why>",
// "unknown command", "not ready: tradehost is starting", "failed: <why>"). Only an authorized,
// known command acts: /pause and /resume set the kill switch (the gate records trading_paused /
// trading_resumed with who and why), /status and /positions read. An unauthorized sender gets an
// empty reply (the channel says nothing to strangers). Until setReady(true) every command is
// recorded and answered "tradehost is starting". Thread-safe; never throws.
class OperatorCommandHandler final : public CommandHandler {
public:
    OperatorCommandHandler(ControlState& control, PositionBook& positions, LegStore& legs, EventOutbox& events,
                           const Clock& clock, OperatorCommandOptions options = {});

    void setReady(bool ready) { ready_ = ready; }
    CommandReply run(const OperatorCommand& command, const std::string& via) noexcept override;

    std::string statusText();
    std::string positionsText();

private:
    CommandReply act(const OperatorCommand& command, const std::string& via, std::string& outcome);
    CommandReply setPaused(bool paused, const OperatorCommand& command, const std::string& via, std::string& outcome);
    void record(const OperatorCommand& command, const std::string& via, const std::string& outcome);

    ControlState& control_;
    PositionBook& positions_;
    LegStore& legs_;
    EventOutbox& events_;
    const Clock& clock_;
    OperatorCommandOptions options_;
    std::atomic<bool> ready_{false};
};

// "2026-11-30 18:20:05 UTC" for a Unix time in ms.
std::string formatUtcMs(std::int64_t ms);

}  // namespace tradehost::host
