// The emulator's notion of "server time": the wall clock plus a skew and an accumulated advance.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tradehost::binance_emulator {

// Skew exists for clock-sync tests (the client's clock disagrees with ours); advance exists for
// retention and rate-limit tests (three days pass in a millisecond). Both simply move serverTime.
class EmulatorClock {
public:
    static std::int64_t wallMs() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    // Receipt times for latency measurements: the real clock, whatever skew or advance says.
    static std::int64_t wallUs() {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    std::int64_t nowMs() const { return wallMs() + skewMs_.load() + advancedMs_.load(); }
    std::int64_t skewMs() const { return skewMs_.load(); }
    std::int64_t advancedMs() const { return advancedMs_.load(); }
    void setSkewMs(std::int64_t ms) { skewMs_.store(ms); }
    void advanceMs(std::int64_t ms) { advancedMs_.fetch_add(ms); }
    void reset() {
        skewMs_.store(0);
        advancedMs_.store(0);
    }

private:
    std::atomic<std::int64_t> skewMs_{0};
    std::atomic<std::int64_t> advancedMs_{0};
};

}  // namespace tradehost::binance_emulator
