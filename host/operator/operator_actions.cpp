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
                                 std::int64_t reconcileIntervalS)
    : control_(control), book_(book), legs_(legs), owner_(std::move(owner)), intervalS_(reconcileIntervalS) {}

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

}  // namespace tradehost::host
