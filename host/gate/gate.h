// The idempotency gate: every interface the host keeps its state behind, and the implementations.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "gate/alert_outbox.h"
#include "gate/control_state.h"
#include "gate/event_outbox.h"
#include "gate/leg_store.h"
#include "gate/position_book.h"
#include "gate/signal_admission.h"
#include "gate/signal_lookup.h"

namespace tradehost::host {

// The gate could not read or record: the caller stops (fail-stop) and recovery starts over.
class GateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};
// A record broke one of the gate's rules (a constraint): that record can never be stored as it
// is. The admitter skips it with an event instead of stopping the host at every start.
class GateConstraintError : public GateError {
public:
    using GateError::GateError;
};

// One store behind all the narrow interfaces. Components receive only the interface they use, so
// an implementation (SQLite for one host today, PostgreSQL for several later, memory for tests)
// slots in without touching them.
class Gate : public SignalAdmission,
             public SignalLookup,
             public LegStore,
             public EventOutbox,
             public PositionBook,
             public ControlState,
             public AlertOutbox {
public:
    ~Gate() override = default;
    // "ok" when the store is consistent (SQLite: PRAGMA integrity_check).
    virtual std::string integrityCheck() = 0;
};

struct SqliteGateOptions {
    // Read-only connections for SignalLookup (each with its own small page cache).
    int readConnections = 4;
    // How long a writer (the host, or `tradehost pause` beside it) waits for the other's lock.
    int busyTimeoutMs = 10'000;
};

// The SQLite gate (WAL, synchronous=FULL except admission's deferred commits, BEGIN IMMEDIATE, statements prepared once
// per connection). Creates the file and schema if missing, upgrades an older schema. Throws GateError.
std::unique_ptr<Gate> openSqliteGate(const std::string& path, const SqliteGateOptions& options = {});

// The in-memory gate: the same semantics, nothing durable. For the processor's unit tests.
std::unique_ptr<Gate> makeMemoryGate();

}  // namespace tradehost::host
