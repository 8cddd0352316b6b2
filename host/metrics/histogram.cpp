// A Prometheus histogram: observations counted into fixed buckets, with their sum.
#include "metrics/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tradehost::host {

Histogram::Histogram(std::vector<double> upperBounds) : bounds_(std::move(upperBounds)) {
    if (bounds_.empty()) throw std::invalid_argument("histogram: no bucket bounds");
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        if (!std::isfinite(bounds_[i])) throw std::invalid_argument("histogram: bucket bounds must be finite");
        if (i > 0 && !(bounds_[i - 1] < bounds_[i]))
            throw std::invalid_argument("histogram: bucket bounds must be strictly ascending");
    }
    buckets_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
    if (std::isnan(value)) return;  // not a measurement: it would make the sum NaN for good
    // A bucket counts the observations <= its bound ("le").
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
    double old = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(old, old + value, std::memory_order_relaxed)) {
    }
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.upperBounds = bounds_;
    s.cumulative.reserve(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.count = running;
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

std::vector<double> Histogram::secondsBuckets() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

std::vector<double> Histogram::fastSecondsBuckets() {
    return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

std::vector<double> Histogram::countBuckets() { return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}; }

}  // namespace tradehost::host
