// The executor on the memory gate and a scripted venue: what is committed before and after each
// venue call, for every outcome, and what holds a leg back.
#include "pipeline/executor.h"

#include <catch2/catch.hpp>

#include "pipeline_rig.h"

using namespace tradehost;
using namespace tradehost::host;
using namespace tradehost::test;

namespace {
using Names = std::vector<std::string>;
}  // namespace

TEST_CASE("executor: SUBMITTED is committed before the venue is called; a fill ends the leg ACCEPTED",
          "[pipeline][executor]") {
    Rig r;
    r.admit(market("s1"));
    auto ex = r.executor();
    std::optional<LegRecord> duringCall;
    Names eventsDuringCall;
    r.venue.duringPlace = [&](const OrderIntent& i) {
        duringCall = r.gate->legByClientOrderId(i.clientOrderId);
        eventsDuringCall = names(*r.gate);
    };
    r.venue.willPlace(fills("65000"));

    CHECK(r.run(*ex) == kT0);  // it sent something: it looks again at once
    REQUIRE(duringCall);
    CHECK(duringCall->state == LegState::Submitted);
    CHECK(duringCall->sentMs == kT0);
    // The durable SUBMITTED state is what a crash mid-call relies on; order_submitted is written
    // with the outcome, once the order went out.
    CHECK(eventsDuringCall == Names{"signal_received"});

    REQUIRE(r.venue.placed.size() == 1);
    const OrderIntent& sent = r.venue.placed[0].intent;
    CHECK(sent.clientOrderId == r.ids.encode("s1", 0, 0));
    CHECK(sent.symbol == "BTCUSDT");
    CHECK(sent.side == Side::Buy);
    CHECK(sent.type == OrderType::Market);
    CHECK(sent.quantity == Decimal::of("0.002"));
    CHECK_FALSE(sent.price);
    CHECK(sent.positionSide == PositionSide::Both);

    const LegRecord leg = r.leg("s1");
    CHECK(leg.state == LegState::Accepted);
    CHECK(leg.filledQuantity == Decimal::of("0.002"));
    CHECK(leg.averagePrice == Decimal::of("65000"));
    CHECK(leg.exchangeOrderId == "ex-s1:bn:0:0");
    CHECK(leg.reason.empty());
    CHECK(names(*r.gate) == Names{"signal_received", "order_submitted", "order_ack", "order_fill"});
    const auto submitted = theEvent(*r.gate, "order_submitted");
    CHECK(submitted.event.clientOrderId == "s1:bn:0:0");
    CHECK(submitted.event.venue == "bn");
    CHECK(field(submitted, "symbol") == "BTCUSDT");
    CHECK(field(submitted, "side") == "BUY");
    CHECK(field(submitted, "type") == "MARKET");
    CHECK(field(submitted, "quantity") == "0.002");
    CHECK(field(submitted, "attempt") == "0");
    const auto ack = theEvent(*r.gate, "order_ack");
    CHECK(field(ack, "status") == "FILLED");
    CHECK(field(ack, "filled") == "0.002");
    CHECK(field(ack, "exchange_order_id") == "ex-s1:bn:0:0");
    const auto fill = theEvent(*r.gate, "order_fill");
    CHECK(field(fill, "fill_qty") == "0.002");
    CHECK(field(fill, "filled") == "0.002");
    CHECK(field(fill, "avg_price") == "65000");
    CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.002"));

    CHECK(r.lane.queued() == 0);
    CHECK(r.lane.unsettled() == 0);
    CHECK(r.toResolver.empty());
    CHECK(r.toTracker.empty());
    CHECK(r.recorded == 2);   // SUBMITTED, then the outcome: two transactions
    CHECK_FALSE(r.run(*ex));  // nothing queued: it waits to be woken
    CHECK(r.venue.placed.size() == 1);
}

TEST_CASE("executor: an order accepted and still open leaves the leg WORKING for the tracker", "[pipeline][executor]") {
    Rig r;
    r.admit(limit("s1", "BTCUSDT", "buy", "0.002", "60000"));
    r.admit(limit("s2", "BTCUSDT", "buy", "0.001", "59000"));
    auto ex = r.executor();
    r.venue.willPlace(rests());
    r.venue.willPlace(rests());
    r.run(*ex);
    // A resting order is settled as far as journal order goes: the next leg of its symbol goes in
    // the same round, right after it.
    REQUIRE(r.venue.placedIds() == Names{"s1:bn:0:0", "s2:bn:0:0"});
    CHECK(r.venue.placed[0].intent.price == Decimal::of("60000"));
    CHECK(r.venue.placed[0].intent.timeInForce == TimeInForce::GTC);
    const LegRecord leg = r.leg("s1");
    CHECK(leg.state == LegState::Working);
    CHECK(leg.filledQuantity == Decimal());
    REQUIRE(r.toTracker.size() == 2);
    CHECK(r.toTracker[0].key() == leg.key());
    CHECK(r.toTracker[0].state == LegState::Working);
    CHECK(r.leg("s2").state == LegState::Working);
    CHECK(names(*r.gate, 0, "s1") == Names{"signal_received", "order_submitted", "order_ack"});
    CHECK(field(theEvent(*r.gate, "order_ack", "s1"), "status") == "NEW");
    CHECK(r.gate->expectedPositions().empty());
    CHECK(r.lane.unsettled() == 0);
}

TEST_CASE("executor: Rejected ends the leg REJECTED with the venue's code, and trade_fail", "[pipeline][executor]") {
    Rig r;
    r.admit(market("s1"));
    auto ex = r.executor();
    r.venue.willPlace(rejects("-2019", "Margin is insufficient."));
    r.run(*ex);
    const LegRecord leg = r.leg("s1");
    CHECK(leg.state == LegState::Rejected);
    CHECK(leg.reason == "-2019: Margin is insufficient.");
    CHECK(names(*r.gate) == Names{"signal_received", "order_submitted", "order_rejected", "trade_fail"});
    const auto rejected = theEvent(*r.gate, "order_rejected");
    CHECK(field(rejected, "code") == "-2019");
    CHECK(field(rejected, "message") == "Margin is insufficient.");
    CHECK(field(theEvent(*r.gate, "trade_fail"), "reason") == leg.reason);
    CHECK(r.lane.unsettled() == 0);
    CHECK(r.toResolver.empty());
    CHECK(r.gate->expectedPositions().empty());
}

TEST_CASE("executor: Unknown leaves the leg UNKNOWN for the resolver, never sent again by the executor",
          "[pipeline][executor]") {
    Rig r;
    r.admit(market("s1"));
    auto ex = r.executor();
    r.venue.willPlace(unknownOutcome("read timeout after the request was sent"));
    r.venue.duringPlace = [&](const OrderIntent&) { r.clock.advanceMs(7); };  // the answer takes a while
    r.run(*ex);
    const LegRecord leg = r.leg("s1");
    CHECK(leg.state == LegState::Unknown);
    CHECK(leg.reason == "read timeout after the request was sent");
    CHECK(leg.unknownSinceMs == kT0 + 7);
    CHECK(leg.nextCheckMs == kT0 + 7 + 500);
    CHECK(leg.clientOrderId == "s1:bn:0:0");
    CHECK(leg.sentMs == kT0);
    REQUIRE(r.toResolver.size() == 1);
    CHECK(r.toResolver[0].state == LegState::Unknown);
    CHECK(r.toResolver[0].unknownSinceMs == kT0 + 7);
    CHECK(field(theEvent(*r.gate, "order_unknown"), "reason") == "read timeout after the request was sent");
    CHECK(r.lane.unsettled() == 1);
    CHECK_FALSE(r.run(*ex));
    r.clock.advanceMs(3'600'000);
    r.run(*ex);
    CHECK(r.venue.placed.size() == 1);
}

TEST_CASE("executor: Deferred puts the leg back under the same id and holds the venue; the rest of the round waits",
          "[pipeline][executor]") {
    Rig r;
    r.admit(market("s1", "BTCUSDT"));
    r.admit(market("s2", "ETHUSDT"));
    auto ex = r.executor();
    r.venue.willPlace(defers("429 Too Many Requests", 5000));
    r.run(*ex);

    CHECK(r.venue.placedIds() == Names{"s1:bn:0:0"});  // s2 was not tried
    const LegRecord s1 = r.leg("s1");
    CHECK(s1.state == LegState::Pending);
    CHECK(s1.clientOrderId == "s1:bn:0:0");
    CHECK(s1.attempt == 0);
    CHECK(s1.sentMs == 0);
    CHECK(s1.reason == "deferred: 429 Too Many Requests");
    const LegRecord s2 = r.leg("s2");
    CHECK(s2.state == LegState::Pending);
    CHECK(s2.clientOrderId == "s2:bn:0:0");
    CHECK(s2.attempt == 0);
    const auto deferred = theEvent(*r.gate, "order_deferred", "s1");
    CHECK(field(deferred, "reason") == "429 Too Many Requests");
    CHECK(field(deferred, "retry_after_ms") == "5000");
    CHECK(r.lane.queued() == 2);
    CHECK(r.lane.unsettled() == 0);
    CHECK(r.lane.heldUntilMs() == kT0 + 5000);
    CHECK(r.toResolver.empty());

    // Held: however often it runs, nothing goes before the retry time.
    for (const std::int64_t at : {kT0, kT0 + 1, kT0 + 4999}) {
        r.clock.setMs(at);
        CHECK(r.run(*ex) == kT0 + 5000);
    }
    CHECK(r.venue.placed.size() == 1);

    r.clock.setMs(kT0 + 5000);
    SECTION("the retry sends the same ids, and reports no second deferral") {
        r.venue.willPlace(fills());
        r.venue.willPlace(fills("3200"));
        r.run(*ex);
        CHECK(r.venue.placedIds() == Names{"s1:bn:0:0", "s1:bn:0:0", "s2:bn:0:0"});
        CHECK(r.leg("s1").state == LegState::Accepted);
        CHECK(r.leg("s2").state == LegState::Accepted);
        CHECK(r.leg("s1").reason.empty());
        const auto s1Events = names(*r.gate, 0, "s1");
        CHECK(s1Events == Names{"signal_received", "order_deferred", "order_submitted", "order_ack", "order_fill"});
        CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.002"));
    }
    SECTION("deferred again: held again, still one order_deferred") {
        r.venue.willPlace(defers("still limited", 2000));
        r.run(*ex);
        CHECK(r.venue.placedIds() == Names{"s1:bn:0:0", "s1:bn:0:0"});
        CHECK(r.leg("s1").state == LegState::Pending);
        CHECK(r.leg("s1").reason == "deferred: still limited");
        CHECK(r.lane.heldUntilMs() == kT0 + 7000);
        CHECK(countOf(names(*r.gate, 0, "s1"), "order_deferred") == 1);
    }
}

TEST_CASE("executor: a leg the venue holds back past max_signal_age_s is EXPIRED, never sent late",
          "[pipeline][executor]") {
    Rig r;
    r.options.maxSignalAgeMs = 10'000;
    r.admit(market("s1"));
    auto ex = r.executor();
    r.venue.willPlace(defers("not connected", 60'000));
    r.run(*ex);
    REQUIRE(r.leg("s1").state == LegState::Pending);

    r.clock.setMs(kT0 + 10'000);  // exactly max age: not past it yet
    CHECK(r.run(*ex) == kT0 + 10'001);
    CHECK(r.leg("s1").state == LegState::Pending);

    r.clock.setMs(kT0 + 10'001);
    CHECK_FALSE(r.run(*ex));
    const LegRecord leg = r.leg("s1");
    CHECK(leg.state == LegState::Expired);
    CHECK(leg.reason ==
          "signal is 10 s old, past max_signal_age_s (10 s); this attempt was never sent (the venue held it back: not "
          "connected)");
    CHECK(names(*r.gate, 0, "s1") == Names{"signal_received", "order_deferred", "order_expired", "trade_fail"});
    CHECK(r.lane.queued() == 0);
    CHECK(r.lane.unsettled() == 0);
    r.clock.setMs(kT0 + 60'000);
    r.run(*ex);
    CHECK(r.venue.placed.size() == 1);
}

TEST_CASE("executor: a leg waiting behind an unsettled leg of its symbol expires at max age, never sent",
          "[pipeline][executor]") {
    Rig r;
    r.admit(market("s1"));
    r.admit(market("s2", "BTCUSDT", "sell"));
    auto ex = r.executor();
    r.venue.willPlace(unknownOutcome("timeout"));
    r.run(*ex);
    CHECK(r.run(*ex) == kT0 + 60'001);  // nothing can go; woken when s2 expires
    r.clock.setMs(kT0 + 60'001);
    r.run(*ex);
    CHECK(r.leg("s2").state == LegState::Expired);
    CHECK(r.leg("s2").reason == "signal is 60 s old, past max_signal_age_s (60 s); this attempt was never sent");
    CHECK(r.venue.placedIds() == Names{"s1:bn:0:0"});
    CHECK(r.leg("s1").state == LegState::Unknown);  // not the executor's to touch
}

TEST_CASE("executor: the kill switch blocks queued legs before anything is sent", "[pipeline][executor]") {
    Rig r;
    r.admit(market("s1"));
    r.gate->setKillSwitch(true, {"alice", "exchange maintenance"}, kT0);
    auto ex = r.executor();
    const std::uint64_t mark = r.gate->lastEventId();
    r.run(*ex);
    CHECK(r.venue.placed.empty());
    const LegRecord leg = r.leg("s1");
    CHECK(leg.state == LegState::Blocked);
    CHECK(leg.reason == "trading is paused (kill switch)");
    CHECK(names(*r.gate, mark) == Names{"order_blocked", "trade_fail"});
    const auto blocked = theEvent(*r.gate, "order_blocked", "s1");
    CHECK(field(blocked, "reason") == "trading is paused (kill switch)");
    CHECK(field(blocked, "paused_by") == "alice");
    CHECK(field(blocked, "paused_why") == "exchange maintenance");
    CHECK(r.lane.queued() == 0);
    CHECK(r.lane.unsettled() == 0);

    r.gate->setKillSwitch(false, {"alice", "done"}, kT0 + 1);
    r.admit(market("s2"));
    r.venue.willPlace(fills());
    r.run(*ex);
    CHECK(r.venue.placedIds() == Names{"s2:bn:0:0"});  // the blocked leg stays blocked
    CHECK(r.leg("s1").state == LegState::Blocked);
}

TEST_CASE("executor: the venue's risk limits block a leg before anything is sent", "[pipeline][executor]") {
    Rig r;
    std::map<std::string, SettingValue> risk;
    std::string refused, allowed, reason;
    SECTION("symbols") {
        risk["symbols"] = std::vector<std::string>{"BTCUSDT"};
        refused = market("x", "ETHUSDT");
        allowed = market("ok", "BTCUSDT");
        reason = "RISK_SYMBOL: ETHUSDT is not in bn's symbols";
    }
    SECTION("max_quantity: above is refused, equal is allowed") {
        risk["max_quantity"] = Decimal::of("0.01");
        refused = market("x", "ETHUSDT", "buy", "0.011");
        allowed = market("ok", "BTCUSDT", "buy", "0.01");
        reason = "RISK_MAX_QUANTITY: 0.011 is above max_quantity 0.01";
    }
    SECTION("max_notional, for a priced order") {
        risk["max_notional"] = Decimal::of("100");
        refused = limit("x", "ETHUSDT", "buy", "0.002", "65000");
        allowed = limit("ok", "BTCUSDT", "buy", "0.001", "65000");
        reason = "RISK_MAX_NOTIONAL: 130 is above max_notional 100";
    }
    r.admit(refused);
    r.admit(allowed);
    auto ex = r.executor(Settings(risk));
    r.venue.placeAlways = rests();
    r.run(*ex);
    CHECK(r.venue.placedIds() == Names{"ok:bn:0:0"});
    const LegRecord leg = r.leg("x");
    CHECK(leg.state == LegState::Blocked);
    CHECK(leg.reason == reason);
    CHECK(names(*r.gate, 0, "x") == Names{"signal_received", "order_blocked", "trade_fail"});
    CHECK(field(theEvent(*r.gate, "order_blocked", "x"), "reason") == reason);
}

TEST_CASE("executor: max_orders_per_minute counts this round's sends and, seeded, those before a restart",
          "[pipeline][executor]") {
    Rig r;
    const Settings risk(std::map<std::string, SettingValue>{{"max_orders_per_minute", std::int64_t{2}}});
    const std::string rate = "RISK_ORDER_RATE: 2 orders in the last minute, max_orders_per_minute is 2";
    r.venue.placeAlways = fills();
    r.admit(market("a", "BTCUSDT"));
    r.admit(market("b", "ETHUSDT"));
    auto ex = r.executor(risk);

    SECTION("within one executor") {
        r.admit(market("c", "SOLUSDT"));
        r.run(*ex);
        CHECK(r.venue.placedIds() == Names{"a:bn:0:0", "b:bn:0:0"});
        CHECK(r.leg("c").state == LegState::Blocked);
        CHECK(r.leg("c").reason == rate);
        r.clock.setMs(kT0 + 59'999);
        r.admit(market("d", "BTCUSDT"));
        r.run(*ex);
        CHECK(r.leg("d").state == LegState::Blocked);
        r.clock.setMs(kT0 + 60'000);  // a minute after both went out
        r.admit(market("e", "BTCUSDT"));
        r.run(*ex);
        CHECK(r.leg("e").state == LegState::Accepted);
    }
    SECTION("after a restart, seeded from the gate's send times") {
        r.run(*ex);
        REQUIRE(r.venue.placed.size() == 2);
        ex.reset();
        r.clock.setMs(kT0 + 1000);
        auto restarted = r.executor(risk);
        restarted->seedSentTimes(r.gate->sentTimes("bn", r.clock.nowMs() - 60'000));
        r.admit(market("c", "SOLUSDT"));
        r.run(*restarted);
        CHECK(r.leg("c").state == LegState::Blocked);
        CHECK(r.leg("c").reason == rate);
        CHECK(r.venue.placed.size() == 2);
    }
    SECTION("seeded times older than a minute do not count") {
        ex->seedSentTimes({kT0 - 60'000, kT0 - 59'999});
        r.run(*ex);
        CHECK(r.venue.placedIds() == Names{"a:bn:0:0"});
        CHECK(r.leg("b").state == LegState::Blocked);
    }
}

TEST_CASE("executor: a deferred send does not count against max_orders_per_minute", "[pipeline][executor]") {
    Rig r;
    r.admit(market("a"));
    auto ex = r.executor(Settings(std::map<std::string, SettingValue>{{"max_orders_per_minute", std::int64_t{1}}}));
    r.venue.willPlace(defers("pacing", 1000));
    r.run(*ex);
    r.clock.advanceMs(1000);
    r.venue.willPlace(fills());
    r.run(*ex);
    CHECK(r.leg("a").state == LegState::Accepted);
    r.admit(market("b"));
    r.run(*ex);
    CHECK(r.leg("b").state == LegState::Blocked);
    CHECK(r.venue.placed.size() == 2);
}

TEST_CASE(
    "executor: a leg waits while an earlier leg of its symbol is SUBMITTED, UNKNOWN or ABSENT; "
    "another symbol goes past it",
    "[pipeline][executor]") {
    Rig r;
    r.admit(market("b1", "BTCUSDT", "buy"));
    r.admit(market("b2", "BTCUSDT", "sell"));  // closes what b1 opens: must never overtake it
    r.admit(market("e3", "ETHUSDT", "buy"));
    auto ex = r.executor();
    r.venue.duringPlace = [&](const OrderIntent& i) {
        if (i.clientOrderId == "b1:bn:0:0") CHECK(r.gate->leg({"b1", 0})->state == LegState::Submitted);
    };
    r.venue.willPlace(unknownOutcome("timeout"));
    r.venue.willPlace(fills("3200"));
    r.run(*ex);
    // One round took all three in journal order; b1's outcome is unknown, so b2 is not sent: it
    // goes back to the queue untried (it was committed SUBMITTED, never handed over).
    CHECK(r.venue.placedIds() == Names{"b1:bn:0:0", "e3:bn:0:0"});
    CHECK(r.leg("e3").state == LegState::Accepted);
    CHECK(r.leg("b2").state == LegState::Pending);
    CHECK(countOf(names(*r.gate, 0, "b2"), "order_requeued") == 1);
    CHECK(r.lane.queued() == 1);
    CHECK(r.lane.nextDueMs(r.clock.nowMs(), r.options.maxSignalAgeMs) == kT0 + 60'001);  // b2 waits for b1

    r.run(*ex);  // b1 UNKNOWN
    CHECK(r.venue.placed.size() == 2);
    const LegRecord absent = r.move(r.leg("b1"), LegState::Absent);
    r.run(*ex);  // b1 ABSENT
    CHECK(r.venue.placed.size() == 2);

    SECTION("b1's next attempt goes first, then b2") {
        r.move(absent, LegState::Absent, [&](LegRecord& l) {
            l.attempt = 1;
            l.clientOrderId = r.ids.encode("b1", 0, 1);
        });
        r.lane.enqueue(r.leg("b1"));
        r.venue.willPlace(fills());
        r.venue.willPlace(fills());
        r.run(*ex);
        CHECK(r.venue.placedIds() == Names{"b1:bn:0:0", "e3:bn:0:0", "b1:bn:0:1", "b2:bn:0:0"});
    }
    SECTION("b1 ends (expired): b2 goes") {
        r.move(absent, LegState::Expired);
        r.venue.willPlace(fills());
        r.run(*ex);
        CHECK(r.venue.placedIds() == Names{"b1:bn:0:0", "e3:bn:0:0", "b2:bn:0:0"});
    }
}

TEST_CASE("executor: a queued copy the gate no longer agrees with is never sent", "[pipeline][executor]") {
    Rig r;
    const LegRecord queued = r.admit(market("s1")).front();
    auto ex = r.executor();
    SECTION("an operator ended the leg meanwhile") {
        LegChange c{queued, queued, {}};
        c.after.state = LegState::Blocked;
        c.after.reason = "by hand";
        REQUIRE(r.gate->apply(c, kT0) == ChangeResult::Applied);
        r.run(*ex);
        CHECK(r.venue.placed.empty());
        CHECK(r.leg("s1").state == LegState::Blocked);
        CHECK(r.leg("s1").reason == "by hand");
        CHECK(r.lane.unsettled() == 0);
        CHECK(r.lane.queued() == 0);
    }
    SECTION("another sender took it (SUBMITTED): it stays in flight for the lane") {
        LegChange c{queued, queued, {}};
        c.after.state = LegState::Submitted;
        REQUIRE(r.gate->apply(c, kT0) == ChangeResult::Applied);
        r.admit(market("s2"));
        r.run(*ex);
        CHECK(r.venue.placed.empty());
        CHECK(r.lane.unsettled() == 1);
        r.run(*ex);
        CHECK(r.venue.placed.empty());  // s2 waits for it
        CHECK(r.lane.queued() == 1);
    }
    CHECK(countOf(names(*r.gate, 0, "s1"), "order_submitted") == 0);
}

TEST_CASE("executor: fills are booked on the side the leg names, or with BOTH in hedge mode, the side the venue used",
          "[pipeline][executor][hedge]") {
    Rig r;
    r.admit(market("long", "BTCUSDT", "buy", "0.002", R"(,"position_side":"LONG")"));
    r.admit(market("both", "ETHUSDT", "sell", "0.5"));
    auto ex = r.executor();
    // The venue reports the book it used: for the BOTH sell, hedge mode opened SHORT. For the LONG
    // leg it reports nothing particular (BOTH): the leg's own side stands.
    const PositionSide reportedForLong = GENERATE(PositionSide::Long, PositionSide::Both);
    r.venue.willPlace(fills("65000", reportedForLong));
    r.venue.willPlace(fills("3200", PositionSide::Short));
    r.run(*ex);

    REQUIRE(r.venue.placed.size() == 2);
    CHECK(r.venue.placed[0].intent.positionSide == PositionSide::Long);
    CHECK(r.venue.placed[1].intent.positionSide == PositionSide::Both);
    CHECK(r.leg("long").bookSide == PositionSide::Long);
    CHECK(r.leg("both").bookSide == PositionSide::Short);
    CHECK(positionOf(*r.gate, "BTCUSDT", PositionSide::Long) == Decimal::of("0.002"));
    CHECK(positionOf(*r.gate, "BTCUSDT", PositionSide::Both) == Decimal());
    CHECK(positionOf(*r.gate, "ETHUSDT", PositionSide::Short) == Decimal::of("-0.5"));
    CHECK(positionOf(*r.gate, "ETHUSDT", PositionSide::Both) == Decimal());
    CHECK(field(theEvent(*r.gate, "order_fill", "both"), "position_side") == "SHORT");
    CHECK(field(theEvent(*r.gate, "order_ack", "both"), "position_side") == "SHORT");
    CHECK(field(theEvent(*r.gate, "order_fill", "long"), "position_side") == "LONG");
}
