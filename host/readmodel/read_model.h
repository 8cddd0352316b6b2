// What the admin page reads: signals with their legs and event chains, and the event tail,
// projected from the outbox into a SQLite file of its own, apart from the gate's write path.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gate/gate_types.h"
#include "pipeline/outbox_dispatcher.h"

namespace tradehost::host {

class LiveFeed;
class SqliteConnection;

struct ReadModelOptions {
    std::size_t maxSignals = 20'000;  // the oldest beyond are forgotten (the event log keeps all)
    std::size_t maxEvents = 200'000;
};

struct SignalFilter {
    std::string id;            // part of the signal id
    std::string state;         // the signal's state (ReadModel::signalState)
    std::string venue;         // a leg on this venue instance
    std::string symbol;        // a leg on this symbol
    std::uint64_t before = 0;  // paging: signals received before this one (its `cursor`); 0: newest
    std::size_t limit = 50;
};

struct LegView {
    int leg = 0;
    std::string venue, symbol, side, type, quantity, price;
    std::string clientOrderId;  // of the latest attempt; empty if it never got one (blocked at admission)
    std::string state;          // as the events tell it: PENDING, SUBMITTED, WORKING, UNKNOWN, ...
    std::string reason;         // the last reason or venue message
};

struct SignalView {
    std::string signalId;
    std::uint64_t cursor = 0;  // the id of its first event: the list's order and paging key
    std::int64_t receivedMs = 0;
    std::string state;
    std::string lastEvent;
    std::int64_t lastMs = 0;
    std::vector<LegView> legs;
};

// What the reconciler last found of a venue (venue_reachable / venue_unreachable events).
struct VenueHealth {
    bool reachable = true;
    std::int64_t sinceMs = 0;
    std::string lastError;  // the last reason it could not be asked (kept after it answers again)
    std::int64_t lastErrorMs = 0;
};

struct SignalPage {
    std::vector<SignalView> signals;
    std::uint64_t nextBefore = 0;  // 0: no older page
};

// An outbox consumer (cursor "readmodel"). Events are projected in one transaction per batch,
// committed without waiting for the disk (synced about once a second: after a power loss the page
// may lack the last second, the event log does not), then published to the live feed, so a viewer
// told of an event finds it here. Leg states follow the events (docs/signals.md); the gate stays
// the truth for the processor. Readers have a connection of their own (WAL: they never wait for the
// projection's writes, nor it for them). Bounded: the oldest signals and events are pruned.
class ReadModel : public OutboxConsumer {
public:
    // Opens (or creates) the file; throws std::runtime_error naming it.
    ReadModel(const std::string& path, LiveFeed* feed, ReadModelOptions options = {});
    ~ReadModel() override;

    // OutboxConsumer
    std::string cursorName() const override { return "readmodel"; }
    std::uint64_t durableThrough() const override;
    void consume(const std::vector<StoredEvent>& events) override;
    void tick(std::int64_t nowMs) override;
    void flush() override;

    // Reads (any thread).
    SignalPage signals(const SignalFilter& filter);
    std::optional<SignalView> signal(const std::string& signalId);
    // The signal's events, oldest first (at most `limit`).
    std::vector<StoredEvent> eventsOf(const std::string& signalId, std::size_t limit = 1000);
    // The newest `limit` events, oldest first; or those after `afterId` (oldest first, at most `limit`).
    std::vector<StoredEvent> tail(std::size_t limit, std::uint64_t afterId = 0);
    std::size_t signalsSince(std::int64_t sinceMs);
    std::optional<SignalView> lastSignal();
    // The venue's reachability as the events told it; nullopt: never unreachable since the read
    // model began.
    std::optional<VenueHealth> venueHealth(const std::string& venue);
    // Drifts now: drift_detected without a later drift_cleared, per venue, symbol and side.
    std::size_t openDrifts();

    // A signal's state from its legs' states: UNKNOWN if any leg is; else OPEN while any is
    // pending, submitted or absent; else WORKING while any is; else the one final state all share,
    // or MIXED.
    static std::string signalState(const std::vector<std::string>& legStates);

private:
    void project(const StoredEvent& e);
    void touchSignal(const std::string& signalId);
    std::vector<LegView> legsOf(SqliteConnection& db, const std::string& signalId);
    SignalView signalRow(SqliteConnection& db, const std::string& signalId);
    void prune();

    const ReadModelOptions options_;
    LiveFeed* feed_;
    std::unique_ptr<SqliteConnection> writer_;  // the dispatcher's thread only
    std::uint64_t lastId_ = 0;
    std::int64_t nextSyncMs_ = 0;
    std::int64_t nextPruneMs_ = 0;
    mutable std::mutex readMutex_;
    std::unique_ptr<SqliteConnection> reader_;
};

}  // namespace tradehost::host
