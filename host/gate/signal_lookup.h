// What intake asks the gate: is this signal id known, and with which payload.
#pragma once

#include <optional>
#include <string>

namespace tradehost::host {

// Read-only and thread-safe; never waits for a writer (the SQLite implementation reads its own
// WAL snapshot on read-only connections), so a webhook answer never queues behind the processor.
class SignalLookup {
public:
    virtual ~SignalLookup() = default;
    // The canonical payload stored for a signal id, if the gate has admitted it.
    virtual std::optional<std::string> payloadOf(const std::string& signalId) = 0;
};

}  // namespace tradehost::host
