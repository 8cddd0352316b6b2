// Test sizes from the environment, so the default suite stays small and a soak can go big.
#pragma once

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

}  // namespace tradehost::test
