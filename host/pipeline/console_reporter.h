// The outbox consumer that tells the operator, one console line per leg outcome, what became of each signal.
#pragma once

#include <tradehost/context.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>

#include "pipeline/outbox_dispatcher.h"

namespace tradehost::host {

// One line per leg outcome on the "outcome" logger, naming the signal id, venue, leg and client
// order id, with the order (side, quantity, symbol, type, price) when its order_submitted was seen:
//
//   filled, accepted (resting), cancelled                  information
//   blocked (why), rejected (the code and message), expired   warning
//   unresolved (the venue cannot be asked)                   error
//
// One line for an outcome, not one per event: a market order's order_ack (FILLED) is its line and
// its order_fill adds none; a resting order gets one line when the venue accepts it and one when
// order_closed ends it. A quantity the plugin fitted to the venue's step is said on the line.
//
// Under a flood each kind prints at most `linesPerWindow` lines per window and then one summary
// ("... and N more rejected in the last S s"); the event log has every one. Only ids, venue, leg,
// the order's fields, codes and reasons are printed, never a payload, and every line goes through
// the Redactor first, so a configured secret a venue or plugin echoed in a message shows as "***".
//
// The console is not an audit trail: nothing is printed twice after a restart and nothing is
// waited for. durableThrough() is the outbox's end when the host started (`startAfter`), so the
// cursor starts there (a restart does not replay old events to the console, however far behind
// the stored cursor was) and, moving with every delivery, never holds back pruning.
class ConsoleReporter : public OutboxConsumer {
public:
    struct Options {
        int linesPerWindow = 5;  // per outcome kind
        std::int64_t windowMs = 1000;
        std::size_t rememberedOrders = 10'000;  // order_submitted fields kept for the lines that follow
    };

    ConsoleReporter(const Clock& clock, std::uint64_t startAfter) : ConsoleReporter(clock, startAfter, Options{}) {}
    ConsoleReporter(const Clock& clock, std::uint64_t startAfter, Options options);

    std::string cursorName() const override { return "console"; }
    std::uint64_t durableThrough() const override { return startAfter_; }
    void consume(const std::vector<StoredEvent>& events) override;
    void tick(std::int64_t nowMs) override;
    void flush() override;

    enum class Kind { Filled, Accepted, Cancelled, Blocked, Rejected, Expired, Unresolved };
    static constexpr std::size_t kKinds = 7;
    // "filled", "working" (Accepted: the order rests at the venue), "cancelled", "blocked", ...
    static const char* outcomeName(Kind kind);

    // Called with the venue and outcomeName() of every leg outcome, printed or held back (metrics).
    // Before the dispatcher starts.
    using OutcomeHook = std::function<void(const std::string& venue, const char* outcome)>;
    void onOutcome(OutcomeHook hook) { onOutcome_ = std::move(hook); }

private:
    struct Window {
        bool open = false;
        std::int64_t startMs = 0;
        int printed = 0;
        std::uint64_t held = 0;  // lines not printed in this window
    };

    void handle(const StoredEvent& e, std::int64_t nowMs);
    // Prints `line()` unless this kind's window is full; then counts it.
    template <typename Line>
    void report(Kind kind, std::int64_t nowMs, const Line& line);
    void closeWindow(Kind kind, std::int64_t nowMs);
    void write(Kind kind, const std::string& line);
    std::string orderText(const std::string& clientOrderId) const;

    const Clock& clock_;
    const std::uint64_t startAfter_;
    const Options options_;
    std::array<Window, kKinds> windows_{};
    // client order id -> the data of its order_submitted (raw JSON, parsed only for a printed line)
    std::unordered_map<std::string, std::string> submitted_;
    std::deque<std::string> submittedOrder_;
    OutcomeHook onOutcome_;
};

}  // namespace tradehost::host
