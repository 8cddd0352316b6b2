// Named crash points: a test build can stop the process dead (SIGKILL) at the k-th pass of one.
#include "testing/crash_point.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tradehost::host {
namespace {

struct Target {
    std::string name;
    long hit = 0;
    bool armed = false;
};

const Target& target() {
    static const Target t = [] {
        Target out;
        const char* spec = std::getenv("TRADEHOST_CRASH_AT");
        if (!spec) return out;
        const std::string s(spec);
        const auto colon = s.rfind(':');
        out.name = s.substr(0, colon);
        out.hit = colon == std::string::npos ? 1 : std::atol(s.c_str() + colon + 1);
        out.armed = out.hit > 0;
        return out;
    }();
    return t;
}

}  // namespace

void crashPoint(const char* name) {
    const Target& t = target();
    if (!t.armed || t.name != name) return;
    static std::atomic<long> passes{0};
    if (++passes == t.hit) std::raise(SIGKILL);
}

}  // namespace tradehost::host
