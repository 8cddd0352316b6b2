// What an operator can do about trading, symbols and expected positions, whoever asks (the command
// line, the admin page, a chat): checked the same way everywhere, and recorded with who and why.
#pragma once

#include <cstdint>
#include <string>

#include "gate/control_state.h"
#include "gate/leg_store.h"
#include "gate/position_book.h"

namespace tradehost::host {

struct ActionResult {
    enum class Code {
        Done,       // changed, and recorded as an event
        Unchanged,  // already so: nothing recorded
        Refused,    // not now (the message says why and when to try again): nothing changed
    };
    Code code = Code::Done;
    std::string message;  // one line for a human, no secret
    bool done() const { return code == Code::Done; }
};

class OperatorActions {
public:
    // `owner`: whose legs count as in flight. `reconcileIntervalS` is only quoted in messages.
    OperatorActions(ControlState& control, PositionBook& book, LegStore& legs, std::string owner,
                    std::int64_t reconcileIntervalS);

    // The kill switch: every leg blocked (recorded, never sent) while paused.
    ActionResult setTrading(bool paused, const Actor& by, std::int64_t nowMs);
    // One symbol of one venue instance. `symbol` must be canonical (canonicalSymbol).
    ActionResult setSymbolPaused(const std::string& venue, const std::string& symbol, bool paused, const Actor& by,
                                 std::int64_t nowMs);
    // The venue's position as the reconciler last read it becomes the expected one. Refused while
    // that reading cannot be trusted: never read, a fill booked after it, an order of the symbol
    // in flight or resting.
    ActionResult acceptBaseline(const PositionKey& key, const Actor& by, std::int64_t nowMs);

private:
    ControlState& control_;
    PositionBook& book_;
    LegStore& legs_;
    const std::string owner_;
    const std::int64_t intervalS_;
};

// "2026-11-30 19:29:53 UTC"
std::string formatUtc(std::int64_t ms);

}  // namespace tradehost::host
