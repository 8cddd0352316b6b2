// Fixed or sliding windows over the emulator clock, so advancing the clock also lifts limits and bans.
#include "rate_limiter.h"

namespace tradehost::binance_emulator {
namespace {

constexpr std::int64_t kBucketMs = 100;
constexpr std::int64_t kMinuteMs = 60000;
constexpr std::int64_t kTenSecondsMs = 10000;

std::int64_t ceilSeconds(std::int64_t ms) { return ms <= 0 ? 1 : (ms + 999) / 1000; }

}  // namespace

RateLimiter::RateLimiter(const EmulatorClock& clock, RateLimits limits) : clock_(clock), limits_(limits) {}

int RateLimiter::sum(Window& w, std::int64_t now, std::int64_t lengthMs) const {
    // Sliding: the last `lengthMs`. Fixed: since the start of the current calendar interval.
    const std::int64_t start = limits_.slidingWindow ? now - lengthMs + 1 : now - (now % lengthMs);
    while (!w.buckets.empty() && w.buckets.front().first + kBucketMs <= now - kMinuteMs) w.buckets.pop_front();
    int total = 0;
    for (const auto& [t, amount] : w.buckets) {
        if (t + kBucketMs > start && t <= now) total += amount;
    }
    return total;
}

int RateLimiter::add(Window& w, std::int64_t now, int amount, std::int64_t lengthMs) {
    const std::int64_t bucket = now - (now % kBucketMs);
    if (!w.buckets.empty() && w.buckets.back().first == bucket) {
        w.buckets.back().second += amount;
    } else {
        w.buckets.emplace_back(bucket, amount);
    }
    return sum(w, now, lengthMs);
}

std::int64_t RateLimiter::retryAfterS(const Window& w, std::int64_t now, std::int64_t lengthMs) const {
    if (!limits_.slidingWindow) return ceilSeconds(lengthMs - now % lengthMs);
    // Until the oldest counted bucket leaves the window: the earliest moment anything frees up.
    for (const auto& [t, amount] : w.buckets) {
        if (t + kBucketMs > now - lengthMs + 1 && amount > 0) return ceilSeconds(t + kBucketMs + lengthMs - now);
    }
    return 1;
}

WeightDecision RateLimiter::admit(const std::string& ip, int weight) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t now = clock_.nowMs();
    IpState& s = ips_[ip];
    WeightDecision d;
    if (s.bannedUntilMs > now) {
        d.allowed = false;
        d.status = 418;
        d.usedWeight = sum(s.weight, now, kMinuteMs);
        d.bannedUntilMs = s.bannedUntilMs;
        d.retryAfterS = ceilSeconds(s.bannedUntilMs - now);
        return d;
    }
    if (s.bannedUntilMs != 0) {
        s.bannedUntilMs = 0;
        s.refusedWhileLimited = 0;
    }
    // Refused requests count too: that is what makes hammering through a 429 self-defeating.
    d.usedWeight = add(s.weight, now, weight, kMinuteMs);
    if (d.usedWeight <= limits_.weightPerMinute) {
        s.refusedWhileLimited = 0;
        return d;
    }
    d.allowed = false;
    if (s.refusedWhileLimited > limits_.banAfter429s) {
        s.bannedUntilMs = now + limits_.banMs;
        s.refusedWhileLimited = 0;
        d.status = 418;
        d.bannedUntilMs = s.bannedUntilMs;
        d.retryAfterS = ceilSeconds(limits_.banMs);
        return d;
    }
    ++s.refusedWhileLimited;
    d.status = 429;
    d.retryAfterS = retryAfterS(s.weight, now, kMinuteMs);
    return d;
}

int RateLimiter::usedWeight(const std::string& ip) {
    std::lock_guard<std::mutex> lock(mutex_);
    return sum(ips_[ip].weight, clock_.nowMs(), kMinuteMs);
}

OrderCountDecision RateLimiter::admitOrder(std::size_t account) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t now = clock_.nowMs();
    auto& [tenSeconds, minute] = orders_[account];
    OrderCountDecision d;
    d.count10s = add(tenSeconds, now, 1, kTenSecondsMs);
    d.count1m = add(minute, now, 1, kMinuteMs);
    if (d.count10s > limits_.ordersPer10s) {
        d.allowed = false;
        d.limit = limits_.ordersPer10s;
        d.interval = "TEN_SECONDS";
    } else if (d.count1m > limits_.ordersPerMinute) {
        d.allowed = false;
        d.limit = limits_.ordersPerMinute;
        d.interval = "MINUTE";
    }
    return d;
}

RateLimits RateLimiter::limits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return limits_;
}

void RateLimiter::setLimits(const RateLimits& limits) {
    std::lock_guard<std::mutex> lock(mutex_);
    limits_ = limits;
}

void RateLimiter::resetUsage() {
    std::lock_guard<std::mutex> lock(mutex_);
    ips_.clear();
    orders_.clear();
}

}  // namespace tradehost::binance_emulator
