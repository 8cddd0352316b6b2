// Audits one venue instance against the host's book.
#include "reconcile/reconciler.h"

#include "events/json_text.h"

namespace tradehost::host {
namespace {

std::string sideText(PositionSide s) { return toString(s); }

}  // namespace

std::string venueMadeOrder(const std::string& id) {
    if (id.rfind("settlement_autoclose", 0) == 0) return "settlement (the venue closed it at contract settlement)";
    if (id.rfind("adl_autoclose", 0) == 0) return "auto-deleveraging (the venue reduced it against a liquidation)";
    if (id.rfind("autoclose-", 0) == 0) return "liquidation (the venue closed it for lack of margin)";
    return "";
}

std::optional<OnDrift> onDriftFrom(const std::string& text) {
    if (text == "alert") return OnDrift::Alert;
    if (text == "pause_symbol") return OnDrift::PauseSymbol;
    return std::nullopt;
}

Reconciler::Reconciler(std::string venueName, Venue& venue, const ClientOrderIdCodec& ids, PositionBook& book,
                       LegStore& legs, ControlState& control, EventOutbox& events, ReconcilerOptions options,
                       const Clock& clock, std::function<void(const std::string&)> onFatal)
    : Worker("reconciler '" + venueName + "'", clock, std::move(onFatal)),
      venueName_(std::move(venueName)),
      venue_(venue),
      ids_(ids),
      book_(book),
      legs_(legs),
      control_(control),
      events_(events),
      options_(std::move(options)) {
    idleMs_ = options_.intervalMs;
}

std::optional<std::int64_t> Reconciler::runOnce(std::int64_t nowMs) {
    if (nowMs < nextCheckMs_) return nextCheckMs_;
    check(nowMs);
    nextCheckMs_ = nowMs + options_.intervalMs;
    return nextCheckMs_;
}

void Reconciler::record(const std::string& event, std::string dataJson, std::int64_t nowMs) {
    events_.append({{event, "", "", venueName_, std::move(dataJson)}}, nowMs);
}

Decimal Reconciler::tolerance(const std::string& symbol) {
    if (const auto it = steps_.find(symbol); it != steps_.end()) return it->second;
    Decimal step;
    const SymbolRulesResult rules = venue_.symbolRules(symbol);
    if (const auto* r = std::get_if<SymbolRules>(&rules)) {
        if (r->stepSize) step = *r->stepSize;
        steps_[symbol] = step;
    } else if (std::holds_alternative<NotFound>(rules)) {
        steps_[symbol] = step;  // not traded there: any difference counts
    }                           // Unknown: asked again at the next check
    return step;
}

void Reconciler::check(std::int64_t nowMs) {
    const PositionsResult positions = venue_.positions();
    const OpenOrdersResult open = venue_.openOrders();
    const auto* p = std::get_if<Positions>(&positions);
    const auto* o = std::get_if<OpenOrders>(&open);
    if (!p || !o) {
        // Could not ask: never read as "flat"; drift counting pauses until it can ask again.
        const std::string reason = !p ? std::get<Unknown>(positions).reason : std::get<Unknown>(open).reason;
        if (!unreachable_)
            record("venue_unreachable", jsonObject({{"reason", reason}, {"what", !p ? "positions" : "open orders"}}),
                   nowMs);
        unreachable_ = true;
        if (metrics_.reachable) metrics_.reachable->set(0);
        return;
    }
    if (metrics_.reachable) metrics_.reachable->set(1);
    if (metrics_.lastSuccessSeconds) metrics_.lastSuccessSeconds->set(static_cast<double>(nowMs) / 1000);
    if (unreachable_) {
        record("venue_reachable", "{}", nowMs);
        unreachable_ = false;
    }

    // What the venue holds, and what the host expects, per (symbol, side).
    std::map<PositionKey, Decimal> venue, expected;
    std::map<PositionKey, std::optional<Decimal>> marks;
    std::map<PositionKey, Decimal> entries;
    std::vector<VenuePosition> reading;
    std::string snapshot;
    for (const auto& pos : p->positions) {
        const PositionKey key{venueName_, pos.symbol, pos.positionSide};
        venue[key] = pos.quantity;
        marks[key] = pos.markPrice;
        entries[key] = pos.entryPrice;
        reading.push_back({key, pos.quantity, pos.markPrice, nowMs});
        snapshot += (snapshot.empty() ? "" : ",") + pos.symbol + "/" + sideText(pos.positionSide) + "=" +
                    pos.quantity.toString();
    }
    bool bookedHere = false;  // the host has booked a fill or set a baseline on this instance
    for (const auto& e : book_.expectedPositions()) {
        if (e.key.venue != venueName_) continue;
        expected[e.key] = e.quantity();
        bookedHere = true;
    }
    book_.recordVenuePositions(venueName_, reading, nowMs);
    record("position_snapshot",
           jsonObject({{"positions", snapshot}, {"open_orders", std::to_string(o->orders.size())}}), nowMs);

    // Symbols with a leg in flight or resting: their positions may move any moment.
    std::set<std::string> busy;
    for (const auto& leg :
         legs_.legsIn({LegState::Pending, LegState::Submitted, LegState::Unknown, LegState::Absent, LegState::Working},
                      options_.owner))
        if (leg.intent.venue == venueName_) busy.insert(leg.intent.symbol);

    // First check after a start on an instance the host has never booked anything on: whatever
    // the venue holds was there before tradehost; told once, as such, and not as drift.
    const bool atStart = !checkedOnce_ && !bookedHere;
    checkedOnce_ = true;
    std::vector<std::pair<std::string, std::string>> startPositions;

    std::set<PositionKey> keys;
    for (const auto& [k, q] : venue) keys.insert(k);
    for (const auto& [k, q] : expected) keys.insert(k);
    for (const auto& key : keys) {
        const Decimal have = venue.count(key) ? venue.at(key) : Decimal();
        const Decimal want = expected.count(key) ? expected.at(key) : Decimal();
        const Decimal diff = have - want;
        const Decimal step = tolerance(key.symbol);
        const bool off = step.isZero() ? !diff.isZero() : compare(diff.abs(), step) >= 0;
        Drift& d = drifts_[key];
        if (!off) {
            if (d.reported)
                record("drift_cleared",
                       jsonObject({{"symbol", key.symbol},
                                   {"position_side", sideText(key.side)},
                                   {"expected", want.toString()},
                                   {"venue", have.toString()},
                                   {"drifted_for_s", std::to_string((nowMs - d.sinceMs) / 1000)}}),
                       nowMs);
            drifts_.erase(key);
            continue;
        }
        if (atStart) {
            startPositions.emplace_back(key.symbol + " " + sideText(key.side), have.toString());
            d = {1, true, nowMs};
            continue;
        }
        if (busy.count(key.symbol)) continue;  // not counted while a leg may move it
        if (d.checks == 0) d.sinceMs = nowMs;
        ++d.checks;
        if (d.checks >= 2 && !d.reported) {
            d.reported = true;
            reportDrift(key, want, have, marks.count(key) ? marks.at(key) : std::nullopt,
                        entries.count(key) ? entries.at(key) : Decimal(), d, *o, nowMs);
        }
    }
    if (metrics_.driftPositions) {
        std::size_t drifting = 0;
        for (const auto& [key, d] : drifts_) drifting += d.reported ? 1 : 0;
        metrics_.driftPositions->set(static_cast<double>(drifting));
    }
    if (!startPositions.empty()) {
        std::string list;
        for (const auto& [what, quantity] : startPositions) list += (list.empty() ? "" : ", ") + what + " " + quantity;
        record("positions_at_start",
               jsonObject({{"positions", list}, {"count", std::to_string(startPositions.size())}}), nowMs);
    }

    for (const auto& order : o->orders) {
        if (ids_.parse(order.clientOrderId) || foreignSeen_.count(order.clientOrderId)) continue;
        foreignSeen_.insert(order.clientOrderId);
        const std::string made = venueMadeOrder(order.clientOrderId);
        record("foreign_order",
               jsonObject({{"symbol", order.symbol},
                           {"client_order_id", order.clientOrderId},
                           {"side", toString(order.side)},
                           {"quantity", order.quantity.toString()},
                           {"made_by", made.empty() ? "not tradehost (a person, or another program)" : made}}),
               nowMs);
    }
}

void Reconciler::reportDrift(const PositionKey& key, const Decimal& want, const Decimal& have,
                             const std::optional<Decimal>& markPrice, const Decimal& entryPrice, const Drift& d,
                             const OpenOrders& open, std::int64_t nowMs) {
    const Decimal diff = have - want;
    std::vector<std::pair<std::string, std::string>> data{{"symbol", key.symbol},
                                                          {"position_side", sideText(key.side)},
                                                          {"expected", want.toString()},
                                                          {"venue", have.toString()},
                                                          {"difference", diff.toString()},
                                                          {"checks", std::to_string(d.checks)},
                                                          {"since_ms", std::to_string(d.sinceMs)}};
    if (!have.isZero()) data.emplace_back("venue_entry_price", entryPrice.toString());
    if (markPrice) {
        data.emplace_back("mark_price", markPrice->toString());
        data.emplace_back("notional",
                          (diff * *markPrice).roundToStep(*Decimal::parse("0.01"), Rounding::TowardZero).toString());
    }
    if (const auto last = legs_.lastFilled(venueName_, key.symbol))
        data.emplace_back("last_fill", last->clientOrderId + " " + toString(last->intent.side) + " " +
                                           last->filledQuantity.toString() + " @ " + last->averagePrice.toString() +
                                           " (ms " + std::to_string(last->updatedMs) + ")");
    else
        data.emplace_back("last_fill", "none booked by this host");

    // Foreign orders open on the symbol now, and the likeliest cause.
    std::string foreign, venueMade;
    for (const auto& order : open.orders) {
        if (order.symbol != key.symbol || ids_.parse(order.clientOrderId)) continue;
        foreign += (foreign.empty() ? "" : ", ") + order.clientOrderId;
        if (venueMade.empty()) venueMade = venueMadeOrder(order.clientOrderId);
    }
    data.emplace_back("foreign_orders", foreign.empty() ? "none open" : foreign);
    std::string cause;
    if (!venueMade.empty())
        cause = venueMade;
    else if (!foreign.empty())
        cause = "an order tradehost did not place (" + foreign + ")";
    else if (want.isZero())
        cause = "a position opened outside tradehost (a manual trade, or another program on this account)";
    else if (have.isZero())
        cause = "the position was closed outside tradehost (by hand, or a liquidation)";
    else
        cause = "a trade outside tradehost, a liquidation or auto-deleveraging, or a fill the host missed";
    data.emplace_back("likely_cause", cause);

    std::string action = "alerted; tradehost never trades to correct drift";
    if (options_.onDrift == OnDrift::PauseSymbol) {
        const Actor by{"reconciler", "drift on " + key.symbol + " " + sideText(key.side) + ": venue " +
                                         have.toString() + ", expected " + want.toString()};
        control_.setSymbolPaused(venueName_, key.symbol, true, by, nowMs);
        action = "paused " + key.symbol + " on " + venueName_ +
                 " (on_drift: pause_symbol): its signals are blocked until an operator resumes it";
    }
    data.emplace_back("action", action);
    record("drift_detected", jsonObject(data), nowMs);
}

}  // namespace tradehost::host
