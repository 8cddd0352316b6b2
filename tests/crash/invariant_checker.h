// The checker: what the sender was told vs what the venue holds vs what the event log says.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "emulator_process.h"
#include "signal_sender.h"

namespace tradehost::test {

// One line of events.jsonl, as far as the checker cares.
struct EventLine {
    std::uint64_t id = 0;
    std::int64_t tsMs = 0;
    std::string event;
    std::string signalId;
    std::string clientOrderId;
    std::string outcome;  // data.outcome of order_resolved: "found" | "absent"
    std::string status;   // data.status: the order's status as the venue reported it (order_ack, ...)
    int legs = 0;         // data.legs of signal_received
    // Every member of data, as text (numbers and booleans converted): by/why of operator events,
    // reason, fill_qty/filled of order_fill, state of order_closed, ...
    std::map<std::string, std::string> data;
    std::string dataText(const std::string& key) const {
        const auto it = data.find(key);
        return it == data.end() ? std::string() : it->second;
    }
};

// Reads events.jsonl incrementally: each poll() parses only the complete lines added since.
class EventTail {
public:
    explicit EventTail(std::string path) : path_(std::move(path)) {}
    void poll();
    const std::vector<EventLine>& events() const { return events_; }
    std::size_t unparsable() const { return unparsable_; }

private:
    std::string path_;
    std::uint64_t offset_ = 0;
    std::vector<EventLine> events_;
    std::size_t unparsable_ = 0;
};

// What one sender run looked like: signal ids are `prefix` + digits, each with `legs` legs of
// `quantity` (at most: no leg may fill more) on `venue`. Orders and events of other prefixes
// (other runs) are ignored.
struct RunSpec {
    RunSpec() = default;
    RunSpec(std::string signalPrefix, std::string venueName = "bn", int legCount = 2, std::string legQuantity = "0.002")
        : prefix(std::move(signalPrefix)),
          venue(std::move(venueName)),
          legs(legCount),
          quantity(std::move(legQuantity)) {}

    std::string prefix;
    std::string venue = "bn";
    int legs = 2;
    std::string quantity = "0.002";
    // Signal ids of any shape (adversarial ones): when not empty, the run is exactly these ids
    // and `prefix` only marks foreign orders as phantom.
    std::set<std::string> signalIds;
    // The {signal} part of a client order id -> the signal id, where the host used a digest
    // (ClientOrderIdCodec::encode): without it an order of a digested id would not be attributed.
    std::map<std::string, std::string> signalParts;
};

// {signal}:{venue}:{leg}:{attempt} split from the right; false when the id is not of that shape.
struct OrderIdParts {
    std::string signalId;
    std::string venue;
    int leg = 0;
    int attempt = 0;
};
bool parseClientOrderId(const std::string& id, OrderIdParts& out);

struct CheckReport {
    int signals = 0;      // signal ids the sender tried
    int signalsOk = 0;    // at least one 2xx: accepted
    int signalsFail = 0;  // only 4xx
    int signalsIndeterminate = 0;
    int deliveries = 0;
    int deliveriesOk = 0;
    int acceptedLegs = 0;     // legs of accepted signals
    int admittedSignals = 0;  // signals with a signal_received event
    int orders = 0;           // orders of this run at the venue (with an order id)
    int lost = 0;             // accepted leg: no order and no terminal reject/blocked/expired event
    int doubled = 0;          // leg with more than one order, or filled above its quantity
    int phantom = 0;          // order whose signal was never sent, or only refused (4xx)
    int unterminated = 0;     // accepted or admitted leg without a terminal event
    int disagreements = 0;    // terminal event contradicts the venue (ack without order, reject with one)
    // Accepted legs that ended without an order, by reason. Legitimate terminals, but in these
    // tests (no risk limits, max_signal_age_s far above any delay) each one means the host fell
    // behind or refused something it should have traded: the tests expect none.
    int expired = 0;
    int rejected = 0;
    int blocked = 0;
    // What this run's orders did at the venue: executed quantity per leg ("signal#leg"), and the
    // net position per symbol (BUY +, SELL -) and side ("SYMBOL" for one-way BOTH, "SYMBOL/LONG"
    // and "SYMBOL/SHORT" in hedge mode, as the gate keys its expected positions). SignalRun::check
    // compares them with the host's own book (the gate's per-leg fills and expected positions,
    // which the reconciler trusts) and counts each leg or book they disagree on.
    std::map<std::string, std::string> venueFills;
    std::map<std::string, std::string> venuePositions;
    int bookMismatches = 0;
    std::map<std::string, int> events;  // event name -> count, this run
    std::vector<std::string> problems;  // one line per finding (the first few hundred)

    bool clean() const {
        return lost == 0 && doubled == 0 && phantom == 0 && unterminated == 0 && disagreements == 0 &&
               bookMismatches == 0;
    }
    std::string summary() const;
};

// Pure: compares the three sources for the signals of `spec`.
CheckReport checkInvariants(const RunSpec& spec, const std::vector<tools::DeliveryRecord>& deliveries,
                            const std::vector<VenueOrder>& orders, const std::vector<EventLine>& events);

// True when every leg of every accepted signal and of every admitted signal of `spec` has a
// terminal event (the drain condition).
bool allLegsTerminal(const RunSpec& spec, const std::vector<tools::DeliveryRecord>& deliveries,
                     const std::vector<EventLine>& events);

}  // namespace tradehost::test
