// Hands the gate's outbox to its consumers, each from its own named durable cursor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gate/event_outbox.h"
#include "pipeline/worker.h"

namespace tradehost::host {

// A reader of the outbox: the event-log writer and the console reporter now; the alert router, live
// view and metrics next. Called from the dispatcher's thread only (or, at shutdown, drain()'s).
class OutboxConsumer {
public:
    virtual ~OutboxConsumer() = default;
    virtual std::string cursorName() const = 0;
    // The last event id the consumer itself holds durably (the event log's last line), or 0. A
    // consumer that wrote events but died before its cursor moved resumes after what it holds,
    // so nothing is handed over twice. A consumer that keeps nothing and wants nothing old (the
    // console) returns the outbox's end when it was made: it starts there after every restart.
    virtual std::uint64_t durableThrough() const = 0;
    // Handles events in id order; throws if it cannot (the host fail-stops; the cursor has not
    // moved, so they are handed over again after the restart).
    virtual void consume(const std::vector<StoredEvent>& events) = 0;
    // On every pass of the dispatcher, with or without events (at least about once a second): for
    // work that is due by time, such as a summary of lines held back.
    virtual void tick(std::int64_t /*nowMs*/) {}
    // At drain(), after the last events were handed over: say whatever is still pending.
    virtual void flush() {}
};

// One thread for all consumers: reads each consumer's next batch after its cursor, hands it over,
// then moves the cursor. Woken when events are recorded; otherwise looks every idle interval.
// The stored cursor moves at most once a second (and at drain()): what a consumer holds durably is
// its own record of progress (durableThrough), so a cursor that lags only keeps events from being
// pruned a little longer, and saves a gate commit per batch.
class OutboxDispatcher : public Worker {
public:
    OutboxDispatcher(EventOutbox& outbox, const Clock& clock, std::function<void(const std::string&)> onFatal);

    // Before start(): opens (or resumes) the consumer's cursor.
    void add(OutboxConsumer& consumer);
    // Hands over everything recorded so far (at shutdown, after the producers stopped).
    void drain();
    std::optional<std::int64_t> runOnce(std::int64_t nowMs) override;

private:
    struct Entry {
        OutboxConsumer* consumer = nullptr;
        std::uint64_t cursor = 0;  // the last event handed over
        std::uint64_t stored = 0;  // the cursor as the gate has it
    };
    // One batch per consumer; returns the largest batch handed over (a full one: more is
    // waiting). The stored cursors move when `storeCursors` (or a second has passed).
    std::size_t deliver(std::int64_t nowMs, bool storeCursors);

    std::int64_t nextStoreMs_ = 0;

    EventOutbox& outbox_;
    std::vector<Entry> consumers_;
};

}  // namespace tradehost::host
