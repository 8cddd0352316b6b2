// The gate's rules, shared by every implementation so they cannot drift apart: what admission
// records, what a compare-and-set compares, how a fill moves a position, what each event says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "gate/control_state.h"
#include "gate/gate_types.h"
#include "gate/leg_store.h"
#include "gate/position_book.h"
#include "gate/signal_admission.h"

namespace tradehost::host::gate_rules {

// ---- admission ----
EventRecord duplicateEvent(const AdmissionRequest& r);
EventRecord conflictEvent(const AdmissionRequest& r);
EventRecord tooOldEvent(const AdmissionRequest& r);
EventRecord receivedEvent(const AdmissionRequest& r);
// Leg `i` of an admitted request as it is first stored: PENDING with its attempt-0 id, or
// BLOCKED (no id) when its plan says it can never be sent.
LegRecord newLeg(const AdmissionRequest& r, std::size_t i, const std::string& owner, std::int64_t nowMs);
// Ends a new leg whose client order id another leg already holds: BLOCKED, no id kept.
void blockForTakenId(LegRecord& leg, const std::string& takenId, const LegKey& holder);
// order_blocked + trade_fail for a leg admitted BLOCKED.
std::vector<EventRecord> blockedEvents(const LegRecord& leg);

// ---- leg changes ----
// The compare of compare-and-set: state, attempt and booked fills.
bool sameVersion(const LegRecord& stored, const LegRecord& expected);
// What a change books: the signed fill (buys +, sells -) on (venue, symbol, after.bookSide), or
// nothing when the cumulative fills did not grow.
std::optional<std::pair<PositionKey, Decimal>> fillMove(const LegChange& change);

// ---- positions and control ----
EventRecord baselineEvent(const PositionKey& key, const Decimal& before, const Decimal& after, const Actor& by);
EventRecord killSwitchEvent(bool paused, const Actor& by);
EventRecord symbolPauseEvent(const std::string& venue, const std::string& symbol, bool paused, const Actor& by);
EventRecord cancelRequestedEvent(const LegRecord& leg, std::uint64_t requestId, const Actor& by);
// The request's answer, with the leg's current id (empty when the leg is gone).
EventRecord cancelClosedEvent(const CancelRequest& request, const std::string& clientOrderId,
                              const std::string& outcome);

}  // namespace tradehost::host::gate_rules
