// What the gate keeps: legs and their states, audit events, expected positions, who did what.
#pragma once

#include <tradehost/decimal.h>
#include <tradehost/venue.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "intake/signal/signal.h"

namespace tradehost::host {

// PENDING -> SUBMITTED -> ACCEPTED | WORKING | REJECTED | UNKNOWN; SUBMITTED -> PENDING (deferred:
// nothing reached the venue); WORKING -> ACCEPTED (filled) | CANCELLED | EXPIRED; UNKNOWN ->
// ACCEPTED | WORKING | ABSENT; ABSENT -> (next attempt) SUBMITTED | EXPIRED; PENDING -> BLOCKED |
// EXPIRED. An order the venue ended itself (cancelled, expired) ends the leg in that state, with
// whatever filled before.
enum class LegState { Pending, Submitted, Accepted, Working, Rejected, Unknown, Absent, Blocked, Expired, Cancelled };
const char* toString(LegState s);
std::optional<LegState> legStateFrom(std::string_view text);
// Nothing will happen to the leg any more.
bool isFinal(LegState s);
// The venue may hold (or be about to hold) an order for this leg whose outcome the host has not
// settled: later legs of its venue and symbol wait for it, to keep journal order.
inline bool isUnsettled(LegState s) {
    return s == LegState::Submitted || s == LegState::Unknown || s == LegState::Absent;
}

struct LegKey {
    std::string signalId;
    int leg = 0;
    bool operator==(const LegKey& o) const { return leg == o.leg && signalId == o.signalId; }
    bool operator<(const LegKey& o) const { return std::tie(signalId, leg) < std::tie(o.signalId, o.leg); }
};

struct LegRecord {
    std::string signalId;
    int leg = 0;
    // The host that works this leg. One host today; several sharing one gate later, each taking
    // only its own legs.
    std::string owner;
    Leg intent;  // venue, symbol, side, type, quantity, price, time in force, reduce-only, position side
    // The book the leg's fills move: the position side the venue reported for the order (hedge
    // mode may infer it from BOTH), else the one asked for.
    PositionSide bookSide = PositionSide::Both;
    int attempt = 0;
    std::string clientOrderId;  // of the current attempt; empty for a leg that can never be sent
    LegState state = LegState::Pending;
    std::string exchangeOrderId;
    Decimal filledQuantity;  // cumulative, as the venue reported it
    Decimal averagePrice;
    std::string reason;            // why REJECTED / BLOCKED / EXPIRED / CANCELLED / UNKNOWN / deferred
    std::int64_t receivedMs = 0;   // when intake journaled the signal
    std::uint64_t journalSeq = 0;  // the signal's journal position: the order legs must keep
    std::int64_t updatedMs = 0;
    std::int64_t sentMs = 0;          // when this attempt was last handed to the venue
    std::int64_t unknownSinceMs = 0;  // first time this attempt became UNKNOWN
    std::int64_t nextCheckMs = 0;     // resolver / tracker: not before this
    int notFoundCount = 0;            // resolver: consecutive NotFound answers for this attempt

    LegKey key() const { return {signalId, leg}; }
};

// One line of the audit trail, written to the outbox in the same transaction as the change it
// describes; the outbox dispatcher hands it to the event log (and later alerts, live view).
struct EventRecord {
    std::string event;
    std::string signalId;
    std::string clientOrderId;
    std::string venue;
    std::string dataJson = "{}";
};
struct StoredEvent {
    std::uint64_t id = 0;  // from the database: increasing in commit order, never reused
    std::int64_t tsMs = 0;
    EventRecord event;
};

// Expected positions are kept per venue instance, symbol and position side.
struct PositionKey {
    std::string venue;
    std::string symbol;
    PositionSide side = PositionSide::Both;
    bool operator==(const PositionKey& o) const { return side == o.side && venue == o.venue && symbol == o.symbol; }
    bool operator<(const PositionKey& o) const {
        return std::tie(venue, symbol, side) < std::tie(o.venue, o.symbol, o.side);
    }
};

// Who did something by hand, and why: every operator action is an event carrying both.
struct Actor {
    std::string who;
    std::string why;
};

std::optional<PositionSide> positionSideFrom(std::string_view text);  // "BOTH" / "LONG" / "SHORT"

}  // namespace tradehost::host
