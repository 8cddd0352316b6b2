// Request-weight (per IP) and order-count (per account) limits with Binance's 429-then-418 escalation.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "emulator_clock.h"

namespace tradehost::binance_emulator {

struct RateLimits {
    int weightPerMinute = 2400;  // REQUEST_WEIGHT, per IP (reference A9)
    int ordersPer10s = 300;      // ORDERS, per account; the 300 is UNCONFIRMED (A9)
    int ordersPerMinute = 1200;
    // After the first 429, this many more requests while still limited are answered 429; the
    // next one earns a ban (418). Binance publishes no number: it is a knob for tests.
    int banAfter429s = 5;
    std::int64_t banMs = 2 * 60 * 1000;  // Binance's first ban lasts 2 minutes (A7)
    // Binance counts per calendar minute (fixed). Sliding makes tests immune to a minute boundary.
    bool slidingWindow = false;
};

struct WeightDecision {
    bool allowed = true;
    int status = 200;  // 429 or 418 when refused
    int usedWeight = 0;
    std::int64_t retryAfterS = 0;
    std::int64_t bannedUntilMs = 0;
};

struct OrderCountDecision {
    bool allowed = true;
    int count10s = 0;
    int count1m = 0;
    int limit = 0;         // the limit that was hit
    std::string interval;  // "TEN_SECONDS" or "MINUTE"
};

class RateLimiter {
public:
    RateLimiter(const EmulatorClock& clock, RateLimits limits);

    // Adds the request's weight to the IP's window and says whether it may be processed.
    WeightDecision admit(const std::string& ip, int weight);
    int usedWeight(const std::string& ip);
    // Counts one order attempt for the account.
    OrderCountDecision admitOrder(std::size_t account);

    RateLimits limits() const;
    void setLimits(const RateLimits& limits);
    // Forgets all counted weight, orders and bans.
    void resetUsage();

private:
    // Per-100-ms buckets so a sliding minute costs at most 600 entries per key.
    struct Window {
        std::deque<std::pair<std::int64_t, int>> buckets;  // (bucket start ms, amount)
    };
    struct IpState {
        Window weight;
        int refusedWhileLimited = 0;
        std::int64_t bannedUntilMs = 0;
    };

    int add(Window& w, std::int64_t now, int amount, std::int64_t lengthMs);
    int sum(Window& w, std::int64_t now, std::int64_t lengthMs) const;
    std::int64_t retryAfterS(const Window& w, std::int64_t now, std::int64_t lengthMs) const;

    const EmulatorClock& clock_;
    mutable std::mutex mutex_;
    RateLimits limits_;
    std::map<std::string, IpState> ips_;
    std::map<std::size_t, std::pair<Window, Window>> orders_;  // (10 s, 1 min)
};

}  // namespace tradehost::binance_emulator
