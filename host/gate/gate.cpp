// The idempotency gate: signals, per-leg intents and their states, expected positions, the
// event outbox and the kill switch, in one SQLite database (WAL, synchronous=FULL).
#include "gate/gate.h"

#include "events/json_text.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Statement.h>

namespace tradehost::host {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Statement;

namespace {

// Plain SQL that PostgreSQL also speaks (DESIGN.md §10): no AUTOINCREMENT, no REPLACE, ids and
// positions computed in the transaction. Decimals are TEXT: exact, never floating point.
const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS signals (signal_id TEXT PRIMARY KEY, payload TEXT NOT NULL, received_ms BIGINT NOT NULL,"
    " journal_seq BIGINT NOT NULL, leg_count INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS legs (signal_id TEXT NOT NULL, leg INTEGER NOT NULL, venue TEXT NOT NULL,"
    " symbol TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL, quantity TEXT NOT NULL, price TEXT NOT NULL,"
    " tif TEXT NOT NULL, reduce_only INTEGER NOT NULL, attempt INTEGER NOT NULL, client_order_id TEXT NOT NULL,"
    " state TEXT NOT NULL, exchange_order_id TEXT NOT NULL, filled_qty TEXT NOT NULL, avg_price TEXT NOT NULL,"
    " reason TEXT NOT NULL, received_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, unknown_since_ms BIGINT NOT NULL,"
    " next_check_ms BIGINT NOT NULL, not_found_count INTEGER NOT NULL, PRIMARY KEY (signal_id, leg))",
    // Every id ever used, for every attempt: an id maps back to exactly one leg, and two signals
    // can never share one (a digest collision is refused, not traded).
    "CREATE TABLE IF NOT EXISTS client_order_ids (client_order_id TEXT PRIMARY KEY, signal_id TEXT NOT NULL,"
    " leg INTEGER NOT NULL, attempt INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS legs_state ON legs (state)",
    "CREATE TABLE IF NOT EXISTS refused_signals (id BIGINT PRIMARY KEY, signal_id TEXT NOT NULL, payload TEXT NOT NULL,"
    " reason TEXT NOT NULL, ts_ms BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS positions (venue TEXT NOT NULL, symbol TEXT NOT NULL, position_side TEXT NOT NULL,"
    " quantity TEXT NOT NULL, PRIMARY KEY (venue, symbol, position_side))",
    "CREATE TABLE IF NOT EXISTS events (id BIGINT PRIMARY KEY, ts_ms BIGINT NOT NULL, event TEXT NOT NULL,"
    " signal_id TEXT NOT NULL, client_order_id TEXT NOT NULL, venue TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS events_venue_ts ON events (venue, event, ts_ms)",
};

std::string sideText(Side s) { return toString(s); }
std::string typeText(OrderType t) { return toString(t); }

Decimal decimalOr0(const std::string& s) {
    auto d = Decimal::parse(s);
    return d ? *d : Decimal();
}

}  // namespace

const char* toString(LegState s) {
    switch (s) {
        case LegState::Pending: return "PENDING";
        case LegState::Submitted: return "SUBMITTED";
        case LegState::Accepted: return "ACCEPTED";
        case LegState::Rejected: return "REJECTED";
        case LegState::Unknown: return "UNKNOWN";
        case LegState::Absent: return "ABSENT";
        case LegState::Blocked: return "BLOCKED";
        case LegState::Expired: return "EXPIRED";
    }
    return "?";
}

std::optional<LegState> legStateFrom(const std::string& t) {
    for (LegState s : {LegState::Pending, LegState::Submitted, LegState::Accepted, LegState::Rejected, LegState::Unknown,
                       LegState::Absent, LegState::Blocked, LegState::Expired})
        if (t == toString(s)) return s;
    return std::nullopt;
}

Gate::Gate(const std::string& path) {
    Poco::Data::SQLite::Connector::registerConnector();
    try {
        session_ = std::make_unique<Poco::Data::Session>("SQLite", path);
        // WAL keeps readers off the writer's back; FULL makes a commit survive power loss
        // (NORMAL may roll a committed "about to send" back, and the order would go twice).
        *session_ << "PRAGMA journal_mode=WAL", now;
        *session_ << "PRAGMA synchronous=FULL", now;
        *session_ << "PRAGMA busy_timeout=5000", now;
        for (const char* ddl : kSchema) *session_ << ddl, now;
    } catch (const Poco::Exception& e) {
        throw GateError("cannot open the gate database " + path + ": " + e.displayText());
    }
}

Gate::~Gate() = default;

template <class F>
auto Gate::transaction(F&& body) -> decltype(body()) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        session_->begin();
        if constexpr (std::is_void_v<decltype(body())>) {
            body();
            session_->commit();
        } else {
            auto result = body();
            session_->commit();
            return result;
        }
    } catch (const Poco::Exception& e) {
        try {
            if (session_->isTransaction()) session_->rollback();
        } catch (...) {
        }
        throw GateError("gate database: " + e.displayText());
    } catch (...) {
        try {
            if (session_->isTransaction()) session_->rollback();
        } catch (...) {
        }
        throw;
    }
}

void Gate::setMeta(const std::string& key, const std::string& value) {
    std::string k = key, v = value;
    *session_ << "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        use(k), use(v), now;
}

std::optional<std::string> Gate::meta(const std::string& key) {
    std::string k = key;
    std::vector<std::string> values;
    *session_ << "SELECT value FROM meta WHERE key = ?", use(k), into(values), now;
    if (values.empty()) return std::nullopt;
    return values.front();
}

void Gate::insertEvent(const EventRecord& e, std::int64_t nowMs) {
    Poco::Int64 next = 1;
    std::vector<Poco::Int64> maxId;
    *session_ << "SELECT COALESCE(MAX(id), 0) FROM events", into(maxId), now;
    if (!maxId.empty()) next = maxId.front() + 1;
    // Events may be pruned from the outbox after the writer copied them, so the next id also
    // never goes below the highest id ever handed out.
    if (auto hi = meta("last_event_id")) next = std::max<Poco::Int64>(next, std::stoll(*hi) + 1);
    Poco::Int64 ts = nowMs;
    std::string ev = e.event, sig = e.signalId, coid = e.clientOrderId, venue = e.venue, data = e.dataJson;
    *session_ << "INSERT INTO events (id, ts_ms, event, signal_id, client_order_id, venue, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
        use(next), use(ts), use(ev), use(sig), use(coid), use(venue), use(data), now;
    setMeta("last_event_id", std::to_string(next));
}

std::optional<std::string> Gate::payloadOf(const std::string& signalId) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        std::string id = signalId;
        std::vector<std::string> payload;
        *session_ << "SELECT payload FROM signals WHERE signal_id = ?", use(id), into(payload), now;
        if (payload.empty()) return std::nullopt;
        return payload.front();
    } catch (const Poco::Exception& e) {
        throw GateError("gate database: " + e.displayText());
    }
}

Gate::Admission Gate::admit(const Signal& signal, std::int64_t receivedMs, std::uint64_t journalSeq,
                            const std::function<std::string(std::size_t, int)>& idFor, std::int64_t oldestAcceptedMs,
                            std::int64_t nowMs) {
    return transaction([&] {
        std::string id = signal.signalId;
        std::vector<std::string> known;
        *session_ << "SELECT payload FROM signals WHERE signal_id = ?", use(id), into(known), now;
        const std::string seqText = std::to_string(journalSeq);
        const std::string data = "{\"journal_seq\":" + seqText + "}";
        if (!known.empty()) {
            setMeta("processed_seq", seqText);
            if (known.front() == signal.canonical) {
                insertEvent({"signal_duplicate", signal.signalId, "", "", data}, nowMs);
                return Admission::Duplicate;
            }
            insertEvent({"signal_rejected", signal.signalId, "", "",
                         "{\"reason\":\"same signal_id, different payload\",\"journal_seq\":" + seqText + "}"},
                        nowMs);
            return Admission::Conflict;
        }
        if (receivedMs < oldestAcceptedMs) {
            setMeta("processed_seq", seqText);
            insertEvent({"signal_rejected", signal.signalId, "", "",
                         "{\"reason\":\"older than the signal retention window\",\"journal_seq\":" + seqText + "}"},
                        nowMs);
            return Admission::TooOld;
        }
        Poco::Int64 rec = receivedMs, seq = static_cast<Poco::Int64>(journalSeq);
        int legCount = static_cast<int>(signal.legs.size());
        std::string payload = signal.canonical;
        *session_ << "INSERT INTO signals (signal_id, payload, received_ms, journal_seq, leg_count) VALUES (?, ?, ?, ?, ?)",
            use(id), use(payload), use(rec), use(seq), use(legCount), now;
        insertEvent({"signal_received", signal.signalId, "", "", "{\"legs\":" + std::to_string(legCount) + ",\"journal_seq\":" + seqText + "}"}, nowMs);
        for (std::size_t i = 0; i < signal.legs.size(); ++i) {
            const Leg& l = signal.legs[i];
            int legNo = static_cast<int>(i), attempt = 0, reduce = l.reduceOnly ? 1 : 0, zero = 0;
            std::string coid = idFor(i, 0), venue = l.venue, symbol = l.symbol, side = sideText(l.side), type = typeText(l.type),
                        qty = l.quantity.toString(), price = l.price ? l.price->toString() : "", tif = toString(l.timeInForce),
                        state = toString(LegState::Pending), empty, zeroText = "0";
            Poco::Int64 updated = nowMs, zero64 = 0;
            *session_ << "INSERT INTO client_order_ids (client_order_id, signal_id, leg, attempt) VALUES (?, ?, ?, ?)",
                use(coid), use(id), use(legNo), use(attempt), now;
            *session_ << "INSERT INTO legs (signal_id, leg, venue, symbol, side, type, quantity, price, tif, reduce_only, attempt,"
                         " client_order_id, state, exchange_order_id, filled_qty, avg_price, reason, received_ms, updated_ms,"
                         " unknown_since_ms, next_check_ms, not_found_count)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                use(id), use(legNo), use(venue), use(symbol), use(side), use(type), use(qty), use(price), use(tif), use(reduce),
                use(attempt), use(coid), use(state), use(empty), use(zeroText), use(zeroText), use(empty), use(rec), use(updated),
                use(zero64), use(zero64), use(zero), now;
        }
        setMeta("processed_seq", seqText);
        return Admission::Admitted;
    });
}

void Gate::skip(std::uint64_t journalSeq, const EventRecord& event, std::int64_t nowMs) {
    transaction([&] {
        insertEvent(event, nowMs);
        setMeta("processed_seq", std::to_string(journalSeq));
    });
}

std::uint64_t Gate::processedSeq() {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        const auto v = meta("processed_seq");
        return v ? std::stoull(*v) : 0;
    } catch (const Poco::Exception& e) {
        throw GateError("gate database: " + e.displayText());
    }
}

void Gate::update(const LegRecord& leg, const std::vector<EventRecord>& events, std::int64_t nowMs,
                  const std::optional<Decimal>& fillDelta) {
    transaction([&] {
        std::string id = leg.signalId, coid = leg.clientOrderId, state = toString(leg.state), exch = leg.exchangeOrderId,
                    filled = leg.filledQuantity.toString(), avg = leg.averagePrice.toString(), reason = leg.reason;
        int legNo = leg.leg, attempt = leg.attempt, notFound = leg.notFoundCount;
        Poco::Int64 updated = nowMs, unknownSince = leg.unknownSinceMs, nextCheck = leg.nextCheckMs;
        std::vector<std::string> existing;
        *session_ << "SELECT signal_id FROM client_order_ids WHERE client_order_id = ?", use(coid), into(existing), now;
        if (existing.empty())
            *session_ << "INSERT INTO client_order_ids (client_order_id, signal_id, leg, attempt) VALUES (?, ?, ?, ?)",
                use(coid), use(id), use(legNo), use(attempt), now;
        *session_ << "UPDATE legs SET attempt = ?, client_order_id = ?, state = ?, exchange_order_id = ?, filled_qty = ?,"
                     " avg_price = ?, reason = ?, updated_ms = ?, unknown_since_ms = ?, next_check_ms = ?, not_found_count = ?"
                     " WHERE signal_id = ? AND leg = ?",
            use(attempt), use(coid), use(state), use(exch), use(filled), use(avg), use(reason), use(updated), use(unknownSince),
            use(nextCheck), use(notFound), use(id), use(legNo), now;
        if (fillDelta && !fillDelta->isZero()) {
            std::string venue = leg.intent.venue, symbol = leg.intent.symbol, side = "BOTH";
            std::vector<std::string> current;
            *session_ << "SELECT quantity FROM positions WHERE venue = ? AND symbol = ? AND position_side = ?", use(venue),
                use(symbol), use(side), into(current), now;
            const Decimal signedDelta = leg.intent.side == Side::Buy ? *fillDelta : -*fillDelta;
            std::string q = ((current.empty() ? Decimal() : decimalOr0(current.front())) + signedDelta).toString();
            *session_ << "INSERT INTO positions (venue, symbol, position_side, quantity) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT (venue, symbol, position_side) DO UPDATE SET quantity = excluded.quantity",
                use(venue), use(symbol), use(side), use(q), now;
        }
        for (const auto& event : events) insertEvent(event, nowMs);
    });
}

std::vector<LegRecord> Gate::selectLegs(const std::string& where, const std::string& arg) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        std::string a = arg;
        Statement select(*session_);
        select << "SELECT signal_id, leg, venue, symbol, side, type, quantity, price, tif, reduce_only, attempt, client_order_id,"
                  " state, exchange_order_id, filled_qty, avg_price, reason, received_ms, updated_ms, unknown_since_ms,"
                  " next_check_ms, not_found_count,"
                  " (SELECT journal_seq FROM signals WHERE signals.signal_id = legs.signal_id) AS seq"
                  " FROM legs WHERE " + where + " ORDER BY seq, leg",
            use(a);
        select.execute();
        RecordSet rs(select);
        std::vector<LegRecord> out;
        for (std::size_t row = 0; row < rs.rowCount(); ++row) {
            auto str = [&](std::size_t col) { return rs.value(col, row).convert<std::string>(); };
            auto i64 = [&](std::size_t col) { return rs.value(col, row).convert<Poco::Int64>(); };
            LegRecord l;
            l.signalId = str(0);
            l.leg = static_cast<int>(i64(1));
            l.intent.venue = str(2);
            l.intent.symbol = str(3);
            l.intent.side = str(4) == "SELL" ? Side::Sell : Side::Buy;
            l.intent.type = str(5) == "LIMIT" ? OrderType::Limit : OrderType::Market;
            l.intent.quantity = decimalOr0(str(6));
            if (!str(7).empty()) l.intent.price = decimalOr0(str(7));
            const std::string tif = str(8);
            l.intent.timeInForce = tif == "IOC" ? TimeInForce::IOC : tif == "FOK" ? TimeInForce::FOK : tif == "GTX" ? TimeInForce::GTX : TimeInForce::GTC;
            l.intent.reduceOnly = i64(9) != 0;
            l.attempt = static_cast<int>(i64(10));
            l.clientOrderId = str(11);
            l.state = legStateFrom(str(12)).value_or(LegState::Unknown);
            l.exchangeOrderId = str(13);
            l.filledQuantity = decimalOr0(str(14));
            l.averagePrice = decimalOr0(str(15));
            l.reason = str(16);
            l.receivedMs = i64(17);
            l.updatedMs = i64(18);
            l.unknownSinceMs = i64(19);
            l.nextCheckMs = i64(20);
            l.notFoundCount = static_cast<int>(i64(21));
            l.journalSeq = static_cast<std::uint64_t>(i64(22));
            out.push_back(std::move(l));
        }
        return out;
    } catch (const Poco::Exception& e) {
        throw GateError("gate database: " + e.displayText());
    }
}

std::vector<LegRecord> Gate::legsInState(LegState state) { return selectLegs("state = ?", toString(state)); }
std::vector<LegRecord> Gate::legsOf(const std::string& signalId) { return selectLegs("signal_id = ?", signalId); }

std::optional<LegRecord> Gate::legByClientOrderId(const std::string& clientOrderId) {
    std::string signalId;
    int leg = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        try {
            std::string coid = clientOrderId;
            std::vector<std::string> sig;
            std::vector<int> legs;
            *session_ << "SELECT signal_id, leg FROM client_order_ids WHERE client_order_id = ?", use(coid), into(sig), into(legs), now;
            if (sig.empty()) return std::nullopt;
            signalId = sig.front();
            leg = legs.front();
        } catch (const Poco::Exception& e) {
            throw GateError("gate database: " + e.displayText());
        }
    }
    for (auto& l : legsOf(signalId))
        if (l.leg == leg) return l;
    return std::nullopt;
}

int Gate::markInFlightUnknown(std::int64_t nowMs) {
    std::vector<LegRecord> inFlight = legsInState(LegState::Submitted);
    for (auto& l : inFlight) {
        l.state = LegState::Unknown;
        l.reason = "in flight when the host stopped";
        l.unknownSinceMs = nowMs;
        l.nextCheckMs = nowMs;
        l.notFoundCount = 0;
        update(l, {{"order_unknown", l.signalId, l.clientOrderId, l.intent.venue, jsonObject({{"reason", l.reason}})}}, nowMs);
    }
    return static_cast<int>(inFlight.size());
}

std::map<PositionKey, Decimal> Gate::expectedPositions() {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        std::vector<std::string> venues, symbols, sides, quantities;
        *session_ << "SELECT venue, symbol, position_side, quantity FROM positions", into(venues), into(symbols), into(sides),
            into(quantities), now;
        std::map<PositionKey, Decimal> out;
        for (std::size_t i = 0; i < venues.size(); ++i) out[{venues[i], symbols[i], sides[i]}] = decimalOr0(quantities[i]);
        return out;
    } catch (const Poco::Exception& e) {
        throw GateError("gate database: " + e.displayText());
    }
}

bool Gate::paused() {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        return meta("paused").value_or("0") == "1";
    } catch (const Poco::Exception& e) {
        throw GateError("gate database: " + e.displayText());
    }
}

void Gate::setPaused(bool paused, const std::string& by, std::int64_t nowMs) {
    transaction([&] {
        setMeta("paused", paused ? "1" : "0");
        insertEvent({paused ? "trading_paused" : "trading_resumed", "", "", "", jsonObject({{"by", by}})}, nowMs);
    });
}

std::vector<StoredEvent> Gate::eventsAfter(std::uint64_t id, std::size_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        Poco::Int64 after = static_cast<Poco::Int64>(id), lim = static_cast<Poco::Int64>(limit);
        std::vector<Poco::Int64> ids, ts;
        std::vector<std::string> ev, sig, coid, venue, data;
        *session_ << "SELECT id, ts_ms, event, signal_id, client_order_id, venue, data FROM events WHERE id > ? ORDER BY id LIMIT ?",
            use(after), use(lim), into(ids), into(ts), into(ev), into(sig), into(coid), into(venue), into(data), now;
        std::vector<StoredEvent> out;
        for (std::size_t i = 0; i < ids.size(); ++i)
            out.push_back({static_cast<std::uint64_t>(ids[i]), ts[i], {ev[i], sig[i], coid[i], venue[i], data[i]}});
        return out;
    } catch (const Poco::Exception& e) {
        throw GateError("gate database: " + e.displayText());
    }
}

std::int64_t Gate::countEvents(const std::string& event, const std::string& venue, std::int64_t sinceMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
        std::string e = event, v = venue;
        Poco::Int64 since = sinceMs;
        std::vector<Poco::Int64> count;
        *session_ << "SELECT COUNT(*) FROM events WHERE event = ? AND venue = ? AND ts_ms > ?", use(e), use(v), use(since),
            into(count), now;
        return count.empty() ? 0 : count.front();
    } catch (const Poco::Exception& ex) {
        throw GateError("gate database: " + ex.displayText());
    }
}

void Gate::recordEvent(const EventRecord& event, std::int64_t nowMs) {
    transaction([&] { insertEvent(event, nowMs); });
}

int Gate::pruneSignalsBefore(std::int64_t beforeMs) {
    return transaction([&] {
        Poco::Int64 before = beforeMs;
        std::vector<std::string> ids;
        // Only signals whose every leg is terminal: an unresolved leg keeps its signal alive.
        *session_ << "SELECT signal_id FROM signals WHERE received_ms < ? AND NOT EXISTS (SELECT 1 FROM legs WHERE"
                     " legs.signal_id = signals.signal_id AND legs.state NOT IN ('ACCEPTED', 'REJECTED', 'BLOCKED', 'EXPIRED'))",
            use(before), into(ids), now;
        for (auto& id : ids) {
            *session_ << "DELETE FROM client_order_ids WHERE signal_id = ?", use(id), now;
            *session_ << "DELETE FROM legs WHERE signal_id = ?", use(id), now;
            *session_ << "DELETE FROM signals WHERE signal_id = ?", use(id), now;
        }
        return static_cast<int>(ids.size());
    });
}

std::string Gate::integrityCheck() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> rows;
    *session_ << "PRAGMA integrity_check", into(rows), now;
    std::string out;
    for (const auto& r : rows) out += (out.empty() ? "" : "; ") + r;
    return out;
}

}  // namespace tradehost::host
