// Run-time switchable faults on the fapi paths, with per-fault and per-mode counts of how often each fired.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace tradehost::binance_emulator {

enum class FaultMode {
    DropAfterExecute,
    Unknown503AfterExecute,
    Timeout1007AfterExecute,
    LateExecute,
    Delay,
    Reset,
    Http5xx,
    Http429,
    Http418,
};

// When a fault acts relative to processing the request.
enum class FaultPhase {
    Before,   // instead of processing: nothing is executed
    Late,     // instead of executing now: the order is executed later
    After,    // after processing succeeded: the answer is replaced or lost
    Latency,  // on top of whatever else happens: the answer is held back
};

const char* toString(FaultMode mode);
std::optional<FaultMode> parseFaultMode(const std::string& name);
// The wire names, for error messages and --help.
const char* faultModeNames();

struct FaultSpec {
    FaultMode mode = FaultMode::Delay;
    std::string method;                 // empty: any method
    std::string path;                   // empty: any /fapi path
    double rate = 1.0;                  // probability per matching request (a probability, not a price)
    std::optional<std::int64_t> count;  // how many times it may fire; unlimited when absent
    std::int64_t delayMs = 0;           // delay, late_execute
    int status = 0;                     // http_5xx (and overrides for the *_after_execute answers)
    std::int64_t retryAfterS = 0;       // http_429 / http_418
    std::string answer;                 // late_execute: "1007" (default), "503" or "drop"
    bool execute = false;               // http_5xx: process the request first, then answer 5xx
    std::optional<int> code;            // override the envelope code
    std::optional<std::string> msg;     // override the envelope message
};

struct Fault {
    int id = 0;
    FaultSpec spec;
    std::int64_t fired = 0;
    bool active() const { return !spec.count || fired < *spec.count; }
};

FaultPhase phaseOf(const FaultSpec& spec);

class FaultInjector {
public:
    FaultInjector();

    // Fills in per-mode defaults (path, delay, status) and returns the new fault's id.
    int add(FaultSpec spec);
    void clear();
    // clear() plus forgetting the per-mode totals (a full emulator reset).
    void reset();
    void reseed(std::uint64_t seed);

    // Takes (counts as fired) the first active fault of `phase` that matches the request and
    // wins its rate roll. A fault taken for a request it then turned out not to apply to must be
    // given back with refund(), so `fired` only counts faults that really happened.
    std::optional<Fault> take(const std::string& method, const std::string& path, FaultPhase phase);
    // All matching latency faults, each taken.
    std::vector<Fault> takeAll(const std::string& method, const std::string& path, FaultPhase phase);
    void refund(int id);

    std::vector<Fault> faults() const;
    std::map<std::string, std::int64_t> firedTotals() const;

private:
    bool matches(const Fault& f, const std::string& method, const std::string& path, FaultPhase phase);

    mutable std::mutex mutex_;
    std::vector<Fault> faults_;
    std::map<std::string, std::int64_t> firedTotals_;  // survives clear(): "how many faults fired" spans a whole test
    int nextId_ = 1;
    std::mt19937_64 random_;
};

}  // namespace tradehost::binance_emulator
