// Legs after admission: every state change is a compare-and-set, with its events and fills.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gate/gate_types.h"

namespace tradehost::host {

// One state change of one leg: `before` is the leg as the caller read it, `after` what it becomes.
// The change applies only while the stored leg still has `before`'s state, attempt and filled
// quantity (compare-and-set); then, in the same transaction, the fills `after` adds over `before`
// move the expected position of (venue, symbol, after.bookSide) — buys up, sells down — and the
// events go to the outbox. A report that repeats the recorded cumulative fills therefore moves
// nothing, and a fill can never be booked twice.
struct LegChange {
    LegRecord before;
    LegRecord after;
    std::vector<EventRecord> events;
};

enum class ChangeResult {
    Applied,
    LostRace,  // the stored leg is no longer `before`: nothing changed; read it again
    IdTaken,   // after.clientOrderId already belongs to another leg: nothing changed
};
const char* toString(ChangeResult r);

// Thread-safe. Storage failures throw GateError; lost races and taken ids are values.
class LegStore {
public:
    virtual ~LegStore() = default;

    // Every change in one transaction, each compared on its own: one lost race or taken id does
    // not stop the others. Returns one result per change, in order.
    virtual std::vector<ChangeResult> apply(const std::vector<LegChange>& changes, std::int64_t nowMs) = 0;
    ChangeResult apply(const LegChange& change, std::int64_t nowMs) {
        return apply(std::vector<LegChange>{change}, nowMs).front();
    }

    virtual std::optional<LegRecord> leg(const LegKey& key) = 0;
    // Legs of `owner` in any of `states`, in journal order (journal position, then leg number).
    virtual std::vector<LegRecord> legsIn(const std::vector<LegState>& states, const std::string& owner) = 0;
    virtual std::vector<LegRecord> legsOf(const std::string& signalId) = 0;
    // The leg an id was (or is) used for, whichever attempt.
    virtual std::optional<LegRecord> legByClientOrderId(const std::string& clientOrderId) = 0;
    // When the legs of `venue` last sent since `sinceMs` were sent (for a per-minute order cap that
    // holds across restarts).
    virtual std::vector<std::int64_t> sentTimes(const std::string& venue, std::int64_t sinceMs) = 0;
    // The leg whose fill the host booked last for `symbol` on `venue`, looking at the most recently
    // sent legs only (a drift alert's context, not an audit): nullopt when none of them filled.
    virtual std::optional<LegRecord> lastFilled(const std::string& venue, const std::string& symbol) = 0;
};

}  // namespace tradehost::host
