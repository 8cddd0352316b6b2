// A Prometheus counter: a count that only goes up (and starts again at 0 with the process).
#pragma once

#include <atomic>
#include <cstdint>

namespace tradehost::host {

// Lock-free; an increment is one relaxed atomic add, so it belongs on hot paths. Prometheus
// handles the reset at a restart (rate() and increase() see a counter go back to 0 as a reset).
class Counter {
public:
    void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

}  // namespace tradehost::host
