// What an operator can do about trading, symbols and expected positions, whoever asks (the command
// line, the admin page, a chat): checked the same way everywhere, and recorded with who and why.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
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
        NotFound,   // no such leg (or order): nothing changed
    };
    Code code = Code::Done;
    std::string message;  // one line for a human, no secret
    bool done() const { return code == Code::Done; }
};

class OperatorActions {
public:
    // Hands an UNKNOWN leg to the resolver of its venue for a query now (the resolver records
    // who and why); false when nothing in this process resolves that venue's legs. Only a running
    // host has one: the command line's actions have none.
    using ResolveNow = std::function<bool(const LegRecord&, const Actor&)>;

    // `owner`: whose legs count as in flight. `reconcileIntervalS` is only quoted in messages.
    OperatorActions(ControlState& control, PositionBook& book, LegStore& legs, std::string owner,
                    std::int64_t reconcileIntervalS, ResolveNow resolveNow = {});

    // The kill switch: every leg blocked (recorded, never sent) while paused.
    ActionResult setTrading(bool paused, const Actor& by, std::int64_t nowMs);
    // One symbol of one venue instance. `symbol` must be canonical (canonicalSymbol).
    ActionResult setSymbolPaused(const std::string& venue, const std::string& symbol, bool paused, const Actor& by,
                                 std::int64_t nowMs);
    // The venue's position as the reconciler last read it becomes the expected one. Refused while
    // that reading cannot be trusted: never read, a fill booked after it, an order of the symbol
    // in flight or resting.
    ActionResult acceptBaseline(const PositionKey& key, const Actor& by, std::int64_t nowMs);

    // Cancels a leg's WORKING (resting) order: a cancel request in the gate, which the running
    // host's order tracker carries out within about a second (or at its next start). Refused for
    // a leg that has no open order; Unchanged while a request for it is still open.
    ActionResult cancelOrder(const LegKey& key, const Actor& by, std::int64_t nowMs);
    // The same, naming the leg by its current client order id.
    ActionResult cancelOrder(const std::string& clientOrderId, const Actor& by, std::int64_t nowMs);

    // An UNKNOWN leg is queried again now instead of at its next backoff time: never a resend.
    // Refused for a leg that is not UNKNOWN, an earlier attempt's id, another host's leg, or where
    // no resolver runs (the command line).
    ActionResult retryResolution(const std::string& clientOrderId, const Actor& by);

private:
    // The leg whose *current* attempt has this id, or the refusal saying why not.
    std::optional<LegRecord> currentLeg(const std::string& clientOrderId, ActionResult& refusal);

    ControlState& control_;
    PositionBook& book_;
    LegStore& legs_;
    const std::string owner_;
    const std::int64_t intervalS_;
    const ResolveNow resolveNow_;
};

// "2026-11-30 19:29:53 UTC"
std::string formatUtc(std::int64_t ms);

}  // namespace tradehost::host
