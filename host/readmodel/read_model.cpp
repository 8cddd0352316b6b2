// The admin page's read model: a projection of the outbox.
#include "readmodel/read_model.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <variant>

#include "events/json_text.h"
#include "gate/sqlite/sqlite_connection.h"
#include "intake/signal/json_value.h"
#include "readmodel/live_feed.h"

namespace tradehost::host {
namespace {

constexpr std::int64_t kSyncEveryMs = 1000;
constexpr std::int64_t kPruneEveryMs = 10'000;

const char* const kSchema[] = {
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, event TEXT NOT NULL,"
    " signal_id TEXT NOT NULL, client_order_id TEXT NOT NULL, venue TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS events_by_signal ON events (signal_id, id) WHERE signal_id <> ''",
    "CREATE TABLE IF NOT EXISTS signals (signal_id TEXT PRIMARY KEY, first_event INTEGER NOT NULL,"
    " received_ms INTEGER NOT NULL, state TEXT NOT NULL, last_event TEXT NOT NULL, last_ms INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS signals_by_first ON signals (first_event)",
    "CREATE TABLE IF NOT EXISTS legs (signal_id TEXT NOT NULL, leg INTEGER NOT NULL, venue TEXT NOT NULL,"
    " symbol TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL, quantity TEXT NOT NULL, price TEXT NOT NULL,"
    " client_order_id TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (signal_id, leg))",
    "CREATE INDEX IF NOT EXISTS legs_by_venue ON legs (venue, signal_id)",
    "CREATE INDEX IF NOT EXISTS legs_by_symbol ON legs (symbol, signal_id)",
    // Whether each venue answered the reconciler's last question, and the last problem it had.
    "CREATE TABLE IF NOT EXISTS venues (venue TEXT PRIMARY KEY, reachable INTEGER NOT NULL, since_ms INTEGER NOT NULL,"
    " last_error TEXT NOT NULL, last_error_ms INTEGER NOT NULL)",
    // Drifts open now, kept as the events tell them.
    "CREATE TABLE IF NOT EXISTS drifts (venue TEXT NOT NULL, symbol TEXT NOT NULL, position_side TEXT NOT NULL,"
    " PRIMARY KEY (venue, symbol, position_side))",
};

std::string member(const JsonValue& o, const char* key) {
    const JsonValue* v = o.find(key);
    if (!v || v->kind == JsonValue::Kind::Null) return "";
    if (v->kind == JsonValue::Kind::Bool) return v->boolean ? "true" : "false";
    return v->text;  // strings decoded, numbers as written
}

JsonValue parsed(const std::string& text) {
    auto r = readJson(text);
    if (auto* v = std::get_if<JsonValue>(&r)) return std::move(*v);
    return {};
}

// A leg number as events write it (a few digits), or nullopt.
std::optional<int> legNumber(const std::string& text) {
    if (text.empty() || text.size() > 3 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    return std::stoi(text);
}

// The leg a client order id names: "{signal}:{venue}:{leg}:{attempt}" read from the right (the
// signal part may hold anything).
std::optional<int> legOfClientId(const std::string& id) {
    const std::size_t a = id.rfind(':');
    if (a == std::string::npos || a == 0) return std::nullopt;
    const std::size_t l = id.rfind(':', a - 1);
    if (l == std::string::npos) return std::nullopt;
    return legNumber(id.substr(l + 1, a - l - 1));
}

std::string stateOfStatus(const std::string& status) {
    if (status == "FILLED") return "ACCEPTED";
    if (status == "NEW" || status == "PARTIALLY_FILLED") return "WORKING";
    if (status == "CANCELED") return "CANCELLED";
    if (status == "EXPIRED") return "EXPIRED";
    if (status == "REJECTED") return "REJECTED";
    return "";
}

// The leg state an event leaves its leg in (docs/signals.md); empty: it does not change it.
std::string legStateAfter(const std::string& event, const JsonValue& data) {
    if (event == "order_submitted") return "SUBMITTED";
    if (event == "order_ack") return stateOfStatus(member(data, "status"));
    if (event == "order_closed") return member(data, "state");
    if (event == "order_rejected") return "REJECTED";
    if (event == "order_blocked") return "BLOCKED";
    if (event == "order_expired") return "EXPIRED";
    if (event == "order_unknown") return "UNKNOWN";
    if (event == "order_deferred" || event == "order_not_sent" || event == "order_requeued") return "PENDING";
    if (event == "order_resolved")
        return member(data, "outcome") == "absent" ? "ABSENT" : stateOfStatus(member(data, "status"));
    return "";
}

// A signals row read as "SELECT signal_id, first_event, received_ms, state, last_event, last_ms".
SignalView signalOf(const SqliteQuery& q) {
    SignalView s;
    s.signalId = q.text(0);
    s.cursor = static_cast<std::uint64_t>(q.int64(1));
    s.receivedMs = q.int64(2);
    s.state = q.text(3);
    s.lastEvent = q.text(4);
    s.lastMs = q.int64(5);
    return s;
}

// An events row read as "SELECT id, ts_ms, event, signal_id, client_order_id, venue, data".
StoredEvent eventOf(const SqliteQuery& q) {
    return {
        static_cast<std::uint64_t>(q.int64(0)), q.int64(1), {q.text(2), q.text(3), q.text(4), q.text(5), q.text(6)}};
}

}  // namespace

ReadModel::ReadModel(const std::string& path, LiveFeed* feed, ReadModelOptions options)
    : options_(options), feed_(feed) {
    try {
        writer_ = std::make_unique<SqliteConnection>(path, 5000);
        writer_->exec("PRAGMA journal_mode=WAL");
        writer_->exec("PRAGMA synchronous=FULL");
        writer_->exec("PRAGMA journal_size_limit=67108864");
        for (const char* sql : kSchema) writer_->exec(sql);
        auto q = writer_->query("SELECT value FROM meta WHERE key = 'last_id'");
        if (q.step()) lastId_ = static_cast<std::uint64_t>(q.int64(0));
        reader_ = std::make_unique<SqliteConnection>(path, 5000);
        reader_->exec("PRAGMA query_only=1");
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot open the read model " + path + ": " + e.what());
    }
}

ReadModel::~ReadModel() = default;

std::uint64_t ReadModel::durableThrough() const { return lastId_; }

void ReadModel::consume(const std::vector<StoredEvent>& events) {
    std::vector<StoredEvent> fresh;
    for (const auto& e : events)
        if (e.id > lastId_) fresh.push_back(e);
    if (fresh.empty()) return;
    writer_->transaction(
        [&] {
            for (const auto& e : fresh) project(e);
            writer_
                ->query(
                    "INSERT INTO meta (key, value) VALUES ('last_id', ?) ON CONFLICT (key) DO UPDATE SET value = "
                    "excluded.value")
                .bind(1, fresh.back().id)
                .run();
        },
        Commit::Deferred);
    lastId_ = fresh.back().id;
    if (feed_) feed_->publish(fresh);
}

void ReadModel::tick(std::int64_t nowMs) {
    if (nowMs >= nextSyncMs_) {
        nextSyncMs_ = nowMs + kSyncEveryMs;
        writer_->syncDeferred();
    }
    if (nowMs >= nextPruneMs_) {
        nextPruneMs_ = nowMs + kPruneEveryMs;
        prune();
    }
}

void ReadModel::flush() { writer_->syncDeferred(); }

void ReadModel::project(const StoredEvent& e) {
    SqliteConnection& db = *writer_;
    const EventRecord& r = e.event;
    db.query(
          "INSERT OR IGNORE INTO events (id, ts_ms, event, signal_id, client_order_id, venue, data)"
          " VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(1, e.id)
        .bind(2, e.tsMs)
        .bind(3, r.event)
        .bind(4, r.signalId)
        .bind(5, r.clientOrderId)
        .bind(6, r.venue)
        .bind(7, r.dataJson)
        .run();
    const bool drift = r.event == "drift_detected" || r.event == "drift_cleared";
    const bool reach = r.event == "venue_unreachable" || r.event == "venue_reachable";
    if (!drift && !reach && r.signalId.empty()) return;  // kept for the tail only: nothing to parse
    const JsonValue data = parsed(r.dataJson);

    if (drift) {
        const std::string symbol = member(data, "symbol");
        const std::string side = member(data, "position_side");
        if (r.event == "drift_detected")
            db.query("INSERT OR IGNORE INTO drifts (venue, symbol, position_side) VALUES (?, ?, ?)")
                .bind(1, r.venue)
                .bind(2, symbol)
                .bind(3, side)
                .run();
        else
            db.query("DELETE FROM drifts WHERE venue = ? AND symbol = ? AND position_side = ?")
                .bind(1, r.venue)
                .bind(2, symbol)
                .bind(3, side)
                .run();
        return;
    }
    if (reach) {
        const bool up = r.event == "venue_reachable";
        const std::string reason = up ? "" : member(data, "reason");
        db.query(
              "INSERT INTO venues (venue, reachable, since_ms, last_error, last_error_ms) VALUES (?1, ?2, ?3, ?4,"
              " CASE WHEN ?2 THEN 0 ELSE ?3 END) ON CONFLICT (venue) DO UPDATE SET reachable = ?2, since_ms = ?3,"
              " last_error = CASE WHEN ?2 THEN last_error ELSE ?4 END,"
              " last_error_ms = CASE WHEN ?2 THEN last_error_ms ELSE ?3 END")
            .bind(1, r.venue)
            .bind(2, up ? 1 : 0)
            .bind(3, e.tsMs)
            .bind(4, reason)
            .run();
        return;
    }
    // The signal's row, unless its id has one already.
    const auto addSignal = [&](const char* state) {
        db.query(
              "INSERT OR IGNORE INTO signals (signal_id, first_event, received_ms, state, last_event, last_ms)"
              " VALUES (?, ?, ?, ?, ?, ?)")
            .bind(1, r.signalId)
            .bind(2, e.id)
            .bind(3, e.tsMs)
            .bind(4, state)
            .bind(5, r.event)
            .bind(6, e.tsMs)
            .run();
    };
    if (r.event == "signal_received") {
        addSignal("OPEN");
        if (const JsonValue* orders = data.find("orders")) {
            for (const auto& o : orders->items) {
                db.query(
                      "INSERT OR IGNORE INTO legs (signal_id, leg, venue, symbol, side, type, quantity, price,"
                      " client_order_id, state, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', 'PENDING', '')")
                    .bind(1, r.signalId)
                    .bind(2, legNumber(member(o, "leg")).value_or(0))
                    .bind(3, member(o, "venue"))
                    .bind(4, member(o, "symbol"))
                    .bind(5, member(o, "side"))
                    .bind(6, member(o, "type"))
                    .bind(7, member(o, "quantity"))
                    .bind(8, member(o, "price"))
                    .run();
            }
        }
        touchSignal(r.signalId);
        return;
    }
    if (r.event == "signal_rejected") {
        // A signal refused as a whole (too old, or its id reused with other content): shown as
        // REJECTED unless the id already belongs to an admitted signal.
        addSignal("REJECTED");
    }

    const std::string state = legStateAfter(r.event, data);
    std::optional<int> leg = legOfClientId(r.clientOrderId);
    if (!leg) leg = legNumber(member(data, "leg"));
    if (!state.empty() && leg) {
        std::string reason = member(data, "reason");
        if (reason.empty()) reason = member(data, "message");
        db.query(
              "UPDATE legs SET state = ?, client_order_id = CASE WHEN ? = '' THEN client_order_id ELSE ? END,"
              " reason = ? WHERE signal_id = ? AND leg = ?")
            .bind(1, state)
            .bind(2, r.clientOrderId)
            .bind(3, r.clientOrderId)
            .bind(4, reason)
            .bind(5, r.signalId)
            .bind(6, *leg)
            .run();
    }
    db.query("UPDATE signals SET last_event = ?, last_ms = ? WHERE signal_id = ?")
        .bind(1, r.event)
        .bind(2, e.tsMs)
        .bind(3, r.signalId)
        .run();
    if (!state.empty()) touchSignal(r.signalId);
}

void ReadModel::touchSignal(const std::string& signalId) {
    std::vector<std::string> states;
    {
        auto q = writer_->query("SELECT state FROM legs WHERE signal_id = ?");
        q.bind(1, signalId);
        while (q.step()) states.push_back(q.text(0));
    }
    if (states.empty()) return;
    writer_->query("UPDATE signals SET state = ? WHERE signal_id = ?")
        .bind(1, signalState(states))
        .bind(2, signalId)
        .run();
}

std::string ReadModel::signalState(const std::vector<std::string>& legStates) {
    const auto any = [&](std::initializer_list<const char*> names) {
        return std::any_of(legStates.begin(), legStates.end(), [&](const std::string& s) {
            return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
        });
    };
    if (legStates.empty()) return "OPEN";
    if (any({"UNKNOWN"})) return "UNKNOWN";
    if (any({"PENDING", "SUBMITTED", "ABSENT"})) return "OPEN";
    if (any({"WORKING"})) return "WORKING";
    const std::set<std::string> distinct(legStates.begin(), legStates.end());
    return distinct.size() == 1 ? *distinct.begin() : "MIXED";
}

void ReadModel::prune() {
    writer_->transaction(
        [&] {
            std::int64_t cut = 0;
            {
                auto q = writer_->query("SELECT first_event FROM signals ORDER BY first_event DESC LIMIT 1 OFFSET ?");
                q.bind(1, static_cast<std::int64_t>(options_.maxSignals));
                if (q.step()) cut = q.int64(0);
            }
            if (cut) {
                writer_
                    ->query(
                        "DELETE FROM legs WHERE signal_id IN (SELECT signal_id FROM signals WHERE first_event <= ?)")
                    .bind(1, cut)
                    .run();
                writer_->query("DELETE FROM signals WHERE first_event <= ?").bind(1, cut).run();
            }
            std::int64_t eventCut = 0;
            {
                auto q = writer_->query("SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?");
                q.bind(1, static_cast<std::int64_t>(options_.maxEvents));
                if (q.step()) eventCut = q.int64(0);
            }
            if (eventCut) writer_->query("DELETE FROM events WHERE id <= ?").bind(1, eventCut).run();
        },
        Commit::Deferred);
}

std::vector<LegView> ReadModel::legsOf(SqliteConnection& db, const std::string& signalId) {
    std::vector<LegView> out;
    auto q = db.query(
        "SELECT leg, venue, symbol, side, type, quantity, price, client_order_id, state, reason FROM legs"
        " WHERE signal_id = ? ORDER BY leg");
    q.bind(1, signalId);
    while (q.step()) {
        LegView l;
        l.leg = static_cast<int>(q.int64(0));
        l.venue = q.text(1);
        l.symbol = q.text(2);
        l.side = q.text(3);
        l.type = q.text(4);
        l.quantity = q.text(5);
        l.price = q.text(6);
        l.clientOrderId = q.text(7);
        l.state = q.text(8);
        l.reason = q.text(9);
        out.push_back(std::move(l));
    }
    return out;
}

SignalPage ReadModel::signals(const SignalFilter& f) {
    std::lock_guard<std::mutex> lock(readMutex_);
    SignalPage page;
    const std::size_t limit = std::clamp<std::size_t>(f.limit, 1, 500);
    std::vector<SignalView> rows;
    {
        auto q = reader_->query(
            "SELECT signal_id, first_event, received_ms, state, last_event, last_ms FROM signals s"
            " WHERE (?1 = '' OR instr(s.signal_id, ?1) > 0) AND (?2 = '' OR s.state = ?2)"
            " AND (?3 = '' OR EXISTS (SELECT 1 FROM legs l WHERE l.signal_id = s.signal_id AND l.venue = ?3))"
            " AND (?4 = '' OR EXISTS (SELECT 1 FROM legs l WHERE l.signal_id = s.signal_id AND l.symbol = ?4))"
            " AND (?5 = 0 OR s.first_event < ?5) ORDER BY s.first_event DESC LIMIT ?6");
        q.bind(1, f.id).bind(2, f.state).bind(3, f.venue).bind(4, f.symbol).bind(5, f.before);
        q.bind(6, static_cast<std::int64_t>(limit + 1));
        while (q.step()) {
            rows.push_back(signalOf(q));
        }
    }
    if (rows.size() > limit) {
        rows.pop_back();
        page.nextBefore = rows.back().cursor;
    }
    for (auto& s : rows) s.legs = legsOf(*reader_, s.signalId);
    page.signals = std::move(rows);
    return page;
}

std::optional<SignalView> ReadModel::signal(const std::string& signalId) {
    std::lock_guard<std::mutex> lock(readMutex_);
    auto q = reader_->query(
        "SELECT signal_id, first_event, received_ms, state, last_event, last_ms FROM signals WHERE signal_id = ?");
    q.bind(1, signalId);
    if (!q.step()) return std::nullopt;
    SignalView s = signalOf(q);
    s.legs = legsOf(*reader_, signalId);
    return s;
}

std::vector<StoredEvent> ReadModel::eventsOf(const std::string& signalId, std::size_t limit) {
    std::lock_guard<std::mutex> lock(readMutex_);
    std::vector<StoredEvent> out;
    auto q = reader_->query(
        "SELECT id, ts_ms, event, signal_id, client_order_id, venue, data FROM events WHERE signal_id = ?"
        " ORDER BY id LIMIT ?");
    q.bind(1, signalId).bind(2, static_cast<std::int64_t>(limit));
    while (q.step()) out.push_back(eventOf(q));
    return out;
}

std::vector<StoredEvent> ReadModel::tail(std::size_t limit, std::uint64_t afterId) {
    std::lock_guard<std::mutex> lock(readMutex_);
    std::vector<StoredEvent> out;
    const auto read = [&](SqliteQuery& q) {
        while (q.step()) out.push_back(eventOf(q));
    };
    if (afterId) {
        auto q = reader_->query(
            "SELECT id, ts_ms, event, signal_id, client_order_id, venue, data FROM events WHERE id > ? ORDER BY id "
            "LIMIT ?");
        q.bind(1, afterId).bind(2, static_cast<std::int64_t>(limit));
        read(q);
    } else {
        auto q = reader_->query(
            "SELECT id, ts_ms, event, signal_id, client_order_id, venue, data FROM events ORDER BY id DESC LIMIT ?");
        q.bind(1, static_cast<std::int64_t>(limit));
        read(q);
        std::reverse(out.begin(), out.end());
    }
    return out;
}

std::size_t ReadModel::signalsSince(std::int64_t sinceMs) {
    std::lock_guard<std::mutex> lock(readMutex_);
    auto q = reader_->query("SELECT COUNT(*) FROM signals WHERE received_ms >= ?");
    q.bind(1, sinceMs);
    return q.step() ? static_cast<std::size_t>(q.int64(0)) : 0;
}

std::optional<SignalView> ReadModel::lastSignal() {
    std::string id;
    {
        std::lock_guard<std::mutex> lock(readMutex_);
        auto q = reader_->query("SELECT signal_id FROM signals ORDER BY first_event DESC LIMIT 1");
        if (!q.step()) return std::nullopt;
        id = q.text(0);
    }
    return signal(id);
}

std::optional<VenueHealth> ReadModel::venueHealth(const std::string& venue) {
    std::lock_guard<std::mutex> lock(readMutex_);
    auto q = reader_->query("SELECT reachable, since_ms, last_error, last_error_ms FROM venues WHERE venue = ?");
    q.bind(1, venue);
    if (!q.step()) return std::nullopt;
    return VenueHealth{q.int64(0) != 0, q.int64(1), q.text(2), q.int64(3)};
}

std::size_t ReadModel::openDrifts() {
    std::lock_guard<std::mutex> lock(readMutex_);
    auto q = reader_->query("SELECT COUNT(*) FROM drifts");
    return q.step() ? static_cast<std::size_t>(q.int64(0)) : 0;
}

}  // namespace tradehost::host
