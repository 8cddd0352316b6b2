// Every metric of the process by name, rendered in Prometheus' text exposition format 0.0.4.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "metrics/counter.h"
#include "metrics/gauge.h"
#include "metrics/histogram.h"

namespace tradehost::host {

// Label name -> value, in the order they are printed. Values come from closed sets (an outcome, a
// state) or the deployment's instance names: never an id, so the number of series stays bounded.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A family is one metric name with its HELP, TYPE and label names; each set of label values is a
// series. Series are made at setup (so they exist, at 0, from the first scrape) and the caller
// keeps the reference: the hot path never looks anything up, it only adds to an atomic.
//
// Thread-safe. counter()/gauge()/histogram() take the registry's lock (setup, or a collector);
// rendering takes it too, but never holds it while a collector runs.
class PrometheusRegistry {
public:
    // The series of `name` with these labels, made at 0 on first use. Throws std::invalid_argument
    // for a bad name or label name, and std::logic_error when `name` already exists as another
    // type, with another help text or other label names (or, for a histogram, other buckets).
    Counter& counter(const std::string& name, const std::string& help, const MetricLabels& labels = {});
    Gauge& gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});
    Histogram& histogram(const std::string& name, const std::string& help, const std::vector<double>& upperBounds,
                         const MetricLabels& labels = {});

    // Runs before every render, outside the lock: refreshes gauges read from elsewhere (the gate,
    // the plugins' own metrics). It may make new series. A throw is swallowed (those gauges keep
    // their last values): a scrape must not fail because one source could not be read.
    void addCollector(std::function<void()> collect);

    // The text exposition format 0.0.4: families by name, series by label values, each family
    // with its HELP and TYPE lines; a family with no series is left out.
    std::string render() const;

private:
    enum class Type { Counter, Gauge, Histogram };
    struct Series {
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Gauge> gauge;
        std::unique_ptr<Histogram> histogram;
    };
    struct Family {
        Type type = Type::Counter;
        std::string help;
        std::vector<std::string> labelNames;
        std::vector<double> upperBounds;                    // histograms
        std::map<std::vector<std::string>, Series> series;  // by label values: a stable order
    };

    Series& series(const std::string& name, Type type, const std::string& help, const MetricLabels& labels,
                   const std::vector<double>& upperBounds);
    static const char* typeName(Type type);

    mutable std::mutex mutex_;
    std::map<std::string, Family> families_;
    std::vector<std::function<void()>> collectors_;
};

}  // namespace tradehost::host
