// What the operator sees: the console reporter's one line per leg outcome (kinds, levels, a flood
// summarised, secrets kept out, where it starts after a restart), and the executor's events that
// feed it (order_submitted's fields, a refusal that never left the plugin, a quantity the plugin fitted).
#include "pipeline/console_reporter.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <catch2/catch.hpp>

#include "log/redactor.h"
#include "pipeline/outbox_dispatcher.h"
#include "pipeline_rig.h"

using namespace tradehost;
using namespace tradehost::host;
using namespace tradehost::test;

namespace {

using Names = std::vector<std::string>;

struct Line {
    Poco::Message::Priority priority;
    std::string text;
};

class CapturingChannel final : public Poco::Channel {
public:
    void log(const Poco::Message& msg) override { lines.push_back({msg.getPriority(), msg.getText()}); }
    std::vector<Line> lines;
};

// Captures the "outcome" logger for the test's lifetime (at information, as the host runs by default).
class Console {
public:
    Console() : channel_(new CapturingChannel), logger_(Poco::Logger::get("outcome")) {
        savedChannel_ = logger_.getChannel();
        savedLevel_ = logger_.getLevel();
        logger_.setChannel(channel_);
        logger_.setLevel(Poco::Message::PRIO_INFORMATION);
    }
    ~Console() {
        logger_.setChannel(savedChannel_);
        logger_.setLevel(savedLevel_);
    }
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    const std::vector<Line>& lines() const { return channel_->lines; }
    // The lines about one signal ("signal <id> leg ...").
    std::vector<Line> of(const std::string& signalId) const {
        std::vector<Line> out;
        for (const auto& l : lines())
            if (l.text.rfind("signal " + signalId + " leg ", 0) == 0) out.push_back(l);
        return out;
    }
    // The one line about `signalId`; fails the test unless there is exactly one.
    Line only(const std::string& signalId) const {
        const auto found = of(signalId);
        INFO("console lines of " << signalId << ":\n" << dump());
        REQUIRE(found.size() == 1);
        return found.front();
    }
    std::string dump() const {
        std::string out;
        for (const auto& l : lines()) out += "  [" + std::to_string(l.priority) + "] " + l.text + "\n";
        return out;
    }

private:
    Poco::AutoPtr<CapturingChannel> channel_;
    Poco::Logger& logger_;
    Poco::Channel::Ptr savedChannel_;
    int savedLevel_ = 0;
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// order_submitted means the order went out (or may have): for its client order id the very next
// event is order_ack, order_rejected by the venue (sent: true) or order_unknown, and no hand-over
// that sent nothing (order_deferred, order_not_sent, order_requeued, order_rejected with sent:
// false) has one. Returns "<id>: order_submitted then <next>" for those that break this;
// `anyUnsent` says whether an unsent hand-over was seen at all.
std::vector<std::string> handOversUnexplained(EventOutbox& outbox, bool& anyUnsent) {
    const auto events = eventsAfter(outbox);
    std::vector<std::string> bad;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const std::string& name = events[i].event.event;
        const bool unsentRejection = name == "order_rejected" && field(events[i], "sent") == "false";
        if (name == "order_not_sent" || name == "order_deferred" || name == "order_requeued" || unsentRejection)
            anyUnsent = true;
        if (name != "order_submitted") continue;
        std::string next = "(nothing)";
        for (std::size_t j = i + 1; j < events.size(); ++j)
            if (events[j].event.clientOrderId == events[i].event.clientOrderId) {
                next = events[j].event.event;
                if (next == "order_rejected") next += field(events[j], "sent") == "false" ? "/unsent" : "/sent";
                break;
            }
        if (next != "order_ack" && next != "order_rejected/sent" && next != "order_unknown")
            bad.push_back(events[i].event.clientOrderId + ": order_submitted then " + next);
    }
    return bad;
}

}  // namespace

TEST_CASE("console: one line per leg outcome, naming signal, venue and leg, at the outcome's level",
          "[pipeline][console]") {
    Console console;
    Rig r;
    const Settings risk(std::map<std::string, SettingValue>{{"max_quantity", Decimal::of("4")}});
    r.admit(market("fill-1", "BTCUSDT", "buy", "0.002"));
    r.admit(limit("rest-1", "ETHUSDT", "buy", "0.5", "3000"));
    r.admit(market("big-1", "SOLUSDT", "buy", "5"));
    r.admit(market("rej-1", "XRPUSDT", "sell", "3"));
    r.admit(market("old-1", "ADAUSDT", "buy", "2"), kT0 - 61'000);
    r.admit(market("unk-1", "DOGEUSDT", "buy", "2"));
    auto ex = r.executor(risk);
    r.venue.willPlace(fills("65000"));
    r.venue.willPlace(rests());
    r.venue.willPlace(rejects("-2019", "Margin is insufficient."));
    r.venue.willPlace(unknownOutcome("read timeout"));
    r.run(*ex);
    REQUIRE(r.venue.placedIds() == Names{"fill-1:bn:0:0", "rest-1:bn:0:0", "rej-1:bn:0:0", "unk-1:bn:0:0"});

    // The resting order is cancelled at the venue; the unknown one cannot be asked about for 200 s.
    RecordingControl control(*r.gate);
    auto tr = r.tracker(control);
    tr->add(r.leg("rest-1"));
    r.run(*tr);
    r.clock.setMs(kT0 + 1000);
    r.venue.willQuery(Found{orderFor(intentOf(r.leg("rest-1")), OrderStatus::Canceled, "0.2", "2999.5")});
    r.run(*tr);
    REQUIRE(r.leg("rest-1").state == LegState::Cancelled);
    auto res = r.resolver();
    res->add(r.leg("unk-1"));
    r.venue.queryAlways = [](const std::string&, const std::string&) { return QueryResult{Unknown{"HTTP 503"}}; };
    r.clock.setMs(kT0 + 200'000);
    r.run(*res);
    REQUIRE(countOf(names(*r.gate), "order_unresolved") == 1);

    ConsoleReporter reporter(r.clock, 0);
    OutboxDispatcher dispatcher(*r.gate, r.clock, noFatal());
    dispatcher.add(reporter);
    dispatcher.runOnce(r.clock.nowMs());
    INFO(console.dump());
    CHECK(r.gate->cursors().count("console") == 1);

    const Line filled = console.only("fill-1");
    CHECK(filled.priority == Poco::Message::PRIO_INFORMATION);
    CHECK(has(filled.text, "signal fill-1 leg 0 on bn: filled: BUY 0.002 BTCUSDT MARKET"));
    CHECK(has(filled.text, "0.002 at avg 65000"));
    CHECK(has(filled.text, "[fill-1:bn:0:0]"));

    const auto rest = console.of("rest-1");  // accepted, then its end: one line each
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].priority == Poco::Message::PRIO_INFORMATION);
    CHECK(
        has(rest[0].text, "signal rest-1 leg 0 on bn: accepted, resting at the venue: BUY 0.5 ETHUSDT LIMIT 3000 GTC"));
    CHECK(rest[1].priority == Poco::Message::PRIO_INFORMATION);
    CHECK(has(rest[1].text, "signal rest-1 leg 0 on bn: cancelled"));
    CHECK(has(rest[1].text, "0.2 filled at avg 2999.5"));

    const Line blocked = console.only("big-1");
    CHECK(blocked.priority == Poco::Message::PRIO_WARNING);
    CHECK(has(blocked.text, "signal big-1 leg 0 on bn: blocked, not sent"));
    CHECK(has(blocked.text, "RISK_MAX_QUANTITY: 5 is above max_quantity 4"));

    const Line rejected = console.only("rej-1");
    CHECK(rejected.priority == Poco::Message::PRIO_WARNING);
    CHECK(has(rejected.text, "signal rej-1 leg 0 on bn: rejected by the venue: SELL 3 XRPUSDT MARKET"));
    CHECK(has(rejected.text, "-2019: Margin is insufficient."));

    const Line expired = console.only("old-1");
    CHECK(expired.priority == Poco::Message::PRIO_WARNING);
    CHECK(has(expired.text, "signal old-1 leg 0 on bn: expired, never sent"));
    CHECK(has(expired.text, "past max_signal_age_s"));

    const Line unresolved = console.only("unk-1");
    CHECK(unresolved.priority == Poco::Message::PRIO_ERROR);
    CHECK(has(unresolved.text, "signal unk-1 leg 0 on bn: unresolved"));
    CHECK(has(unresolved.text, "unknown for 200 s"));

    CHECK(console.lines().size() == 7);  // nothing for order_submitted, order_fill, order_unknown, ...
}

TEST_CASE("console: a blocked leg says why: the kill switch, a risk limit, no such venue", "[pipeline][console]") {
    Console console;
    SECTION("the kill switch and a risk limit") {
        Rig r;
        r.admit(market("paused-1"));
        r.gate->setKillSwitch(true, {"alice", "exchange maintenance"}, kT0);
        auto ex =
            r.executor(Settings(std::map<std::string, SettingValue>{{"symbols", std::vector<std::string>{"BTCUSDT"}}}));
        r.run(*ex);
        r.gate->setKillSwitch(false, {"alice", "done"}, kT0);
        r.admit(market("risk-1", "ETHUSDT"));
        r.run(*ex);
        ConsoleReporter reporter(r.clock, 0);
        reporter.consume(eventsAfter(*r.gate));
        INFO(console.dump());
        CHECK(has(console.only("paused-1").text,
                  "signal paused-1 leg 0 on bn: blocked, not sent; trading is paused (kill switch); "
                  "paused by alice: exchange maintenance"));
        CHECK(has(console.only("risk-1").text, "blocked, not sent; RISK_SYMBOL: ETHUSDT is not in bn's symbols"));
    }
    SECTION("no such venue: blocked at admission, with no client order id; the line still names the leg") {
        AdmitRig r;
        r.journalSignal(R"({"signal_id":"u-1","legs":[)"
                        R"({"venue":"bn","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"},)"
                        R"({"venue":"nope","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"}]})");
        r.admitter()->runOnce(kT0);
        REQUIRE(r.gate->leg({"u-1", 1})->state == LegState::Blocked);
        ConsoleReporter reporter(r.clock, 0);
        reporter.consume(eventsAfter(*r.gate));
        INFO(console.dump());
        const Line line = console.only("u-1");
        CHECK(line.priority == Poco::Message::PRIO_WARNING);
        CHECK(line.text ==
              "signal u-1 leg 1 on nope: blocked, not sent; no venue instance named 'nope' in this deployment");
    }
}

TEST_CASE("console: a flood prints a few lines per kind and then one summary with the count", "[pipeline][console]") {
    Console console;
    Rig r;
    for (int i = 0; i < 50; ++i) r.admit(market("rj-" + std::to_string(i), "BTCUSDT", "buy", "0.002"));
    r.admit(market("ok-1", "ETHUSDT"));
    auto ex = r.executor();
    r.venue.placeAlways = [](const OrderIntent& i) {
        return i.symbol == "ETHUSDT" ? fills()(i) : PlaceResult{Rejected{"-2019", "Margin is insufficient."}};
    };
    r.run(*ex);
    REQUIRE(countOf(names(*r.gate), "order_rejected") == 50);

    ConsoleReporter::Options options;
    options.linesPerWindow = 3;
    options.windowMs = 1000;
    ConsoleReporter reporter(r.clock, 0, options);
    OutboxDispatcher dispatcher(*r.gate, r.clock, noFatal());
    dispatcher.add(reporter);
    auto rejectedLines = [&] {
        int n = 0;
        for (const auto& l : console.lines()) n += has(l.text, "rejected by the venue") ? 1 : 0;
        return n;
    };
    auto summaries = [&] {
        std::vector<std::string> out;
        for (const auto& l : console.lines())
            if (l.text.rfind("... and ", 0) == 0) out.push_back(l.text);
        return out;
    };

    dispatcher.runOnce(kT0);
    INFO(console.dump());
    CHECK(rejectedLines() == 3);
    CHECK(console.of("ok-1").size() == 1);  // another kind has its own allowance
    CHECK(summaries().empty());
    dispatcher.runOnce(kT0 + 999);
    CHECK(summaries().empty());  // the window is not over yet

    SECTION("the summary comes once the window is over, at its level, and only once") {
        dispatcher.runOnce(kT0 + 1000);
        REQUIRE(summaries() == Names{"... and 47 more rejected in the last 1 s (each one is in the event log)"});
        CHECK(console.lines().back().priority == Poco::Message::PRIO_WARNING);
        dispatcher.runOnce(kT0 + 5000);
        CHECK(summaries().size() == 1);
        CHECK(console.lines().size() == 3 + 1 + 1);

        // A later outcome opens a new window: printed again.
        r.clock.setMs(kT0 + 6000);
        r.admit(market("rj-late", "BTCUSDT"));
        r.run(*ex);
        dispatcher.runOnce(kT0 + 6000);
        CHECK(console.of("rj-late").size() == 1);
    }
    SECTION("at shutdown (drain) what was held back is summarised at once") {
        dispatcher.drain();
        CHECK(summaries() == Names{"... and 47 more rejected in the last 1 s (each one is in the event log)"});
    }
}

TEST_CASE("console: never prints a configured secret, a forged line or a payload", "[pipeline][console]") {
    const std::string secret = "canary-7Qx9-webhook-secret";
    Redactor::instance().addSecret(secret);
    Console console;
    Rig r;
    r.admit(market("sec-1"));
    r.admit(market("sec-2", "ETHUSDT"));
    r.admit(market("sec-4", "SOLUSDT"));
    auto ex = r.executor();
    // Venues echo what they were sent; a plugin may pass it on in its message.
    r.venue.willPlace(rejects("-2015", "Invalid API-key " + secret + ", IP, or permissions for action."));
    r.venue.willPlace(rejects(
        "-1102", "Mandatory parameter was not sent\n2026-01-01 00:00:00.000 Information [outcome] signal x filled"));
    // A long message is cut for the console: never through the middle of a secret, which would
    // leave a piece the Redactor no longer recognises.
    r.venue.willPlace(rejects("-1022", std::string(180, '.') + secret + " was not accepted"));
    r.run(*ex);
    // A refused conflicting delivery's event carries the whole payload: it is no leg outcome.
    r.gate->append({{"signal_rejected", "sec-3", "", "", R"({"reason":"conflict","payload":"{\"quantity\":\"9\"}"})"}},
                   kT0);

    ConsoleReporter reporter(r.clock, 0);
    reporter.consume(eventsAfter(*r.gate));
    INFO(console.dump());
    const Line line = console.only("sec-1");
    CHECK_FALSE(has(line.text, secret));
    CHECK(has(line.text, "Invalid API-key ***, IP"));
    const Line forged = console.only("sec-2");
    CHECK_FALSE(has(forged.text, "\n"));
    CHECK(console.of("sec-3").empty());
    CHECK_FALSE(has(console.only("sec-4").text, secret.substr(0, 10)));
    for (const auto& l : console.lines()) {
        CHECK_FALSE(has(l.text, secret));
        CHECK_FALSE(has(l.text, "{"));
    }
    CHECK(console.lines().size() == 3);
}

TEST_CASE("console: starts at the outbox's end when the host started; its cursor never holds back pruning",
          "[pipeline][console]") {
    Console console;
    FakeClock clock(kT0);
    auto gate = makeMemoryGate();
    auto blocked = [](const std::string& id) {
        return EventRecord{"order_blocked", id, id + ":bn:0:0", "bn",
                           R"j({"reason":"trading is paused (kill switch)"})j"};
    };
    // A previous run printed old-1 and stopped (crashed) before its cursor was stored past old-1..old-3.
    gate->append({blocked("old-1"), blocked("old-2"), blocked("old-3")}, kT0);
    gate->openCursor("console", 1);
    gate->openCursor("event_log", 3);

    ConsoleReporter reporter(clock, gate->lastEventId());
    CHECK(reporter.durableThrough() == 3);
    OutboxDispatcher dispatcher(*gate, clock, noFatal());
    dispatcher.add(reporter);
    dispatcher.runOnce(kT0);
    CHECK(console.lines().empty());  // nothing replayed
    CHECK(gate->cursors().at("console") == 3);
    CHECK(gate->pruneConsumed() == 3);  // every cursor is past them

    gate->append({blocked("new-1")}, kT0 + 1);
    dispatcher.runOnce(kT0 + 1);
    CHECK(console.of("new-1").size() == 1);
    CHECK(console.lines().size() == 1);
}

TEST_CASE("executor: order_submitted carries the whole order: type, price, time in force, reduce-only, position side",
          "[pipeline][executor][console]") {
    Rig r;
    r.admit(R"({"signal_id":"l1","venue":"bn","symbol":"BTCUSDT","side":"sell","type":"limit","quantity":"0.002",)"
            R"("price":"70000","time_in_force":"IOC","reduce_only":true,"position_side":"LONG"})");
    r.admit(market("m1", "ETHUSDT"));
    auto ex = r.executor();
    r.venue.placeAlways = rests();
    r.run(*ex);
    const auto l1 = theEvent(*r.gate, "order_submitted", "l1");
    CHECK(field(l1, "type") == "LIMIT");
    CHECK(field(l1, "price") == "70000");
    CHECK(field(l1, "time_in_force") == "IOC");
    CHECK(field(l1, "reduce_only") == "true");
    CHECK(field(l1, "position_side") == "LONG");
    CHECK(field(l1, "side") == "SELL");
    CHECK(field(l1, "quantity") == "0.002");
    const auto m1 = theEvent(*r.gate, "order_submitted", "m1");
    CHECK(field(m1, "type") == "MARKET");
    CHECK(field(m1, "price") == "<absent>");  // a market order has none: not an empty one
    CHECK(field(m1, "time_in_force") == "<absent>");
    CHECK(field(m1, "reduce_only") == "false");
    CHECK(field(m1, "position_side") == "BOTH");
}

TEST_CASE("executor: a refusal the plugin decided before sending does not read as sent",
          "[pipeline][executor][console]") {
    Console console;
    Rig r;
    r.admit(market("s1"));
    auto ex = r.executor();
    struct Case {
        std::string code;
        bool sent;
    };
    const Case c = GENERATE(Case{"LOCAL_FILTER", false}, Case{"NOT_SENT", false}, Case{"INVALID_POSITION_SIDE", false},
                            Case{"-2019", true}, Case{"HTTP 400", true});
    INFO("code " << c.code);
    r.venue.willPlace(rejects(c.code, "refused"));
    r.run(*ex);
    CHECK(r.leg("s1").state == LegState::Rejected);
    CHECK(r.leg("s1").reason == c.code + ": refused");
    const auto rejected = theEvent(*r.gate, "order_rejected", "s1");
    CHECK(field(rejected, "code") == c.code);
    CHECK(field(rejected, "sent") == (c.sent ? "true" : "false"));
    if (c.sent)
        CHECK(names(*r.gate, 0, "s1") == Names{"signal_received", "order_submitted", "order_rejected", "trade_fail"});
    else  // nothing went out: no order_submitted at all
        CHECK(names(*r.gate, 0, "s1") == Names{"signal_received", "order_rejected", "trade_fail"});
    bool anyUnsent = false;
    CHECK(handOversUnexplained(*r.gate, anyUnsent).empty());
    CHECK(anyUnsent == !c.sent);

    ConsoleReporter reporter(r.clock, 0);
    reporter.consume(eventsAfter(*r.gate));
    const Line line = console.only("s1");
    CHECK(line.priority == Poco::Message::PRIO_WARNING);
    CHECK(has(line.text, c.sent ? "rejected by the venue" : "refused by the plugin, nothing sent"));
    CHECK(has(line.text, c.code + ": refused"));
}

TEST_CASE(
    "executor: a hand-over that sent nothing has no order_submitted, also when a held-back leg is held back again",
    "[pipeline][executor][console]") {
    Rig r;
    r.admit(market("s1", "BTCUSDT"));
    r.admit(market("s2", "ETHUSDT"));
    auto ex = r.executor();
    r.venue.willPlace(defers("429 Too Many Requests", 1000));
    r.run(*ex);
    r.clock.advanceMs(1000);
    r.venue.willPlace(defers("still limited", 1000));
    r.run(*ex);
    CHECK(r.venue.placedIds() == Names{"s1:bn:0:0", "s1:bn:0:0"});
    CHECK(countOf(names(*r.gate, 0, "s1"), "order_deferred") == 1);  // recorded once per leg, as before
    CHECK(names(*r.gate, 0, "s1") == Names{"signal_received", "order_deferred", "order_not_sent"});
    CHECK(field(theEvent(*r.gate, "order_not_sent", "s1"), "reason") == "still limited");
    CHECK(field(theEvent(*r.gate, "order_not_sent", "s1"), "retry_after_ms") == "1000");
    CHECK(names(*r.gate, 0, "s2") == Names{"signal_received", "order_deferred", "order_not_sent"});

    r.clock.advanceMs(1000);
    r.venue.placeAlways = fills();
    r.run(*ex);
    CHECK(r.leg("s1").state == LegState::Accepted);
    CHECK(r.leg("s2").state == LegState::Accepted);
    bool anyUnsent = false;
    CHECK(handOversUnexplained(*r.gate, anyUnsent).empty());
    CHECK(anyUnsent);
}

TEST_CASE("executor: a quantity the plugin fitted to the venue's step is reported, asked and sent",
          "[pipeline][executor][console]") {
    Console console;
    Rig r;
    r.admit(market("q1", "BTCUSDT", "buy", "0.0123"));
    r.admit(market("q2", "ETHUSDT", "buy", "0.5"));
    auto ex = r.executor();
    r.venue.willPlace([](const OrderIntent& i) {
        OrderState o = orderFor(i, OrderStatus::Filled, "0.012", "65000");
        o.quantity = Decimal::of("0.012");  // floored to the step 0.001
        return PlaceResult{Accepted{o, "quantity 0.0123 floored to step 0.001 -> 0.012"}};
    });
    r.venue.willPlace(fills("3200"));
    r.run(*ex);

    const auto ack = theEvent(*r.gate, "order_ack", "q1");
    CHECK(field(ack, "quantity_asked") == "0.0123");
    CHECK(field(ack, "quantity_sent") == "0.012");
    CHECK(r.leg("q1").filledQuantity == Decimal::of("0.012"));
    CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.012"));
    const auto plain = theEvent(*r.gate, "order_ack", "q2");
    CHECK(field(plain, "quantity_asked") == "<absent>");
    CHECK(field(plain, "quantity_sent") == "<absent>");
    // order_submitted, written once the order went out, carries the adjustment too.
    CHECK(field(theEvent(*r.gate, "order_submitted", "q1"), "quantity") == "0.0123");
    CHECK(field(theEvent(*r.gate, "order_submitted", "q1"), "quantity_sent") == "0.012");
    CHECK(field(theEvent(*r.gate, "order_submitted", "q2"), "quantity_sent") == "<absent>");

    ConsoleReporter reporter(r.clock, 0);
    reporter.consume(eventsAfter(*r.gate));
    INFO(console.dump());
    CHECK(has(console.only("q1").text, "quantity 0.0123 asked, 0.012 sent"));
    CHECK_FALSE(has(console.only("q2").text, "asked"));
}
