// The signal processor: journal -> gate -> venue instances, with the resolver and event writer.
#include "pipeline/processor.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <set>

#include "events/json_text.h"
#include "intake/signal/signal_parser.h"
#include "pipeline/journal_record.h"
#include "testing/crash_point.h"

namespace tradehost::host {
namespace {

Poco::Logger& log() { return Poco::Logger::get("processor"); }

EventRecord legEvent(const char* name, const LegRecord& leg, std::string data) {
    return {name, leg.signalId, leg.clientOrderId, leg.intent.venue, std::move(data)};
}

OrderIntent intentOf(const LegRecord& leg) {
    OrderIntent i;
    i.clientOrderId = leg.clientOrderId;
    i.symbol = leg.intent.symbol;
    i.side = leg.intent.side;
    i.type = leg.intent.type;
    i.quantity = leg.intent.quantity;
    i.price = leg.intent.price;
    i.timeInForce = leg.intent.timeInForce;
    i.reduceOnly = leg.intent.reduceOnly;
    return i;
}

// The venue holds the leg's order (acknowledged, or found by query): the leg is ACCEPTED with
// what the venue says of it. Returns the fills this adds to what the leg had recorded, for the
// expected position.
std::optional<Decimal> adoptOrder(LegRecord& leg, const OrderState& order, std::string reason) {
    const Decimal delta = order.filledQuantity - leg.filledQuantity;
    leg.state = LegState::Accepted;
    leg.exchangeOrderId = order.exchangeOrderId;
    leg.filledQuantity = order.filledQuantity;
    leg.averagePrice = order.averagePrice;
    leg.reason = std::move(reason);
    if (delta.isZero()) return std::nullopt;
    return delta;
}

// A leg's place in journal order: the signal's journal position, then the leg index.
using LegPosition = std::pair<std::uint64_t, int>;

LegPosition positionOf(const LegRecord& leg) { return {leg.journalSeq, leg.leg}; }

// SUBMITTED, UNKNOWN and ABSENT legs may still become (or already be) an order at the venue.
bool unsettled(LegState s) { return s == LegState::Submitted || s == LegState::Unknown || s == LegState::Absent; }

}  // namespace

struct Processor::Worker {
    std::string venue;
    VenueInstance* instance = nullptr;
    std::mutex mutex;  // guards everything below
    std::condition_variable cv;
    // Legs to send, in journal order, so the earliest leg of a symbol is always the one tried first.
    std::map<LegPosition, LegRecord> queue;
    // Per symbol, the unsettled legs: a queued leg waits while an earlier one of its symbol is here
    // (kept in memory, rebuilt from the gate at start; every state change goes through record()).
    std::map<std::string, std::set<LegPosition>> unsettledBySymbol;
    bool changed = false;  // queue or unsettled legs changed since the worker last looked
    std::thread thread;

    // The earliest queued leg no unsettled earlier leg of its symbol holds back; removed from the queue.
    std::optional<LegRecord> takeRunnable() {
        for (auto it = queue.begin(); it != queue.end(); ++it) {
            const auto u = unsettledBySymbol.find(it->second.intent.symbol);
            if (u != unsettledBySymbol.end() && !u->second.empty() && *u->second.begin() < it->first) continue;
            LegRecord leg = std::move(it->second);
            queue.erase(it);
            return leg;
        }
        return std::nullopt;
    }
};

Processor::Processor(Journal& journal, Gate& gate, EventLog& events, InstanceSet& instances, ProcessorOptions options,
                     const Clock& clock)
    : journal_(journal),
      gate_(gate),
      events_(events),
      instances_(instances),
      options_(std::move(options)),
      clock_(clock) {
    for (const auto& v : instances_.venues) {
        codecs_[v->name()] = std::make_unique<ClientOrderIdCodec>(v->clientOrderIdRules(), v->name());
        auto w = std::make_unique<Worker>();
        w->venue = v->name();
        w->instance = v.get();
        workers_[v->name()] = std::move(w);
    }
}

Processor::~Processor() { stop(); }

std::string Processor::fatalError() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return fatal_;
}

void Processor::fail(const std::string& why) noexcept {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (fatal_.empty()) fatal_ = why;
    }
    log().critical("processor stopped: " + why);
    running_ = false;
    ready_ = false;
    wakeTail_.notify_all();
    for (auto& [name, w] : workers_) w->cv.notify_all();
}

std::string Processor::idFor(const std::string& venue, const std::string& signalId, std::size_t leg,
                             int attempt) const {
    auto it = codecs_.find(venue);
    if (it != codecs_.end()) return it->second->encode(signalId, static_cast<int>(leg), attempt);
    // A leg for a venue this deployment does not have is recorded (and BLOCKED), never sent.
    return "unrouted:" + venue + ":" + signalId + ":" + std::to_string(leg) + ":" + std::to_string(attempt);
}

void Processor::start() {
    // A gate ahead of the journal means the journal was replaced or restored from an older copy:
    // new records would reuse sequence numbers the gate thinks it has seen, and be skipped.
    if (gate_.processedSeq() > journal_.lastSequence()) {
        fail("the gate has processed journal record " + std::to_string(gate_.processedSeq()) +
             " but the journal ends at " + std::to_string(journal_.lastSequence()) +
             ": the journal directory was replaced or restored; refusing to run");
        return;
    }
    const std::int64_t t = now();
    const int inFlight = gate_.markInFlightUnknown(t);
    if (inFlight > 0)
        log().warning(std::to_string(inFlight) +
                      " leg(s) were in flight at the last stop: now UNKNOWN, to be resolved by query");
    for (const LegState s : {LegState::Unknown, LegState::Absent})
        for (const auto& leg : gate_.legsInState(s)) track(leg);
    running_ = true;
    if (!catchUp()) return;
    // Legs admitted before the stop but never sent, and ABSENT legs awaiting their next attempt.
    for (const auto& leg : gate_.legsInState(LegState::Pending)) enqueue(leg);
    for (const auto& leg : gate_.legsInState(LegState::Absent)) enqueue(leg);
    for (auto& [name, w] : workers_) w->thread = std::thread([this, worker = w.get()] { workerLoop(*worker); });
    writer_ = std::thread([this] { eventLoop(); });
    resolver_ = std::thread([this] { resolverLoop(); });
    tail_ = std::thread([this] { tailLoop(); });
    ready_ = true;
}

void Processor::stop() noexcept {
    running_ = false;
    wakeTail_.notify_all();
    for (auto& [name, w] : workers_) w->cv.notify_all();
    for (std::thread* t : {&tail_, &resolver_, &writer_})
        if (t->joinable()) t->join();
    for (auto& [name, w] : workers_)
        if (w->thread.joinable()) w->thread.join();
}

void Processor::wake() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pendingWake_ = true;
    }
    wakeTail_.notify_all();
}

bool Processor::catchUp() {
    try {
        journal_.readAfter(gate_.processedSeq(), [this](std::uint64_t seq, const std::string& payload) {
            if (running_) admit(seq, payload);
        });
        return running_;
    } catch (const std::exception& e) {
        fail(std::string("journal replay: ") + e.what());
        return false;
    }
}

void Processor::admit(std::uint64_t seq, const std::string& payload) {
    const std::int64_t t = now();
    const auto record = decodeSignalRecord(payload);
    std::variant<Parsed, ParseError> parsed = ParseError{400, "body", "not a signal record", std::nullopt};
    if (record) parsed = parseSignal(record->second);
    if (!record || std::holds_alternative<ParseError>(parsed)) {
        // Intake only journals parsed signals, so this is a bug or a foreign record: skip it
        // loudly, never guess at its meaning.
        gate_.skip(seq,
                   {"signal_rejected", "", "", "",
                    jsonObject({{"reason", "journal record is not a signal"}, {"journal_seq", std::to_string(seq)}})},
                   t);
        return;
    }
    Signal signal = std::get<Parsed>(parsed).signal;
    for (auto& leg : signal.legs)
        if (leg.venue.empty()) leg.venue = options_.defaultVenue;
    const auto admission = gate_.admit(
        signal, record->first, seq,
        [&](std::size_t leg, int attempt) { return idFor(signal.legs[leg].venue, signal.signalId, leg, attempt); },
        t - options_.retentionMs, t);
    TRADEHOST_CRASH_POINT("processor.after_gate_admit");
    if (admission != Gate::Admission::Admitted) return;
    for (const auto& leg : gate_.legsOf(signal.signalId)) enqueue(leg);
}

void Processor::enqueue(const LegRecord& leg) {
    auto it = workers_.find(leg.intent.venue);
    if (it == workers_.end()) {
        LegRecord blocked = leg;
        blocked.state = LegState::Blocked;
        blocked.reason = "no venue instance named '" + leg.intent.venue + "' in this deployment";
        record(blocked,
               {legEvent("order_blocked", blocked, jsonObject({{"reason", blocked.reason}})),
                legEvent("trade_fail", blocked, jsonObject({{"reason", blocked.reason}}))},
               now());
        return;
    }
    {
        std::lock_guard<std::mutex> lock(it->second->mutex);
        it->second->queue[positionOf(leg)] = leg;
        it->second->changed = true;
    }
    it->second->cv.notify_one();
}

void Processor::track(const LegRecord& leg) {
    auto it = workers_.find(leg.intent.venue);
    if (it == workers_.end()) return;
    Worker& w = *it->second;
    {
        std::lock_guard<std::mutex> lock(w.mutex);
        if (unsettled(leg.state)) {
            w.unsettledBySymbol[leg.intent.symbol].insert(positionOf(leg));
            return;
        }
        const auto u = w.unsettledBySymbol.find(leg.intent.symbol);
        if (u == w.unsettledBySymbol.end() || u->second.erase(positionOf(leg)) == 0) return;
        if (u->second.empty()) w.unsettledBySymbol.erase(u);
        w.changed = true;
    }
    w.cv.notify_one();  // legs it held back may go now
}

void Processor::record(const LegRecord& leg, const std::vector<EventRecord>& events, std::int64_t nowMs,
                       const std::optional<Decimal>& fillDelta) {
    gate_.update(leg, events, nowMs, fillDelta);
    track(leg);
}

void Processor::tailLoop() {
    while (running_) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wakeTail_.wait_for(lock, std::chrono::milliseconds(options_.pollMs),
                               [&] { return pendingWake_ || !running_; });
            pendingWake_ = false;
        }
        if (!running_ || !catchUp()) return;
    }
}

// Legs of one venue and symbol go in journal order: a leg waits while an earlier one of its
// symbol is still in flight, UNKNOWN, or ABSENT awaiting its next attempt.
void Processor::workerLoop(Worker& w) {
    while (running_) {
        std::optional<LegRecord> next;
        {
            std::unique_lock<std::mutex> lock(w.mutex);
            w.changed = false;
            next = w.takeRunnable();
            if (!next) {
                // Nothing queued, or everything waits for the resolver: sleep until that changes.
                w.cv.wait_for(lock, std::chrono::milliseconds(options_.pollMs), [&] { return w.changed || !running_; });
                continue;
            }
        }
        try {
            execute(*next);
        } catch (const std::exception& e) {
            fail(std::string("venue worker '") + w.venue + "': " + e.what());
            return;
        }
    }
}

// Pre-trade limits of the venue instance (its `risk:`), enforced by the host for any plugin.
// Returns the refusal, or empty.
std::string Processor::checkRisk(VenueInstance& venue, const LegRecord& leg, std::int64_t nowMs) {
    const Settings& risk = venue.risk();
    if (risk.has("symbols") && !risk.list("symbols").empty()) {
        const auto& allowed = risk.list("symbols");
        if (std::find(allowed.begin(), allowed.end(), leg.intent.symbol) == allowed.end())
            return "RISK_SYMBOL: " + leg.intent.symbol + " is not in " + venue.name() + "'s symbols";
    }
    if (risk.has("max_quantity") && leg.intent.quantity > risk.decimal("max_quantity"))
        return "RISK_MAX_QUANTITY: " + leg.intent.quantity.toString() + " is above max_quantity " +
               risk.decimal("max_quantity").toString();
    if (risk.has("max_notional") && leg.intent.price) {
        const Decimal notional = *leg.intent.price * leg.intent.quantity;
        if (notional > risk.decimal("max_notional"))
            return "RISK_MAX_NOTIONAL: " + notional.toString() + " is above max_notional " +
                   risk.decimal("max_notional").toString();
    }
    if (risk.has("max_orders_per_minute") && risk.integer("max_orders_per_minute") > 0) {
        const std::int64_t sent = gate_.countEvents("order_submitted", venue.name(), nowMs - 60'000);
        if (sent >= risk.integer("max_orders_per_minute"))
            return "RISK_ORDER_RATE: " + std::to_string(sent) +
                   " orders in the last minute, max_orders_per_minute is " +
                   std::to_string(risk.integer("max_orders_per_minute"));
    }
    return "";
}

void Processor::execute(LegRecord queued) {
    // The gate, not the queue, says what the leg is now: a stale queue entry must never send.
    std::optional<LegRecord> current;
    for (auto& l : gate_.legsOf(queued.signalId))
        if (l.leg == queued.leg) current = std::move(l);
    if (!current || current->attempt != queued.attempt) return;
    LegRecord leg = *current;
    if (leg.state != LegState::Pending && leg.state != LegState::Absent) return;
    const std::int64_t t = now();
    if (gate_.paused()) {
        leg.state = LegState::Blocked;
        leg.reason = "trading is paused (kill switch)";
        record(leg,
               {legEvent("order_blocked", leg, jsonObject({{"reason", leg.reason}})),
                legEvent("trade_fail", leg, jsonObject({{"reason", leg.reason}}))},
               t);
        return;
    }
    if (t - leg.receivedMs > options_.maxSignalAgeMs) {
        leg.state = LegState::Expired;
        leg.reason = "signal is " + std::to_string((t - leg.receivedMs) / 1000) + " s old, past max_signal_age_s";
        record(leg,
               {legEvent("order_expired", leg, jsonObject({{"reason", leg.reason}})),
                legEvent("trade_fail", leg, jsonObject({{"reason", leg.reason}}))},
               t);
        return;
    }
    VenueInstance& venue = *workers_.at(leg.intent.venue)->instance;
    if (const std::string refused = checkRisk(venue, leg, t); !refused.empty()) {
        leg.state = LegState::Blocked;
        leg.reason = refused;
        record(leg,
               {legEvent("order_blocked", leg, jsonObject({{"reason", leg.reason}})),
                legEvent("trade_fail", leg, jsonObject({{"reason", leg.reason}}))},
               t);
        return;
    }
    leg.state = LegState::Submitted;
    // The intent is committed before the venue is called: after a crash from here on, the leg is
    // UNKNOWN and is queried, never sent blindly again.
    record(leg,
           {legEvent("order_submitted", leg,
                     jsonObject({{"symbol", leg.intent.symbol},
                                 {"side", toString(leg.intent.side)},
                                 {"quantity", leg.intent.quantity.toString()},
                                 {"attempt", std::to_string(leg.attempt)}}))},
           t);
    TRADEHOST_CRASH_POINT("processor.after_submit_commit");
    const PlaceResult result = venue.placeOrder(intentOf(leg));
    TRADEHOST_CRASH_POINT("processor.after_venue_call");
    const std::int64_t t2 = now();
    if (const auto* a = std::get_if<Accepted>(&result)) {
        const auto delta = adoptOrder(leg, a->order, a->note);
        record(leg,
               {legEvent("order_ack", leg,
                         jsonObject({{"exchange_order_id", leg.exchangeOrderId},
                                     {"status", toString(a->order.status)},
                                     {"filled", leg.filledQuantity.toString()},
                                     {"avg_price", leg.averagePrice.toString()},
                                     {"note", a->note}}))},
               t2, delta);
    } else if (const auto* r = std::get_if<Rejected>(&result)) {
        leg.state = LegState::Rejected;
        leg.reason = r->code + ": " + r->message;
        record(leg,
               {legEvent("order_rejected", leg, jsonObject({{"code", r->code}, {"message", r->message}})),
                legEvent("trade_fail", leg, jsonObject({{"reason", leg.reason}}))},
               t2);
    } else if (const auto* d = std::get_if<Deferred>(&result)) {
        // Interim (until the executor keeps deferred legs queued): as before, nothing was sent.
        leg.state = LegState::Rejected;
        leg.reason = "NOT_SENT: " + d->reason;
        record(leg,
               {legEvent("order_rejected", leg, jsonObject({{"code", "NOT_SENT"}, {"message", d->reason}})),
                legEvent("trade_fail", leg, jsonObject({{"reason", leg.reason}}))},
               t2);
    } else {
        const auto& u = std::get<Unknown>(result);
        leg.state = LegState::Unknown;
        leg.reason = u.reason;
        leg.unknownSinceMs = t2;
        leg.nextCheckMs = t2 + 500;
        leg.notFoundCount = 0;
        record(leg, {legEvent("order_unknown", leg, jsonObject({{"reason", u.reason}}))}, t2);
    }
    TRADEHOST_CRASH_POINT("processor.after_outcome_commit");
}

void Processor::resolverLoop() {
    std::int64_t lastPruneMs = 0;
    while (running_) {
        try {
            // Retention: forget settled signals older than the window, hourly. A signal older
            // than the window is refused at admission, so a forgotten id can never run again.
            if (now() - lastPruneMs > 3600'000) {
                lastPruneMs = now();
                const int pruned = gate_.pruneSignalsBefore(lastPruneMs - options_.retentionMs);
                if (pruned > 0) log().information(std::to_string(pruned) + " signal(s) past retention forgotten");
            }
            for (auto& leg : gate_.legsInState(LegState::Unknown)) {
                if (!running_) return;
                if (leg.nextCheckMs <= now()) resolve(leg);
            }
        } catch (const std::exception& e) {
            fail(std::string("resolver: ") + e.what());
            return;
        }
        std::unique_lock<std::mutex> lock(mutex_);
        wakeTail_.wait_for(lock, std::chrono::milliseconds(options_.pollMs), [&] { return !running_; });
    }
}

void Processor::resolve(LegRecord leg) {
    auto it = workers_.find(leg.intent.venue);
    if (it == workers_.end()) return;  // cannot happen: unrouted legs are BLOCKED before sending
    const QueryResult q = it->second->instance->queryOrder(leg.clientOrderId, leg.intent.symbol);
    TRADEHOST_CRASH_POINT("resolver.after_query");
    const std::int64_t t = now();
    if (const auto* f = std::get_if<Found>(&q)) {
        const auto delta = adoptOrder(leg, f->order, "found by query");
        record(leg,
               {legEvent("order_resolved", leg,
                         jsonObject({{"outcome", "found"},
                                     {"exchange_order_id", leg.exchangeOrderId},
                                     {"status", toString(f->order.status)},
                                     {"filled", leg.filledQuantity.toString()}}))},
               t, delta);
        return;
    }
    const bool overdue = t - leg.unknownSinceMs > options_.unresolvedAlertMs;
    if (std::holds_alternative<Unknown>(q)) {
        // Could not ask: never read as "absent". Ask again after a quarter of the time the outcome
        // has been unknown, between 1 s and 30 s: prompt after a blip, gentle through an outage.
        leg.nextCheckMs = t + std::clamp<std::int64_t>((t - leg.unknownSinceMs) / 4, 1000, 30'000);
        std::vector<EventRecord> events;
        if (overdue && leg.reason.rfind("unresolved", 0) != 0) {
            leg.reason = "unresolved: " + std::get<Unknown>(q).reason;
            events.push_back(legEvent("order_unresolved", leg, jsonObject({{"reason", leg.reason}})));
        }
        record(leg, events, t);
        return;
    }
    leg.notFoundCount += 1;
    if (leg.notFoundCount < options_.notFoundToAbsent || t - leg.unknownSinceMs < options_.settleWindowMs) {
        leg.nextCheckMs = t + 1000;
        record(leg, {}, t);
        return;
    }
    // Proven absent: repeated NotFound, past a settle window longer than the venue's own.
    leg.state = LegState::Absent;
    leg.reason = "not found " + std::to_string(leg.notFoundCount) + " times over " +
                 std::to_string((t - leg.unknownSinceMs) / 1000) + " s";
    record(leg, {legEvent("order_resolved", leg, jsonObject({{"outcome", "absent"}, {"reason", leg.reason}}))}, t);
    TRADEHOST_CRASH_POINT("resolver.after_absent_commit");
    nextAttempt(leg, t);
}

void Processor::nextAttempt(LegRecord leg, std::int64_t nowMs) {
    if (leg.attempt >= kMaxAttempt || nowMs - leg.receivedMs > options_.maxSignalAgeMs) {
        leg.state = LegState::Expired;
        leg.reason =
            leg.attempt >= kMaxAttempt ? "no attempts left" : "absent, and the signal is past max_signal_age_s";
        record(leg,
               {legEvent("order_expired", leg, jsonObject({{"reason", leg.reason}})),
                legEvent("trade_fail", leg, jsonObject({{"reason", leg.reason}}))},
               nowMs);
        return;
    }
    // Only now, with the previous attempt proven absent, may a new id be sent.
    leg.attempt += 1;
    leg.clientOrderId = idFor(leg.intent.venue, leg.signalId, static_cast<std::size_t>(leg.leg), leg.attempt);
    leg.notFoundCount = 0;
    leg.unknownSinceMs = 0;
    leg.reason = "next attempt after proven absence";
    record(leg, {}, nowMs);
    enqueue(leg);
}

void Processor::eventLoop() {
    while (running_) {
        try {
            const auto batch = gate_.eventsAfter(events_.lastId(), 500);
            if (!batch.empty()) {
                std::vector<Event> lines;
                lines.reserve(batch.size());
                for (const auto& e : batch)
                    lines.push_back({e.id, e.tsMs, e.event.event, e.event.signalId, e.event.clientOrderId,
                                     e.event.venue, e.event.dataJson});
                events_.append(lines);
                TRADEHOST_CRASH_POINT("events.after_file_append");
                continue;
            }
        } catch (const std::exception& e) {
            fail(std::string("event writer: ") + e.what());
            return;
        }
        std::unique_lock<std::mutex> lock(mutex_);
        wakeTail_.wait_for(lock, std::chrono::milliseconds(options_.pollMs), [&] { return !running_; });
    }
}

}  // namespace tradehost::host
