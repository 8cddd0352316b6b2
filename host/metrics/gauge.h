// A Prometheus gauge: a value that goes up and down (legs in a state, drifting positions, a time).
#pragma once

#include <atomic>

namespace tradehost::host {

// Lock-free. add() is a compare-and-swap loop (std::atomic<double> has no fetch_add before C++20).
class Gauge {
public:
    void set(double v) { value_.store(v, std::memory_order_relaxed); }
    void add(double delta) {
        double old = value_.load(std::memory_order_relaxed);
        while (!value_.compare_exchange_weak(old, old + delta, std::memory_order_relaxed)) {
        }
    }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0.0};
};

}  // namespace tradehost::host
