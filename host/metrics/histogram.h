// A Prometheus histogram: observations counted into fixed buckets (seconds or counts), with their sum.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace tradehost::host {

// The buckets are fixed when the histogram is made (upper bounds, ascending; +Inf is implied), so
// observe() takes no lock: a search over a few bounds, one relaxed add to the bucket and a
// compare-and-swap on the sum. Buckets are kept per bucket, not cumulative; snapshot() adds them
// up, so `_count` always equals the `+Inf` bucket even while others observe.
class Histogram {
public:
    // Throws std::invalid_argument unless `upperBounds` is non-empty, finite and strictly ascending.
    explicit Histogram(std::vector<double> upperBounds);

    void observe(double value);

    struct Snapshot {
        std::vector<double> upperBounds;        // without +Inf
        std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
        double sum = 0;
        std::uint64_t count = 0;
    };
    Snapshot snapshot() const;
    const std::vector<double>& upperBounds() const { return bounds_; }

    // Bucket bounds the host uses: latencies in seconds (1 ms to 30 s) and record counts (1 to 4096).
    static std::vector<double> secondsBuckets();
    static std::vector<double> fastSecondsBuckets();  // 50 us to 2.5 s: fdatasync, an answer
    static std::vector<double> countBuckets();

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1: the last is +Inf
    std::atomic<double> sum_{0.0};
};

}  // namespace tradehost::host
