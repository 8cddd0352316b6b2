// The audit trail's first stop: events with ids from the database, read by named durable cursors.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gate/gate_types.h"

namespace tradehost::host {

// Events arrive with the state changes they describe (SignalAdmission, LegStore, ControlState) or
// alone (append). Ids come from the database, increase in commit order and are never reused, so a
// consumer that remembers the last id it handled never misses or repeats one. Each consumer (the
// event-log writer, the alert router, the live view) has a named cursor kept in the gate; events
// every cursor has passed can be pruned, so the outbox stays bounded by its slowest consumer.
// Thread-safe; storage failures throw GateError.
class EventOutbox {
public:
    virtual ~EventOutbox() = default;

    // Records events that belong to no state change (an observation, an operator's note).
    virtual void append(const std::vector<EventRecord>& events, std::int64_t nowMs) = 0;
    // Events with id > afterId, oldest first, at most `limit`; only events a power loss cannot
    // undo (an implementation with deferred commits syncs them first), so no consumer ever
    // publishes an event the gate could forget and then hand out again under the same id.
    virtual std::vector<StoredEvent> readAfter(std::uint64_t afterId, std::size_t limit) = 0;
    // The highest id ever handed out (0 for a new gate).
    virtual std::uint64_t lastEventId() = 0;

    // Registers the cursor `name` at `startAfter` if it does not exist yet; returns its position.
    virtual std::uint64_t openCursor(const std::string& name, std::uint64_t startAfter) = 0;
    // Moves a cursor forward (never back: a smaller position is ignored).
    virtual void advanceCursor(const std::string& name, std::uint64_t position) = 0;
    virtual std::map<std::string, std::uint64_t> cursors() = 0;
    // Deletes the events every cursor has passed (none while no cursor exists); returns how many.
    virtual std::size_t pruneConsumed() = 0;
};

}  // namespace tradehost::host
