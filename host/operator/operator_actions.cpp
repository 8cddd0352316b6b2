// What an operator can do about trading, symbols and expected positions.
#include "operator/operator_actions.h"

#include <ctime>

namespace tradehost::host {

std::string formatUtc(std::int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return text;
}

OperatorActions::OperatorActions(ControlState& control, PositionBook& book, LegStore& legs, std::string owner,
                                 std::int64_t reconcileIntervalS, ResolveNow resolveNow)
    : control_(control),
      book_(book),
      legs_(legs),
      owner_(std::move(owner)),
      intervalS_(reconcileIntervalS),
      resolveNow_(std::move(resolveNow)) {}

ActionResult OperatorActions::setTrading(bool paused, const Actor& by, std::int64_t nowMs) {
    const KillSwitch current = control_.killSwitch();
    if (current.paused == paused) {
        std::string text = std::string("trading already ") + (paused ? "paused" : "running");
        if (current.sinceMs > 0)
            text += " since " + formatUtc(current.sinceMs) + " by " + current.by.who +
                    (current.by.why.empty() ? "" : " (" + current.by.why + ")");
        return {ActionResult::Code::Unchanged, text + "; nothing changed"};
    }
    control_.setKillSwitch(paused, by, nowMs);
    return {ActionResult::Code::Done, std::string("trading ") + (paused ? "paused" : "resumed") + " by " + by.who};
}

ActionResult OperatorActions::setSymbolPaused(const std::string& venue, const std::string& symbol, bool paused,
                                              const Actor& by, std::int64_t nowMs) {
    if (!control_.setSymbolPaused(venue, symbol, paused, by, nowMs))
        return {ActionResult::Code::Unchanged,
                symbol + " on " + venue + " is already " + (paused ? "paused" : "not paused") + "; nothing changed"};
    return {ActionResult::Code::Done,
            symbol + " on " + venue + " " + (paused ? "paused" : "resumed") + " by " + by.who};
}

ActionResult OperatorActions::acceptBaseline(const PositionKey& key, const Actor& by, std::int64_t nowMs) {
    const std::int64_t checkedMs = book_.venueCheckedMs(key.venue);
    const std::string retry =
        "; nothing changed: try again after the next reconciliation (every " + std::to_string(intervalS_) + " s)";
    if (checkedMs == 0)
        return {ActionResult::Code::Refused, "the host has not read " + key.venue +
                                                 "'s positions yet (it does at start and every reconciler.interval_s)" +
                                                 retry};
    // The reading must be newer than anything that moved the position since: a fill the host
    // booked after it, or an order still on its way, would make the accepted quantity wrong at
    // once (and that mistake would then look like drift).
    const std::string reading = "; the venue's last reading (" + formatUtc(checkedMs) + ") may not include it";
    for (const auto& leg : legs_.legsIn(
             {LegState::Pending, LegState::Submitted, LegState::Unknown, LegState::Absent, LegState::Working}, owner_))
        if (leg.intent.venue == key.venue && leg.intent.symbol == key.symbol)
            return {ActionResult::Code::Refused, "an order of " + key.symbol + " on " + key.venue +
                                                     " is in flight or resting (" + leg.clientOrderId + ", " +
                                                     toString(leg.state) + ")" + reading + retry};
    if (const auto last = legs_.lastFilled(key.venue, key.symbol); last && last->updatedMs >= checkedMs)
        return {ActionResult::Code::Refused, "the host booked a fill of " + key.symbol + " (" + last->clientOrderId +
                                                 ") at " + formatUtc(last->updatedMs) + reading + retry};
    Decimal venueQuantity;  // not reported: flat
    for (const auto& p : book_.venuePositions())
        if (p.key == key) venueQuantity = p.quantity;
    Decimal expected;
    for (const auto& p : book_.expectedPositions())
        if (p.key == key) expected = p.quantity();
    const std::string what = key.symbol + " " + toString(key.side) + " on " + key.venue;
    if (venueQuantity == expected)
        return {ActionResult::Code::Unchanged, "the host already expects " + venueQuantity.toString() + " " + what +
                                                   ", as the venue held at " + formatUtc(checkedMs) +
                                                   "; nothing changed"};
    book_.setBaseline(key, venueQuantity, by, nowMs);
    const std::int64_t ageS = (nowMs - checkedMs) / 1000;
    return {ActionResult::Code::Done, "expected position of " + what + " set to " + venueQuantity.toString() +
                                          " (was " + expected.toString() + ") by " + by.who +
                                          ": what the venue held at " + formatUtc(checkedMs) + ", " +
                                          std::to_string(ageS) + " s ago"};
}

namespace {
std::string legName(const LegRecord& leg) {
    return (leg.clientOrderId.empty() ? "leg " + std::to_string(leg.leg) + " of signal '" + leg.signalId + "'"
                                      : leg.clientOrderId) +
           " on " + leg.intent.venue;
}
}  // namespace

ActionResult OperatorActions::cancelOrder(const LegKey& key, const Actor& by, std::int64_t nowMs) {
    const auto leg = legs_.leg(key);
    if (!leg)
        return {ActionResult::Code::NotFound,
                "no leg " + std::to_string(key.leg) + " of signal '" + key.signalId + "'; nothing changed"};
    if (leg->state != LegState::Working)
        return {ActionResult::Code::Refused, legName(*leg) + " is " + toString(leg->state) +
                                                 ", not WORKING: there is no open order to cancel; nothing changed"};
    // A second click (or the command line after the page) while the first request is still open
    // would only record a second request for the same order.
    for (const auto& open : control_.openCancelRequests(leg->intent.venue))
        if (open.leg == key)
            return {ActionResult::Code::Unchanged, "a cancel of " + legName(*leg) + " was already requested by " +
                                                       open.by.who + " at " + formatUtc(open.atMs) +
                                                       "; nothing changed"};
    const auto id = control_.requestCancel(key, by, nowMs);
    if (!id)
        return {ActionResult::Code::NotFound,
                "no leg " + std::to_string(key.leg) + " of signal '" + key.signalId + "'; nothing changed"};
    return {ActionResult::Code::Done, "cancel requested (request " + std::to_string(*id) + ") for " + legName(*leg) +
                                          " by " + by.who +
                                          "; the running host cancels it within about a second (see order_closed "
                                          "in the event log)"};
}

std::optional<LegRecord> OperatorActions::currentLeg(const std::string& clientOrderId, ActionResult& refusal) {
    auto leg = clientOrderId.empty() ? std::nullopt : legs_.legByClientOrderId(clientOrderId);
    if (!leg) {
        refusal = {ActionResult::Code::NotFound, "no leg has client order id " + clientOrderId + "; nothing changed"};
        return std::nullopt;
    }
    // An earlier attempt's id names an order proven absent: acting on it would act on the wrong one.
    if (leg->clientOrderId != clientOrderId) {
        refusal = {ActionResult::Code::Refused, clientOrderId + " is an earlier attempt of leg " +
                                                    std::to_string(leg->leg) + " of signal '" + leg->signalId +
                                                    "', whose current order is " + legName(*leg) + " (" +
                                                    toString(leg->state) + "); nothing changed"};
        return std::nullopt;
    }
    return leg;
}

ActionResult OperatorActions::cancelOrder(const std::string& clientOrderId, const Actor& by, std::int64_t nowMs) {
    ActionResult refusal;
    const auto leg = currentLeg(clientOrderId, refusal);
    if (!leg) return refusal;
    return cancelOrder(leg->key(), by, nowMs);
}

ActionResult OperatorActions::retryResolution(const std::string& clientOrderId, const Actor& by) {
    ActionResult refusal;
    const auto leg = currentLeg(clientOrderId, refusal);
    if (!leg) return refusal;
    if (leg->owner != owner_)
        return {ActionResult::Code::Refused, legName(*leg) + " is worked by host '" + leg->owner +
                                                 "', not by this one ('" + owner_ +
                                                 "'): ask that host; nothing changed"};
    if (leg->state != LegState::Unknown)
        return {ActionResult::Code::Refused, legName(*leg) + " is " + toString(leg->state) +
                                                 ", not UNKNOWN: there is no outcome to look for; nothing changed"};
    if (!resolveNow_ || !resolveNow_(*leg, by))
        return {ActionResult::Code::Refused, "no resolver runs for venue '" + leg->intent.venue +
                                                 "' here (is the host running, with that venue?); nothing changed"};
    return {ActionResult::Code::Done, legName(*leg) + ": the venue is asked for it now (a query, never a resend), by " +
                                          by.who + "; order_resolved in the event log tells what it found"};
}

}  // namespace tradehost::host
