// What operators set from outside the order flow: the kill switch, paused symbols and cancel requests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gate/gate_types.h"

namespace tradehost::host {

struct KillSwitch {
    bool paused = false;
    Actor by;  // who set it last, and why
    std::int64_t sinceMs = 0;
};

// One symbol of one venue instance held back: its legs are blocked (never sent) until resumed.
struct SymbolPause {
    std::string venue;
    std::string symbol;
    Actor by;
    std::int64_t sinceMs = 0;
};

struct CancelRequest {
    std::uint64_t id = 0;
    LegKey leg;
    std::string venue;
    Actor by;
    std::int64_t atMs = 0;
};

// Kept in the gate, so an operator's command reaches a running host (which reads it before each
// batch of orders) and survives restarts. Thread-safe, and safe from another process while the
// host runs (the SQLite implementation waits for the host's write lock instead of failing).
// Storage failures throw GateError.
class ControlState {
public:
    virtual ~ControlState() = default;

    virtual KillSwitch killSwitch() = 0;
    // Recorded as `trading_paused` / `trading_resumed` with who and why.
    virtual void setKillSwitch(bool paused, const Actor& by, std::int64_t nowMs) = 0;

    // Symbols held back (by an operator, or by the reconciler under `on_drift: pause_symbol`).
    virtual std::vector<SymbolPause> pausedSymbols() = 0;
    // Recorded as `symbol_paused` / `symbol_resumed` with who and why; false (and nothing
    // recorded) when the symbol already was in that state.
    virtual bool setSymbolPaused(const std::string& venue, const std::string& symbol, bool paused, const Actor& by,
                                 std::int64_t nowMs) = 0;

    // Asks the host to cancel a leg's working order; recorded as `order_cancel_requested`.
    // nullopt when the gate has no such leg.
    virtual std::optional<std::uint64_t> requestCancel(const LegKey& leg, const Actor& by, std::int64_t nowMs) = 0;
    // Requests not yet handled for legs of `venue`, oldest first.
    virtual std::vector<CancelRequest> openCancelRequests(const std::string& venue) = 0;
    // The request is handled; `outcome` says how, recorded as `order_cancel_closed` (the leg's own
    // events, order_closed above all, say what became of the order).
    virtual void closeCancelRequest(std::uint64_t id, const std::string& outcome, std::int64_t nowMs) = 0;
};

}  // namespace tradehost::host
