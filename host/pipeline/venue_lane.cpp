// One venue instance's legs on their way out: the order they go in and what holds them back.
#include "pipeline/venue_lane.h"

#include <algorithm>

namespace tradehost::host {

void VenueLane::enqueue(const LegRecord& leg) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_[positionOf(leg)] = leg;
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
    if (nowMs < heldUntilMs_) return out;
    std::set<std::string> taken;
    for (auto it = queue_.begin(); it != queue_.end() && out.size() < max;) {
        const std::string& symbol = it->second.intent.symbol;
        // An earlier leg of this symbol is queued but not runnable, or already taken this round:
        // every later one of the symbol waits behind it.
        if (taken.count(symbol) || !runnableLocked(it->second, it->first)) {
            taken.insert(symbol);
            ++it;
            continue;
        }
        taken.insert(symbol);
        unsettled_[symbol].insert(it->first);  // in flight from now on
        out.push_back(std::move(it->second));
        it = queue_.erase(it);
    }
    return out;
}

std::vector<LegRecord> VenueLane::takeExpired(std::int64_t receivedBeforeMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<LegRecord> out;
    for (auto it = queue_.begin(); it != queue_.end();) {
        if (it->second.receivedMs <= receivedBeforeMs) {
            out.push_back(std::move(it->second));
            it = queue_.erase(it);
        } else {
            ++it;
        }
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
    if (queue_.empty()) return std::nullopt;
    std::int64_t oldest = queue_.begin()->second.receivedMs;
    bool runnable = false;
    std::set<std::string> seen;
    for (const auto& [at, leg] : queue_) {
        oldest = std::min(oldest, leg.receivedMs);
        if (!seen.insert(leg.intent.symbol).second) continue;
        runnable = runnable || runnableLocked(leg, at);
    }
    const std::int64_t expiry = oldest + maxAgeMs + 1;
    if (nowMs < heldUntilMs_) return std::min(heldUntilMs_, expiry);
    return runnable ? nowMs : expiry;
}

std::size_t VenueLane::queued() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
}

std::size_t VenueLane::unsettled() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (const auto& [symbol, set] : unsettled_) n += set.size();
    return n;
}

}  // namespace tradehost::host
