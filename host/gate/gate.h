// The idempotency gate: signals, per-leg intents and their states, expected positions, the
// event outbox and the kill switch, in one SQLite database (WAL, synchronous=FULL).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <Poco/Data/Session.h>

#include "intake/signal/signal.h"

namespace tradehost::host {

// PENDING -> SUBMITTED -> ACCEPTED | REJECTED | UNKNOWN; UNKNOWN -> ACCEPTED | ABSENT;
// ABSENT -> (next attempt) SUBMITTED | EXPIRED; BLOCKED by a risk check or the kill switch.
enum class LegState { Pending, Submitted, Accepted, Rejected, Unknown, Absent, Blocked, Expired };
const char* toString(LegState s);
std::optional<LegState> legStateFrom(const std::string& text);
inline bool isTerminal(LegState s) {
    return s == LegState::Accepted || s == LegState::Rejected || s == LegState::Blocked || s == LegState::Expired;
}

struct LegRecord {
    std::string signalId;
    int leg = 0;
    Leg intent;
    int attempt = 0;
    std::string clientOrderId;  // of the current attempt
    LegState state = LegState::Pending;
    std::string exchangeOrderId;
    Decimal filledQuantity;
    Decimal averagePrice;
    std::string reason;  // why REJECTED / BLOCKED / EXPIRED / UNKNOWN
    std::int64_t receivedMs = 0;  // when intake journaled the signal
    std::uint64_t journalSeq = 0;  // the signal's journal position: the order legs must keep
    std::int64_t updatedMs = 0;
    std::int64_t unknownSinceMs = 0;  // first time this attempt became UNKNOWN
    std::int64_t nextCheckMs = 0;     // resolver: not before this
    int notFoundCount = 0;            // resolver: consecutive NotFound answers for this attempt
};

// One line of the audit trail, written to the outbox in the same transaction as the change it
// describes; the event writer copies it to the hash-chained file.
struct EventRecord {
    std::string event;
    std::string signalId;
    std::string clientOrderId;
    std::string venue;
    std::string dataJson = "{}";
};
struct StoredEvent {
    std::uint64_t id = 0;
    std::int64_t tsMs = 0;
    EventRecord event;
};

// Expected position per (venue instance, symbol, position side), from the host's own fills.
using PositionKey = std::tuple<std::string, std::string, std::string>;

class GateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thread-safe: every method is one transaction on one connection, serialised by a mutex.
// Every method throws GateError when the database fails; nothing is half-done (the transaction
// rolls back). The processor then stops: "could not record" is never "carry on".
class Gate {
public:
    explicit Gate(const std::string& path);
    ~Gate();

    // ---- intake ----
    // The canonical payload stored for a signal id, if it is known.
    std::optional<std::string> payloadOf(const std::string& signalId);

    // ---- processor ----
    enum class Admission { Admitted, Duplicate, Conflict, TooOld };
    // In one transaction: the signal row, a PENDING intent per leg with its client order id
    // (`idFor(leg, attempt)`), the events, and the processed journal position. A known id with
    // the same payload is a duplicate, with another payload a conflict (recorded, nothing else).
    // A signal received before `oldestAcceptedMs` (the retention window) is refused as too old.
    Admission admit(const Signal& signal, std::int64_t receivedMs, std::uint64_t journalSeq,
                    const std::function<std::string(std::size_t leg, int attempt)>& idFor, std::int64_t oldestAcceptedMs,
                    std::int64_t nowMs);
    // Advances the processed journal position past a record that is not a signal (with an event).
    void skip(std::uint64_t journalSeq, const EventRecord& event, std::int64_t nowMs);
    std::uint64_t processedSeq();

    // Writes a leg's new state (and attempt / client order id / fills) with its events, in one
    // transaction. `fillDelta`, when set, moves the expected position of the leg's venue/symbol.
    void update(const LegRecord& leg, const std::vector<EventRecord>& events, std::int64_t nowMs,
                const std::optional<Decimal>& fillDelta = std::nullopt);

    std::vector<LegRecord> legsInState(LegState state);
    std::vector<LegRecord> legsOf(const std::string& signalId);
    std::optional<LegRecord> legByClientOrderId(const std::string& clientOrderId);

    // Startup: every SUBMITTED leg may have been sent; they become UNKNOWN. A PENDING leg was
    // never sent — SUBMITTED is always committed before the venue is called — so it stays
    // PENDING and is dispatched again (turning it UNKNOWN would only delay it past the settle
    // window, and after a long backlog past max_signal_age_s: expiring signals that were safe).
    int markInFlightUnknown(std::int64_t nowMs);

    std::map<PositionKey, Decimal> expectedPositions();

    // ---- kill switch (persisted) ----
    bool paused();
    void setPaused(bool paused, const std::string& by, std::int64_t nowMs);

    // How many `event` events a venue instance had since `sinceMs` (e.g. orders sent in the last
    // minute: a rate cap that holds across restarts).
    std::int64_t countEvents(const std::string& event, const std::string& venue, std::int64_t sinceMs);

    // ---- outbox ----
    std::vector<StoredEvent> eventsAfter(std::uint64_t id, std::size_t limit);
    // Appends an event that belongs to no state change (an alert-worthy observation).
    void recordEvent(const EventRecord& event, std::int64_t nowMs);

    // ---- upkeep ----
    // Forgets terminal signals received before `beforeMs` (retention); returns how many.
    int pruneSignalsBefore(std::int64_t beforeMs);
    std::string integrityCheck();  // "ok" when PRAGMA integrity_check is happy

private:
    void insertEvent(const EventRecord& e, std::int64_t nowMs);
    void setMeta(const std::string& key, const std::string& value);
    std::optional<std::string> meta(const std::string& key);
    std::vector<LegRecord> selectLegs(const std::string& where, const std::string& arg);
    template <class F>
    auto transaction(F&& body) -> decltype(body());

    std::mutex mutex_;
    std::unique_ptr<Poco::Data::Session> session_;
};

}  // namespace tradehost::host
