// Fault matching, rate rolls and fire counting.
#include "fault_injector.h"

namespace tradehost::binance_emulator {
namespace {

struct ModeName {
    FaultMode mode;
    const char* name;
};

constexpr ModeName kModes[] = {
    {FaultMode::DropAfterExecute, "drop_after_execute"},
    {FaultMode::Unknown503AfterExecute, "unknown_503_after_execute"},
    {FaultMode::Timeout1007AfterExecute, "timeout_1007_after_execute"},
    {FaultMode::LateExecute, "late_execute"},
    {FaultMode::Delay, "delay"},
    {FaultMode::Reset, "reset"},
    {FaultMode::Http5xx, "http_5xx"},
    {FaultMode::Http429, "http_429"},
    {FaultMode::Http418, "http_418"},
};

}  // namespace

const char* toString(FaultMode mode) {
    for (const auto& m : kModes) {
        if (m.mode == mode) return m.name;
    }
    return "?";
}

std::optional<FaultMode> parseFaultMode(const std::string& name) {
    for (const auto& m : kModes) {
        if (name == m.name) return m.mode;
    }
    return std::nullopt;
}

const char* faultModeNames() {
    return "drop_after_execute, unknown_503_after_execute, timeout_1007_after_execute, late_execute, delay, "
           "reset, http_5xx, http_429, http_418, clear";
}

FaultPhase phaseOf(const FaultSpec& spec) {
    switch (spec.mode) {
        case FaultMode::DropAfterExecute:
        case FaultMode::Unknown503AfterExecute:
        case FaultMode::Timeout1007AfterExecute:
            return FaultPhase::After;
        case FaultMode::LateExecute:
            return FaultPhase::Late;
        case FaultMode::Delay:
            return FaultPhase::Latency;
        case FaultMode::Http5xx:
            return spec.execute ? FaultPhase::After : FaultPhase::Before;
        case FaultMode::Reset:
        case FaultMode::Http429:
        case FaultMode::Http418:
            break;
    }
    return FaultPhase::Before;
}

FaultInjector::FaultInjector() : random_(std::random_device{}()) {}

int FaultInjector::add(FaultSpec spec) {
    // "Execute" means placing an order, so those modes default to the one path that places one;
    // everything else applies to every fapi request unless told otherwise.
    const bool orderOnly = spec.mode == FaultMode::DropAfterExecute || spec.mode == FaultMode::Unknown503AfterExecute ||
                           spec.mode == FaultMode::Timeout1007AfterExecute || spec.mode == FaultMode::LateExecute;
    if (spec.mode == FaultMode::LateExecute || (orderOnly && spec.path.empty() && spec.method.empty())) {
        spec.method = "POST";
        spec.path = "/fapi/v1/order";
    }
    if (spec.path == "*") spec.path.clear();
    if (spec.mode == FaultMode::LateExecute && spec.delayMs <= 0) spec.delayMs = 5000;
    if (spec.mode == FaultMode::LateExecute && spec.answer.empty()) spec.answer = "1007";
    if (spec.mode == FaultMode::Http5xx && spec.status == 0) spec.status = 503;
    if ((spec.mode == FaultMode::Http429 || spec.mode == FaultMode::Http418) && spec.retryAfterS <= 0)
        spec.retryAfterS = spec.mode == FaultMode::Http429 ? 1 : 120;
    std::lock_guard<std::mutex> lock(mutex_);
    Fault f;
    f.id = nextId_++;
    f.spec = std::move(spec);
    faults_.push_back(std::move(f));
    return faults_.back().id;
}

void FaultInjector::clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    faults_.clear();
}

void FaultInjector::reset() {
    std::lock_guard<std::mutex> lock(mutex_);
    faults_.clear();
    firedTotals_.clear();
}

void FaultInjector::reseed(std::uint64_t seed) {
    std::lock_guard<std::mutex> lock(mutex_);
    random_.seed(seed);
}

bool FaultInjector::matches(const Fault& f, const std::string& method, const std::string& path, FaultPhase phase) {
    if (!f.active() || phaseOf(f.spec) != phase) return false;
    if (!f.spec.method.empty() && f.spec.method != method) return false;
    if (!f.spec.path.empty() && f.spec.path != path) return false;
    if (f.spec.rate >= 1.0) return true;
    return std::uniform_real_distribution<double>(0.0, 1.0)(random_) < f.spec.rate;
}

std::optional<Fault> FaultInjector::take(const std::string& method, const std::string& path, FaultPhase phase) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& f : faults_) {
        if (!matches(f, method, path, phase)) continue;
        ++f.fired;
        ++firedTotals_[toString(f.spec.mode)];
        return f;
    }
    return std::nullopt;
}

std::vector<Fault> FaultInjector::takeAll(const std::string& method, const std::string& path, FaultPhase phase) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Fault> out;
    for (auto& f : faults_) {
        if (!matches(f, method, path, phase)) continue;
        ++f.fired;
        ++firedTotals_[toString(f.spec.mode)];
        out.push_back(f);
    }
    return out;
}

void FaultInjector::refund(int id) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& f : faults_) {
        if (f.id != id) continue;
        if (f.fired > 0) --f.fired;
        auto it = firedTotals_.find(toString(f.spec.mode));
        if (it != firedTotals_.end() && it->second > 0) --it->second;
    }
}

std::vector<Fault> FaultInjector::faults() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return faults_;
}

std::map<std::string, std::int64_t> FaultInjector::firedTotals() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return firedTotals_;
}

}  // namespace tradehost::binance_emulator
