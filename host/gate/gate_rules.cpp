// The gate's rules, shared by every implementation so they cannot drift apart.
#include "gate/gate_rules.h"

#include <array>

#include "events/json_text.h"

namespace tradehost::host {

namespace {
constexpr std::array<LegState, 10> kLegStates = {
    LegState::Pending, LegState::Submitted, LegState::Accepted, LegState::Working, LegState::Rejected,
    LegState::Unknown, LegState::Absent,    LegState::Blocked,  LegState::Expired, LegState::Cancelled};
}

const char* toString(LegState s) {
    switch (s) {
        case LegState::Pending:
            return "PENDING";
        case LegState::Submitted:
            return "SUBMITTED";
        case LegState::Accepted:
            return "ACCEPTED";
        case LegState::Working:
            return "WORKING";
        case LegState::Rejected:
            return "REJECTED";
        case LegState::Unknown:
            return "UNKNOWN";
        case LegState::Absent:
            return "ABSENT";
        case LegState::Blocked:
            return "BLOCKED";
        case LegState::Expired:
            return "EXPIRED";
        case LegState::Cancelled:
            return "CANCELLED";
    }
    return "?";
}

std::optional<LegState> legStateFrom(std::string_view text) {
    for (const LegState s : kLegStates)
        if (text == toString(s)) return s;
    return std::nullopt;
}

bool isFinal(LegState s) {
    return s == LegState::Accepted || s == LegState::Rejected || s == LegState::Blocked || s == LegState::Expired ||
           s == LegState::Cancelled;
}

std::optional<PositionSide> positionSideFrom(std::string_view text) {
    for (const PositionSide s : {PositionSide::Both, PositionSide::Long, PositionSide::Short})
        if (text == toString(s)) return s;
    return std::nullopt;
}

const char* toString(Admission a) {
    switch (a) {
        case Admission::Admitted:
            return "admitted";
        case Admission::Duplicate:
            return "duplicate";
        case Admission::Conflict:
            return "conflict";
        case Admission::TooOld:
            return "too old";
        case Admission::Skipped:
            return "skipped";
    }
    return "?";
}

const char* toString(ChangeResult r) {
    switch (r) {
        case ChangeResult::Applied:
            return "applied";
        case ChangeResult::LostRace:
            return "lost race";
        case ChangeResult::IdTaken:
            return "id taken";
    }
    return "?";
}

namespace gate_rules {

namespace {
std::string seqText(const AdmissionRequest& r) { return std::to_string(r.journalSeq); }
}  // namespace

EventRecord duplicateEvent(const AdmissionRequest& r) {
    return {"signal_duplicate", r.signal->signalId, "", "", "{\"journal_seq\":" + seqText(r) + "}"};
}

EventRecord conflictEvent(const AdmissionRequest& r) {
    std::string data =
        "{\"reason\":\"same signal_id, different payload\",\"journal_seq\":" + seqText(r) + ",\"refused_payload\":";
    appendJsonString(data, r.signal->canonical);
    return {"signal_rejected", r.signal->signalId, "", "", data + "}"};
}

EventRecord tooOldEvent(const AdmissionRequest& r) {
    return {"signal_rejected", r.signal->signalId, "", "",
            "{\"reason\":\"older than the signal retention window\",\"journal_seq\":" + seqText(r) + "}"};
}

EventRecord receivedEvent(const AdmissionRequest& r) {
    // What each leg asks for, so the event log alone tells what the signal was (the admin page's
    // read model is built from events).
    std::string orders = "[";
    for (std::size_t i = 0; i < r.signal->legs.size(); ++i) {
        const Leg& leg = r.signal->legs[i];
        if (i) orders += ',';
        orders += "{\"leg\":" + std::to_string(i) + ",\"venue\":";
        appendJsonString(orders, leg.venue);
        orders += ",\"symbol\":";
        appendJsonString(orders, leg.symbol);
        orders += std::string(",\"side\":\"") + toString(leg.side) + "\",\"type\":\"" + toString(leg.type) +
                  "\",\"quantity\":\"" + leg.quantity.toString() + "\"";
        if (leg.price) orders += ",\"price\":\"" + leg.price->toString() + "\"";
        orders += "}";
    }
    orders += "]";
    // A signal no webhook sent (the admin page's order ticket) says where it came from, who sent
    // it and why; a webhook's has none of these.
    std::string origin;
    if (const auto& o = r.signal->origin) {
        origin = ",\"source\":";
        appendJsonString(origin, o->source);
        origin += ",\"by\":";
        appendJsonString(origin, o->by);
        origin += ",\"why\":";
        appendJsonString(origin, o->why);
    }
    return {"signal_received", r.signal->signalId, "", "",
            "{\"legs\":" + std::to_string(r.signal->legs.size()) + ",\"orders\":" + orders +
                ",\"journal_seq\":" + seqText(r) + origin + "}"};
}

LegRecord newLeg(const AdmissionRequest& r, std::size_t i, const std::string& owner, std::int64_t nowMs) {
    LegRecord l;
    l.signalId = r.signal->signalId;
    l.leg = static_cast<int>(i);
    l.owner = owner;
    l.intent = r.signal->legs[i];
    l.bookSide = l.intent.positionSide;
    l.receivedMs = r.receivedMs;
    l.journalSeq = r.journalSeq;
    l.updatedMs = nowMs;
    const auto& plan = r.legs.at(i);
    if (plan.blockedReason.empty()) {
        l.clientOrderId = plan.clientOrderId;
        l.state = LegState::Pending;
    } else {
        l.state = LegState::Blocked;
        l.reason = plan.blockedReason;
    }
    return l;
}

void blockForTakenId(LegRecord& leg, const std::string& takenId, const LegKey& holder) {
    leg.state = LegState::Blocked;
    leg.reason = "client order id " + takenId + " already belongs to signal '" + holder.signalId + "' leg " +
                 std::to_string(holder.leg) + "; this leg is not sent";
    leg.clientOrderId.clear();
}

std::vector<EventRecord> blockedEvents(const LegRecord& leg) {
    // The leg's number, since a leg blocked at admission has no client order id to carry it.
    const std::string data = jsonObject({{"reason", leg.reason}, {"leg", std::to_string(leg.leg)}});
    return {{"order_blocked", leg.signalId, leg.clientOrderId, leg.intent.venue, data},
            {"trade_fail", leg.signalId, leg.clientOrderId, leg.intent.venue, data}};
}

bool sameVersion(const LegRecord& stored, const LegRecord& expected) {
    return stored.state == expected.state && stored.attempt == expected.attempt &&
           stored.filledQuantity == expected.filledQuantity;
}

std::optional<std::pair<PositionKey, Decimal>> fillMove(const LegChange& change) {
    const Decimal delta = change.after.filledQuantity - change.before.filledQuantity;
    if (!delta.isPositive()) return std::nullopt;
    const Leg& i = change.after.intent;
    return std::make_pair(PositionKey{i.venue, i.symbol, change.after.bookSide}, i.side == Side::Buy ? delta : -delta);
}

EventRecord baselineEvent(const PositionKey& key, const Decimal& before, const Decimal& after, const Actor& by) {
    return {"position_baseline_set", "", "", key.venue,
            jsonObject({{"symbol", key.symbol},
                        {"position_side", toString(key.side)},
                        {"expected_before", before.toString()},
                        {"expected_after", after.toString()},
                        {"by", by.who},
                        {"why", by.why}})};
}

EventRecord killSwitchEvent(bool paused, const Actor& by) {
    return {paused ? "trading_paused" : "trading_resumed", "", "", "", jsonObject({{"by", by.who}, {"why", by.why}})};
}

EventRecord symbolPauseEvent(const std::string& venue, const std::string& symbol, bool paused, const Actor& by) {
    return {paused ? "symbol_paused" : "symbol_resumed", "", "", venue,
            jsonObject({{"symbol", symbol}, {"by", by.who}, {"why", by.why}})};
}

EventRecord cancelRequestedEvent(const LegRecord& leg, std::uint64_t requestId, const Actor& by) {
    return {"order_cancel_requested", leg.signalId, leg.clientOrderId, leg.intent.venue,
            jsonObject({{"leg", std::to_string(leg.leg)},
                        {"request", std::to_string(requestId)},
                        {"state", toString(leg.state)},
                        {"by", by.who},
                        {"why", by.why}})};
}

EventRecord cancelClosedEvent(const CancelRequest& request, const std::string& clientOrderId,
                              const std::string& outcome) {
    return {"order_cancel_closed", request.leg.signalId, clientOrderId, request.venue,
            jsonObject({{"leg", std::to_string(request.leg.leg)},
                        {"request", std::to_string(request.id)},
                        {"outcome", outcome},
                        {"by", request.by.who}})};
}

}  // namespace gate_rules
}  // namespace tradehost::host
