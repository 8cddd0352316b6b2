// One venue instance's order tracker: follows working orders until they are filled, cancelled or
// expired, booking each fill once, and carries out operators' cancel requests.
#include "pipeline/order_tracker.h"

#include <Poco/Logger.h>

#include <algorithm>

#include "events/json_text.h"
#include "pipeline/leg_outcomes.h"
#include "testing/crash_point.h"

namespace tradehost::host {
namespace {
Poco::Logger& log() { return Poco::Logger::get("tracker"); }
constexpr std::int64_t kCancelCheckMs = 1000;
constexpr std::size_t kMaxEarlyPushes = 1000;
constexpr std::int64_t kEarlyPushKeepMs = 60'000;
}  // namespace

OrderTracker::OrderTracker(VenueLane& lane, Venue& venue, LegStore& legs, ControlState& control,
                           PipelineOptions options, const Clock& clock, Hooks hooks,
                           std::function<void(const std::string&)> onFatal)
    : Worker("tracker '" + lane.venue() + "'", clock, std::move(onFatal)),
      lane_(lane),
      venue_(venue),
      legs_(legs),
      control_(control),
      options_(std::move(options)),
      hooks_(std::move(hooks)) {}

void OrderTracker::add(const LegRecord& leg) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        incoming_[leg.key()] = leg;
    }
    wake();
}

void OrderTracker::orderUpdated(const OrderState& order) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pushes_.push_back(order);
    }
    wake();
}

std::size_t OrderTracker::working() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return incoming_.size() + tracked_.size();
}

bool OrderTracker::absorb(Tracked& t, const OrderState& order, std::int64_t nowMs) {
    const auto change = adoptOrder(t.leg, order, nullptr, {});
    if (!change) return true;  // nothing new
    const ChangeResult r = legs_.apply(*change, nowMs);
    if (r != ChangeResult::Applied) {
        // Someone else moved this leg (an operator, another host): follow what the gate says.
        const auto current = legs_.leg(t.leg.key());
        if (!current || current->state != LegState::Working) return false;
        t.leg = *current;
        return true;
    }
    TRADEHOST_CRASH_POINT("tracker.after_fill_commit");
    lane_.track(change->after);
    if (hooks_.recorded) hooks_.recorded();
    t.leg = change->after;
    return change->after.state == LegState::Working;
}

void OrderTracker::handleCancels(std::int64_t nowMs) {
    const auto requests = control_.openCancelRequests(lane_.venue());
    for (auto r = cancelRetries_.begin(); r != cancelRetries_.end();)  // closed elsewhere, or gone
        r = std::any_of(requests.begin(), requests.end(), [&](const CancelRequest& q) { return q.id == r->first; })
                ? std::next(r)
                : cancelRetries_.erase(r);
    for (const auto& request : requests) {
        const auto it = tracked_.find(request.leg);
        if (it == tracked_.end()) {
            const auto leg = legs_.leg(request.leg);
            const std::string state = leg ? toString(leg->state) : "gone";
            control_.closeCancelRequest(request.id, "nothing to cancel: the leg is " + state, nowMs);
            cancelRetries_.erase(request.id);
            log().information("cancel request " + std::to_string(request.id) + " for " + request.leg.signalId + "#" +
                              std::to_string(request.leg.leg) + ": nothing to cancel, the leg is " + state);
            continue;
        }
        CancelRetry& retry = cancelRetries_[request.id];
        if (nowMs < retry.nextTryMs) continue;
        Tracked& t = it->second;
        const CancelResult result = venue_.cancelOrder(t.leg.clientOrderId, t.leg.intent.symbol);
        const std::int64_t now = clock_.nowMs();
        std::string outcome;
        if (const auto* c = std::get_if<Canceled>(&result)) {
            outcome = "cancelled";
            if (!absorb(t, c->order, now)) forget(it);
        } else if (std::holds_alternative<NotOpen>(result)) {
            // Filled or gone meanwhile: ask what became of it, right away.
            outcome = "the order was no longer open";
            t.nextPollMs = now;
        } else {
            // Refused (a rate limit, the venue out of reach) or no answer: the operator asked for a
            // cancel, so it stays asked and is tried again, less often, until the order ends. The
            // first refusal is recorded; the retries are not.
            const auto* refused = std::get_if<Rejected>(&result);
            if (refused && !retry.recorded) {
                retry.recorded = true;
                legs_.apply(LegChange{t.leg,
                                      t.leg,
                                      {legEvent("order_cancel_failed", t.leg,
                                                jsonObject({{"request", std::to_string(request.id)},
                                                            {"code", refused->code},
                                                            {"message", refused->message},
                                                            {"next", "tried again until the order ends"}}))}},
                            now);
                if (hooks_.recorded) hooks_.recorded();
            }
            retry.failures += 1;
            retry.nextTryMs = now + std::min<std::int64_t>(kCancelCheckMs << std::min(retry.failures - 1, 6), 60'000);
            continue;
        }
        control_.closeCancelRequest(request.id, outcome, now);
        cancelRetries_.erase(request.id);
        if (hooks_.recorded) hooks_.recorded();
    }
}

void OrderTracker::forget(std::map<LegKey, Tracked>::iterator it) {
    byClientOrderId_.erase(it->second.leg.clientOrderId);
    tracked_.erase(it);
}

std::optional<std::int64_t> OrderTracker::runOnce(std::int64_t nowMs) {
    std::deque<OrderState> pushes;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& [key, leg] : incoming_) {
            byClientOrderId_[leg.clientOrderId] = key;
            tracked_[key] = {leg, nowMs + pollEveryMs(), 0};
        }
        incoming_.clear();
        pushes.swap(pushes_);
    }
    for (const auto& order : pushes) {
        const auto id = byClientOrderId_.find(order.clientOrderId);
        if (id == byClientOrderId_.end()) {
            // Not followed (yet): perhaps the leg is still being recorded. Keep it for a while.
            if (early_.size() < kMaxEarlyPushes || early_.count(order.clientOrderId))
                early_[order.clientOrderId] = {order, nowMs};
            continue;
        }
        const auto it = tracked_.find(id->second);
        if (it != tracked_.end() && !absorb(it->second, order, nowMs)) forget(it);
    }
    // Pushes that came before their leg: booked now that it is followed; stale ones dropped.
    for (auto e = early_.begin(); e != early_.end();) {
        const auto id = byClientOrderId_.find(e->first);
        if (id != byClientOrderId_.end()) {
            const auto it = tracked_.find(id->second);
            if (it != tracked_.end() && !absorb(it->second, e->second.order, nowMs)) forget(it);
            e = early_.erase(e);
        } else {
            e = nowMs - e->second.atMs > kEarlyPushKeepMs ? early_.erase(e) : std::next(e);
        }
    }
    if (nowMs >= nextCancelCheckMs_) {
        nextCancelCheckMs_ = nowMs + kCancelCheckMs;
        handleCancels(nowMs);
        for (const auto& [id, retry] : cancelRetries_)
            nextCancelCheckMs_ = std::min(nextCancelCheckMs_, std::max(retry.nextTryMs, nowMs + 1));
    }

    // Due polls, the longest-waiting first, within the venue's query budget (per rolling second).
    while (!queries_.empty() && queries_.front() <= nowMs - 1000) queries_.pop_front();
    const auto budget = static_cast<std::size_t>(std::max(1, options_.trackerQueriesPerSecond));
    const std::size_t allowed = budget > queries_.size() ? budget - queries_.size() : 0;
    std::vector<std::map<LegKey, Tracked>::iterator> due;
    for (auto it = tracked_.begin(); it != tracked_.end(); ++it)
        if (it->second.nextPollMs <= nowMs) due.push_back(it);
    std::sort(due.begin(), due.end(),
              [](const auto& a, const auto& b) { return a->second.nextPollMs < b->second.nextPollMs; });
    const bool overBudget = due.size() > allowed;
    if (overBudget) due.resize(allowed);
    for (auto it : due) {
        Tracked& t = it->second;
        const QueryResult q = venue_.queryOrder(t.leg.clientOrderId, t.leg.intent.symbol);
        TRADEHOST_CRASH_POINT("tracker.after_query");
        const std::int64_t now = clock_.nowMs();
        queries_.push_back(now);
        if (const auto* f = std::get_if<Found>(&q)) {
            t.failures = 0;
            t.nextPollMs = now + pollEveryMs();
            if (!absorb(t, f->order, now)) forget(it);
            continue;
        }
        // Unknown, or NotFound for an order the venue acknowledged: neither says the order is gone
        // (a venue forgets only orders it closed long ago). Keep asking, less often.
        t.failures += 1;
        t.nextPollMs = now + std::min<std::int64_t>(pollEveryMs() << std::min(t.failures, 5), 60'000);
        if (t.failures == 5)
            log().warning(
                "working order " + t.leg.clientOrderId + ": the venue could not tell its state 5 times (" +
                (std::holds_alternative<NotFound>(q) ? std::get<NotFound>(q).message : std::get<Unknown>(q).reason) +
                "); still following it");
    }

    std::int64_t next = nextCancelCheckMs_;
    for (const auto& [key, t] : tracked_) next = std::min(next, t.nextPollMs);
    if (overBudget && !queries_.empty()) next = std::max(next, queries_.front() + 1000);
    return next;
}

}  // namespace tradehost::host
