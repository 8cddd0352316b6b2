// One venue instance's sender: takes queued legs in journal order and places their orders.
#include "pipeline/executor.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <map>
#include <set>

#include "events/json_text.h"
#include "pipeline/leg_outcomes.h"
#include "testing/crash_point.h"

namespace tradehost::host {
namespace {

Poco::Logger& log() { return Poco::Logger::get("executor"); }

constexpr const char* kDeferredPrefix = "deferred: ";

// The whole order as it went to the venue; price and time in force only where they mean
// something (a limit order), and the quantity the venue holds when the plugin fitted it.
std::string submittedData(const LegRecord& leg, const std::optional<Decimal>& venueQuantity) {
    const Leg& i = leg.intent;
    std::vector<std::pair<std::string, std::string>> data = {{"symbol", i.symbol},
                                                             {"side", toString(i.side)},
                                                             {"type", toString(i.type)},
                                                             {"quantity", i.quantity.toString()}};
    if (venueQuantity && venueQuantity->isPositive() && compare(*venueQuantity, i.quantity) != 0)
        data.emplace_back("quantity_sent", venueQuantity->toString());
    if (i.type == OrderType::Limit) {
        data.emplace_back("price", i.price ? i.price->toString() : "");
        data.emplace_back("time_in_force", toString(i.timeInForce));
    }
    data.emplace_back("reduce_only", i.reduceOnly ? "true" : "false");
    data.emplace_back("position_side", toString(i.positionSide));
    data.emplace_back("attempt", std::to_string(leg.attempt));
    return jsonObject(data);
}

// `order_submitted` is written only for an order that went out (or may have: an unknown
// outcome), in the commit that records what came of it. The SUBMITTED state itself is committed
// before the call, without an event: that durable state, not the event, is what makes a crash
// mid-call end in a query instead of a resend.
void markSubmitted(LegChange& c, const LegRecord& submitted, const std::optional<Decimal>& venueQuantity = {}) {
    c.events.insert(c.events.begin(), legEvent("order_submitted", submitted, submittedData(submitted, venueQuantity)));
}

}  // namespace

Executor::Executor(VenueLane& lane, Venue& venue, Settings risk, LegStore& legs, ControlState& control,
                   PipelineOptions options, const Clock& clock, Hooks hooks,
                   std::function<void(const std::string&)> onFatal)
    : Worker("executor '" + lane.venue() + "'", clock, std::move(onFatal)),
      lane_(lane),
      venue_(venue),
      risk_(std::move(risk)),
      legs_(legs),
      control_(control),
      options_(std::move(options)),
      hooks_(std::move(hooks)) {}

void Executor::seedSentTimes(const std::vector<std::int64_t>& sentMs) { sent_.assign(sentMs.begin(), sentMs.end()); }

std::vector<ChangeResult> Executor::record(const std::vector<LegChange>& changes, std::int64_t nowMs) {
    const auto results = legs_.apply(changes, nowMs);
    for (std::size_t i = 0; i < changes.size(); ++i) {
        if (results[i] == ChangeResult::Applied) {
            lane_.track(changes[i].after);
            continue;
        }
        // Only this executor moves its queued and submitted legs, so this is a bug or an operator
        // editing the gate by hand: never act on a copy the gate no longer agrees with.
        log().warning("leg " + changes[i].before.signalId + "#" + std::to_string(changes[i].before.leg) + " of " +
                      lane_.venue() + " changed under the executor (" + toString(results[i]) + "); left as stored");
        if (const auto current = legs_.leg(changes[i].before.key())) lane_.track(*current);
    }
    if (hooks_.recorded) hooks_.recorded();
    return results;
}

std::size_t Executor::expireQueued(std::int64_t nowMs) {
    const auto expired = lane_.takeExpired(nowMs - options_.maxSignalAgeMs - 1);
    if (expired.empty()) return 0;
    std::vector<LegChange> changes;
    for (const auto& leg : expired) {
        const std::int64_t ageS = (nowMs - leg.receivedMs) / 1000;
        std::string reason = "signal is " + std::to_string(ageS) + " s old, past max_signal_age_s (" +
                             std::to_string(options_.maxSignalAgeMs / 1000) + " s); this attempt was never sent";
        if (leg.reason.rfind(kDeferredPrefix, 0) == 0)
            reason += " (the venue held it back: " + leg.reason.substr(10) + ")";
        changes.push_back(endWithoutOrder(leg, LegState::Expired, "order_expired", reason));
    }
    record(changes, nowMs);
    return expired.size();
}

// Pre-trade limits of the venue instance (its `risk:`), enforced by the host for any plugin.
std::string Executor::riskRefusal(const LegRecord& leg, std::int64_t nowMs) {
    const Leg& i = leg.intent;
    if (risk_.has("symbols") && !risk_.list("symbols").empty()) {
        const auto& allowed = risk_.list("symbols");
        if (std::find(allowed.begin(), allowed.end(), i.symbol) == allowed.end())
            return "RISK_SYMBOL: " + i.symbol + " is not in " + lane_.venue() + "'s symbols";
    }
    if (risk_.has("max_quantity") && i.quantity > risk_.decimal("max_quantity"))
        return "RISK_MAX_QUANTITY: " + i.quantity.toString() + " is above max_quantity " +
               risk_.decimal("max_quantity").toString();
    if (risk_.has("max_notional") && i.price) {
        const Decimal notional = *i.price * i.quantity;
        if (notional > risk_.decimal("max_notional"))
            return "RISK_MAX_NOTIONAL: " + notional.toString() + " is above max_notional " +
                   risk_.decimal("max_notional").toString();
    }
    if (risk_.has("max_orders_per_minute") && risk_.integer("max_orders_per_minute") > 0) {
        while (!sent_.empty() && sent_.front() <= nowMs - 60'000) sent_.pop_front();
        const auto cap = static_cast<std::size_t>(risk_.integer("max_orders_per_minute"));
        if (sent_.size() >= cap)
            return "RISK_ORDER_RATE: " + std::to_string(sent_.size()) +
                   " orders in the last minute, max_orders_per_minute is " + std::to_string(cap);
    }
    return "";
}

// Says so once per change, before the first leg it decides (an operator's pause or resume is
// written to the gate from outside; the host learns of it here).
void Executor::noticeKillSwitch(const KillSwitch& kill) {
    if (seenPaused_ == kill.paused || (!seenPaused_ && !kill.paused)) {
        seenPaused_ = kill.paused;
        return;
    }
    seenPaused_ = kill.paused;
    const std::string who = kill.by.who.empty() ? "an operator" : kill.by.who;
    const std::string line = std::string("trading ") + (kill.paused ? "paused" : "resumed") + " by " + who +
                             (kill.by.why.empty() ? "" : " (" + kill.by.why + ")") + ": venue '" + lane_.venue() +
                             "' " + (kill.paused ? "blocks its legs until resumed" : "sends its legs again");
    if (kill.paused)
        log().warning(line);
    else
        log().notice(line);
}

void Executor::unsent(std::int64_t atMs) {
    if (const auto it = std::find(sent_.begin(), sent_.end(), atMs); it != sent_.end()) sent_.erase(it);
}

std::optional<std::int64_t> Executor::runOnce(std::int64_t nowMs) {
    expireQueued(nowMs);
    const auto batch = lane_.takeRunnable(options_.executeBatch, nowMs);
    if (batch.empty()) return lane_.nextDueMs(nowMs, options_.maxSignalAgeMs);

    // 1. Every leg of the round ends here (paused, too old, over a risk limit) or is committed
    //    SUBMITTED, all in one transaction, before anything is sent.
    const KillSwitch kill = control_.killSwitch();
    noticeKillSwitch(kill);
    std::map<std::string, SymbolPause> pausedHere;
    for (auto& p : control_.pausedSymbols())
        if (p.venue == lane_.venue()) pausedHere.emplace(p.symbol, std::move(p));
    std::vector<LegChange> decided;
    for (const auto& leg : batch) {
        const auto symbolPause = pausedHere.find(leg.intent.symbol);
        if (kill.paused) {
            decided.push_back(endWithoutOrder(leg, LegState::Blocked, "order_blocked",
                                              "trading is paused (kill switch)",
                                              {{"paused_by", kill.by.who}, {"paused_why", kill.by.why}}));
        } else if (symbolPause != pausedHere.end()) {
            const SymbolPause& p = symbolPause->second;
            decided.push_back(endWithoutOrder(leg, LegState::Blocked, "order_blocked",
                                              leg.intent.symbol + " is paused on " + lane_.venue(),
                                              {{"paused_by", p.by.who}, {"paused_why", p.by.why}}));
        } else if (nowMs - leg.receivedMs > options_.maxSignalAgeMs) {
            decided.push_back(endWithoutOrder(leg, LegState::Expired, "order_expired",
                                              "signal is " + std::to_string((nowMs - leg.receivedMs) / 1000) +
                                                  " s old, past max_signal_age_s; this attempt was never sent"));
        } else if (std::string refused = riskRefusal(leg, nowMs); !refused.empty()) {
            decided.push_back(endWithoutOrder(leg, LegState::Blocked, "order_blocked", refused));
        } else {
            LegChange submit{leg, leg, {}};
            submit.after.state = LegState::Submitted;
            submit.after.sentMs = nowMs;
            decided.push_back(std::move(submit));
            // Counted now, so later legs of this round see it against max_orders_per_minute.
            sent_.push_back(nowMs);
        }
    }
    const auto committed = record(decided, nowMs);
    const bool anySubmitted = std::any_of(decided.begin(), decided.end(),
                                          [&](const LegChange& c) { return c.after.state == LegState::Submitted; });
    if (!anySubmitted) return nowMs;
    TRADEHOST_CRASH_POINT("executor.after_submit_commit");

    // 2. Send, in journal order. A symbol's legs go one after the other, each once the one before
    //    has settled: after one that did not (an unknown outcome, or a leg the gate says is still
    //    in flight elsewhere), the rest of its symbol go back to the queue untried. After a
    //    Deferred, the whole rest of the round does: the venue said "not now".
    std::vector<LegChange> outcomes;
    std::set<std::string> waiting;
    std::optional<Deferred> held;
    bool anyDeferred = false;
    for (std::size_t i = 0; i < decided.size(); ++i) {
        const LegRecord& leg = decided[i].after;
        const std::string& symbol = leg.intent.symbol;
        if (committed[i] != ChangeResult::Applied) {
            if (decided[i].after.state == LegState::Submitted) unsent(nowMs);
            const auto current = legs_.leg(leg.key());
            if (current && isUnsettled(current->state)) waiting.insert(symbol);
            continue;
        }
        if (leg.state != LegState::Submitted) continue;  // ended without an order: settled
        if (held || waiting.count(symbol)) {
            unsent(nowMs);
            outcomes.push_back(
                held
                    ? backToQueue(leg, *held, true)
                    : backToQueue(
                          leg,
                          Deferred{"an earlier leg of " + symbol + " has an unknown outcome; this one waits for it", 0},
                          false));
            anyDeferred = anyDeferred || held.has_value();
            continue;
        }
        const PlaceResult result = venue_.placeOrder(intentOf(leg));
        TRADEHOST_CRASH_POINT("executor.after_venue_call");
        const std::int64_t t = clock_.nowMs();
        if (const auto* a = std::get_if<Accepted>(&result)) {
            LegChange c = *adoptOrder(leg, a->order, "order_ack", {{"note", a->note}});
            markSubmitted(c, leg, a->order.quantity);
            outcomes.push_back(std::move(c));
        } else if (const auto* r = std::get_if<Rejected>(&result)) {
            // A refusal the plugin decided on its own (its filters, a position-side rule) sent
            // nothing: no order_submitted, and order_rejected says sent: false.
            const bool sent = reachedVenue(*r);
            LegChange c =
                endWithoutOrder(leg, LegState::Rejected, "order_rejected", r->code + ": " + r->message,
                                {{"code", r->code}, {"message", r->message}, {"sent", sent ? "true" : "false"}});
            if (sent) markSubmitted(c, leg);
            outcomes.push_back(std::move(c));
        } else if (const auto* u = std::get_if<Unknown>(&result)) {
            LegChange c{leg, leg, {}};
            c.after.state = LegState::Unknown;
            c.after.reason = u->reason;
            c.after.unknownSinceMs = t;
            c.after.nextCheckMs = t + 500;
            c.after.notFoundCount = 0;
            c.events.push_back(legEvent("order_unknown", c.after, jsonObject({{"reason", u->reason}})));
            markSubmitted(c, leg);  // it may have gone out
            outcomes.push_back(std::move(c));
            waiting.insert(symbol);
        } else {
            const auto& d = std::get<Deferred>(result);
            held = d;
            lane_.hold(t + std::max<std::int64_t>(d.retryAfterMs, 1), d.reason);
            unsent(nowMs);
            outcomes.push_back(backToQueue(leg, d, true));
            anyDeferred = true;
        }
    }
    const auto recorded = record(outcomes, clock_.nowMs());
    TRADEHOST_CRASH_POINT("executor.after_outcome_commit");
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (recorded[i] != ChangeResult::Applied) continue;
        const LegRecord& after = outcomes[i].after;
        if (after.state == LegState::Pending) lane_.enqueue(after);
        if (after.state == LegState::Unknown && hooks_.unknown) hooks_.unknown(after);
        if (after.state == LegState::Working && hooks_.working) hooks_.working(after);
    }
    if (anyDeferred) TRADEHOST_CRASH_POINT("executor.after_deferred_commit");
    return clock_.nowMs();
}

// A SUBMITTED leg that was not handed to the venue (or was, and came back Deferred: nothing
// reached it) goes back to PENDING under the same attempt and client order id.
LegChange Executor::backToQueue(const LegRecord& leg, const Deferred& why, bool deferred) {
    LegChange c{leg, leg, {}};
    c.after.state = LegState::Pending;
    c.after.sentMs = 0;
    if (!deferred) {
        c.events.push_back(legEvent("order_requeued", c.after, jsonObject({{"reason", why.reason}})));
        return c;
    }
    // order_deferred once, when a leg is first held back; every later hand-over that comes back
    // unsent is an order_not_sent (a record of each attempt, and of the venue's pace).
    const bool first = leg.reason.rfind(kDeferredPrefix, 0) != 0;
    c.events.push_back(
        legEvent(first ? "order_deferred" : "order_not_sent", c.after,
                 jsonObject({{"reason", why.reason},
                             {"retry_after_ms", std::to_string(lane_.heldUntilMs() - clock_.nowMs())}})));
    c.after.reason = kDeferredPrefix + why.reason;
    return c;
}

}  // namespace tradehost::host
