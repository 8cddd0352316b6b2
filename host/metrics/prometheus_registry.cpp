// Every metric of the process by name, rendered in Prometheus' text exposition format 0.0.4.
#include "metrics/prometheus_registry.h"

#include <stdexcept>

#include "metrics/prometheus_text.h"

namespace tradehost::host {
namespace {

// `{a="x",b="y"` without the closing brace, or "" when there are no labels and no `extra`.
std::string labelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& extra = "") {
    if (names.empty() && extra.empty()) return "";
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ",";
        out += names[i] + "=\"" + escapeLabelValue(values[i]) + "\"";
    }
    if (!extra.empty()) out += (names.empty() ? "" : ",") + extra;
    return out + "}";
}

}  // namespace

const char* PrometheusRegistry::typeName(Type type) {
    switch (type) {
        case Type::Counter:
            return "counter";
        case Type::Gauge:
            return "gauge";
        case Type::Histogram:
            return "histogram";
    }
    return "untyped";
}

PrometheusRegistry::Series& PrometheusRegistry::series(const std::string& name, Type type, const std::string& help,
                                                       const MetricLabels& labels,
                                                       const std::vector<double>& upperBounds) {
    if (!isValidMetricName(name)) throw std::invalid_argument("metric name '" + name + "' is not valid");
    std::vector<std::string> names, values;
    for (const auto& [n, v] : labels) {
        if (!isValidLabelName(n) || (type == Type::Histogram && n == "le"))
            throw std::invalid_argument("metric '" + name + "': label name '" + n + "' is not valid");
        names.push_back(n);
        values.push_back(v);
    }
    // Made before anything is registered: bad bounds throw here and leave the registry as it was.
    std::unique_ptr<Histogram> histogram;
    if (type == Type::Histogram) histogram = std::make_unique<Histogram>(upperBounds);
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, made] = families_.try_emplace(name);
    Family& f = it->second;
    if (made) {
        f.type = type;
        f.help = help;
        f.labelNames = names;
        f.upperBounds = upperBounds;
    } else if (f.type != type || f.help != help || f.labelNames != names ||
               (type == Type::Histogram && f.upperBounds != upperBounds)) {
        throw std::logic_error("metric '" + name + "' declared twice, differently");
    }
    auto [s, fresh] = f.series.try_emplace(values);
    if (fresh) {
        if (type == Type::Counter) s->second.counter = std::make_unique<Counter>();
        if (type == Type::Gauge) s->second.gauge = std::make_unique<Gauge>();
        if (type == Type::Histogram) s->second.histogram = std::move(histogram);
    }
    return s->second;
}

Counter& PrometheusRegistry::counter(const std::string& name, const std::string& help, const MetricLabels& labels) {
    // Prometheus' convention, which promtool checks: a counter's name ends in _total.
    if (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0)
        throw std::invalid_argument("counter '" + name + "' must end in _total");
    return *series(name, Type::Counter, help, labels, {}).counter;
}

Gauge& PrometheusRegistry::gauge(const std::string& name, const std::string& help, const MetricLabels& labels) {
    return *series(name, Type::Gauge, help, labels, {}).gauge;
}

Histogram& PrometheusRegistry::histogram(const std::string& name, const std::string& help,
                                         const std::vector<double>& upperBounds, const MetricLabels& labels) {
    return *series(name, Type::Histogram, help, labels, upperBounds).histogram;
}

void PrometheusRegistry::addCollector(std::function<void()> collect) {
    std::lock_guard<std::mutex> lock(mutex_);
    collectors_.push_back(std::move(collect));
}

std::string PrometheusRegistry::render() const {
    std::vector<std::function<void()>> collectors;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        collectors = collectors_;
    }
    for (const auto& collect : collectors) {
        try {
            collect();
        } catch (...) {
        }
    }
    std::string out;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, f] : families_) {
        if (f.series.empty()) continue;
        out += "# HELP " + name + " " + escapeHelp(f.help) + "\n";
        out += "# TYPE " + name + " " + typeName(f.type) + "\n";
        for (const auto& [values, s] : f.series) {
            if (f.type == Type::Counter) {
                out += name + labelText(f.labelNames, values) + " " +
                       formatValue(static_cast<double>(s.counter->value())) + "\n";
            } else if (f.type == Type::Gauge) {
                out += name + labelText(f.labelNames, values) + " " + formatValue(s.gauge->value()) + "\n";
            } else {
                const Histogram::Snapshot h = s.histogram->snapshot();
                for (std::size_t i = 0; i <= h.upperBounds.size(); ++i) {
                    const std::string le =
                        "le=\"" + (i < h.upperBounds.size() ? formatValue(h.upperBounds[i]) : std::string("+Inf")) +
                        "\"";
                    out += name + "_bucket" + labelText(f.labelNames, values, le) + " " +
                           formatValue(static_cast<double>(h.cumulative[i])) + "\n";
                }
                out += name + "_sum" + labelText(f.labelNames, values) + " " + formatValue(h.sum) + "\n";
                out += name + "_count" + labelText(f.labelNames, values) + " " +
                       formatValue(static_cast<double>(h.count)) + "\n";
            }
        }
    }
    return out;
}

}  // namespace tradehost::host
