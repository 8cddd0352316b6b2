// What the venue's word does to a leg: one place that turns an order state into the leg's next
// state, its fills and its events, for the executor, the resolver and the tracker alike.
#pragma once

#include <tradehost/venue.h>

#include <string>
#include <vector>

#include "gate/leg_store.h"

namespace tradehost::host {

// An event about a leg (its signal, current client order id, venue).
EventRecord legEvent(const char* name, const LegRecord& leg, std::string dataJson);

// The order the host asks the venue for, under the leg's current client order id.
OrderIntent intentOf(const LegRecord& leg);

// Whether a Rejected was the venue's own answer: its code as the venue gave it (a number such as
// "-2019", or "HTTP 400"), as opposed to a plugin reason code (an upper-case name such as
// "LOCAL_FILTER" or "NOT_SENT"), which the SDK reserves for a refusal decided before anything was
// sent. Only what the event log and the console say depends on it: either way no order exists.
bool reachedVenue(const Rejected& rejected);

// The state a leg takes from its order's status: FILLED -> ACCEPTED, NEW / PARTIALLY_FILLED ->
// WORKING, CANCELED -> CANCELLED, EXPIRED -> EXPIRED, REJECTED -> REJECTED.
LegState stateFor(OrderStatus status);

// The leg once the venue has reported `order`: its state from the order's status, its cumulative
// fills (never below what was booked), the book side, and events: `headline` (order_ack,
// order_resolved, ...) with `headlineData` merged in (and `quantity_asked` / `quantity_sent` when
// the venue holds another quantity than the leg asked for: the plugin fitted it to the venue's
// step), `order_fill` when the fills grew, and
// `order_closed` when a working order ended. Returns nothing to do (an empty optional) when the
// report changes nothing the gate keeps.
std::optional<LegChange> adoptOrder(const LegRecord& before, const OrderState& order, const char* headline,
                                    const std::vector<std::pair<std::string, std::string>>& headlineData);

// BLOCKED / EXPIRED / REJECTED before or without an order: the leg's final state, its reason, the
// event that names it and trade_fail.
LegChange endWithoutOrder(const LegRecord& before, LegState state, const char* event, std::string reason,
                          const std::vector<std::pair<std::string, std::string>>& extraData = {});

}  // namespace tradehost::host
