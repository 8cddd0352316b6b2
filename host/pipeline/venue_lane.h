// One venue instance's legs on their way out: the order they go in and what holds them back.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gate/gate_types.h"

namespace tradehost::host {

// Legs of one venue and symbol go in journal order: a leg waits while an earlier leg of its symbol
// is unsettled (SUBMITTED, UNKNOWN, or ABSENT awaiting its next attempt), so a "close long" never
// overtakes the "open long" before it whose fate is unknown. Legs of other symbols go past it. A
// Deferred answer holds the whole venue until its retry time (the venue said "not now", whatever
// the symbol). Thread-safe: the admitter enqueues, the executor takes, the resolver and tracker
// report state changes.
class VenueLane {
public:
    explicit VenueLane(std::string venue) : venue_(std::move(venue)) {}
    const std::string& venue() const { return venue_; }

    // A leg to send (PENDING, or ABSENT with its next attempt), in its journal place.
    void enqueue(const LegRecord& leg);
    // Every state change of a leg of this venue passes here, so the unsettled set stays true.
    // Returns true when the change may let a queued leg go.
    bool track(const LegRecord& leg);

    // The queued legs that may go now, in journal order, at most `max`: not while held; of each
    // symbol whose first queued leg has no earlier unsettled leg, that leg and the ones after it
    // (each may go once the one before it has settled: the executor sends them one after the
    // other and stops a symbol at the first that does not settle). They leave the queue and count
    // as unsettled (in flight) until track() says otherwise.
    std::vector<LegRecord> takeRunnable(std::size_t max, std::int64_t nowMs);
    // Queued legs received at or before `receivedBeforeMs` (past the maximum signal age): they
    // leave the queue, held or not, for the executor to expire.
    std::vector<LegRecord> takeExpired(std::int64_t receivedBeforeMs);

    // Nothing goes before `untilMs` (a Deferred answer); a later hold extends, an earlier never
    // shortens.
    void hold(std::int64_t untilMs, const std::string& reason);
    std::int64_t heldUntilMs() const;
    // When a queued leg next needs the executor: now if one is runnable, else the end of the hold,
    // or the moment the oldest queued leg passes `maxAgeMs`; nullopt when the queue is empty.
    std::optional<std::int64_t> nextDueMs(std::int64_t nowMs, std::int64_t maxAgeMs) const;

    std::size_t queued() const;
    std::size_t unsettled() const;

private:
    using Position = std::pair<std::uint64_t, int>;  // journal position, leg number
    static Position positionOf(const LegRecord& leg) { return {leg.journalSeq, leg.leg}; }
    bool runnableLocked(const LegRecord& leg, const Position& at) const;
    void eraseLocked(const std::string& symbol, const Position& at, std::int64_t receivedMs);

    const std::string venue_;
    mutable std::mutex mutex_;
    // Queued legs per symbol, in journal order: only each symbol's first leg can ever be runnable,
    // so a round costs O(symbols), whatever the backlog.
    std::map<std::string, std::map<Position, LegRecord>> queues_;
    std::set<std::pair<std::int64_t, Position>> byReceived_;  // (received ms, position): expiry order
    std::map<Position, std::string> symbolAt_;                // position -> symbol, for byReceived_
    std::map<std::string, std::set<Position>> unsettled_;     // per symbol
    std::int64_t heldUntilMs_ = 0;
    std::string holdReason_;
};

}  // namespace tradehost::host
