// What the host does with an operator's command from a chat: /status, /positions, /pause, /resume.
#include "operator/operator_command_handler.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <ctime>
#include <exception>

#include "events/json_text.h"

namespace tradehost::host {
namespace {

constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxArgsBytes = 200;
constexpr std::size_t kMaxFromBytes = 200;
constexpr const char* kHelp = "commands: /status, /positions, /pause [reason], /resume [reason]";

Poco::Logger& log() { return Poco::Logger::get("operator"); }

// Attacker-influenced text (an unknown sender's command) goes into the audit trail bounded, as
// valid UTF-8, cut between code points.
std::string bounded(const std::string& text, std::size_t maxBytes) {
    const std::string clean = sanitizeUtf8(text);
    if (clean.size() <= maxBytes) return clean;
    std::size_t end = 0;
    while (end < clean.size()) {
        const std::size_t length = utf8SequenceLength(clean, end);
        if (length == 0 || end + length > maxBytes) break;
        end += length;
    }
    return clean.substr(0, end) + "...";
}

}  // namespace

std::string formatUtcMs(std::int64_t ms) {
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return text;
}

OperatorCommandHandler::OperatorCommandHandler(ControlState& control, PositionBook& positions, LegStore& legs,
                                               EventOutbox& events, const Clock& clock, OperatorCommandOptions options)
    : control_(control),
      positions_(positions),
      legs_(legs),
      events_(events),
      clock_(clock),
      options_(std::move(options)) {}

CommandReply OperatorCommandHandler::run(const OperatorCommand& command, const std::string& via) noexcept {
    std::string outcome;
    CommandReply reply;
    try {
        if (!command.authorized) {
            outcome = "ignored: " + (command.refusal.empty() ? std::string("not an authorized chat and user")
                                                             : bounded(command.refusal, kMaxArgsBytes));
            reply = {false, ""};  // strangers are told nothing
        } else if (!ready_) {
            outcome = "not ready: tradehost is starting";
            reply = {false, "tradehost is starting; try again in a moment"};
        } else {
            reply = act(command, via, outcome);
        }
    } catch (const std::exception& e) {
        outcome = std::string("failed: ") + e.what();
        reply = {false, "could not run /" + bounded(command.name, kMaxNameBytes) + ": " + e.what()};
    }
    try {
        record(command, via, outcome);
    } catch (const std::exception& e) {
        // The gate could not record: the host's own components fail-stop on that; here the human
        // is told, and the log keeps what the audit trail could not.
        log().error("operator command /" + bounded(command.name, kMaxNameBytes) + " from " +
                    bounded(command.from, kMaxFromBytes) + " via " + via + " (" + outcome +
                    ") could not be recorded: " + e.what());
        if (command.authorized)
            reply.text += "\n(warning: the command could not be recorded: " + std::string(e.what()) + ")";
    }
    return reply;
}

CommandReply OperatorCommandHandler::act(const OperatorCommand& command, const std::string& via, std::string& outcome) {
    const std::string& name = command.name;
    if (name == "status") {
        outcome = "done";
        return {true, statusText()};
    }
    if (name == "positions") {
        outcome = "done";
        return {true, positionsText()};
    }
    if (name == "pause" || name == "resume") return setPaused(name == "pause", command, via, outcome);
    if (name == "help" || name == "start") {
        outcome = "done";
        return {true, kHelp};
    }
    outcome = "unknown command";
    return {false, "unknown command /" + bounded(name, kMaxNameBytes) + "; " + kHelp};
}

CommandReply OperatorCommandHandler::setPaused(bool paused, const OperatorCommand& command, const std::string& via,
                                               std::string& outcome) {
    const KillSwitch current = control_.killSwitch();
    if (current.paused == paused) {
        outcome = paused ? "done: already paused" : "done: already running";
        std::string text = paused ? "trading is already paused" : "trading is already running";
        if (current.sinceMs > 0)
            text += " (since " + formatUtcMs(current.sinceMs) + ", by " + current.by.who +
                    (current.by.why.empty() ? "" : ": " + current.by.why) + ")";
        return {true, text + "; nothing changed"};
    }
    const Actor by{bounded(command.from, kMaxFromBytes),
                   command.args.empty() ? "/" + command.name + " via " + via : bounded(command.args, kMaxArgsBytes)};
    control_.setKillSwitch(paused, by, clock_.nowMs());
    outcome = "done";
    log().warning(std::string(paused ? "trading paused" : "trading resumed") + " by " + by.who + " via " + via + " (" +
                  by.why + ")");
    return {true, paused ? "trading paused: every leg is blocked from the next batch on, until /resume"
                         : "trading resumed: legs are sent again from the next batch on"};
}

std::string OperatorCommandHandler::statusText() {
    const KillSwitch k = control_.killSwitch();
    std::string text = k.paused ? "trading: PAUSED" : "trading: running";
    if (k.sinceMs > 0)
        text += std::string(k.paused ? " since " : " (resumed ") + formatUtcMs(k.sinceMs) + " by " + k.by.who +
                (k.by.why.empty() ? "" : ": " + k.by.why) + (k.paused ? "" : ")");
    const auto symbols = control_.pausedSymbols();
    if (!symbols.empty()) {
        text += "\npaused symbols (" + std::to_string(symbols.size()) + "):";
        const std::size_t shown = std::min(symbols.size(), options_.maxPositionLines);
        for (std::size_t i = 0; i < shown; ++i) {
            const SymbolPause& p = symbols[i];
            text += "\n" + p.venue + " " + p.symbol + " since " + formatUtcMs(p.sinceMs) + " by " + p.by.who +
                    (p.by.why.empty() ? "" : ": " + p.by.why);
        }
        if (shown < symbols.size()) text += "\n... and " + std::to_string(symbols.size() - shown) + " more";
    }
    std::size_t inFlight = 0, working = 0, unknown = 0;
    for (const auto& leg :
         legs_.legsIn({LegState::Pending, LegState::Submitted, LegState::Absent, LegState::Working, LegState::Unknown},
                      options_.owner)) {
        if (leg.state == LegState::Working)
            ++working;
        else if (leg.state == LegState::Unknown)
            ++unknown;
        else
            ++inFlight;
    }
    text += "\nlegs: " + std::to_string(inFlight) + " in flight, " + std::to_string(working) + " working, " +
            std::to_string(unknown) + " unknown";
    return text;
}

std::string OperatorCommandHandler::positionsText() {
    const auto all = positions_.expectedPositions();
    std::vector<std::string> lines;
    std::size_t flat = 0;
    for (const auto& p : all) {
        const Decimal quantity = p.quantity();
        if (quantity.isZero() && p.baselineBy.who.empty()) {
            ++flat;
            continue;
        }
        std::string line = p.key.venue + " " + p.key.symbol + " " + toString(p.key.side) + " " + quantity.toString();
        if (!p.baselineBy.who.empty())
            line += " (baseline " + p.adjustment.toString() + " set " + formatUtcMs(p.baselineMs) + " by " +
                    p.baselineBy.who + ")";
        lines.push_back(std::move(line));
    }
    if (lines.empty())
        return "expected positions: none" + (flat ? " (" + std::to_string(flat) + " flat)" : std::string());
    std::string text = "expected positions (venue symbol side quantity):";
    const std::size_t shown = std::min(lines.size(), options_.maxPositionLines);
    for (std::size_t i = 0; i < shown; ++i) text += "\n" + lines[i];
    if (shown < lines.size()) text += "\n... and " + std::to_string(lines.size() - shown) + " more not shown";
    if (flat) text += "\n(" + std::to_string(flat) + " flat not shown)";
    return text;
}

void OperatorCommandHandler::record(const OperatorCommand& command, const std::string& via,
                                    const std::string& outcome) {
    events_.append({{"operator_command", "", "", "",
                     jsonObject({{"via", via},
                                 {"from", bounded(command.from, kMaxFromBytes)},
                                 {"command", bounded(command.name, kMaxNameBytes)},
                                 {"args", bounded(command.args, kMaxArgsBytes)},
                                 {"authorized", command.authorized ? "true" : "false"},
                                 {"outcome", outcome}})}},
                   clock_.nowMs());
}

}  // namespace tradehost::host
