// Named gauges and counters of the whole process, for the admin page and /metrics.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace tradehost::host {

class MetricsRegistry {
public:
    void set(const std::string& name, std::int64_t value) {
        std::lock_guard<std::mutex> lock(mutex_);
        values_[name] = value;
    }
    void add(const std::string& name, std::int64_t delta) {
        std::lock_guard<std::mutex> lock(mutex_);
        values_[name] += delta;
    }
    std::map<std::string, std::int64_t> snapshot() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return values_;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::int64_t> values_;
};

}  // namespace tradehost::host
