// Audits one venue instance against the host's book: positions and open orders, every interval,
// off the order path. What it finds becomes events; the alert router makes alerts of them.
#pragma once

#include <tradehost/venue.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "gate/control_state.h"
#include "gate/event_outbox.h"
#include "gate/leg_store.h"
#include "gate/position_book.h"
#include "ids/client_order_id.h"
#include "metrics/component_metrics.h"
#include "pipeline/worker.h"

namespace tradehost::host {

// What the host does about drift on an instance (`on_drift`). It never trades to "fix" it.
enum class OnDrift {
    Alert,        // tell a human (the default)
    PauseSymbol,  // tell, and pause the symbol: its legs are blocked until an operator resumes it
};
std::optional<OnDrift> onDriftFrom(const std::string& text);  // "alert" / "pause_symbol"

struct ReconcilerOptions {
    std::int64_t intervalMs = 15'000;  // reconciler.interval_s
    std::string owner = "local";       // whose legs count as in flight
    OnDrift onDrift = OnDrift::Alert;
};

// One per venue instance, on its own thread: a slow venue never delays signals or other venues.
// Each check records `position_snapshot`, then:
//   - `venue_unreachable` when positions or open orders cannot be read (never read as flat), and
//     `venue_reachable` when they can again;
//   - `drift_detected` when the venue's position differs from the expected one by more than the
//     symbol's step for two checks in a row with no leg of that symbol in flight or working (with
//     what a human needs to act: the difference and its notional at the mark price, since when,
//     the host's last fill, foreign orders on the symbol, the likely cause, what the host did),
//     and `drift_cleared` when it matches again; under `on_drift: pause_symbol` the symbol is
//     paused too (ControlState, `symbol_paused`);
//   - at the first check after a start, when the host has never booked anything on this instance,
//     the positions the venue already holds as one `positions_at_start` (not drift: the operator
//     accepts them as the baseline, or closes them);
//   - `foreign_order` for an open order whose client id is not one of ours (once per order),
//     naming the ones the venue made itself (liquidation, auto-deleveraging, settlement).
class Reconciler : public Worker {
public:
    Reconciler(std::string venueName, Venue& venue, const ClientOrderIdCodec& ids, PositionBook& book, LegStore& legs,
               ControlState& control, EventOutbox& events, ReconcilerOptions options, const Clock& clock,
               std::function<void(const std::string&)> onFatal);

    std::optional<std::int64_t> runOnce(std::int64_t nowMs) override;
    // One audit now (tests).
    void check(std::int64_t nowMs);
    // The first audit, before the host says ready; the thread's next one is an interval later.
    void firstCheck(std::int64_t nowMs) {
        check(nowMs);
        nextCheckMs_ = nowMs + options_.intervalMs;
    }
    // Drifting positions, reachability and the last good check, from now on; before the first check.
    void setMetrics(ReconcilerMetrics metrics) { metrics_ = metrics; }

private:
    struct Drift {
        int checks = 0;         // consecutive checks it was seen
        bool reported = false;  // drift_detected (or positions_at_start) recorded, drift_cleared not yet
        std::int64_t sinceMs = 0;
    };

    Decimal tolerance(const std::string& symbol);
    void record(const std::string& event, std::string dataJson, std::int64_t nowMs);
    // drift_detected, with everything a human needs to act on it; pauses the symbol if so told.
    void reportDrift(const PositionKey& key, const Decimal& want, const Decimal& have,
                     const std::optional<Decimal>& markPrice, const Decimal& entryPrice, const Drift& d,
                     const OpenOrders& open, std::int64_t nowMs);

    const std::string venueName_;
    Venue& venue_;
    const ClientOrderIdCodec& ids_;
    PositionBook& book_;
    LegStore& legs_;
    ControlState& control_;
    EventOutbox& events_;
    const ReconcilerOptions options_;

    std::int64_t nextCheckMs_ = 0;
    bool checkedOnce_ = false;  // a successful check since the start
    bool unreachable_ = false;
    std::map<PositionKey, Drift> drifts_;
    std::set<std::string> foreignSeen_;
    std::map<std::string, Decimal> steps_;  // symbol -> step (zero: none known)
    ReconcilerMetrics metrics_;
};

// What a venue-made client order id means (Binance: `autoclose-` liquidation, `adl_autoclose`
// auto-deleveraging, `settlement_autoclose-` settlement); empty for anything else.
std::string venueMadeOrder(const std::string& clientOrderId);

}  // namespace tradehost::host
