// One venue instance's legs on their way out: the order they go in and what holds them back.
#include "pipeline/venue_lane.h"

#include <algorithm>
#include <functional>
#include <queue>

namespace tradehost::host {

void VenueLane::enqueue(const LegRecord& leg) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Position at = positionOf(leg);
    auto& queue = queues_[leg.intent.symbol];
    if (const auto old = queue.find(at); old != queue.end()) byReceived_.erase({old->second.receivedMs, at});
    queue[at] = leg;
    byReceived_.insert({leg.receivedMs, at});
    symbolAt_[at] = leg.intent.symbol;
}

void VenueLane::eraseLocked(const std::string& symbol, const Position& at, std::int64_t receivedMs) {
    byReceived_.erase({receivedMs, at});
    symbolAt_.erase(at);
    auto q = queues_.find(symbol);
    q->second.erase(at);
    if (q->second.empty()) queues_.erase(q);
}

bool VenueLane::track(const LegRecord& leg) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& set = unsettled_[leg.intent.symbol];
    if (isUnsettled(leg.state)) {
        set.insert(positionOf(leg));
        return false;
    }
    const bool released = set.erase(positionOf(leg)) > 0;
    if (set.empty()) unsettled_.erase(leg.intent.symbol);
    return released;
}

bool VenueLane::runnableLocked(const LegRecord& leg, const Position& at) const {
    const auto u = unsettled_.find(leg.intent.symbol);
    // The leg itself may be in the set (ABSENT awaiting its next attempt): only earlier ones hold it.
    return u == unsettled_.end() || u->second.empty() || !(*u->second.begin() < at);
}

std::vector<LegRecord> VenueLane::takeRunnable(std::size_t max, std::int64_t nowMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<LegRecord> out;
    if (nowMs < heldUntilMs_ || max == 0) return out;
    // The runnable symbols' queue heads, earliest first; taking a symbol's head puts its next leg
    // up (it goes once the one before it settles, which the executor sees to). So a round is in
    // journal order across symbols, and a backlog on one symbol still fills it.
    using Head = std::pair<Position, std::string>;
    std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
    for (const auto& [symbol, queue] : queues_)
        if (runnableLocked(queue.begin()->second, queue.begin()->first)) heads.emplace(queue.begin()->first, symbol);
    while (!heads.empty() && out.size() < max) {
        const auto [at, symbol] = heads.top();
        heads.pop();
        auto& queue = queues_.at(symbol);
        LegRecord leg = std::move(queue.begin()->second);
        unsettled_[symbol].insert(at);  // in flight from now on
        eraseLocked(symbol, at, leg.receivedMs);
        out.push_back(std::move(leg));
        if (const auto q = queues_.find(symbol); q != queues_.end()) heads.emplace(q->second.begin()->first, symbol);
    }
    return out;
}

std::vector<LegRecord> VenueLane::takeExpired(std::int64_t receivedBeforeMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<LegRecord> out;
    while (!byReceived_.empty() && byReceived_.begin()->first <= receivedBeforeMs) {
        const auto [receivedMs, at] = *byReceived_.begin();
        const std::string symbol = symbolAt_.at(at);
        out.push_back(std::move(queues_.at(symbol).at(at)));
        eraseLocked(symbol, at, receivedMs);
    }
    return out;
}

void VenueLane::hold(std::int64_t untilMs, const std::string& reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (untilMs > heldUntilMs_) {
        heldUntilMs_ = untilMs;
        holdReason_ = reason;
    }
}

std::int64_t VenueLane::heldUntilMs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return heldUntilMs_;
}

std::optional<std::int64_t> VenueLane::nextDueMs(std::int64_t nowMs, std::int64_t maxAgeMs) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (byReceived_.empty()) return std::nullopt;
    const std::int64_t expiry = byReceived_.begin()->first + maxAgeMs + 1;
    if (nowMs < heldUntilMs_) return std::min(heldUntilMs_, expiry);
    for (const auto& [symbol, queue] : queues_)
        if (runnableLocked(queue.begin()->second, queue.begin()->first)) return nowMs;
    return expiry;
}

std::size_t VenueLane::queued() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return byReceived_.size();
}

std::size_t VenueLane::unsettled() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (const auto& [symbol, set] : unsettled_) n += set.size();
    return n;
}

}  // namespace tradehost::host
