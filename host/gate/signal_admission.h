// The gate's front door: journal records become signals with one intent per leg, exactly once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gate/gate_types.h"

namespace tradehost::host {

// One journal record for admission, in journal order.
struct AdmissionRequest {
    std::uint64_t journalSeq = 0;
    std::int64_t receivedMs = 0;
    // The signal, or nothing: a record that can never be admitted (unreadable, or a refusal intake
    // journaled) is skipped, with `skipEvent` recorded so the skip is never silent.
    std::optional<Signal> signal;
    EventRecord skipEvent;
    // Per leg of the signal: the client order id of attempt 0, or, for a leg that can never be
    // sent (no such venue instance), why: it is admitted BLOCKED with no id at all.
    struct LegPlan {
        std::string clientOrderId;
        std::string blockedReason;
    };
    std::vector<LegPlan> legs;
};

enum class Admission { Admitted, Duplicate, Conflict, TooOld, Skipped };
const char* toString(Admission a);

struct AdmissionResult {
    Admission outcome = Admission::Admitted;
    // Admitted: every leg as stored, PENDING, or BLOCKED when it can never be sent or its client
    // order id already belongs to another leg (that leg alone ends; the others trade).
    std::vector<LegRecord> legs;
};

// Thread-safe. Every failure to store throws GateError (gate/gate.h): "could not record" is never
// "carry on".
class SignalAdmission {
public:
    virtual ~SignalAdmission() = default;

    // In one transaction, in order: each signal row with its legs and events, and the processed
    // journal position (the last request's). A signal id already known with the same payload is a
    // Duplicate, with another payload a Conflict (both recorded as events, nothing else); a signal
    // received before `oldestAcceptedMs` (the retention window) is TooOld. `owner` goes on every leg.
    //
    // Durable through the journal: an implementation may return before the transaction is on
    // disk, as long as a power loss can only undo a suffix of admissions (never a process crash)
    // and nothing leaves the gate before it is durable: processedSeq() and EventOutbox::readAfter
    // return only durable state, and every leg change (LegStore::apply) is durable with everything
    // admitted before it. What a power loss undoes is admitted again from the journal, which keeps
    // every record past the durable processedSeq().
    virtual std::vector<AdmissionResult> admit(const std::vector<AdmissionRequest>& batch, const std::string& owner,
                                               std::int64_t oldestAcceptedMs, std::int64_t nowMs) = 0;

    // The last journal record admitted or skipped, durably (journal segments are deleted up to
    // it); 0 for a new gate.
    virtual std::uint64_t processedSeq() = 0;

    // Retention: forgets signals received before `beforeMs` whose every leg is final, with their
    // legs and client order ids. A signal that old is refused at admission (TooOld), so a forgotten
    // id can never trade again. Returns how many signals were forgotten.
    virtual std::size_t forgetSignalsBefore(std::int64_t beforeMs) = 0;
};

}  // namespace tradehost::host
