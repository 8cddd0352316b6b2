// Operator commands a channel plugin (a chat sink) reads from humans and hands to the host.
#pragma once

#include <string>

#include "tradehost/visibility.h"

namespace tradehost {

// One command as a human typed it, after the channel has parsed and judged it.
struct OperatorCommand {
    // "status", "positions", "pause", "resume", or whatever else was typed: without the leading
    // '/' and without an "@botname" suffix, lower-case.
    std::string name;
    // The rest of the line, trimmed (e.g. the reason of a /pause). Attacker-controlled when the
    // sender is not authorized: the host bounds and escapes it before it records it.
    std::string args;
    // Who sent it, as the channel names them, e.g. "telegram user 456 in chat 123". Never a token
    // or any other secret.
    std::string from;
    // False: the host records the command (with `refusal`) and does nothing else.
    bool authorized = false;
    // Why an unauthorized command was refused, e.g. "not an authorized chat and user" (the
    // default when empty) or "sent 600 s ago, older than command_max_age_s".
    std::string refusal;
};

struct CommandReply {
    bool done = false;  // the command ran (also for an idempotent no-op such as "already paused")
    std::string text;   // plain text for the human (the channel escapes it); empty: say nothing
};

// Lent by the host through PluginContext::operatorCommands(). Every call, authorized or not,
// known or not, is recorded by the host as an `operator_command` event (from, command, outcome).
// run() is thread-safe, blocks briefly (a database write), never throws, and may answer
// {false, "tradehost is starting"} (or "stopping") while the host is not ready to act on one.
class TRADEHOST_SDK_API OperatorCommands {
public:
    virtual ~OperatorCommands() = default;
    virtual CommandReply run(const OperatorCommand& command) = 0;
};

}  // namespace tradehost
