// The alert router and a sink's delivery worker, on the in-memory gate with a scripted sink:
// routing by severity, the fallback file, order under retries, failures recorded, events as alerts.
#include "alerts/alert_router.h"

#include <catch2/catch.hpp>
#include <deque>
#include <fstream>

#include "alerts/alert_delivery.h"
#include "alerts/alert_json.h"
#include "fake_context.h"
#include "gate/gate.h"
#include "temp_dir.h"

using namespace tradehost;
using namespace tradehost::host;

namespace {

constexpr std::int64_t kT0 = 1'800'000'000'000;

RaisedAlert raised(const std::string& kind, Severity s, const std::string& symbol = "BTCUSDT") {
    RaisedAlert a;
    a.kind = kind;
    a.instance = "bn";
    a.symbol = symbol;
    a.severity = s;
    a.title = kind + " on bn " + symbol;
    a.text = "details <b>&</b>";
    return a;
}

// A sink that answers from a script (then Ok), recording what it was given.
struct ScriptedSink {
    std::deque<SendResult> script;
    std::vector<Alert> given;
    SendResult operator()(const Alert& a) {
        given.push_back(a);
        if (script.empty()) return Ok{};
        SendResult r = script.front();
        script.pop_front();
        return r;
    }
};

std::vector<std::string> linesOf(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("alerts go to the sinks their severity routes to, and every one to the fallback file") {
    test::TempDir dir;
    auto gate = makeMemoryGate();
    std::vector<std::string> woken;
    AlertRouter router(*gate,
                       {{"tg", {Severity::Warning, Severity::Critical}},
                        {"file", {Severity::Info, Severity::Warning, Severity::Critical}}},
                       {{}, dir.file("fallback.jsonl")}, [&](const std::string& s) { woken.push_back(s); });
    const auto info = router.raise(raised("note", Severity::Info), kT0);
    const auto critical = router.raise(raised("drift", Severity::Critical), kT0 + 1);
    CHECK(info != 0);
    CHECK(critical > info);
    CHECK(gate->alertBacklog() == std::map<std::string, std::size_t>{{"file", 2}, {"tg", 1}});
    CHECK(woken == std::vector<std::string>{"file", "tg", "file"});
    CHECK(gate->nextAlert("tg")->alert.title == "drift on bn BTCUSDT");

    // Held back by the policy: not recorded anywhere, not in the fallback either.
    CHECK(router.raise(raised("drift", Severity::Critical), kT0 + 2) == 0);
    const auto lines = linesOf(dir.file("fallback.jsonl"));
    REQUIRE(lines.size() == 2);
    const auto first = alertFromJson(lines[0]);
    REQUIRE(first);
    CHECK(first->id == std::to_string(info));
    CHECK(first->text == "details <b>&</b>");
    CHECK(alertFromJson(lines[1])->severity == Severity::Critical);
}

TEST_CASE("a sink's delivery: retried no sooner than asked, later alerts wait behind, failures recorded") {
    auto gate = makeMemoryGate();
    test::FakeClock clock;
    clock.setMs(kT0);
    AlertRouter router(*gate, {{"tg", {Severity::Warning}}}, {}, nullptr);
    ScriptedSink sink;
    sink.script = {Retry{std::chrono::milliseconds(2000), "429: retry after 2"}, Ok{},
                   Fail{"400: Bad Request: chat not found"}};
    AlertDelivery delivery(
        "tg", *gate, [&](const Alert& a) { return sink(a); }, clock, nullptr);

    const auto a1 = router.raise(raised("one", Severity::Warning, "A"), kT0);
    const auto a2 = router.raise(raised("two", Severity::Warning, "B"), kT0);
    const auto a3 = router.raise(raised("three", Severity::Warning, "C"), kT0);

    CHECK(delivery.runOnce(clock.nowMs()) == kT0 + 2000);  // 429: not before 2 s
    REQUIRE(sink.given.size() == 1);
    CHECK(sink.given[0].id == std::to_string(a1));
    clock.setMs(kT0 + 1999);
    CHECK(delivery.runOnce(clock.nowMs()) == kT0 + 2000);  // too early: nothing sent
    CHECK(sink.given.size() == 1);
    clock.setMs(kT0 + 2000);
    delivery.runOnce(clock.nowMs());               // a1 again: Ok
    delivery.runOnce(clock.nowMs());               // a2: Fail
    delivery.runOnce(clock.nowMs());               // a3: Ok
    CHECK_FALSE(delivery.runOnce(clock.nowMs()));  // nothing left
    REQUIRE(sink.given.size() == 4);
    CHECK(sink.given[1].id == std::to_string(a1));  // the same alert, in order
    CHECK(sink.given[2].id == std::to_string(a2));
    CHECK(sink.given[3].id == std::to_string(a3));
    const auto failed = gate->failedAlerts("tg", 10);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].first.id == a2);
    CHECK(failed[0].second == "400: Bad Request: chat not found");
    CHECK(gate->alertBacklog().empty());
}

TEST_CASE("events that call for a human become alerts: a failed trade, an unresolved order, the kill switch") {
    auto gate = makeMemoryGate();
    AlertRouter router(*gate, {{"tg", {Severity::Info, Severity::Warning, Severity::Critical}}}, {}, nullptr);
    std::vector<StoredEvent> events = {
        {1, kT0, {"signal_received", "s1", "", "", "{}"}},
        {2, kT0, {"trade_fail", "s1", "s1:bn:0:0", "bn", R"({"reason":"-2019: Margin is insufficient"})"}},
        {3, kT0, {"order_unresolved", "s2", "s2:bn:0:0", "bn", R"({"reason":"timeout","unknown_for_s":"120"})"}},
        {4, kT0, {"trading_paused", "", "", "", R"({"by":"ops@desk","why":"drill"})"}},
        {5, kT0 + 1000, {"trading_resumed", "", "", "", R"({"by":"ops@desk","why":"over"})"}},
    };
    router.consume(events);
    std::vector<std::string> titles;
    while (auto next = gate->nextAlert("tg")) {
        titles.push_back(next->alert.title + " | " + next->alert.text.substr(0, 30));
        gate->alertDelivered("tg", next->id, kT0);
    }
    REQUIRE(titles.size() == 4);
    CHECK(titles[0] == "signal s1: a leg on bn ended without trading | -2019: Margin is insufficient");
    CHECK(titles[1].rfind("order s2:bn:0:0 on bn: outcome still unknown | timeout", 0) == 0);
    CHECK(titles[2] == "trading paused by ops@desk | drill");
    CHECK(titles[3] == "resolved: trading paused by ops@desk | trading resumed by ops@desk");
}

TEST_CASE("the reconciler's events as alerts: drift told once and resolved, a venue down mutes its order alerts") {
    auto gate = makeMemoryGate();
    AlertRouter router(*gate, {{"tg", {Severity::Info, Severity::Warning, Severity::Critical}}}, {}, nullptr);
    const std::string drift =
        R"J({"symbol":"BTCUSDT","position_side":"BOTH","expected":"0.002","venue":"0.005","difference":"0.003",)J"
        R"J("checks":"2","since_ms":"1796000000000","mark_price":"66000.5","notional":"198",)J"
        R"J("last_fill":"f1:bn:0:0 BUY 0.002 @ 65000 (ms 1795999990000)","foreign_orders":"web_8f2a9c",)J"
        R"J("likely_cause":"an order tradehost did not place (web_8f2a9c)",)J"
        R"J("action":"alerted; tradehost never trades to correct drift"})J";
    router.consume({
        {1, kT0, {"drift_detected", "", "", "bn", drift}},
        {2, kT0 + 15'000, {"drift_detected", "", "", "bn", drift}},  // not told again
        {3,
         kT0 + 30'000,
         {"drift_cleared", "", "", "bn", R"({"symbol":"BTCUSDT","venue":"0.002","drifted_for_s":"30"})"}},
        {4, kT0 + 40'000, {"venue_unreachable", "", "", "bn", R"({"reason":"connection refused","what":"positions"})"}},
        {5, kT0 + 41'000, {"trade_fail", "s9", "s9:bn:0:0", "bn", R"({"reason":"timeout"})"}},    // muted
        {6, kT0 + 42'000, {"trade_fail", "s10", "s10:bn:0:0", "bn", R"({"reason":"timeout"})"}},  // muted
        {7, kT0 + 60'000, {"venue_reachable", "", "", "bn", "{}"}},
    });
    std::vector<Alert> told;
    while (auto next = gate->nextAlert("tg")) {
        told.push_back(next->alert);
        gate->alertDelivered("tg", next->id, kT0);
    }
    REQUIRE(told.size() == 4);
    CHECK(told[0].key == "drift:bn:BTCUSDT");
    CHECK(told[0].severity == Severity::Critical);
    CHECK(told[0].title == "drift on bn BTCUSDT BOTH: venue holds 0.005, the host expects 0.002");
    CHECK(told[0].text.find("by 0.003 (198 at the mark price 66000.5), for 2 checks") != std::string::npos);
    CHECK(told[0].text.find("Likely cause: an order tradehost did not place (web_8f2a9c).") != std::string::npos);
    CHECK(told[0].text.find("What the host did: alerted; tradehost never trades to correct drift.") !=
          std::string::npos);
    CHECK(told[0].text.find("tradehost accept-baseline bn BTCUSDT") != std::string::npos);
    CHECK(told[0].text.find("tradehost resume") == std::string::npos);  // nothing was paused
    const auto fieldOf = [&](const std::string& name) {
        for (const auto& [k, v] : told[0].fields)
            if (k == name) return v;
        return std::string("(missing)");
    };
    CHECK(fieldOf("instance") == "bn");
    CHECK(fieldOf("position_side") == "BOTH");
    CHECK(fieldOf("notional") == "198");
    CHECK(fieldOf("since_ms") == "1796000000000");
    CHECK(fieldOf("last_fill") == "f1:bn:0:0 BUY 0.002 @ 65000 (ms 1795999990000)");
    CHECK(fieldOf("foreign_orders") == "web_8f2a9c");
    CHECK(told[1].title == "resolved: drift on bn BTCUSDT BOTH: venue holds 0.005, the host expects 0.002");
    CHECK(told[1].suppressedCount == 1);
    CHECK(told[2].key == "venue_unreachable:bn:");
    CHECK(told[2].title == "bn cannot be asked for its positions");
    CHECK(told[3].title == "resolved: bn cannot be asked for its positions");
    CHECK(told[3].text ==
          "bn answers again; 2 alert(s) about single orders were held back meanwhile (see the event log)");
}

TEST_CASE("the host's start and stop are told: info when asked, critical after a fatal error") {
    auto gate = makeMemoryGate();
    AlertRouter router(*gate, {{"tg", {Severity::Info, Severity::Warning, Severity::Critical}}}, {}, nullptr);
    router.consume({
        {1, kT0, {"host_started", "", "", "", R"({"replayed":"3","journal_seq":"42"})"}},
        {2, kT0 + 1000, {"host_stopping", "", "", "", "{}"}},
        {3, kT0 + 120'000, {"host_started", "", "", "", R"({"replayed":"0","journal_seq":"42"})"}},
        {4, kT0 + 121'000, {"host_fail_stop", "", "", "", R"({"reason":"gate: disk I/O error"})"}},
    });
    std::vector<Alert> told;
    while (auto next = gate->nextAlert("tg")) {
        told.push_back(next->alert);
        gate->alertDelivered("tg", next->id, kT0);
    }
    REQUIRE(told.size() == 4);
    CHECK(told[0].title == "tradehost started");
    CHECK(told[0].text == "3 journal record(s) admitted at recovery; journal at seq 42");
    CHECK(told[1].severity == Severity::Info);
    CHECK(told[1].title == "tradehost stopping (asked to)");
    CHECK(told[3].severity == Severity::Critical);  // a worse severity is told at once
    CHECK(told[3].text.rfind("gate: disk I/O error", 0) == 0);
}

TEST_CASE("symbol pauses, start positions, expiries and long venue holds are told; short holds are not") {
    auto gate = makeMemoryGate();
    AlertRouter router(*gate, {{"tg", {Severity::Info, Severity::Warning, Severity::Critical}}}, {}, nullptr);
    router.consume({
        {1, kT0, {"symbol_paused", "", "", "bn", R"({"symbol":"BTCUSDT","by":"reconciler","why":"drift"})"}},
        {2, kT0 + 1000, {"positions_at_start", "", "", "bn", R"({"positions":"ETHUSDT BOTH 0.5","count":"1"})"}},
        {3,
         kT0 + 2000,
         {"trade_fail", "s1", "s1:bn:0:0", "bn",
          R"({"reason":"signal is 75 s old, past max_signal_age_s","symbol":"ETHUSDT","state":"EXPIRED"})"}},
        {4,
         kT0 + 3000,
         {"order_deferred", "s2", "s2:bn:0:0", "bn",
          R"({"reason":"HTTP 429 too many requests","retry_after_ms":"2000"})"}},
        {5,
         kT0 + 4000,
         {"order_deferred", "s3", "s3:bn:0:0", "bn",
          R"({"reason":"HTTP 418 banned until ...","retry_after_ms":"120000"})"}},
        {6, kT0 + 5000, {"symbol_resumed", "", "", "bn", R"({"symbol":"BTCUSDT","by":"ops@desk","why":"checked"})"}},
    });
    std::vector<Alert> told;
    while (auto next = gate->nextAlert("tg")) {
        told.push_back(next->alert);
        gate->alertDelivered("tg", next->id, kT0);
    }
    REQUIRE(told.size() == 5);
    CHECK(told[0].key == "symbol_paused:bn:BTCUSDT");
    CHECK(told[0].title == "BTCUSDT on bn paused by reconciler");
    CHECK(told[0].text.find("tradehost resume bn BTCUSDT") != std::string::npos);
    CHECK(told[1].key == "positions_at_start:bn:");
    CHECK(told[1].title == "bn already holds positions tradehost did not open: ETHUSDT BOTH 0.5");
    CHECK(told[2].key == "signal_expired:bn:ETHUSDT");
    CHECK(told[2].title == "signal s1: ETHUSDT on bn expired unsent");
    CHECK(told[3].key == "venue_holding_back:bn:");  // the 2 s hold (a 429) is not told
    CHECK(told[3].title == "bn holds orders back for 120 s");
    CHECK(told[4].title == "resolved: BTCUSDT on bn paused by reconciler");
    CHECK(told[4].text == "BTCUSDT on bn resumed by ops@desk");
}

TEST_CASE("a refused chat command is told (once per window), an accepted one is not") {
    auto gate = makeMemoryGate();
    AlertRouter router(*gate, {{"tg", {Severity::Info, Severity::Warning, Severity::Critical}}}, {}, nullptr);
    const std::string refused =
        R"({"via":"tg","from":"telegram user 9 in chat 9","command":"pause","args":"","authorized":"false",)"
        R"("outcome":"ignored: not an authorized chat and user"})";
    router.consume({
        {1, kT0, {"operator_command", "", "", "", refused}},
        {2, kT0 + 1000, {"operator_command", "", "", "", refused}},  // held back inside the window
        {3,
         kT0 + 2000,
         {"operator_command", "", "", "",
          R"({"via":"tg","from":"telegram user 1 in chat 1","command":"status","args":"","authorized":"true",)"
          R"("outcome":"done"})"}},
    });
    std::vector<Alert> told;
    while (auto next = gate->nextAlert("tg")) {
        told.push_back(next->alert);
        gate->alertDelivered("tg", next->id, kT0);
    }
    REQUIRE(told.size() == 1);
    CHECK(told[0].key == "command_refused:tg:");
    CHECK(told[0].title == "a command through tg was refused: ignored: not an authorized chat and user");
    CHECK(told[0].text.rfind("from telegram user 9 in chat 9: /pause", 0) == 0);
}
