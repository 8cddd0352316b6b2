// The gate's contract, run against the memory and the SQLite implementation alike; then what only
// the SQLite gate must also do (survive a reopen, upgrade an old file, let a second writer in).
#include "gate/gate.h"

#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "intake/signal/signal_parser.h"
#include "power_loss_vfs.h"
#include "temp_dir.h"

using namespace tradehost;
using namespace tradehost::host;
using tradehost::test::PowerLossVfs;
using tradehost::test::TempDir;

namespace {

// A gate of each kind, fresh per test case.
struct Fixture {
    TempDir dir;
    std::unique_ptr<Gate> gate;
    explicit Fixture(const std::string& kind) {
        gate = kind == "sqlite" ? openSqliteGate(dir.file("gate.sqlite")) : makeMemoryGate();
    }
};

Signal signalOf(const std::string& body) {
    auto parsed = parseSignal(body);
    REQUIRE(std::holds_alternative<Parsed>(parsed));
    return std::get<Parsed>(parsed).signal;
}

Signal marketSignal(const std::string& id, const std::string& side = "buy", const std::string& qty = "0.002",
                    int legs = 1) {
    std::string body = R"({"signal_id":")" + id + R"(","legs":[)";
    for (int i = 0; i < legs; ++i)
        body += std::string(i ? "," : "") + R"({"venue":"bn","symbol":"BTCUSDT","side":")" + side +
                R"(","type":"market","quantity":")" + qty + R"("})";
    return signalOf(body + "]}");
}

AdmissionRequest request(const Signal& s, std::uint64_t seq, std::int64_t receivedMs = 1000) {
    AdmissionRequest r;
    r.journalSeq = seq;
    r.receivedMs = receivedMs;
    r.signal = s;
    for (std::size_t i = 0; i < s.legs.size(); ++i)
        r.legs.push_back({s.signalId + ":bn:" + std::to_string(i) + ":0", ""});
    return r;
}

std::vector<std::string> eventNames(Gate& g, std::uint64_t after = 0) {
    std::vector<std::string> out;
    for (const auto& e : g.readAfter(after, 1000)) out.push_back(e.event.event);
    return out;
}

int count(const std::vector<std::string>& names, const std::string& name) {
    return static_cast<int>(std::count(names.begin(), names.end(), name));
}

LegChange change(const LegRecord& before, LegState to, std::vector<EventRecord> events = {}) {
    LegChange c{before, before, std::move(events)};
    c.after.state = to;
    return c;
}

Decimal positionOf(Gate& g, const PositionKey& key) {
    for (const auto& p : g.expectedPositions())
        if (p.key == key) return p.quantity();
    return Decimal();
}

}  // namespace

TEST_CASE("admission: a signal becomes PENDING legs with their ids, once", "[gate]") {
    Fixture f(GENERATE(as<std::string>{}, "memory", "sqlite"));
    Gate& g = *f.gate;
    const Signal s = marketSignal("s1", "buy", "0.002", 2);
    const auto results = g.admit({request(s, 1)}, "local", 0, 5000);
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == Admission::Admitted);
    REQUIRE(results[0].legs.size() == 2);
    CHECK(results[0].legs[1].state == LegState::Pending);
    CHECK(results[0].legs[1].clientOrderId == "s1:bn:1:0");
    CHECK(g.processedSeq() == 1);
    CHECK(g.payloadOf("s1") == s.canonical);
    CHECK_FALSE(g.payloadOf("s2"));
    const auto leg = g.leg({"s1", 1});
    REQUIRE(leg);
    CHECK(leg->owner == "local");
    CHECK(leg->journalSeq == 1);
    CHECK(leg->intent.quantity == Decimal::of("0.002"));
    CHECK(g.legByClientOrderId("s1:bn:0:0")->leg == 0);
    CHECK(g.legsOf("s1").size() == 2);
    CHECK(eventNames(g) == std::vector<std::string>{"signal_received"});

    SECTION("the same payload again is a duplicate, another payload a conflict; both recorded, nothing else") {
        const auto again = g.admit({request(s, 2), request(marketSignal("s1", "sell"), 3)}, "local", 0, 6000);
        CHECK(again[0].outcome == Admission::Duplicate);
        CHECK(again[1].outcome == Admission::Conflict);
        CHECK(again[1].legs.empty());
        CHECK(g.processedSeq() == 3);
        CHECK(g.legsOf("s1").size() == 2);
        const auto names = eventNames(g);
        CHECK(count(names, "signal_duplicate") == 1);
        CHECK(count(names, "signal_rejected") == 1);
    }
    SECTION("two records of one id in one batch: the second is a duplicate") {
        const Signal s2 = marketSignal("s2");
        const auto r = g.admit({request(s2, 2), request(s2, 3)}, "local", 0, 6000);
        CHECK(r[0].outcome == Admission::Admitted);
        CHECK(r[1].outcome == Admission::Duplicate);
    }
    SECTION("older than the retention window: refused and recorded") {
        const auto r = g.admit({request(marketSignal("old"), 2, 10)}, "local", 500, 6000);
        CHECK(r[0].outcome == Admission::TooOld);
        CHECK_FALSE(g.payloadOf("old"));
    }
    SECTION("a record that is not a signal is skipped with its event, and the position moves past it") {
        AdmissionRequest skip;
        skip.journalSeq = 2;
        skip.skipEvent = {"signal_skipped", "", "", "", R"({"reason":"test"})"};
        CHECK(g.admit({skip}, "local", 0, 6000)[0].outcome == Admission::Skipped);
        CHECK(g.processedSeq() == 2);
        CHECK(count(eventNames(g), "signal_skipped") == 1);
    }
}

TEST_CASE("admission: a leg that can never be sent, or whose id is taken, ends alone", "[gate]") {
    Fixture f(GENERATE(as<std::string>{}, "memory", "sqlite"));
    Gate& g = *f.gate;
    g.admit({request(marketSignal("first"), 1)}, "local", 0, 1000);
    Signal s = marketSignal("second", "buy", "0.002", 3);
    AdmissionRequest r = request(s, 2);
    r.legs[0].clientOrderId = "first:bn:0:0";  // another leg holds it already (a digest collision)
    r.legs[1] = {"", "no venue instance named 'nowhere'"};
    const auto results = g.admit({r}, "local", 0, 2000);
    CHECK(results[0].outcome == Admission::Admitted);
    const auto& legs = results[0].legs;
    CHECK(legs[0].state == LegState::Blocked);
    CHECK(legs[0].clientOrderId.empty());
    CHECK(legs[0].reason.find("already belongs to signal 'first' leg 0") != std::string::npos);
    CHECK(legs[1].state == LegState::Blocked);
    CHECK(legs[1].reason == "no venue instance named 'nowhere'");
    CHECK(legs[2].state == LegState::Pending);
    CHECK(g.legByClientOrderId("first:bn:0:0")->signalId == "first");
    const auto names = eventNames(g);
    CHECK(count(names, "order_blocked") == 2);
    CHECK(count(names, "trade_fail") == 2);
}

TEST_CASE("leg changes are compare-and-set; fills move positions once", "[gate]") {
    Fixture f(GENERATE(as<std::string>{}, "memory", "sqlite"));
    Gate& g = *f.gate;
    g.admit({request(marketSignal("b1", "buy", "0.004"), 1), request(marketSignal("s1", "sell", "0.001"), 2)}, "local",
            0, 1000);
    const LegRecord pending = *g.leg({"b1", 0});
    LegChange submit =
        change(pending, LegState::Submitted, {{"order_submitted", "b1", pending.clientOrderId, "bn", "{}"}});
    submit.after.sentMs = 1500;
    CHECK(g.apply(submit, 1500) == ChangeResult::Applied);
    CHECK(g.apply(submit, 1500) == ChangeResult::LostRace);  // the leg is no longer PENDING
    CHECK(g.leg({"b1", 0})->state == LegState::Submitted);
    CHECK(g.leg({"b1", 0})->updatedMs == 1500);
    CHECK(g.sentTimes("bn", 1000) == std::vector<std::int64_t>{1500});
    CHECK(g.sentTimes("bn", 1500).empty());

    const PositionKey both{"bn", "BTCUSDT", PositionSide::Both};
    LegRecord submitted = *g.leg({"b1", 0});
    LegChange partly = change(submitted, LegState::Working);
    partly.after.filledQuantity = Decimal::of("0.001");
    CHECK(g.apply(partly, 1600) == ChangeResult::Applied);
    CHECK(positionOf(g, both) == Decimal::of("0.001"));

    SECTION("a repeated report of the same cumulative fill books nothing") {
        const LegRecord working = *g.leg({"b1", 0});
        CHECK(g.apply(change(working, LegState::Working), 1700) == ChangeResult::Applied);
        CHECK(positionOf(g, both) == Decimal::of("0.001"));
        // A writer that read the leg before the fill was booked loses: it cannot book it again.
        CHECK(g.apply(partly, 1700) == ChangeResult::LostRace);
        CHECK(positionOf(g, both) == Decimal::of("0.001"));
    }
    SECTION("the rest fills; a sell moves the position down; the book side is the venue's") {
        const LegRecord working = *g.leg({"b1", 0});
        LegChange filled = change(working, LegState::Accepted);
        filled.after.filledQuantity = Decimal::of("0.004");
        CHECK(g.apply(filled, 1700) == ChangeResult::Applied);
        CHECK(positionOf(g, both) == Decimal::of("0.004"));
        const LegRecord sell = *g.leg({"s1", 0});
        LegChange sold = change(sell, LegState::Accepted);
        sold.after.filledQuantity = Decimal::of("0.001");
        sold.after.bookSide = PositionSide::Short;
        CHECK(g.apply(sold, 1800) == ChangeResult::Applied);
        CHECK(positionOf(g, both) == Decimal::of("0.004"));
        CHECK(positionOf(g, {"bn", "BTCUSDT", PositionSide::Short}) == Decimal::of("-0.001"));
        CHECK(g.leg({"s1", 0})->bookSide == PositionSide::Short);
    }
    SECTION("a next attempt whose id another leg holds is refused as a value") {
        const LegRecord sell = *g.leg({"s1", 0});
        LegChange next = change(sell, LegState::Absent);
        next.after.attempt = 1;
        next.after.clientOrderId = "b1:bn:0:0";
        CHECK(g.apply(next, 1800) == ChangeResult::IdTaken);
        CHECK(g.leg({"s1", 0})->attempt == 0);
        next.after.clientOrderId = "s1:bn:0:1";
        CHECK(g.apply(next, 1800) == ChangeResult::Applied);
        CHECK(g.legByClientOrderId("s1:bn:0:1")->signalId == "s1");
        CHECK(g.legByClientOrderId("s1:bn:0:0")->signalId == "s1");  // old attempts still map back
    }
    SECTION("one change's lost race does not stop the others in its batch") {
        const LegRecord sell = *g.leg({"s1", 0});
        const auto results = g.apply({partly, change(sell, LegState::Submitted)}, 1900);
        CHECK(results == std::vector<ChangeResult>{ChangeResult::LostRace, ChangeResult::Applied});
    }
}

TEST_CASE("legsIn: the owner's legs in the asked states, in journal order", "[gate]") {
    Fixture f(GENERATE(as<std::string>{}, "memory", "sqlite"));
    Gate& g = *f.gate;
    g.admit({request(marketSignal("z", "buy", "1", 2), 5)}, "local", 0, 1000);
    g.admit({request(marketSignal("a"), 7)}, "local", 0, 1000);
    g.admit({request(marketSignal("other"), 9)}, "elsewhere", 0, 1000);
    g.apply(change(*g.leg({"z", 1}), LegState::Submitted), 1100);
    const auto pending = g.legsIn({LegState::Pending}, "local");
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].signalId == "z");
    CHECK(pending[1].signalId == "a");
    const auto open = g.legsIn({LegState::Pending, LegState::Submitted}, "local");
    REQUIRE(open.size() == 3);
    CHECK((open[0].signalId == "z" && open[0].leg == 0 && open[1].leg == 1 && open[2].signalId == "a"));
    CHECK(g.legsIn({LegState::Pending}, "elsewhere").size() == 1);
}

TEST_CASE("outbox: database ids, named cursors, pruning up to the slowest", "[gate]") {
    Fixture f(GENERATE(as<std::string>{}, "memory", "sqlite"));
    Gate& g = *f.gate;
    g.append({{"a", "", "", "", "{}"}, {"b", "", "", "", "{}"}, {"c", "", "", "", "{}"}}, 10);
    auto all = g.readAfter(0, 10);
    REQUIRE(all.size() == 3);
    CHECK(all[0].id < all[1].id);
    CHECK(all[1].id < all[2].id);
    CHECK(all[2].tsMs == 10);
    CHECK(g.lastEventId() == all[2].id);
    CHECK(g.readAfter(all[0].id, 1).front().event.event == "b");
    CHECK(g.pruneConsumed() == 0);  // no cursor yet: nobody has read anything
    CHECK(g.openCursor("event_log", 0) == 0);
    CHECK(g.openCursor("alerts", all[1].id) == all[1].id);
    CHECK(g.openCursor("alerts", 0) == all[1].id);  // opening again keeps the position
    g.advanceCursor("event_log", all[0].id);
    CHECK(g.pruneConsumed() == 1);  // only what both passed
    g.advanceCursor("event_log", all[2].id);
    g.advanceCursor("alerts", all[2].id);
    g.advanceCursor("alerts", all[0].id);  // never backwards
    CHECK(g.cursors().at("alerts") == all[2].id);
    CHECK(g.pruneConsumed() == 2);
    CHECK(g.readAfter(0, 10).empty());
    // Ids are never reused, even with the outbox empty.
    g.append({{"d", "", "", "", "{}"}}, 20);
    CHECK(g.readAfter(0, 10).front().id > all[2].id);
}

TEST_CASE("positions: fills plus an operator baseline, recorded with who and why", "[gate]") {
    Fixture f(GENERATE(as<std::string>{}, "memory", "sqlite"));
    Gate& g = *f.gate;
    g.admit({request(marketSignal("b1", "buy", "0.003"), 1)}, "local", 0, 1000);
    LegChange fill = change(*g.leg({"b1", 0}), LegState::Accepted);
    fill.after.filledQuantity = Decimal::of("0.003");
    g.apply(fill, 1100);
    const PositionKey key{"bn", "BTCUSDT", PositionSide::Both};
    g.setBaseline(key, Decimal::of("0.010"), {"ops", "manual top-up on the exchange"}, 1200);
    CHECK(positionOf(g, key) == Decimal::of("0.01"));
    const auto p = g.expectedPositions().front();
    CHECK(p.fills == Decimal::of("0.003"));
    CHECK(p.adjustment == Decimal::of("0.007"));
    CHECK(p.baselineBy.who == "ops");
    CHECK(p.baselineMs == 1200);
    const auto events = g.readAfter(0, 100);
    CHECK(events.back().event.event == "position_baseline_set");
    CHECK(events.back().event.dataJson.find("\"expected_before\":\"0.003\"") != std::string::npos);
    CHECK(events.back().event.dataJson.find("manual top-up") != std::string::npos);
}

TEST_CASE("control: the kill switch and cancel requests carry who, when and why", "[gate]") {
    Fixture f(GENERATE(as<std::string>{}, "memory", "sqlite"));
    Gate& g = *f.gate;
    CHECK_FALSE(g.killSwitch().paused);
    g.setKillSwitch(true, {"alice", "exchange maintenance"}, 100);
    const KillSwitch k = g.killSwitch();
    CHECK(k.paused);
    CHECK(k.by.who == "alice");
    CHECK(k.by.why == "exchange maintenance");
    CHECK(k.sinceMs == 100);
    g.setKillSwitch(false, {"bob", "done"}, 200);
    CHECK_FALSE(g.killSwitch().paused);
    CHECK(eventNames(g) == std::vector<std::string>{"trading_paused", "trading_resumed"});

    g.admit({request(marketSignal("w1"), 1)}, "local", 0, 300);
    CHECK_FALSE(g.requestCancel({"nope", 0}, {"alice", ""}, 400));
    const auto id = g.requestCancel({"w1", 0}, {"alice", "stale limit"}, 400);
    REQUIRE(id);
    const auto open = g.openCancelRequests("bn");
    REQUIRE(open.size() == 1);
    CHECK(open[0].id == *id);
    CHECK(open[0].leg == LegKey{"w1", 0});
    CHECK(open[0].by.why == "stale limit");
    CHECK(g.openCancelRequests("other").empty());
    g.closeCancelRequest(*id, "cancelled", 500);
    CHECK(g.openCancelRequests("bn").empty());
    CHECK(count(eventNames(g), "order_cancel_requested") == 1);
    const auto closed = g.readAfter(0, 100).back();
    CHECK(closed.event.event == "order_cancel_closed");
    CHECK(closed.event.signalId == "w1");
    CHECK(closed.event.clientOrderId == "w1:bn:0:0");
    CHECK(closed.event.dataJson.find("\"outcome\":\"cancelled\"") != std::string::npos);
    g.closeCancelRequest(*id, "again", 600);  // closed already: nothing more recorded
    CHECK(count(eventNames(g), "order_cancel_closed") == 1);
}

TEST_CASE("control: symbols are paused and resumed once each, with who and why", "[gate]") {
    Fixture f(GENERATE(as<std::string>{}, "memory", "sqlite"));
    Gate& g = *f.gate;
    CHECK(g.pausedSymbols().empty());
    CHECK(g.setSymbolPaused("bn", "BTCUSDT", true, {"reconciler", "drift"}, 100));
    CHECK_FALSE(g.setSymbolPaused("bn", "BTCUSDT", true, {"alice", "again"}, 150));  // already: nothing recorded
    CHECK(g.setSymbolPaused("paper", "BTCUSDT", true, {"alice", "maintenance"}, 160));
    auto paused = g.pausedSymbols();
    REQUIRE(paused.size() == 2);
    CHECK(paused[0].venue == "bn");
    CHECK(paused[0].by.who == "reconciler");  // the first pause stands
    CHECK(paused[0].sinceMs == 100);
    CHECK(g.setSymbolPaused("bn", "BTCUSDT", false, {"bob", "checked"}, 200));
    CHECK_FALSE(g.setSymbolPaused("bn", "ETHUSDT", false, {"bob", "never paused"}, 210));
    paused = g.pausedSymbols();
    REQUIRE(paused.size() == 1);
    CHECK(paused[0].venue == "paper");
    CHECK(eventNames(g) == std::vector<std::string>{"symbol_paused", "symbol_paused", "symbol_resumed"});
    const auto resumed = g.readAfter(0, 100).back();
    CHECK(resumed.event.venue == "bn");
    CHECK(resumed.event.dataJson.find("\"by\":\"bob\"") != std::string::npos);
}

TEST_CASE("positions: the venue's latest reading replaces the one before, per venue", "[gate]") {
    Fixture f(GENERATE(as<std::string>{}, "memory", "sqlite"));
    Gate& g = *f.gate;
    CHECK(g.venueCheckedMs("bn") == 0);
    g.recordVenuePositions("bn",
                           {{{"bn", "BTCUSDT", PositionSide::Both}, Decimal::of("0.004"), Decimal::of("65000.1"), 0},
                            {{"bn", "ETHUSDT", PositionSide::Both}, Decimal::of("-1.5"), std::nullopt, 0}},
                           1000);
    g.recordVenuePositions("paper", {{{"paper", "BTCUSDT", PositionSide::Both}, Decimal::of("1"), std::nullopt, 0}},
                           1100);
    g.recordVenuePositions("bn", {{{"bn", "ETHUSDT", PositionSide::Both}, Decimal::of("-1"), std::nullopt, 0}}, 2000);
    const auto all = g.venuePositions();
    REQUIRE(all.size() == 2);  // bn's BTCUSDT is gone: the venue no longer reports it
    CHECK(all[0].key == PositionKey{"bn", "ETHUSDT", PositionSide::Both});
    CHECK(all[0].quantity == Decimal::of("-1"));
    CHECK_FALSE(all[0].markPrice);
    CHECK(all[0].checkedMs == 2000);
    CHECK(all[1].key.venue == "paper");
    CHECK(g.venueCheckedMs("bn") == 2000);
    CHECK(g.venueCheckedMs("paper") == 1100);
    g.recordVenuePositions("bn", {{{"bn", "BTCUSDT", PositionSide::Long}, Decimal::of("2"), Decimal::of("3.5"), 0}},
                           3000);
    CHECK(g.venuePositions().at(0).markPrice == std::optional<Decimal>(Decimal::of("3.5")));
}

TEST_CASE("retention forgets old signals whose legs are all final, never one still open", "[gate]") {
    Fixture f(GENERATE(as<std::string>{}, "memory", "sqlite"));
    Gate& g = *f.gate;
    g.admit({request(marketSignal("done"), 1, 100), request(marketSignal("open"), 2, 100),
             request(marketSignal("new"), 3, 900)},
            "local", 0, 1000);
    g.apply(change(*g.leg({"done", 0}), LegState::Accepted), 1000);
    g.apply(change(*g.leg({"new", 0}), LegState::Accepted), 1000);
    CHECK(g.forgetSignalsBefore(500) == 1);
    CHECK_FALSE(g.payloadOf("done"));
    CHECK_FALSE(g.leg({"done", 0}));
    CHECK_FALSE(g.legByClientOrderId("done:bn:0:0"));
    CHECK(g.payloadOf("open"));
    CHECK(g.payloadOf("new"));
}

// ---- SQLite only ----------------------------------------------------------------------------

TEST_CASE("sqlite: everything survives a reopen", "[gate][sqlite]") {
    TempDir dir;
    const std::string path = dir.file("gate.sqlite");
    {
        auto g = openSqliteGate(path);
        g->admit({request(marketSignal("p1"), 4)}, "local", 0, 1000);
        g->setKillSwitch(true, {"cli", "test"}, 5);
        g->openCursor("event_log", 0);
        g->advanceCursor("event_log", 1);
    }
    auto g = openSqliteGate(path);
    CHECK(g->processedSeq() == 4);
    CHECK(g->leg({"p1", 0})->state == LegState::Pending);
    CHECK(g->killSwitch().paused);
    CHECK(g->cursors().at("event_log") == 1);
    CHECK(g->integrityCheck() == "ok");
}

TEST_CASE("sqlite: a second writer (tradehost pause beside a running host) waits instead of failing",
          "[gate][sqlite]") {
    TempDir dir;
    const std::string path = dir.file("gate.sqlite");
    auto host = openSqliteGate(path);
    std::atomic<bool> stop{false};
    std::atomic<int> batches{0};
    std::string failure;
    std::thread writer([&] {
        try {
            for (int i = 1; !stop; ++i) {
                host->admit({request(marketSignal("h" + std::to_string(i)), static_cast<std::uint64_t>(i))}, "local", 0,
                            i);
                ++batches;
            }
        } catch (const std::exception& e) {
            failure = e.what();
        }
    });
    for (int i = 0; i < 40; ++i) {
        auto cli = openSqliteGate(path);  // another process would open its own connection like this
        cli->setKillSwitch(i % 2 == 0, {"cli", "hammer"}, i);
    }
    stop = true;
    writer.join();
    CHECK(failure.empty());
    CHECK(batches > 0);
    CHECK_FALSE(host->killSwitch().paused);  // the last of 40 was a resume
}

TEST_CASE("sqlite: lookups read their own snapshot and never wait for a long write", "[gate][sqlite]") {
    TempDir dir;
    const std::string path = dir.file("gate.sqlite");
    auto g = openSqliteGate(path);
    g->admit({request(marketSignal("known"), 1)}, "local", 0, 1000);
    // Hold the write lock from another connection, as a long transaction would.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES ('x', 'y')", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    const auto started = std::chrono::steady_clock::now();
    CHECK(g->payloadOf("known"));
    CHECK_FALSE(g->payloadOf("unknown"));
    CHECK(g->leg({"known", 0}));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));  // not the 10 s busy timeout
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
}

TEST_CASE("sqlite: a gate written by the first version is upgraded in place", "[gate][sqlite]") {
    TempDir dir;
    const std::string path = dir.file("gate.sqlite");
    {
        // The first version's schema and a little of its data, as its code wrote them.
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        const char* v1 =
            "PRAGMA journal_mode=WAL;"
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE signals (signal_id TEXT PRIMARY KEY, payload TEXT NOT NULL, received_ms BIGINT NOT NULL,"
            " journal_seq BIGINT NOT NULL, leg_count INTEGER NOT NULL);"
            "CREATE TABLE legs (signal_id TEXT NOT NULL, leg INTEGER NOT NULL, venue TEXT NOT NULL, symbol TEXT NOT "
            "NULL,"
            " side TEXT NOT NULL, type TEXT NOT NULL, quantity TEXT NOT NULL, price TEXT NOT NULL, tif TEXT NOT NULL,"
            " reduce_only INTEGER NOT NULL, attempt INTEGER NOT NULL, client_order_id TEXT NOT NULL, state TEXT NOT "
            "NULL,"
            " exchange_order_id TEXT NOT NULL, filled_qty TEXT NOT NULL, avg_price TEXT NOT NULL, reason TEXT NOT NULL,"
            " received_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, unknown_since_ms BIGINT NOT NULL,"
            " next_check_ms BIGINT NOT NULL, not_found_count INTEGER NOT NULL, PRIMARY KEY (signal_id, leg));"
            "CREATE TABLE client_order_ids (client_order_id TEXT PRIMARY KEY, signal_id TEXT NOT NULL, leg INTEGER NOT "
            "NULL,"
            " attempt INTEGER NOT NULL);"
            "CREATE INDEX legs_state ON legs (state);"
            "CREATE TABLE refused_signals (id BIGINT PRIMARY KEY, signal_id TEXT NOT NULL, payload TEXT NOT NULL,"
            " reason TEXT NOT NULL, ts_ms BIGINT NOT NULL);"
            "CREATE TABLE positions (venue TEXT NOT NULL, symbol TEXT NOT NULL, position_side TEXT NOT NULL,"
            " quantity TEXT NOT NULL, PRIMARY KEY (venue, symbol, position_side));"
            "CREATE TABLE events (id BIGINT PRIMARY KEY, ts_ms BIGINT NOT NULL, event TEXT NOT NULL, signal_id TEXT "
            "NOT NULL,"
            " client_order_id TEXT NOT NULL, venue TEXT NOT NULL, data TEXT NOT NULL);"
            "CREATE INDEX events_venue_ts ON events (venue, event, ts_ms);"
            "INSERT INTO signals VALUES ('old1', '{}', 100, 7, 1);"
            "INSERT INTO legs VALUES ('old1', 0, 'bn', 'BTCUSDT', 'BUY', 'MARKET', '0.002', '', 'GTC', 0, 0, "
            "'old1:bn:0:0',"
            " 'UNKNOWN', '', '0', '0', 'in flight', 100, 100, 100, 100, 0);"
            "INSERT INTO client_order_ids VALUES ('old1:bn:0:0', 'old1', 0, 0);"
            "INSERT INTO positions VALUES ('bn', 'BTCUSDT', 'BOTH', '0.006');"
            "INSERT INTO events VALUES (41, 100, 'order_unknown', 'old1', 'old1:bn:0:0', 'bn', '{}');"
            "INSERT INTO meta VALUES ('processed_seq', '7'), ('last_event_id', '42'), ('paused', '1');";
        REQUIRE(sqlite3_exec(db, v1, nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    auto g = openSqliteGate(path);
    CHECK(g->processedSeq() == 7);
    const auto leg = g->leg({"old1", 0});
    REQUIRE(leg);
    CHECK(leg->state == LegState::Unknown);
    CHECK(leg->owner == "local");
    CHECK(leg->journalSeq == 7);
    CHECK(g->legsIn({LegState::Unknown}, "local").size() == 1);
    CHECK(positionOf(*g, {"bn", "BTCUSDT", PositionSide::Both}) == Decimal::of("0.006"));
    CHECK(g->killSwitch().paused);
    CHECK(g->readAfter(0, 10).front().id == 41);
    g->append({{"next", "", "", "", "{}"}}, 200);
    CHECK(g->readAfter(41, 10).front().id == 43);  // after the highest id the old version handed out
    CHECK(g->integrityCheck() == "ok");
}

// ---- power loss: what the SQLite gate promises about its deferred admission commits ----------
// PowerLossVfs undoes every write not yet synced, as the worst power loss would; the image is
// then opened as the restarted host would open it.

namespace {

// A SQLite gate on a file whose every write is watched, and images of it after a power loss.
struct PowerLossFixture {
    PowerLossVfs vfs;  // first: the gate's connections are opened through it
    TempDir dir;
    std::string path = dir.file("gate.sqlite");
    std::unique_ptr<Gate> gate = openSqliteGate(path);

    // The gate as the restarted host would open it, had the power gone now.
    std::unique_ptr<Gate> afterPowerLoss(const std::string& name) {
        const std::string copy = dir.file(name);
        vfs.imageAfterPowerLoss(path, copy);
        return openSqliteGate(copy);
    }
};

}  // namespace

TEST_CASE("sqlite power loss: synced state survives, and the simulation is faithful", "[gate][sqlite][power]") {
    PowerLossFixture f;
    Gate* g = f.gate.get();
    g->setKillSwitch(true, {"cli", "before the cut"}, 5);  // a synced commit
    auto image = f.afterPowerLoss("image.sqlite");
    CHECK(image->killSwitch().paused);
    CHECK(image->killSwitch().by.why == "before the cut");
    CHECK(image->integrityCheck() == "ok");
    CHECK(f.vfs.syncs("-wal") > 0);
}

TEST_CASE("sqlite power loss: an admission is undone whole or not at all, and the journal admits it again",
          "[gate][sqlite][power]") {
    PowerLossFixture f;
    Gate* g = f.gate.get();
    g->admit({request(marketSignal("a1"), 1), request(marketSignal("a2", "sell"), 2)}, "local", 0, 1000);
    // Admission commits without its own fdatasync (the journal holds these records durably):
    // cut now, and the whole batch is gone — signals, legs, events and the processed position.
    auto image = f.afterPowerLoss("image.sqlite");
    CHECK_FALSE(image->payloadOf("a1"));
    CHECK_FALSE(image->payloadOf("a2"));
    CHECK_FALSE(image->leg({"a1", 0}));
    CHECK(image->readAfter(0, 100).empty());
    CHECK(image->processedSeq() == 0);
    CHECK(image->integrityCheck() == "ok");
    // The restarted admitter reads the journal from processedSeq() on: admitted again, once.
    const auto again =
        image->admit({request(marketSignal("a1"), 1), request(marketSignal("a2", "sell"), 2)}, "local", 0, 2000);
    CHECK(again[0].outcome == Admission::Admitted);
    CHECK(again[1].outcome == Admission::Admitted);
    CHECK(image->processedSeq() == 2);
}

TEST_CASE("sqlite power loss: processedSeq() and readAfter() hand out only what survives", "[gate][sqlite][power]") {
    PowerLossFixture f;
    Gate* g = f.gate.get();

    // The janitor deletes journal segments up to processedSeq(): that position must be durable.
    g->admit({request(marketSignal("p1"), 1), request(marketSignal("p2"), 2)}, "local", 0, 1000);
    REQUIRE(g->processedSeq() == 2);
    auto first = f.afterPowerLoss("first.sqlite");
    CHECK(first->processedSeq() == 2);
    CHECK(first->payloadOf("p1"));
    CHECK(first->leg({"p2", 0})->state == LegState::Pending);

    // The event log writes what readAfter() returns: those events must be durable, under the
    // same ids (a forgotten id would be handed out again for another event).
    const std::uint64_t mark = g->lastEventId();
    g->admit({request(marketSignal("p3"), 3)}, "local", 0, 2000);
    const auto published = g->readAfter(mark, 100);
    REQUIRE_FALSE(published.empty());
    auto second = f.afterPowerLoss("second.sqlite");
    const auto kept = second->readAfter(mark, 100);
    REQUIRE(kept.size() == published.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
        CHECK(kept[i].id == published[i].id);
        CHECK(kept[i].event.event == published[i].event.event);
        CHECK(kept[i].event.signalId == published[i].event.signalId);
    }
}

TEST_CASE("sqlite power loss: a leg's SUBMITTED is on disk with every admission before it", "[gate][sqlite][power]") {
    PowerLossFixture f;
    Gate* g = f.gate.get();
    const auto admitted = g->admit({request(marketSignal("s1"), 1), request(marketSignal("s2"), 2)}, "local", 0, 1000);
    // The executor's "about to send" commit is synced before anything is sent.
    REQUIRE(g->apply(change(admitted[0].legs[0], LegState::Submitted), 1100) == ChangeResult::Applied);
    auto image = f.afterPowerLoss("image.sqlite");
    CHECK(image->leg({"s1", 0})->state == LegState::Submitted);
    CHECK(image->leg({"s2", 0})->state == LegState::Pending);
    CHECK(image->processedSeq() == 2);
}

TEST_CASE("sqlite power loss: a synced transaction that changed nothing does not count as a sync",
          "[gate][sqlite][power]") {
    PowerLossFixture f;
    Gate* g = f.gate.get();
    const auto admitted = g->admit({request(marketSignal("n1"), 1)}, "local", 0, 1000);
    // A lost race: the leg is not in the state this change expects, so nothing is written (and
    // SQLite syncs nothing).
    LegRecord stale = admitted[0].legs[0];
    stale.state = LegState::Unknown;
    REQUIRE(g->apply(change(stale, LegState::Absent), 1100) == ChangeResult::LostRace);
    const int walSyncs = f.vfs.syncs("-wal");
    // So the admission is still waiting for its sync, and processedSeq() must still do it.
    REQUIRE(g->processedSeq() == 1);
    CHECK(f.vfs.syncs("-wal") == walSyncs + 1);
    auto image = f.afterPowerLoss("image.sqlite");
    CHECK(image->processedSeq() == 1);
    CHECK(image->leg({"n1", 0}));
}

TEST_CASE("alert outbox: per sink in raise order, retried in place, delivered or failed for good", "[gate]") {
    const std::string kind = GENERATE(as<std::string>{}, "memory", "sqlite");
    Fixture f(kind);
    INFO(kind);
    Gate& g = *f.gate;
    CHECK_FALSE(g.nextAlert("tg"));
    auto alertOf = [](const std::string& title) {
        Alert a;
        a.key = "drift:bn:BTCUSDT";
        a.severity = Severity::Critical;
        a.title = title;
        a.text = "line one\nline <two> & \"three\"";
        a.timestampMs = 1234;
        a.fields = {{"expected", "0.004"}, {"venue", "0.002"}};
        a.suppressedCount = 3;
        return a;
    };
    const auto first = g.enqueueAlert(alertOf("first"), {"tg", "file"}, 1000);
    const auto second = g.enqueueAlert(alertOf("second"), {"tg"}, 1001);
    CHECK(second > first);
    CHECK(g.alertBacklog() == std::map<std::string, std::size_t>{{"file", 1}, {"tg", 2}});

    auto next = g.nextAlert("tg");
    REQUIRE(next);
    CHECK(next->id == first);
    CHECK(next->alert.id == std::to_string(first));
    CHECK(next->alert.title == "first");
    CHECK(next->alert.text == "line one\nline <two> & \"three\"");
    CHECK(next->alert.severity == Severity::Critical);
    CHECK(next->alert.fields == alertOf("x").fields);
    CHECK(next->alert.suppressedCount == 3);
    CHECK(next->attempts == 0);

    // A retry keeps the alert at the head of its sink's queue: the second waits behind it.
    g.alertRetry("tg", first, 5000, "429: retry after 4");
    next = g.nextAlert("tg");
    REQUIRE(next);
    CHECK(next->id == first);
    CHECK(next->attempts == 1);
    CHECK(next->notBeforeMs == 5000);
    CHECK(next->lastError == "429: retry after 4");

    g.alertDelivered("tg", first, 5001);
    next = g.nextAlert("tg");
    REQUIRE(next);
    CHECK(next->id == second);
    // Delivered to one sink is not delivered to another.
    REQUIRE(g.nextAlert("file"));
    CHECK(g.nextAlert("file")->id == first);

    g.alertFailed("tg", second, "403: bot was blocked by the user", 6000);
    CHECK_FALSE(g.nextAlert("tg"));
    const auto failed = g.failedAlerts("tg", 10);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].first.id == second);
    CHECK(failed[0].second == "403: bot was blocked by the user");
    g.alertDelivered("file", first, 6001);
    CHECK(g.alertBacklog().empty());
}

TEST_CASE("sqlite: undelivered alerts survive a reopen, in order", "[gate][sqlite]") {
    TempDir dir;
    const std::string path = dir.file("gate.sqlite");
    std::uint64_t a = 0, b = 0;
    {
        auto g = openSqliteGate(path);
        Alert alert;
        alert.key = "venue_unreachable:bn:";
        alert.title = "bn cannot be asked";
        a = g->enqueueAlert(alert, {"tg"}, 1);
        alert.title = "bn answers again";
        b = g->enqueueAlert(alert, {"tg"}, 2);
        g->alertRetry("tg", a, 99, "network");
    }
    auto g = openSqliteGate(path);
    auto next = g->nextAlert("tg");
    REQUIRE(next);
    CHECK(next->id == a);
    CHECK(next->attempts == 1);
    CHECK(next->alert.title == "bn cannot be asked");
    g->alertDelivered("tg", a, 3);
    REQUIRE(g->nextAlert("tg"));
    CHECK(g->nextAlert("tg")->id == b);
    CHECK(g->integrityCheck() == "ok");
}
