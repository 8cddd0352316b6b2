// Test sizes from the environment, so the default suite stays small and a soak can go big.
#pragma once

#include <chrono>
#include <cstdlib>
#include <string>

namespace tradehost::test {

inline long envInt(const char* name, long fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    try {
        return std::stol(v);
    } catch (const std::exception&) {
        return fallback;
    }
}

inline double envDouble(const char* name, double fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    try {
        return std::stod(v);
    } catch (const std::exception&) {
        return fallback;
    }
}

// "12.3 s" since `start`, for reports.
inline std::string secondsSince(std::chrono::steady_clock::time_point start) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

}  // namespace tradehost::test
