// The signal processor: journal -> gate -> venue instances, with the resolver and event writer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <tradehost/context.h>

#include "events/event_log.h"
#include "gate/gate.h"
#include "ids/client_order_id.h"
#include "journal/journal.h"
#include "plugins/instance_set.h"

namespace tradehost::host {

struct ProcessorOptions {
    std::int64_t maxSignalAgeMs = 60'000;          // older when processed: expired, never sent late
    std::int64_t retentionMs = 7LL * 24 * 3600'000;  // signal ids remembered; older signals refused
    // NotFound answers prove absence only after this long: longer than any venue's receive window
    // or internal timeout, so an order still in flight cannot execute after we gave up on it.
    std::int64_t settleWindowMs = 30'000;
    int notFoundToAbsent = 3;                      // and at least this many NotFound in a row
    std::int64_t unresolvedAlertMs = 120'000;      // an UNKNOWN leg older than this raises an event
    std::string defaultVenue;                      // for legs that name no venue
    std::int64_t pollMs = 200;
};

// Threads: one tails the journal into the gate; one worker per venue instance sends that venue's
// legs in journal order (a slow venue never delays another); one resolver settles UNKNOWN legs by
// querying; one writer copies the gate's event outbox to the hash-chained event log.
class Processor {
public:
    Processor(Journal& journal, Gate& gate, EventLog& events, InstanceSet& instances, ProcessorOptions options,
              const Clock& clock);
    ~Processor();

    // Recovery first (in-flight legs become UNKNOWN, the journal is replayed into the gate),
    // then the threads start. ready() turns true once the replay reached the journal's end.
    void start();
    void stop() noexcept;
    void wake();  // intake appended a record
    bool ready() const { return ready_; }
    // A fatal error stopped the processor (the gate or event log could not record); empty if none.
    std::string fatalError() const;

private:
    struct Worker;
    void tailLoop();
    void resolverLoop();
    void eventLoop();
    bool catchUp();  // admits every journal record past the gate's position; false on a fatal error
    void admit(std::uint64_t seq, const std::string& payload);
    void enqueue(const LegRecord& leg);
    void workerLoop(Worker& worker);
    void execute(LegRecord leg);
    std::string checkRisk(VenueInstance& venue, const LegRecord& leg, std::int64_t nowMs);
    void resolve(LegRecord leg);
    void nextAttempt(LegRecord leg, std::int64_t nowMs);
    // Every leg state change: the gate (with its events), then the worker's in-memory view.
    void record(const LegRecord& leg, const std::vector<EventRecord>& events, std::int64_t nowMs,
                const std::optional<Decimal>& fillDelta = std::nullopt);
    void track(const LegRecord& leg);
    void fail(const std::string& why) noexcept;
    std::string idFor(const std::string& venue, const std::string& signalId, std::size_t leg, int attempt) const;
    std::int64_t now() const { return clock_.nowMs(); }

    Journal& journal_;
    Gate& gate_;
    EventLog& events_;
    InstanceSet& instances_;
    ProcessorOptions options_;
    const Clock& clock_;
    std::map<std::string, std::unique_ptr<ClientOrderIdCodec>> codecs_;  // per venue instance
    std::map<std::string, std::unique_ptr<Worker>> workers_;

    std::atomic<bool> running_{false};
    std::atomic<bool> ready_{false};
    mutable std::mutex mutex_;
    std::condition_variable wakeTail_;
    bool pendingWake_ = false;
    std::string fatal_;
    std::thread tail_, resolver_, writer_;
};

}  // namespace tradehost::host
