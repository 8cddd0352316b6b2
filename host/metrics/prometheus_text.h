// The pieces of Prometheus' text exposition format 0.0.4: names, escaping, numbers.
#pragma once

#include <string>

namespace tradehost::host {

// [a-zA-Z_:][a-zA-Z0-9_:]* (a metric name) or, without ':', a label name.
bool isValidMetricName(const std::string& name);
bool isValidLabelName(const std::string& name);

// A label value between double quotes: backslash, double quote and line feed escaped.
std::string escapeLabelValue(const std::string& value);
// HELP text: backslash and line feed escaped.
std::string escapeHelp(const std::string& help);
// A sample value or an `le` bound: integers without a fraction, others as the shortest text that
// reads back to the same double (fixed notation from 1e-6 to 1e15, else scientific); +Inf, -Inf,
// NaN as Prometheus spells them.
std::string formatValue(double value);

}  // namespace tradehost::host
