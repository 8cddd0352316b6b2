// The pieces of Prometheus' text exposition format 0.0.4: names, escaping, numbers.
#include "metrics/prometheus_text.h"

#include <charconv>
#include <cmath>

namespace tradehost::host {
namespace {

bool validName(const std::string& name, bool colon) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

}  // namespace

bool isValidMetricName(const std::string& name) { return validName(name, true); }

bool isValidLabelName(const std::string& name) { return validName(name, false) && name.rfind("__", 0) != 0; }

std::string escapeLabelValue(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escapeHelp(const std::string& help) {
    std::string out;
    out.reserve(help.size());
    for (const char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string formatValue(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    // Whole numbers up to 2^53 are exact in a double: printed as integers (no "1e+06").
    if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
        char buffer[32];
        const auto r = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(value));
        return std::string(buffer, r.ptr);
    }
    // Fixed notation where it stays short, so bucket bounds read as written ("0.0001", not
    // "1e-04"); scientific beyond.
    char buffer[64];
    const double magnitude = std::fabs(value);
    const auto format =
        magnitude >= 1e-6 && magnitude < 1e15 ? std::chars_format::fixed : std::chars_format::scientific;
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, value, format);
    return std::string(buffer, r.ptr);
}

}  // namespace tradehost::host
