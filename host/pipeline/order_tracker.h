// One venue instance's order tracker: follows working orders until they are filled, cancelled or
// expired, booking each fill once, and carries out operators' cancel requests.
#pragma once

#include <tradehost/venue.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>

#include "gate/control_state.h"
#include "gate/leg_store.h"
#include "pipeline/pipeline_options.h"
#include "pipeline/venue_lane.h"
#include "pipeline/worker.h"

namespace tradehost::host {

// An accepted order that is still open (a resting limit order) leaves its leg WORKING. The tracker
// asks the venue about it every workingPollMs (or only every pushedPollMs when the venue pushes
// updates through watchOrders), within trackerQueriesPerSecond, and books what it learns: fills
// by cumulative filled quantity (so a repeated report changes nothing), and the final state. It
// also looks for operators' cancel requests (ControlState) about once a second, and keeps trying
// one the venue refused or did not answer (backing off up to a minute) until the order ends.
class OrderTracker : public Worker, public OrderUpdateSink {
public:
    struct Hooks {
        std::function<void()> recorded;
    };

    OrderTracker(VenueLane& lane, Venue& venue, LegStore& legs, ControlState& control, PipelineOptions options,
                 const Clock& clock, Hooks hooks, std::function<void(const std::string&)> onFatal);

    // A WORKING leg to follow (from the executor or resolver, or at start-up). Thread-safe.
    void add(const LegRecord& leg);
    // The venue pushes order updates (watchOrders accepted): poll only as a backstop.
    void setPushed(bool pushed) { pushed_ = pushed; }
    // OrderUpdateSink: from the plugin's thread; queued for the next round.
    void orderUpdated(const OrderState& order) override;

    std::size_t working() const;
    std::optional<std::int64_t> runOnce(std::int64_t nowMs) override;

private:
    struct Tracked {
        LegRecord leg;
        std::int64_t nextPollMs = 0;
        int failures = 0;  // queries in a row that could not tell
    };
    // Books what the venue says of a tracked leg; false once the leg is final (or not ours any more).
    bool absorb(Tracked& t, const OrderState& order, std::int64_t nowMs);
    void handleCancels(std::int64_t nowMs);
    void forget(std::map<LegKey, Tracked>::iterator it);
    std::int64_t pollEveryMs() const { return pushed_ ? options_.pushedPollMs : options_.workingPollMs; }

    VenueLane& lane_;
    Venue& venue_;
    LegStore& legs_;
    ControlState& control_;
    const PipelineOptions options_;
    const Hooks hooks_;
    std::atomic<bool> pushed_{false};

    mutable std::mutex mutex_;
    std::map<LegKey, LegRecord> incoming_;
    std::deque<OrderState> pushes_;
    // Pushed updates for orders not followed yet: a user stream may report a resting order's first
    // fill before the executor has recorded its answer. Kept (the latest per id, for a while, a
    // bounded number) until the leg comes in.
    struct Early {
        OrderState order;
        std::int64_t atMs = 0;
    };
    std::map<std::string, Early> early_;

    std::map<LegKey, Tracked> tracked_;              // the worker thread's own
    std::map<std::string, LegKey> byClientOrderId_;  // for pushed updates
    std::int64_t nextCancelCheckMs_ = 0;
    struct CancelRetry {
        int failures = 0;
        std::int64_t nextTryMs = 0;
        bool recorded = false;  // order_cancel_failed written for this request
    };
    std::map<std::uint64_t, CancelRetry> cancelRetries_;  // open requests the venue did not carry out yet
    std::deque<std::int64_t> queries_;                    // when the last second's queries went out
};

}  // namespace tradehost::host
