// The reconciler on the memory gate and a scripted venue: drift only after two checks with nothing
// in flight, cleared once, "could not ask" never read as flat, foreign and venue-made orders named.
#include "reconcile/reconciler.h"

#include <catch2/catch.hpp>

#include "pipeline_rig.h"

using namespace tradehost;
using namespace tradehost::host;
using namespace tradehost::test;

namespace {

Positions holding(const std::string& symbol, const std::string& quantity) {
    return Positions{
        {Position{symbol, PositionSide::Both, Decimal::of(quantity), Decimal::of("65000"), Decimal::of("66000.5")}}};
}

struct ReconcileRig : Rig {
    std::unique_ptr<Reconciler> reconciler(OnDrift onDrift = OnDrift::Alert) {
        venue.openOrdersAnswer = OpenOrders{};
        return std::make_unique<Reconciler>("bn", venue, ids, *gate, *gate, *gate, *gate,
                                            ReconcilerOptions{15'000, "local", onDrift}, clock, nullptr);
    }
    // Books 0.002 BTCUSDT for the host, as a filled market order would.
    void bookFill() {
        admit(market("f1"));
        auto ex = executor();
        venue.willPlace(fills());
        run(*ex);
        REQUIRE(positionOf(*gate, "BTCUSDT") == Decimal::of("0.002"));
    }
};

}  // namespace

TEST_CASE("reconciler: a position moved behind the host's back is drift after two checks, cleared once",
          "[reconcile]") {
    ReconcileRig r;
    r.bookFill();
    r.venue.stepSize = Decimal::of("0.001");
    auto rec = r.reconciler();
    const auto mark = r.gate->lastEventId();

    r.venue.positionsAnswer = holding("BTCUSDT", "0.002");
    rec->check(r.clock.nowMs());
    CHECK(countOf(names(*r.gate, mark), "drift_detected") == 0);
    CHECK(countOf(names(*r.gate, mark), "position_snapshot") == 1);

    r.venue.positionsAnswer = holding("BTCUSDT", "0.005");  // someone traded 0.003 by hand
    rec->check(r.clock.nowMs());
    CHECK(countOf(names(*r.gate, mark), "drift_detected") == 0);  // one check is not enough
    r.clock.advanceMs(15'000);
    rec->check(r.clock.nowMs());
    const auto drift = theEvent(*r.gate, "drift_detected", "", mark);
    CHECK(drift.event.venue == "bn");
    CHECK(field(drift, "symbol") == "BTCUSDT");
    CHECK(field(drift, "expected") == "0.002");
    CHECK(field(drift, "venue") == "0.005");
    CHECK(field(drift, "difference") == "0.003");
    CHECK(field(drift, "checks") == "2");
    rec->check(r.clock.nowMs());  // still drifting: not recorded again
    CHECK(countOf(names(*r.gate, mark), "drift_detected") == 1);

    r.venue.positionsAnswer = holding("BTCUSDT", "0.002");
    rec->check(r.clock.nowMs());
    CHECK(field(theEvent(*r.gate, "drift_cleared", "", mark), "venue") == "0.002");
    rec->check(r.clock.nowMs());
    CHECK(countOf(names(*r.gate, mark), "drift_cleared") == 1);
}

TEST_CASE("reconciler: less than a step is no drift; a leg in flight holds the count", "[reconcile]") {
    ReconcileRig r;
    r.bookFill();
    r.venue.stepSize = Decimal::of("0.001");
    auto rec = r.reconciler();
    const auto mark = r.gate->lastEventId();
    r.venue.positionsAnswer = holding("BTCUSDT", "0.0025");  // half a step: rounding, not drift
    for (int i = 0; i < 3; ++i) rec->check(r.clock.nowMs());
    CHECK(countOf(names(*r.gate, mark), "drift_detected") == 0);

    r.admit(market("pending-1"));  // a leg of BTCUSDT waits to be sent
    r.venue.positionsAnswer = holding("BTCUSDT", "0.004");
    for (int i = 0; i < 3; ++i) rec->check(r.clock.nowMs());
    CHECK(countOf(names(*r.gate, mark), "drift_detected") == 0);
}

TEST_CASE("reconciler: could not ask is its own event, never flat; answering again says so", "[reconcile]") {
    ReconcileRig r;
    r.bookFill();
    auto rec = r.reconciler();
    const auto mark = r.gate->lastEventId();
    r.venue.positionsAnswer = Unknown{"connection refused"};
    for (int i = 0; i < 3; ++i) rec->check(r.clock.nowMs());
    CHECK(names(*r.gate, mark) == std::vector<std::string>{"venue_unreachable"});  // once, and no drift
    CHECK(field(theEvent(*r.gate, "venue_unreachable", "", mark), "reason") == "connection refused");
    r.venue.positionsAnswer = holding("BTCUSDT", "0.002");
    rec->check(r.clock.nowMs());
    CHECK(names(*r.gate, mark) ==
          std::vector<std::string>{"venue_unreachable", "venue_reachable", "position_snapshot"});
}

TEST_CASE("reconciler: open orders not ours are foreign, once each; the venue's own are named", "[reconcile]") {
    ReconcileRig r;
    auto rec = r.reconciler();
    const auto mark = r.gate->lastEventId();
    r.venue.positionsAnswer = Positions{};
    OrderIntent ours;
    ours.clientOrderId = r.ids.encode("s1", 0, 0);
    ours.symbol = "BTCUSDT";
    ours.quantity = Decimal::of("0.002");
    OrderIntent manual = ours;
    manual.clientOrderId = "web_8f2a9c";
    OrderIntent liquidation = ours;
    liquidation.clientOrderId = "autoclose-1796000000000";
    r.venue.openOrdersAnswer = OpenOrders{{orderFor(ours, OrderStatus::New), orderFor(manual, OrderStatus::New),
                                           orderFor(liquidation, OrderStatus::New)}};
    // The reconciler sets the open orders in reconciler(); set them again after it.
    rec->check(r.clock.nowMs());
    rec->check(r.clock.nowMs());
    std::vector<std::string> foreign;
    for (const auto& e : eventsAfter(*r.gate, mark))
        if (e.event.event == "foreign_order")
            foreign.push_back(field(e, "client_order_id") + " | " + field(e, "made_by"));
    REQUIRE(foreign.size() == 2);
    CHECK(foreign[0] == "web_8f2a9c | not tradehost (a person, or another program)");
    CHECK(foreign[1] == "autoclose-1796000000000 | liquidation (the venue closed it for lack of margin)");
    CHECK(venueMadeOrder("adl_autoclose") == "auto-deleveraging (the venue reduced it against a liquidation)");
    CHECK(venueMadeOrder("settlement_autoclose-BTCUSDT").rfind("settlement", 0) == 0);
}

TEST_CASE("reconciler: a drift record says what a human needs: notional at the mark, last fill, cause, action",
          "[reconcile]") {
    ReconcileRig r;
    r.bookFill();
    r.venue.stepSize = Decimal::of("0.001");
    auto rec = r.reconciler();
    const auto mark = r.gate->lastEventId();
    r.venue.positionsAnswer = holding("BTCUSDT", "0.005");
    OrderIntent manual;
    manual.clientOrderId = "web_8f2a9c";
    manual.symbol = "BTCUSDT";
    manual.quantity = Decimal::of("0.001");
    OrderIntent elsewhere = manual;
    elsewhere.clientOrderId = "web_other";
    elsewhere.symbol = "ETHUSDT";
    rec->check(r.clock.nowMs());
    r.venue.openOrdersAnswer = OpenOrders{{orderFor(manual, OrderStatus::New), orderFor(elsewhere, OrderStatus::New)}};
    r.clock.advanceMs(15'000);
    rec->check(r.clock.nowMs());
    const auto drift = theEvent(*r.gate, "drift_detected", "", mark);
    CHECK(field(drift, "difference") == "0.003");
    CHECK(field(drift, "mark_price") == "66000.5");
    CHECK(field(drift, "venue_entry_price") == "65000");
    CHECK(field(drift, "notional") == "198");  // 0.003 x 66000.5 = 198.0015, to the cent
    CHECK(field(drift, "since_ms") == std::to_string(kT0));
    CHECK(field(drift, "last_fill").rfind(r.ids.encode("f1", 0, 0) + " BUY 0.002 @ 65000", 0) == 0);
    CHECK(field(drift, "foreign_orders") == "web_8f2a9c");  // the symbol's only, not ETHUSDT's
    CHECK(field(drift, "likely_cause") == "an order tradehost did not place (web_8f2a9c)");
    CHECK(field(drift, "action").find("never trades to correct") != std::string::npos);
    CHECK(r.gate->pausedSymbols().empty());  // on_drift: alert pauses nothing
    // The venue's reading is kept for operators (accept as baseline) and the admin page.
    const auto seen = r.gate->venuePositions();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].key == PositionKey{"bn", "BTCUSDT", PositionSide::Both});
    CHECK(seen[0].quantity == Decimal::of("0.005"));
    CHECK(seen[0].checkedMs == r.clock.nowMs());
    CHECK(r.gate->venueCheckedMs("bn") == r.clock.nowMs());
}

TEST_CASE("reconciler: on_drift pause_symbol pauses the symbol; its legs are blocked, others trade", "[reconcile]") {
    ReconcileRig r;
    r.bookFill();
    r.venue.stepSize = Decimal::of("0.001");
    auto rec = r.reconciler(OnDrift::PauseSymbol);
    const auto mark = r.gate->lastEventId();
    r.venue.positionsAnswer = Positions{};  // closed by hand: the venue is flat, the host expects 0.002
    rec->check(r.clock.nowMs());
    rec->check(r.clock.nowMs());
    const auto drift = theEvent(*r.gate, "drift_detected", "", mark);
    CHECK(field(drift, "likely_cause") == "the position was closed outside tradehost (by hand, or a liquidation)");
    CHECK(field(drift, "action").rfind("paused BTCUSDT on bn", 0) == 0);
    const auto paused = r.gate->pausedSymbols();
    REQUIRE(paused.size() == 1);
    CHECK(paused[0].venue == "bn");
    CHECK(paused[0].symbol == "BTCUSDT");
    CHECK(paused[0].by.who == "reconciler");
    const auto pausedEvent = theEvent(*r.gate, "symbol_paused", "", mark);
    CHECK(field(pausedEvent, "symbol") == "BTCUSDT");
    CHECK(field(pausedEvent, "by") == "reconciler");

    r.admit(market("after-drift"));
    r.admit(market("other-symbol", "ETHUSDT", "buy", "0.010"));
    auto ex = r.executor();
    r.venue.willPlace(fills());
    r.run(*ex);
    CHECK(r.leg("after-drift").state == LegState::Blocked);
    CHECK(r.leg("after-drift").reason == "BTCUSDT is paused on bn");
    CHECK(r.leg("other-symbol").state == LegState::Accepted);
    // Only an operator lifts it, and that is recorded with who and why.
    CHECK(r.gate->setSymbolPaused("bn", "BTCUSDT", false, {"ops@desk", "checked the account"}, r.clock.nowMs()));
    CHECK_FALSE(r.gate->setSymbolPaused("bn", "BTCUSDT", false, {"ops@desk", "again"}, r.clock.nowMs()));
    CHECK(field(theEvent(*r.gate, "symbol_resumed", "", mark), "by") == "ops@desk");
    CHECK(r.gate->pausedSymbols().empty());
}

TEST_CASE("reconciler: positions held before the host ever traded there are told once at start, not as drift",
          "[reconcile]") {
    ReconcileRig r;
    r.venue.stepSize = Decimal::of("0.001");
    const auto mark = r.gate->lastEventId();
    {
        auto rec = r.reconciler();
        r.venue.positionsAnswer = holding("ETHUSDT", "0.500");
        rec->firstCheck(r.clock.nowMs());
        for (int i = 0; i < 3; ++i) rec->check(r.clock.nowMs());
        CHECK(countOf(names(*r.gate, mark), "positions_at_start") == 1);
        CHECK(field(theEvent(*r.gate, "positions_at_start", "", mark), "positions") == "ETHUSDT BOTH 0.5");
        CHECK(countOf(names(*r.gate, mark), "drift_detected") == 0);
    }
    // The operator accepts what the venue holds: from the next start on there is nothing to tell.
    r.gate->setBaseline({"bn", "ETHUSDT", PositionSide::Both}, r.gate->venuePositions().at(0).quantity,
                        {"ops@desk", "held before tradehost"}, r.clock.nowMs());
    const auto accepted = r.gate->lastEventId();
    auto again = r.reconciler();
    again->firstCheck(r.clock.nowMs());
    again->check(r.clock.nowMs());
    CHECK(countOf(names(*r.gate, accepted), "positions_at_start") == 0);
    CHECK(countOf(names(*r.gate, accepted), "drift_detected") == 0);
}
