// One venue instance's resolver: settles legs whose order may or may not exist by asking the venue.
#pragma once

#include <tradehost/venue.h>

#include <functional>
#include <map>
#include <mutex>

#include "gate/leg_store.h"
#include "ids/client_order_id.h"
#include "pipeline/pipeline_options.h"
#include "pipeline/venue_lane.h"
#include "pipeline/worker.h"

namespace tradehost::host {

// An UNKNOWN leg is never sent again blindly. The resolver queries the venue by the leg's client
// order id until it finds the order (adopted: ACCEPTED, or WORKING for the tracker) or has proof it
// does not exist: NotFound answers, at least notFoundToAbsent of them (a query that could not be
// asked counts neither way), spanning the settle window
// (longer than the venue's own receive window and internal timeout, so an order still in flight
// cannot execute after the host gave up on it). Only then is the leg ABSENT and its next attempt,
// under a new client order id, queued. "Could not ask" is never "absent": the leg waits, asked
// again after a quarter of the time it has been unknown (1-30 s), and once it has been unknown for
// unresolvedAlertMs it raises order_unresolved (once).
class Resolver : public Worker {
public:
    struct Hooks {
        std::function<void(const LegRecord&)> working;  // found open: to the tracker
        std::function<void()> wakeExecutor;             // a next attempt is queued, or a blocker settled
        std::function<void()> recorded;
    };

    Resolver(VenueLane& lane, Venue& venue, const ClientOrderIdCodec& ids, LegStore& legs, PipelineOptions options,
             const Clock& clock, Hooks hooks, std::function<void(const std::string&)> onFatal);

    // An UNKNOWN leg to settle (from the executor, or at start-up). Thread-safe.
    void add(const LegRecord& leg);
    // An operator asks for the leg to be queried now rather than at its next backoff time: only a
    // query, never a resend. Recorded as `operator_retry_resolution` (who, why) by this worker,
    // which alone writes its legs while they are UNKNOWN; a leg settled meanwhile is left alone.
    // Thread-safe.
    void checkNow(const LegKey& key, const Actor& by);
    std::size_t pending() const;
    std::optional<std::int64_t> runOnce(std::int64_t nowMs) override;

private:
    struct Tracked {
        LegRecord leg;
        std::int64_t nextCheckMs = 0;
        int notFound = 0;
    };
    // Returns false when the leg is settled (no longer tracked).
    bool resolve(Tracked& t);
    void nextAttempt(const LegRecord& absent, std::int64_t nowMs);
    ChangeResult record(const LegChange& change, std::int64_t nowMs);

    VenueLane& lane_;
    Venue& venue_;
    const ClientOrderIdCodec& ids_;
    LegStore& legs_;
    const PipelineOptions options_;
    const Hooks hooks_;
    mutable std::mutex mutex_;
    std::map<LegKey, Tracked> incoming_;  // added since the last round
    std::map<LegKey, Actor> checkNow_;    // asked for by an operator since the last round
    std::map<LegKey, Tracked> tracked_;   // owned by the worker thread
};

}  // namespace tradehost::host
