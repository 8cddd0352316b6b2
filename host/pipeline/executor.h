// One venue instance's sender: takes queued legs in journal order and places their orders.
#pragma once

#include <tradehost/settings.h>
#include <tradehost/venue.h>

#include <deque>
#include <functional>
#include <optional>

#include "gate/control_state.h"
#include "gate/leg_store.h"
#include "pipeline/pipeline_options.h"
#include "pipeline/venue_lane.h"
#include "pipeline/worker.h"

namespace tradehost::host {

// Each round: expire queued legs past the maximum signal age; take the runnable legs (several
// per symbol under load, in journal order); block them if trading is paused or a host risk limit
// refuses them; commit the rest SUBMITTED in one transaction *before* the venue is called (after a
// crash from there on, a leg is UNKNOWN and queried, never sent blindly again); place each order,
// one after the other, a symbol's next only once its previous one settled; commit every outcome in
// one transaction. Accepted orders end the leg or leave it WORKING (the tracker follows it), Rejected
// ends it (with order_not_sent first when the plugin refused it before sending), Unknown goes to
// the resolver, and Deferred puts it back in the queue under the same client order id (nothing
// reached the venue, so the id is unused) and holds the venue until the retry time; the legs of
// the round not yet tried go back with it untried.
class Executor : public Worker {
public:
    struct Hooks {
        std::function<void(const LegRecord&)> unknown;  // to the resolver
        std::function<void(const LegRecord&)> working;  // to the order tracker
        std::function<void()> recorded;                 // new events in the outbox
    };

    // `risk` is the instance's host-enforced limits (deployment `risk:` of the venue entry).
    Executor(VenueLane& lane, Venue& venue, Settings risk, LegStore& legs, ControlState& control,
             PipelineOptions options, const Clock& clock, Hooks hooks, std::function<void(const std::string&)> onFatal);

    // Orders sent in the last minute before a restart still count against max_orders_per_minute.
    void seedSentTimes(const std::vector<std::int64_t>& sentMs);
    std::optional<std::int64_t> runOnce(std::int64_t nowMs) override;

private:
    std::size_t expireQueued(std::int64_t nowMs);
    std::string riskRefusal(const LegRecord& leg, std::int64_t nowMs);
    // Applies changes; every applied one is tracked by the lane; a lost race is re-read and tracked.
    std::vector<ChangeResult> record(const std::vector<LegChange>& changes, std::int64_t nowMs);
    LegChange backToQueue(const LegRecord& leg, const Deferred& why, bool deferred);
    void unsent(std::int64_t atMs);  // a leg counted against the order rate did not go out
    void noticeKillSwitch(const KillSwitch& kill);

    VenueLane& lane_;
    Venue& venue_;
    const Settings risk_;
    LegStore& legs_;
    ControlState& control_;
    const PipelineOptions options_;
    const Hooks hooks_;
    std::deque<std::int64_t> sent_;   // when orders went out in the last minute
    std::optional<bool> seenPaused_;  // the kill switch as last seen (logged when it changes)
};

}  // namespace tradehost::host
