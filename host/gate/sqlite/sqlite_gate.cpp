// The SQLite gate: one host's state in one file (WAL, synchronous=FULL but for admission), behind
// the gate interfaces.
#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

#include "alerts/alert_json.h"
#include "gate/gate.h"
#include "gate/gate_rules.h"
#include "gate/sqlite/sqlite_connection.h"

namespace tradehost::host {
namespace {

constexpr int kSchemaVersion = 2;

// Decimals are TEXT (exact); times are epoch milliseconds. SQLite-only SQL (AUTOINCREMENT, partial
// behaviour of ON CONFLICT, pragmas) stays in this file; the PostgreSQL gate will have its own.
const char* const kSchema[] = {
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS signals (signal_id TEXT PRIMARY KEY, payload TEXT NOT NULL, received_ms INTEGER NOT "
    "NULL,"
    " journal_seq INTEGER NOT NULL, leg_count INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS signals_received ON signals (received_ms)",
    "CREATE TABLE IF NOT EXISTS legs (signal_id TEXT NOT NULL, leg INTEGER NOT NULL, owner TEXT NOT NULL,"
    " venue TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL, quantity TEXT NOT NULL,"
    " price TEXT NOT NULL, tif TEXT NOT NULL, reduce_only INTEGER NOT NULL, position_side TEXT NOT NULL,"
    " book_side TEXT NOT NULL, attempt INTEGER NOT NULL, client_order_id TEXT NOT NULL, state TEXT NOT NULL,"
    " exchange_order_id TEXT NOT NULL, filled_qty TEXT NOT NULL, avg_price TEXT NOT NULL, reason TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL, journal_seq INTEGER NOT NULL, updated_ms INTEGER NOT NULL, sent_ms INTEGER NOT "
    "NULL,"
    " unknown_since_ms INTEGER NOT NULL, next_check_ms INTEGER NOT NULL, not_found_count INTEGER NOT NULL,"
    " PRIMARY KEY (signal_id, leg))",
    "CREATE INDEX IF NOT EXISTS legs_owner_state ON legs (owner, state)",
    "CREATE INDEX IF NOT EXISTS legs_venue_sent ON legs (venue, sent_ms)",
    // Every id ever used, for every attempt: an id maps back to exactly one leg, and two legs can
    // never share one (the later one is blocked, not traded).
    "CREATE TABLE IF NOT EXISTS client_order_ids (client_order_id TEXT PRIMARY KEY, signal_id TEXT NOT NULL,"
    " leg INTEGER NOT NULL, attempt INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS client_order_ids_signal ON client_order_ids (signal_id)",
    "CREATE TABLE IF NOT EXISTS positions (venue TEXT NOT NULL, symbol TEXT NOT NULL, position_side TEXT NOT NULL,"
    " fills TEXT NOT NULL, adjustment TEXT NOT NULL, baseline_by TEXT NOT NULL, baseline_why TEXT NOT NULL,"
    " baseline_ms INTEGER NOT NULL, PRIMARY KEY (venue, symbol, position_side))",
    // AUTOINCREMENT: ids are never reused, even after the newest events were pruned.
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL,"
    " event TEXT NOT NULL, signal_id TEXT NOT NULL, client_order_id TEXT NOT NULL, venue TEXT NOT NULL,"
    " data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS outbox_cursors (name TEXT PRIMARY KEY, position INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS kill_switch (id INTEGER PRIMARY KEY CHECK (id = 1), paused INTEGER NOT NULL,"
    " by_who TEXT NOT NULL, why TEXT NOT NULL, since_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS symbol_pauses (venue TEXT NOT NULL, symbol TEXT NOT NULL, by_who TEXT NOT NULL,"
    " why TEXT NOT NULL, since_ms INTEGER NOT NULL, PRIMARY KEY (venue, symbol))",
    // The reconciler's latest reading of each venue (replaced whole at every successful check).
    "CREATE TABLE IF NOT EXISTS venue_positions (venue TEXT NOT NULL, symbol TEXT NOT NULL,"
    " position_side TEXT NOT NULL, quantity TEXT NOT NULL, mark_price TEXT NOT NULL, checked_ms INTEGER NOT NULL,"
    " PRIMARY KEY (venue, symbol, position_side))",
    "CREATE TABLE IF NOT EXISTS venue_checks (venue TEXT PRIMARY KEY, checked_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS cancel_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, signal_id TEXT NOT NULL,"
    " leg INTEGER NOT NULL, venue TEXT NOT NULL, by_who TEXT NOT NULL, why TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    " closed_ms INTEGER NOT NULL, outcome TEXT NOT NULL)",
    // The alert router's outbox: an alert once, and a delivery row per sink it goes to (gone when
    // delivered; kept with state 'failed' and the reason when the sink refused it for good).
    "CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL,"
    " raised_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS alert_deliveries (alert_id INTEGER NOT NULL, sink TEXT NOT NULL,"
    " state TEXT NOT NULL, attempts INTEGER NOT NULL, not_before_ms INTEGER NOT NULL, last_error TEXT NOT NULL,"
    " closed_ms INTEGER NOT NULL, PRIMARY KEY (sink, alert_id))",
};

#define LEG_COLUMNS                                                                                               \
    "signal_id, leg, owner, venue, symbol, side, type, quantity, price, tif, reduce_only, position_side, "        \
    "book_side, attempt, client_order_id, state, exchange_order_id, filled_qty, avg_price, reason, received_ms, " \
    "journal_seq, updated_ms, sent_ms, unknown_since_ms, next_check_ms, not_found_count"

Decimal decimalOr0(const std::string& s) { return Decimal::parse(s).value_or(Decimal()); }

TimeInForce tifFrom(const std::string& t) {
    return t == "IOC"   ? TimeInForce::IOC
           : t == "FOK" ? TimeInForce::FOK
           : t == "GTX" ? TimeInForce::GTX
                        : TimeInForce::GTC;
}

LegRecord readLeg(const SqliteQuery& q) {
    LegRecord l;
    l.signalId = q.text(0);
    l.leg = static_cast<int>(q.int64(1));
    l.owner = q.text(2);
    l.intent.venue = q.text(3);
    l.intent.symbol = q.text(4);
    l.intent.side = q.text(5) == "SELL" ? Side::Sell : Side::Buy;
    l.intent.type = q.text(6) == "LIMIT" ? OrderType::Limit : OrderType::Market;
    l.intent.quantity = decimalOr0(q.text(7));
    if (const std::string price = q.text(8); !price.empty()) l.intent.price = decimalOr0(price);
    l.intent.timeInForce = tifFrom(q.text(9));
    l.intent.reduceOnly = q.int64(10) != 0;
    l.intent.positionSide = positionSideFrom(q.text(11)).value_or(PositionSide::Both);
    l.bookSide = positionSideFrom(q.text(12)).value_or(PositionSide::Both);
    l.attempt = static_cast<int>(q.int64(13));
    l.clientOrderId = q.text(14);
    // A state this version does not know cannot be acted on safely: UNKNOWN sends it to the
    // resolver, which only asks the venue.
    l.state = legStateFrom(q.text(15)).value_or(LegState::Unknown);
    l.exchangeOrderId = q.text(16);
    l.filledQuantity = decimalOr0(q.text(17));
    l.averagePrice = decimalOr0(q.text(18));
    l.reason = q.text(19);
    l.receivedMs = q.int64(20);
    l.journalSeq = static_cast<std::uint64_t>(q.int64(21));
    l.updatedMs = q.int64(22);
    l.sentMs = q.int64(23);
    l.unknownSinceMs = q.int64(24);
    l.nextCheckMs = q.int64(25);
    l.notFoundCount = static_cast<int>(q.int64(26));
    return l;
}

// Read-only connections for lookups: WAL readers see the last commit and never wait for the writer.
class ReadPool {
public:
    ReadPool(const std::string& path, int size, int busyTimeoutMs) {
        for (int i = 0; i < std::max(1, size); ++i) {
            auto c = std::make_unique<SqliteConnection>(path, busyTimeoutMs);
            c->exec("PRAGMA query_only=1");
            c->exec("PRAGMA cache_size=-1024");  // 1 MiB each: the writer holds the big cache
            idle_.push_back(std::move(c));
        }
    }

    template <class F>
    auto with(F&& body) -> decltype(body(std::declval<SqliteConnection&>())) {
        std::unique_ptr<SqliteConnection> c;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            freed_.wait(lock, [&] { return !idle_.empty(); });
            c = std::move(idle_.back());
            idle_.pop_back();
        }
        struct Return {
            ReadPool& pool;
            std::unique_ptr<SqliteConnection>& c;
            ~Return() {
                {
                    std::lock_guard<std::mutex> lock(pool.mutex_);
                    pool.idle_.push_back(std::move(c));
                }
                pool.freed_.notify_one();
            }
        } giveBack{*this, c};
        return body(*c);
    }

private:
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<SqliteConnection>> idle_;
};

class SqliteGate final : public Gate {
public:
    SqliteGate(const std::string& path, const SqliteGateOptions& options)
        : path_(path), writer_(path, options.busyTimeoutMs) {
        // WAL keeps readers off the writer's back; FULL makes a commit survive power loss (NORMAL
        // may roll a committed "about to send" back, and the order would go twice). Admission
        // alone commits Deferred: its input is already durable in the journal.
        writer_.exec("PRAGMA journal_mode=WAL");
        writer_.exec("PRAGMA synchronous=FULL");
        writer_.exec("PRAGMA journal_size_limit=67108864");  // the WAL shrinks back after a checkpoint
        writer_.transaction([&] {
            const bool v1 = tableHasColumn("legs", "tif") && !tableHasColumn("legs", "owner");
            if (v1) migrateFromV1();
            for (const char* ddl : kSchema) writer_.exec(ddl);
            setMeta("schema_version", std::to_string(kSchemaVersion));
        });
        readers_ = std::make_unique<ReadPool>(path, options.readConnections, options.busyTimeoutMs);
    }

    // ---- SignalAdmission ----
    std::vector<AdmissionResult> admit(const std::vector<AdmissionRequest>& batch, const std::string& owner,
                                       std::int64_t oldestAcceptedMs, std::int64_t nowMs) override {
        if (batch.empty()) return {};
        std::lock_guard<std::mutex> lock(writeMutex_);
        // Deferred: the journal is the durable record of these signals, and what the gate does
        // with them outside itself waits for a sync (see SignalAdmission).
        return writer_.transaction(
            [&] {
                std::vector<AdmissionResult> results;
                results.reserve(batch.size());
                for (const auto& r : batch) results.push_back(admitOne(r, owner, oldestAcceptedMs, nowMs));
                setMeta("processed_seq", std::to_string(batch.back().journalSeq));
                return results;
            },
            Commit::Deferred);
    }

    std::uint64_t processedSeq() override {
        const std::uint64_t seq = readers_->with([&](SqliteConnection& c) -> std::uint64_t {
            auto q = c.query("SELECT value FROM meta WHERE key = 'processed_seq'");
            return q.step() ? std::stoull(q.text(0)) : 0;
        });
        syncDeferred();  // read, then synced: the position returned survives a power loss
        return seq;
    }

    std::size_t forgetSignalsBefore(std::int64_t beforeMs) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        return writer_.transaction([&] {
            std::vector<std::string> ids;
            {
                // Only signals whose every leg is final: an unsettled leg keeps its signal alive.
                auto q = writer_.query(
                    "SELECT signal_id FROM signals WHERE received_ms < ? AND NOT EXISTS (SELECT 1 FROM legs WHERE"
                    " legs.signal_id = signals.signal_id AND legs.state NOT IN"
                    " ('ACCEPTED', 'REJECTED', 'BLOCKED', 'EXPIRED', 'CANCELLED')) LIMIT 10000");
                q.bind(1, beforeMs);
                while (q.step()) ids.push_back(q.text(0));
            }
            for (const auto& id : ids) {
                writer_.query("DELETE FROM client_order_ids WHERE signal_id = ?").bind(1, id).run();
                writer_.query("DELETE FROM legs WHERE signal_id = ?").bind(1, id).run();
                writer_.query("DELETE FROM signals WHERE signal_id = ?").bind(1, id).run();
            }
            return ids.size();
        });
    }

    // ---- SignalLookup ----
    std::optional<std::string> payloadOf(const std::string& signalId) override {
        return readers_->with([&](SqliteConnection& c) -> std::optional<std::string> {
            auto q = c.query("SELECT payload FROM signals WHERE signal_id = ?");
            q.bind(1, signalId);
            if (!q.step()) return std::nullopt;
            return q.text(0);
        });
    }

    // ---- LegStore ----
    std::vector<ChangeResult> apply(const std::vector<LegChange>& changes, std::int64_t nowMs) override {
        if (changes.empty()) return {};
        std::lock_guard<std::mutex> lock(writeMutex_);
        return writer_.transaction([&] {
            std::vector<ChangeResult> results;
            results.reserve(changes.size());
            for (const auto& c : changes) results.push_back(applyOne(c, nowMs));
            return results;
        });
    }

    std::optional<LegRecord> leg(const LegKey& key) override {
        return readers_->with([&](SqliteConnection& c) -> std::optional<LegRecord> {
            auto q = c.query("SELECT " LEG_COLUMNS " FROM legs WHERE signal_id = ? AND leg = ?");
            q.bind(1, key.signalId).bind(2, key.leg);
            if (!q.step()) return std::nullopt;
            return readLeg(q);
        });
    }

    std::vector<LegRecord> legsIn(const std::vector<LegState>& states, const std::string& owner) override {
        if (states.empty()) return {};
        return readers_->with([&](SqliteConnection& c) {
            auto q = c.query("SELECT " LEG_COLUMNS
                             " FROM legs WHERE owner = ? AND state IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                             " ORDER BY journal_seq, leg");
            q.bind(1, owner);
            for (int i = 0; i < 10; ++i)
                q.bind(2 + i, toString(states[std::min<std::size_t>(static_cast<std::size_t>(i), states.size() - 1)]));
            std::vector<LegRecord> out;
            while (q.step()) out.push_back(readLeg(q));
            return out;
        });
    }

    std::vector<LegRecord> legsOf(const std::string& signalId) override {
        return readers_->with([&](SqliteConnection& c) {
            auto q = c.query("SELECT " LEG_COLUMNS " FROM legs WHERE signal_id = ? ORDER BY leg");
            q.bind(1, signalId);
            std::vector<LegRecord> out;
            while (q.step()) out.push_back(readLeg(q));
            return out;
        });
    }

    std::optional<LegRecord> legByClientOrderId(const std::string& clientOrderId) override {
        return readers_->with([&](SqliteConnection& c) -> std::optional<LegRecord> {
            auto q = c.query("SELECT " LEG_COLUMNS
                             " FROM legs WHERE (signal_id, leg) IN"
                             " (SELECT signal_id, leg FROM client_order_ids WHERE client_order_id = ?)");
            q.bind(1, clientOrderId);
            if (!q.step()) return std::nullopt;
            return readLeg(q);
        });
    }

    std::vector<std::int64_t> sentTimes(const std::string& venue, std::int64_t sinceMs) override {
        return readers_->with([&](SqliteConnection& c) {
            auto q = c.query("SELECT sent_ms FROM legs WHERE venue = ? AND sent_ms > ? ORDER BY sent_ms");
            q.bind(1, venue).bind(2, sinceMs);
            std::vector<std::int64_t> out;
            while (q.step()) out.push_back(q.int64(0));
            return out;
        });
    }

    std::optional<LegRecord> lastFilled(const std::string& venue, const std::string& symbol) override {
        return readers_->with([&](SqliteConnection& c) -> std::optional<LegRecord> {
            // The index on (venue, sent_ms) bounds the walk; among those, the fill booked last.
            auto q = c.query("SELECT " LEG_COLUMNS
                             " FROM legs WHERE venue = ? AND sent_ms > 0 AND symbol = ? ORDER BY sent_ms DESC"
                             " LIMIT 500");
            q.bind(1, venue).bind(2, symbol);
            std::optional<LegRecord> last;
            while (q.step()) {
                LegRecord l = readLeg(q);
                if (!l.filledQuantity.isZero() && (!last || l.updatedMs > last->updatedMs)) last = std::move(l);
            }
            return last;
        });
    }

    // ---- EventOutbox ----
    void append(const std::vector<EventRecord>& events, std::int64_t nowMs) override {
        if (events.empty()) return;
        std::lock_guard<std::mutex> lock(writeMutex_);
        writer_.transaction([&] {
            for (const auto& e : events) insertEvent(e, nowMs);
        });
    }

    std::vector<StoredEvent> readAfter(std::uint64_t afterId, std::size_t limit) override {
        auto events = readers_->with([&](SqliteConnection& c) {
            auto q = c.query(
                "SELECT id, ts_ms, event, signal_id, client_order_id, venue, data FROM events WHERE id > ?"
                " ORDER BY id LIMIT ?");
            q.bind(1, afterId).bind(2, static_cast<std::int64_t>(limit));
            std::vector<StoredEvent> out;
            while (q.step())
                out.push_back({static_cast<std::uint64_t>(q.int64(0)),
                               q.int64(1),
                               {q.text(2), q.text(3), q.text(4), q.text(5), q.text(6)}});
            return out;
        });
        if (!events.empty()) syncDeferred();  // never hand out an event a power loss could undo
        return events;
    }

    std::uint64_t lastEventId() override {
        return readers_->with([&](SqliteConnection& c) -> std::uint64_t {
            auto q = c.query("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
            return q.step() ? static_cast<std::uint64_t>(q.int64(0)) : 0;
        });
    }

    std::uint64_t openCursor(const std::string& name, std::uint64_t startAfter) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        return writer_.transaction([&] {
            writer_.query("INSERT INTO outbox_cursors (name, position) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
                .bind(1, name)
                .bind(2, startAfter)
                .run();
            auto q = writer_.query("SELECT position FROM outbox_cursors WHERE name = ?");
            q.bind(1, name);
            q.step();
            return static_cast<std::uint64_t>(q.int64(0));
        });
    }

    void advanceCursor(const std::string& name, std::uint64_t position) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        writer_.transaction([&] {
            writer_.query("UPDATE outbox_cursors SET position = ? WHERE name = ? AND position < ?")
                .bind(1, position)
                .bind(2, name)
                .bind(3, position)
                .run();
        });
    }

    std::map<std::string, std::uint64_t> cursors() override {
        return readers_->with([&](SqliteConnection& c) {
            auto q = c.query("SELECT name, position FROM outbox_cursors");
            std::map<std::string, std::uint64_t> out;
            while (q.step()) out[q.text(0)] = static_cast<std::uint64_t>(q.int64(1));
            return out;
        });
    }

    std::size_t pruneConsumed() override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        return writer_.transaction([&]() -> std::size_t {
            auto q = writer_.query("SELECT COUNT(*), MIN(position) FROM outbox_cursors");
            q.step();
            if (q.int64(0) == 0) return 0;
            const std::int64_t slowest = q.int64(1);
            writer_.query("DELETE FROM events WHERE id <= ?").bind(1, slowest).run();
            return static_cast<std::size_t>(writer_.changes());
        });
    }

    // ---- PositionBook ----
    std::vector<ExpectedPosition> expectedPositions() override {
        return readers_->with([&](SqliteConnection& c) {
            auto q = c.query(
                "SELECT venue, symbol, position_side, fills, adjustment, baseline_by, baseline_why, baseline_ms"
                " FROM positions ORDER BY venue, symbol, position_side");
            std::vector<ExpectedPosition> out;
            while (q.step()) {
                ExpectedPosition p;
                p.key = {q.text(0), q.text(1), positionSideFrom(q.text(2)).value_or(PositionSide::Both)};
                p.fills = decimalOr0(q.text(3));
                p.adjustment = decimalOr0(q.text(4));
                p.baselineBy = {q.text(5), q.text(6)};
                p.baselineMs = q.int64(7);
                out.push_back(std::move(p));
            }
            return out;
        });
    }

    void setBaseline(const PositionKey& key, const Decimal& quantity, const Actor& by, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        writer_.transaction([&] {
            ExpectedPosition p = position(key);
            const Decimal before = p.quantity();
            p.adjustment = quantity - p.fills;
            p.baselineBy = by;
            p.baselineMs = nowMs;
            storePosition(p);
            insertEvent(gate_rules::baselineEvent(key, before, quantity, by), nowMs);
        });
    }

    void recordVenuePositions(const std::string& venue, const std::vector<VenuePosition>& positions,
                              std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        writer_.transaction([&] {
            writer_.query("DELETE FROM venue_positions WHERE venue = ?").bind(1, venue).run();
            for (const auto& p : positions)
                writer_
                    .query(
                        "INSERT INTO venue_positions (venue, symbol, position_side, quantity, mark_price, checked_ms)"
                        " VALUES (?, ?, ?, ?, ?, ?)")
                    .bind(1, venue)
                    .bind(2, p.key.symbol)
                    .bind(3, toString(p.key.side))
                    .bind(4, p.quantity.toString())
                    .bind(5, p.markPrice ? p.markPrice->toString() : std::string())
                    .bind(6, nowMs)
                    .run();
            writer_
                .query(
                    "INSERT INTO venue_checks (venue, checked_ms) VALUES (?, ?) ON CONFLICT (venue) DO UPDATE"
                    " SET checked_ms = excluded.checked_ms")
                .bind(1, venue)
                .bind(2, nowMs)
                .run();
        });
    }

    std::vector<VenuePosition> venuePositions() override {
        return readers_->with([&](SqliteConnection& c) {
            auto q = c.query(
                "SELECT venue, symbol, position_side, quantity, mark_price, checked_ms FROM venue_positions"
                " ORDER BY venue, symbol, position_side");
            std::vector<VenuePosition> out;
            while (q.step()) {
                VenuePosition p;
                p.key = {q.text(0), q.text(1), positionSideFrom(q.text(2)).value_or(PositionSide::Both)};
                p.quantity = decimalOr0(q.text(3));
                p.markPrice = Decimal::parse(q.text(4));
                p.checkedMs = q.int64(5);
                out.push_back(std::move(p));
            }
            return out;
        });
    }

    std::int64_t venueCheckedMs(const std::string& venue) override {
        return readers_->with([&](SqliteConnection& c) -> std::int64_t {
            auto q = c.query("SELECT checked_ms FROM venue_checks WHERE venue = ?");
            q.bind(1, venue);
            return q.step() ? q.int64(0) : 0;
        });
    }

    // ---- ControlState ----
    std::vector<SymbolPause> pausedSymbols() override {
        return readers_->with([&](SqliteConnection& c) {
            auto q = c.query("SELECT venue, symbol, by_who, why, since_ms FROM symbol_pauses ORDER BY venue, symbol");
            std::vector<SymbolPause> out;
            while (q.step()) out.push_back({q.text(0), q.text(1), {q.text(2), q.text(3)}, q.int64(4)});
            return out;
        });
    }

    bool setSymbolPaused(const std::string& venue, const std::string& symbol, bool paused, const Actor& by,
                         std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        return writer_.transaction([&] {
            if (paused)
                writer_
                    .query(
                        "INSERT INTO symbol_pauses (venue, symbol, by_who, why, since_ms) VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT (venue, symbol) DO NOTHING")
                    .bind(1, venue)
                    .bind(2, symbol)
                    .bind(3, by.who)
                    .bind(4, by.why)
                    .bind(5, nowMs)
                    .run();
            else
                writer_.query("DELETE FROM symbol_pauses WHERE venue = ? AND symbol = ?")
                    .bind(1, venue)
                    .bind(2, symbol)
                    .run();
            if (writer_.changes() == 0) return false;
            insertEvent(gate_rules::symbolPauseEvent(venue, symbol, paused, by), nowMs);
            return true;
        });
    }

    KillSwitch killSwitch() override {
        return readers_->with([&](SqliteConnection& c) {
            auto q = c.query("SELECT paused, by_who, why, since_ms FROM kill_switch WHERE id = 1");
            KillSwitch k;
            if (q.step()) k = {q.int64(0) != 0, {q.text(1), q.text(2)}, q.int64(3)};
            return k;
        });
    }

    void setKillSwitch(bool paused, const Actor& by, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        writer_.transaction([&] {
            writer_
                .query(
                    "INSERT INTO kill_switch (id, paused, by_who, why, since_ms) VALUES (1, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET paused = excluded.paused, by_who = excluded.by_who,"
                    " why = excluded.why, since_ms = excluded.since_ms")
                .bind(1, paused ? 1 : 0)
                .bind(2, by.who)
                .bind(3, by.why)
                .bind(4, nowMs)
                .run();
            insertEvent(gate_rules::killSwitchEvent(paused, by), nowMs);
        });
    }

    std::optional<std::uint64_t> requestCancel(const LegKey& key, const Actor& by, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        return writer_.transaction([&]() -> std::optional<std::uint64_t> {
            std::optional<LegRecord> leg;
            {
                auto q = writer_.query("SELECT " LEG_COLUMNS " FROM legs WHERE signal_id = ? AND leg = ?");
                q.bind(1, key.signalId).bind(2, key.leg);
                if (q.step()) leg = readLeg(q);
            }
            if (!leg) return std::nullopt;
            writer_
                .query(
                    "INSERT INTO cancel_requests (signal_id, leg, venue, by_who, why, at_ms, closed_ms, outcome)"
                    " VALUES (?, ?, ?, ?, ?, ?, 0, '')")
                .bind(1, key.signalId)
                .bind(2, key.leg)
                .bind(3, leg->intent.venue)
                .bind(4, by.who)
                .bind(5, by.why)
                .bind(6, nowMs)
                .run();
            const auto id = static_cast<std::uint64_t>(writer_.lastInsertRowId());
            insertEvent(gate_rules::cancelRequestedEvent(*leg, id, by), nowMs);
            return id;
        });
    }

    std::vector<CancelRequest> openCancelRequests(const std::string& venue) override {
        return readers_->with([&](SqliteConnection& c) {
            auto q = c.query(
                "SELECT id, signal_id, leg, venue, by_who, why, at_ms FROM cancel_requests"
                " WHERE closed_ms = 0 AND venue = ? ORDER BY id");
            q.bind(1, venue);
            std::vector<CancelRequest> out;
            while (q.step())
                out.push_back({static_cast<std::uint64_t>(q.int64(0)),
                               {q.text(1), static_cast<int>(q.int64(2))},
                               q.text(3),
                               {q.text(4), q.text(5)},
                               q.int64(6)});
            return out;
        });
    }

    void closeCancelRequest(std::uint64_t id, const std::string& outcome, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        writer_.transaction([&] {
            CancelRequest r;
            std::string clientOrderId;
            {
                auto q = writer_.query(
                    "SELECT c.signal_id, c.leg, c.venue, c.by_who, c.why, c.at_ms, COALESCE(l.client_order_id, '')"
                    " FROM cancel_requests c LEFT JOIN legs l ON l.signal_id = c.signal_id AND l.leg = c.leg"
                    " WHERE c.id = ? AND c.closed_ms = 0");
                q.bind(1, id);
                if (!q.step()) return;  // unknown, or closed already
                r = {id, {q.text(0), static_cast<int>(q.int64(1))}, q.text(2), {q.text(3), q.text(4)}, q.int64(5)};
                clientOrderId = q.text(6);
            }
            writer_.query("UPDATE cancel_requests SET closed_ms = ?, outcome = ? WHERE id = ?")
                .bind(1, std::max<std::int64_t>(nowMs, 1))
                .bind(2, outcome)
                .bind(3, id)
                .run();
            insertEvent(gate_rules::cancelClosedEvent(r, clientOrderId, outcome), nowMs);
        });
    }

    // Makes deferred admissions durable before anything outside the gate acts on them.
    void syncDeferred() {
        std::lock_guard<std::mutex> lock(writeMutex_);
        writer_.syncDeferred();
    }

    // ---- AlertOutbox ----
    std::uint64_t enqueueAlert(const Alert& alert, const std::vector<std::string>& sinks, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        return writer_.transaction([&] {
            writer_.query("INSERT INTO alerts (body, raised_ms) VALUES ('', ?)").bind(1, nowMs).run();
            auto last = writer_.query("SELECT last_insert_rowid()");
            last.step();
            const auto id = static_cast<std::uint64_t>(last.int64(0));
            Alert stored = alert;
            stored.id = std::to_string(id);
            writer_.query("UPDATE alerts SET body = ? WHERE id = ?").bind(1, alertToJson(stored)).bind(2, id).run();
            for (const auto& sink : sinks)
                writer_
                    .query(
                        "INSERT INTO alert_deliveries (alert_id, sink, state, attempts, not_before_ms, last_error,"
                        " closed_ms) VALUES (?, ?, 'pending', 0, 0, '', 0)")
                    .bind(1, id)
                    .bind(2, sink)
                    .run();
            return id;
        });
    }

    std::optional<PendingAlert> nextAlert(const std::string& sink) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        auto q = writer_.query(
            "SELECT d.alert_id, a.body, d.attempts, d.not_before_ms, d.last_error FROM alert_deliveries d"
            " JOIN alerts a ON a.id = d.alert_id WHERE d.sink = ? AND d.state = 'pending' ORDER BY d.alert_id LIMIT 1");
        q.bind(1, sink);
        if (!q.step()) return std::nullopt;
        return pendingFrom(q, sink);
    }

    void alertDelivered(const std::string& sink, std::uint64_t id, std::int64_t) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        writer_.transaction([&] {
            writer_.query("DELETE FROM alert_deliveries WHERE sink = ? AND alert_id = ? AND state = 'pending'")
                .bind(1, sink)
                .bind(2, id)
                .run();
            forgetAlertIfDone(id);
        });
    }

    void alertRetry(const std::string& sink, std::uint64_t id, std::int64_t notBeforeMs,
                    const std::string& reason) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        writer_.transaction([&] {
            writer_
                .query(
                    "UPDATE alert_deliveries SET attempts = attempts + 1, not_before_ms = ?, last_error = ?"
                    " WHERE sink = ? AND alert_id = ? AND state = 'pending'")
                .bind(1, notBeforeMs)
                .bind(2, reason)
                .bind(3, sink)
                .bind(4, id)
                .run();
        });
    }

    void alertFailed(const std::string& sink, std::uint64_t id, const std::string& reason,
                     std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        writer_.transaction([&] {
            writer_
                .query(
                    "UPDATE alert_deliveries SET state = 'failed', attempts = attempts + 1, last_error = ?,"
                    " closed_ms = ? WHERE sink = ? AND alert_id = ? AND state = 'pending'")
                .bind(1, reason)
                .bind(2, nowMs)
                .bind(3, sink)
                .bind(4, id)
                .run();
        });
    }

    std::map<std::string, std::size_t> alertBacklog() override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        std::map<std::string, std::size_t> out;
        auto q = writer_.query("SELECT sink, COUNT(*) FROM alert_deliveries WHERE state = 'pending' GROUP BY sink");
        while (q.step()) out[q.text(0)] = static_cast<std::size_t>(q.int64(1));
        return out;
    }

    std::vector<std::pair<PendingAlert, std::string>> failedAlerts(const std::string& sink,
                                                                   std::size_t limit) override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        std::vector<std::pair<PendingAlert, std::string>> out;
        auto q = writer_.query(
            "SELECT d.alert_id, a.body, d.attempts, d.not_before_ms, d.last_error FROM alert_deliveries d"
            " JOIN alerts a ON a.id = d.alert_id WHERE d.sink = ? AND d.state = 'failed'"
            " ORDER BY d.alert_id DESC LIMIT ?");
        q.bind(1, sink).bind(2, static_cast<std::int64_t>(limit));
        while (q.step()) {
            PendingAlert p = pendingFrom(q, sink);
            std::string reason = p.lastError;
            out.emplace_back(std::move(p), std::move(reason));
        }
        return out;
    }

    std::string integrityCheck() override {
        std::lock_guard<std::mutex> lock(writeMutex_);
        std::string out;
        auto q = writer_.query("PRAGMA integrity_check");
        while (q.step()) out += (out.empty() ? "" : "; ") + q.text(0);
        return out;
    }

private:
    AdmissionResult admitOne(const AdmissionRequest& r, const std::string& owner, std::int64_t oldestAcceptedMs,
                             std::int64_t nowMs) {
        AdmissionResult result;
        if (!r.signal) {
            insertEvent(r.skipEvent, nowMs);
            result.outcome = Admission::Skipped;
            return result;
        }
        const Signal& s = *r.signal;
        {
            auto q = writer_.query("SELECT payload FROM signals WHERE signal_id = ?");
            q.bind(1, s.signalId);
            if (q.step()) {
                const bool same = q.text(0) == s.canonical;
                insertEvent(same ? gate_rules::duplicateEvent(r) : gate_rules::conflictEvent(r), nowMs);
                result.outcome = same ? Admission::Duplicate : Admission::Conflict;
                return result;
            }
        }
        if (r.receivedMs < oldestAcceptedMs) {
            insertEvent(gate_rules::tooOldEvent(r), nowMs);
            result.outcome = Admission::TooOld;
            return result;
        }
        writer_
            .query(
                "INSERT INTO signals (signal_id, payload, received_ms, journal_seq, leg_count) VALUES (?, ?, ?, ?, ?)")
            .bind(1, s.signalId)
            .bind(2, s.canonical)
            .bind(3, r.receivedMs)
            .bind(4, r.journalSeq)
            .bind(5, static_cast<std::int64_t>(s.legs.size()))
            .run();
        insertEvent(gate_rules::receivedEvent(r), nowMs);
        for (std::size_t i = 0; i < s.legs.size(); ++i) {
            LegRecord leg = gate_rules::newLeg(r, i, owner, nowMs);
            if (!leg.clientOrderId.empty()) {
                if (const auto holder = idHolder(leg.clientOrderId)) {
                    gate_rules::blockForTakenId(leg, leg.clientOrderId, *holder);
                } else {
                    insertId(leg);
                }
            }
            insertLeg(leg);
            if (leg.state == LegState::Blocked)
                for (const auto& e : gate_rules::blockedEvents(leg)) insertEvent(e, nowMs);
            result.legs.push_back(std::move(leg));
        }
        return result;
    }

    ChangeResult applyOne(const LegChange& c, std::int64_t nowMs) {
        {
            auto q = writer_.query("SELECT state, attempt, filled_qty FROM legs WHERE signal_id = ? AND leg = ?");
            q.bind(1, c.before.signalId).bind(2, c.before.leg);
            if (!q.step()) return ChangeResult::LostRace;
            LegRecord stored;
            stored.state = legStateFrom(q.text(0)).value_or(LegState::Unknown);
            stored.attempt = static_cast<int>(q.int64(1));
            stored.filledQuantity = decimalOr0(q.text(2));
            if (!gate_rules::sameVersion(stored, c.before)) return ChangeResult::LostRace;
        }
        if (!c.after.clientOrderId.empty() && c.after.clientOrderId != c.before.clientOrderId) {
            if (const auto holder = idHolder(c.after.clientOrderId)) {
                if (!(*holder == c.after.key())) return ChangeResult::IdTaken;
            } else {
                insertId(c.after);
            }
        }
        const LegRecord& a = c.after;
        // sent_ms is indexed and changes only when a leg is handed to the venue: SQLite updates an
        // index whenever its column is SET, so the other changes leave it out.
        static constexpr const char* kUpdate =
            "UPDATE legs SET book_side = ?, attempt = ?, client_order_id = ?, state = ?, exchange_order_id = ?,"
            " filled_qty = ?, avg_price = ?, reason = ?, updated_ms = ?, unknown_since_ms = ?, next_check_ms = ?,"
            " not_found_count = ? WHERE signal_id = ? AND leg = ?";
        static constexpr const char* kUpdateSent =
            "UPDATE legs SET book_side = ?, attempt = ?, client_order_id = ?, state = ?, exchange_order_id = ?,"
            " filled_qty = ?, avg_price = ?, reason = ?, updated_ms = ?, unknown_since_ms = ?, next_check_ms = ?,"
            " not_found_count = ?, sent_ms = ? WHERE signal_id = ? AND leg = ?";
        const bool sent = a.sentMs != c.before.sentMs;
        auto update = writer_.query(sent ? kUpdateSent : kUpdate);
        update.bind(1, toString(a.bookSide))
            .bind(2, a.attempt)
            .bind(3, a.clientOrderId)
            .bind(4, toString(a.state))
            .bind(5, a.exchangeOrderId)
            .bind(6, a.filledQuantity.toString())
            .bind(7, a.averagePrice.toString())
            .bind(8, a.reason)
            .bind(9, nowMs)
            .bind(10, a.unknownSinceMs)
            .bind(11, a.nextCheckMs)
            .bind(12, a.notFoundCount);
        int next = 13;
        if (sent) update.bind(next++, a.sentMs);
        update.bind(next, a.signalId).bind(next + 1, a.leg).run();
        if (const auto move = gate_rules::fillMove(c)) {
            ExpectedPosition p = position(move->first);
            p.fills += move->second;
            storePosition(p);
        }
        for (const auto& e : c.events) insertEvent(e, nowMs);
        return ChangeResult::Applied;
    }

    std::optional<LegKey> idHolder(const std::string& clientOrderId) {
        auto q = writer_.query("SELECT signal_id, leg FROM client_order_ids WHERE client_order_id = ?");
        q.bind(1, clientOrderId);
        if (!q.step()) return std::nullopt;
        return LegKey{q.text(0), static_cast<int>(q.int64(1))};
    }

    void insertId(const LegRecord& leg) {
        writer_.query("INSERT INTO client_order_ids (client_order_id, signal_id, leg, attempt) VALUES (?, ?, ?, ?)")
            .bind(1, leg.clientOrderId)
            .bind(2, leg.signalId)
            .bind(3, leg.leg)
            .bind(4, leg.attempt)
            .run();
    }

    void insertLeg(const LegRecord& l) {
        writer_
            .query("INSERT INTO legs (" LEG_COLUMNS
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                   " ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(1, l.signalId)
            .bind(2, l.leg)
            .bind(3, l.owner)
            .bind(4, l.intent.venue)
            .bind(5, l.intent.symbol)
            .bind(6, toString(l.intent.side))
            .bind(7, toString(l.intent.type))
            .bind(8, l.intent.quantity.toString())
            .bind(9, l.intent.price ? l.intent.price->toString() : std::string())
            .bind(10, toString(l.intent.timeInForce))
            .bind(11, l.intent.reduceOnly ? 1 : 0)
            .bind(12, toString(l.intent.positionSide))
            .bind(13, toString(l.bookSide))
            .bind(14, l.attempt)
            .bind(15, l.clientOrderId)
            .bind(16, toString(l.state))
            .bind(17, l.exchangeOrderId)
            .bind(18, l.filledQuantity.toString())
            .bind(19, l.averagePrice.toString())
            .bind(20, l.reason)
            .bind(21, l.receivedMs)
            .bind(22, l.journalSeq)
            .bind(23, l.updatedMs)
            .bind(24, l.sentMs)
            .bind(25, l.unknownSinceMs)
            .bind(26, l.nextCheckMs)
            .bind(27, l.notFoundCount)
            .run();
    }

    ExpectedPosition position(const PositionKey& key) {
        ExpectedPosition p;
        p.key = key;
        auto q = writer_.query(
            "SELECT fills, adjustment, baseline_by, baseline_why, baseline_ms FROM positions"
            " WHERE venue = ? AND symbol = ? AND position_side = ?");
        q.bind(1, key.venue).bind(2, key.symbol).bind(3, toString(key.side));
        if (q.step()) {
            p.fills = decimalOr0(q.text(0));
            p.adjustment = decimalOr0(q.text(1));
            p.baselineBy = {q.text(2), q.text(3)};
            p.baselineMs = q.int64(4);
        }
        return p;
    }

    void storePosition(const ExpectedPosition& p) {
        writer_
            .query(
                "INSERT INTO positions (venue, symbol, position_side, fills, adjustment, baseline_by, baseline_why,"
                " baseline_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (venue, symbol, position_side) DO UPDATE"
                " SET fills = excluded.fills, adjustment = excluded.adjustment, baseline_by = excluded.baseline_by,"
                " baseline_why = excluded.baseline_why, baseline_ms = excluded.baseline_ms")
            .bind(1, p.key.venue)
            .bind(2, p.key.symbol)
            .bind(3, toString(p.key.side))
            .bind(4, p.fills.toString())
            .bind(5, p.adjustment.toString())
            .bind(6, p.baselineBy.who)
            .bind(7, p.baselineBy.why)
            .bind(8, p.baselineMs)
            .run();
    }

    void insertEvent(const EventRecord& e, std::int64_t nowMs) {
        writer_
            .query(
                "INSERT INTO events (ts_ms, event, signal_id, client_order_id, venue, data) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(1, nowMs)
            .bind(2, e.event)
            .bind(3, e.signalId)
            .bind(4, e.clientOrderId)
            .bind(5, e.venue)
            .bind(6, e.dataJson)
            .run();
    }

    void setMeta(const char* key, const std::string& value) {
        writer_
            .query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(1, key)
            .bind(2, value)
            .run();
    }

    bool tableHasColumn(const std::string& table, const std::string& column) {
        bool found = false;
        auto q = writer_.query("SELECT name FROM pragma_table_info(?)");
        q.bind(1, table);
        while (q.step()) found = found || q.text(0) == column;
        return found;
    }

    // The first gate schema (one host, no owners, fills as one quantity, event ids computed):
    // upgraded in place, inside the opening transaction, so a host upgraded mid-stream resumes
    // where it stopped.
    void migrateFromV1() {
        for (const char* ddl : {
                 "ALTER TABLE legs ADD COLUMN owner TEXT NOT NULL DEFAULT 'local'",
                 "ALTER TABLE legs ADD COLUMN position_side TEXT NOT NULL DEFAULT 'BOTH'",
                 "ALTER TABLE legs ADD COLUMN book_side TEXT NOT NULL DEFAULT 'BOTH'",
                 "ALTER TABLE legs ADD COLUMN journal_seq INTEGER NOT NULL DEFAULT 0",
                 "ALTER TABLE legs ADD COLUMN sent_ms INTEGER NOT NULL DEFAULT 0",
                 "UPDATE legs SET journal_seq = COALESCE((SELECT journal_seq FROM signals"
                 " WHERE signals.signal_id = legs.signal_id), 0)",
                 "DROP INDEX IF EXISTS legs_state",
                 "DROP INDEX IF EXISTS events_venue_ts",
                 "ALTER TABLE positions RENAME TO positions_v1",
                 "ALTER TABLE events RENAME TO events_v1",
             })
            writer_.exec(ddl);
        for (const char* ddl : kSchema) writer_.exec(ddl);
        writer_.exec(
            "INSERT INTO positions (venue, symbol, position_side, fills, adjustment, baseline_by, baseline_why,"
            " baseline_ms) SELECT venue, symbol, position_side, quantity, '0', '', '', 0 FROM positions_v1");
        writer_.exec(
            "INSERT INTO events (id, ts_ms, event, signal_id, client_order_id, venue, data) SELECT id, ts_ms, event,"
            " signal_id, client_order_id, venue, data FROM events_v1 ORDER BY id");
        // Ids handed out before (some perhaps pruned) are never handed out again.
        writer_.exec(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'events', MAX(COALESCE((SELECT CAST(value AS INTEGER) FROM"
            " meta WHERE key = 'last_event_id'), 0), COALESCE((SELECT MAX(id) FROM events_v1), 0))"
            " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events')");
        writer_.exec(
            "UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT CAST(value AS INTEGER) FROM meta"
            " WHERE key = 'last_event_id'), 0)) WHERE name = 'events'");
        writer_.exec(
            "INSERT INTO kill_switch (id, paused, by_who, why, since_ms) SELECT 1, CAST(value AS INTEGER),"
            " 'upgrade', 'kept from the previous version', 0 FROM meta WHERE key = 'paused'");
        writer_.exec("DROP TABLE positions_v1");
        writer_.exec("DROP TABLE events_v1");
        writer_.exec("DELETE FROM meta WHERE key IN ('paused', 'last_event_id')");
    }

    static PendingAlert pendingFrom(SqliteQuery& q, const std::string& sink) {
        PendingAlert p;
        p.id = static_cast<std::uint64_t>(q.int64(0));
        p.sink = sink;
        auto alert = alertFromJson(q.text(1));
        if (!alert) throw GateError("alert " + std::to_string(p.id) + " in the outbox is not readable");
        p.alert = std::move(*alert);
        p.attempts = static_cast<int>(q.int64(2));
        p.notBeforeMs = q.int64(3);
        p.lastError = q.text(4);
        return p;
    }

    // An alert every sink has taken is no longer needed; failed deliveries keep theirs.
    void forgetAlertIfDone(std::uint64_t id) {
        writer_
            .query("DELETE FROM alerts WHERE id = ? AND NOT EXISTS (SELECT 1 FROM alert_deliveries WHERE alert_id = ?)")
            .bind(1, id)
            .bind(2, id)
            .run();
    }

    const std::string path_;
    std::mutex writeMutex_;  // one writer connection: every write transaction takes it
    SqliteConnection writer_;
    std::unique_ptr<ReadPool> readers_;
};

}  // namespace

std::unique_ptr<Gate> openSqliteGate(const std::string& path, const SqliteGateOptions& options) {
    return std::make_unique<SqliteGate>(path, options);
}

}  // namespace tradehost::host
