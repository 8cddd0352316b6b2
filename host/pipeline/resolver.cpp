// One venue instance's resolver: settles legs whose order may or may not exist by asking the venue.
#include "pipeline/resolver.h"

#include <Poco/Logger.h>

#include <algorithm>

#include "events/json_text.h"
#include "pipeline/leg_outcomes.h"
#include "testing/crash_point.h"

namespace tradehost::host {
namespace {
Poco::Logger& log() { return Poco::Logger::get("resolver"); }
constexpr const char* kUnresolvedPrefix = "unresolved: ";
}  // namespace

Resolver::Resolver(VenueLane& lane, Venue& venue, const ClientOrderIdCodec& ids, LegStore& legs,
                   PipelineOptions options, const Clock& clock, Hooks hooks,
                   std::function<void(const std::string&)> onFatal)
    : Worker("resolver '" + lane.venue() + "'", clock, std::move(onFatal)),
      lane_(lane),
      venue_(venue),
      ids_(ids),
      legs_(legs),
      options_(std::move(options)),
      hooks_(std::move(hooks)) {}

void Resolver::add(const LegRecord& leg) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        incoming_[leg.key()] = {leg, std::max(leg.nextCheckMs, leg.unknownSinceMs), 0};
    }
    wake();
}

void Resolver::checkNow(const LegKey& key, const Actor& by) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        checkNow_[key] = by;
    }
    wake();
}

std::size_t Resolver::pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return incoming_.size() + tracked_.size();
}

ChangeResult Resolver::record(const LegChange& change, std::int64_t nowMs) {
    const ChangeResult r = legs_.apply(change, nowMs);
    if (r == ChangeResult::Applied && lane_.track(change.after) && hooks_.wakeExecutor) hooks_.wakeExecutor();
    if (hooks_.recorded) hooks_.recorded();
    return r;
}

std::optional<std::int64_t> Resolver::runOnce(std::int64_t nowMs) {
    std::map<LegKey, Actor> asked;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& [key, t] : incoming_) tracked_[key] = std::move(t);
        incoming_.clear();
        asked.swap(checkNow_);
    }
    for (const auto& [key, by] : asked) {
        const auto it = tracked_.find(key);
        if (it == tracked_.end()) {
            log().information("leg " + key.signalId + " #" + std::to_string(key.leg) + ": retry asked by " + by.who +
                              ", but it is no longer unknown: nothing to query");
            continue;
        }
        Tracked& t = it->second;
        LegChange c{t.leg, t.leg, {}};
        c.events.push_back(
            legEvent("operator_retry_resolution", c.after, jsonObject({{"by", by.who}, {"why", by.why}})));
        if (record(c, nowMs) != ChangeResult::Applied) {
            tracked_.erase(it);  // changed meanwhile: as in resolve(), no longer followed here
            continue;
        }
        t.leg = c.after;
        t.nextCheckMs = nowMs;
    }
    std::optional<std::int64_t> next;
    for (auto it = tracked_.begin(); it != tracked_.end();) {
        Tracked& t = it->second;
        if (t.nextCheckMs <= nowMs && !resolve(t)) {
            it = tracked_.erase(it);
            continue;
        }
        next = next ? std::min(*next, t.nextCheckMs) : t.nextCheckMs;
        ++it;
    }
    return next;
}

bool Resolver::resolve(Tracked& t) {
    LegRecord& leg = t.leg;
    const QueryResult q = venue_.queryOrder(leg.clientOrderId, leg.intent.symbol);
    TRADEHOST_CRASH_POINT("resolver.after_query");
    const std::int64_t now = clock_.nowMs();
    if (const auto* f = std::get_if<Found>(&q)) {
        const auto change = adoptOrder(leg, f->order, "order_resolved", {{"outcome", "found"}});
        const ChangeResult r = record(*change, now);
        if (r == ChangeResult::Applied && change->after.state == LegState::Working && hooks_.working)
            hooks_.working(change->after);
        if (r != ChangeResult::Applied) log().warning("leg " + leg.clientOrderId + " changed while being resolved");
        return false;
    }
    const std::int64_t unknownFor = now - leg.unknownSinceMs;
    if (const auto* u = std::get_if<Unknown>(&q)) {
        // Could not ask: never read as "absent". Ask again after a quarter of the time the outcome
        // has been unknown, between 1 s and 30 s: prompt after a blip, gentle through an outage.
        t.nextCheckMs = now + std::clamp<std::int64_t>(unknownFor / 4, 1000, 30'000);
        if (unknownFor > options_.unresolvedAlertMs && leg.reason.rfind(kUnresolvedPrefix, 0) != 0) {
            LegChange c{leg, leg, {}};
            c.after.reason = kUnresolvedPrefix + u->reason;
            c.events.push_back(legEvent(
                "order_unresolved", c.after,
                jsonObject({{"reason", c.after.reason}, {"unknown_for_s", std::to_string(unknownFor / 1000)}})));
            if (record(c, now) != ChangeResult::Applied) return false;
            leg = c.after;
        }
        return true;
    }
    t.notFound += 1;
    if (t.notFound < options_.notFoundToAbsent || unknownFor < options_.settleWindowMs) {
        t.nextCheckMs = now + 1000;
        return true;
    }
    // Proven absent: repeated NotFound, past a settle window longer than the venue's own.
    LegChange absent{leg, leg, {}};
    absent.after.state = LegState::Absent;
    absent.after.reason =
        "not found " + std::to_string(t.notFound) + " times over " + std::to_string(unknownFor / 1000) + " s";
    absent.events.push_back(
        legEvent("order_resolved", absent.after, jsonObject({{"outcome", "absent"}, {"reason", absent.after.reason}})));
    if (record(absent, now) != ChangeResult::Applied) return false;
    TRADEHOST_CRASH_POINT("resolver.after_absent_commit");
    nextAttempt(absent.after, now);
    return false;
}

void Resolver::nextAttempt(const LegRecord& absent, std::int64_t nowMs) {
    if (absent.attempt >= kMaxAttempt || nowMs - absent.receivedMs > options_.maxSignalAgeMs) {
        record(endWithoutOrder(absent, LegState::Expired, "order_expired",
                               absent.attempt >= kMaxAttempt ? "no attempts left"
                                                             : "absent, and the signal is past max_signal_age_s"),
               nowMs);
        return;
    }
    // Only now, with the previous attempt proven absent, may a new id be sent.
    LegChange next{absent, absent, {}};
    next.after.attempt += 1;
    next.after.clientOrderId = ids_.encode(absent.signalId, absent.leg, next.after.attempt);
    next.after.unknownSinceMs = 0;
    next.after.nextCheckMs = 0;
    next.after.notFoundCount = 0;
    next.after.reason = "next attempt after proven absence";
    const ChangeResult r = record(next, nowMs);
    if (r == ChangeResult::IdTaken) {
        record(endWithoutOrder(absent, LegState::Expired, "order_expired",
                               "the next attempt's client order id " + next.after.clientOrderId +
                                   " already belongs to another leg"),
               nowMs);
        return;
    }
    if (r != ChangeResult::Applied) return;
    lane_.enqueue(next.after);
    if (hooks_.wakeExecutor) hooks_.wakeExecutor();
}

}  // namespace tradehost::host
