// The order tracker on the memory gate and a scripted venue: working orders polled or pushed,
// fills booked once, the venue's own endings, the query budget, and operators' cancel requests.
#include "pipeline/order_tracker.h"

#include <catch2/catch.hpp>
#include <set>

#include "pipeline_rig.h"

using namespace tradehost;
using namespace tradehost::host;
using namespace tradehost::test;

namespace {

using Names = std::vector<std::string>;

// A resting limit order: `body` sent, accepted NEW; returns the WORKING leg the executor handed on.
LegRecord working(Rig& r, Executor& ex, const std::string& body) {
    r.admit(body);
    r.venue.willPlace(rests());
    const std::size_t before = r.toTracker.size();
    r.run(ex);
    REQUIRE(r.toTracker.size() == before + 1);
    return r.toTracker.back();
}

Found report(const LegRecord& leg, OrderStatus status, const std::string& filled, const std::string& avg = "64990") {
    return Found{orderFor(intentOf(leg), status, filled, avg)};
}

}  // namespace

TEST_CASE("tracker: a working order is polled every workingPollMs; fills are booked once by cumulative quantity",
          "[pipeline][tracker]") {
    Rig r;
    r.options.workingPollMs = 1000;
    auto ex = r.executor();
    RecordingControl control(*r.gate);
    auto tr = r.tracker(control);
    const LegRecord w = working(r, *ex, limit("s1", "BTCUSDT", "buy", "0.003", "65000"));
    tr->add(w);
    CHECK(tr->working() == 1);
    CHECK(r.run(*tr) == kT0 + 1000);
    r.clock.setMs(kT0 + 999);
    r.run(*tr);
    CHECK(r.venue.queried.empty());

    r.clock.setMs(kT0 + 1000);
    std::uint64_t mark = r.gate->lastEventId();
    r.venue.willQuery(report(w, OrderStatus::PartiallyFilled, "0.001", "64990"));
    CHECK(r.run(*tr) == kT0 + 2000);
    CHECK(r.venue.queriedIds() == Names{"s1:bn:0:0"});
    CHECK(names(*r.gate, mark) == Names{"order_fill"});
    const auto first = theEvent(*r.gate, "order_fill", "s1", mark);
    CHECK(field(first, "fill_qty") == "0.001");
    CHECK(field(first, "filled") == "0.001");
    CHECK(field(first, "quantity") == "0.003");
    CHECK(field(first, "status") == "PARTIALLY_FILLED");
    CHECK(r.leg("s1").state == LegState::Working);
    CHECK(r.leg("s1").filledQuantity == Decimal::of("0.001"));
    CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.001"));

    // The same report again (a poll, a repeated push): nothing to write.
    r.clock.setMs(kT0 + 2000);
    mark = r.gate->lastEventId();
    const std::int64_t updated = r.leg("s1").updatedMs;
    r.venue.willQuery(report(w, OrderStatus::PartiallyFilled, "0.001", "64990"));
    r.run(*tr);
    CHECK(r.venue.queried.size() == 2);
    CHECK(r.gate->lastEventId() == mark);
    CHECK(r.leg("s1").updatedMs == updated);
    CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.001"));

    r.clock.setMs(kT0 + 3000);
    r.venue.willQuery(report(w, OrderStatus::Filled, "0.003", "64995"));
    r.run(*tr);
    CHECK(names(*r.gate, mark) == Names{"order_fill", "order_closed"});
    const auto rest = theEvent(*r.gate, "order_fill", "s1", mark);
    CHECK(field(rest, "fill_qty") == "0.002");
    CHECK(field(rest, "filled") == "0.003");
    CHECK(field(rest, "avg_price") == "64995");
    const auto closed = theEvent(*r.gate, "order_closed", "s1");
    CHECK(field(closed, "status") == "FILLED");
    CHECK(field(closed, "state") == "ACCEPTED");
    CHECK(field(closed, "filled") == "0.003");
    const LegRecord leg = r.leg("s1");
    CHECK(leg.state == LegState::Accepted);
    CHECK(leg.filledQuantity == Decimal::of("0.003"));
    CHECK(leg.averagePrice == Decimal::of("64995"));
    CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.003"));
    CHECK(tr->working() == 0);

    r.clock.setMs(kT0 + 10'000);
    r.run(*tr);
    CHECK(r.venue.queried.size() == 3);  // final: no longer asked about
}

TEST_CASE("tracker: an order the venue cancelled or expired ends the leg in that state, keeping its fills",
          "[pipeline][tracker]") {
    Rig r;
    auto ex = r.executor();
    RecordingControl control(*r.gate);
    auto tr = r.tracker(control);
    const LegRecord w = working(r, *ex, limit("s1", "BTCUSDT", "buy", "0.003", "65000"));
    tr->add(w);
    r.run(*tr);
    r.clock.setMs(kT0 + 1000);
    const std::uint64_t mark = r.gate->lastEventId();

    SECTION("cancelled by the venue after a partial fill") {
        r.venue.willQuery(report(w, OrderStatus::Canceled, "0.001", "65000"));
        r.run(*tr);
        const LegRecord leg = r.leg("s1");
        CHECK(leg.state == LegState::Cancelled);
        CHECK(leg.filledQuantity == Decimal::of("0.001"));
        CHECK(leg.reason == "the venue ended the order: CANCELED");
        CHECK(names(*r.gate, mark) == Names{"order_fill", "order_closed"});
        CHECK(field(theEvent(*r.gate, "order_closed", "s1"), "state") == "CANCELLED");
        CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.001"));
    }
    SECTION("expired by the venue with nothing filled") {
        r.venue.willQuery(report(w, OrderStatus::Expired, "0"));
        r.run(*tr);
        const LegRecord leg = r.leg("s1");
        CHECK(leg.state == LegState::Expired);
        CHECK(leg.filledQuantity == Decimal());
        CHECK(leg.reason == "the venue ended the order: EXPIRED");
        CHECK(names(*r.gate, mark) == Names{"order_closed"});
        CHECK(field(theEvent(*r.gate, "order_closed", "s1"), "state") == "EXPIRED");
        CHECK(r.gate->expectedPositions().empty());
    }
    CHECK(tr->working() == 0);
}

TEST_CASE("tracker: pushed updates are booked at the next round; polling slows to pushedPollMs",
          "[pipeline][tracker]") {
    Rig r;
    r.options.workingPollMs = 1000;
    r.options.pushedPollMs = 30'000;
    auto ex = r.executor();
    RecordingControl control(*r.gate);
    auto tr = r.tracker(control);
    r.venue.pushes = true;
    tr->setPushed(r.venue.watchOrders(*tr));  // as the host wires it
    const LegRecord w = working(r, *ex, limit("s1", "BTCUSDT", "sell", "0.003", "66000"));
    const OrderIntent intent = intentOf(w);
    tr->add(w);
    r.run(*tr);

    std::uint64_t mark = r.gate->lastEventId();
    r.venue.push(orderFor(intent, OrderStatus::PartiallyFilled, "0.001", "66000"));
    OrderIntent foreign = intent;
    foreign.clientOrderId = "not-ours-1";
    r.venue.push(orderFor(foreign, OrderStatus::Filled, "0.003", "66000"));  // ignored: not a leg it follows
    CHECK(r.gate->lastEventId() == mark);  // queued, not booked from the plugin's thread
    r.clock.setMs(kT0 + 10);
    r.run(*tr);
    CHECK(names(*r.gate, mark) == Names{"order_fill"});
    CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("-0.001"));  // a sell
    CHECK(r.venue.queried.empty());

    // A repeated push books nothing.
    mark = r.gate->lastEventId();
    r.venue.push(orderFor(intent, OrderStatus::PartiallyFilled, "0.001", "66000"));
    r.run(*tr);
    CHECK(r.gate->lastEventId() == mark);

    // Polling only as a backstop, every pushedPollMs.
    r.clock.setMs(kT0 + 29'999);
    r.run(*tr);
    CHECK(r.venue.queried.empty());
    r.clock.setMs(kT0 + 30'000);
    r.venue.willQuery(report(w, OrderStatus::PartiallyFilled, "0.001", "66000"));
    r.run(*tr);
    CHECK(r.venue.queried.size() == 1);
    CHECK(r.gate->lastEventId() == mark);

    r.venue.push(orderFor(intent, OrderStatus::Filled, "0.003", "66000"));
    r.run(*tr);
    CHECK(names(*r.gate, mark) == Names{"order_fill", "order_closed"});
    CHECK(r.leg("s1").state == LegState::Accepted);
    CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("-0.003"));
    CHECK(tr->working() == 0);
    mark = r.gate->lastEventId();
    r.venue.push(orderFor(intent, OrderStatus::Filled, "0.003", "66000"));  // late duplicate
    r.run(*tr);
    CHECK(r.gate->lastEventId() == mark);
}

TEST_CASE("tracker: polls stay within trackerQueriesPerSecond, the longest-waiting first", "[pipeline][tracker]") {
    Rig r;
    r.options.workingPollMs = 1000;
    r.options.trackerQueriesPerSecond = 2;
    auto ex = r.executor();
    RecordingControl control(*r.gate);
    auto tr = r.tracker(control);
    for (const char* symbol : {"AUSDT", "BUSDT", "CUSDT", "DUSDT", "EUSDT"})
        tr->add(working(r, *ex, limit(std::string("w-") + symbol, symbol, "buy", "1", "10")));
    CHECK(tr->working() == 5);
    r.venue.queryAlways = [](const std::string& id, const std::string& symbol) {
        OrderState o;
        o.clientOrderId = id;
        o.symbol = symbol;
        o.status = OrderStatus::New;
        return QueryResult{Found{o}};
    };
    r.run(*tr);  // first polls due a second after they were handed over
    CHECK(r.venue.queried.empty());

    r.clock.setMs(kT0 + 1000);
    CHECK(r.run(*tr) == kT0 + 2000);  // over budget: back when the first query leaves the window
    CHECK(r.venue.queried.size() == 2);
    r.run(*tr);
    r.clock.setMs(kT0 + 1999);
    r.run(*tr);
    CHECK(r.venue.queried.size() == 2);

    r.clock.setMs(kT0 + 2000);
    r.run(*tr);
    CHECK(r.venue.queried.size() == 4);
    r.clock.setMs(kT0 + 3000);
    r.run(*tr);
    CHECK(r.venue.queried.size() == 6);
    // Those never asked went first: after three windows every order has been asked about.
    const auto ids = r.venue.queriedIds();
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 5);
    CHECK(std::set<std::string>(ids.begin(), ids.begin() + 4).size() == 4);
}

TEST_CASE("tracker: a working order the venue cannot tell about stays WORKING and is asked less often",
          "[pipeline][tracker]") {
    Rig r;
    r.options.workingPollMs = 1000;
    auto ex = r.executor();
    RecordingControl control(*r.gate);
    auto tr = r.tracker(control);
    tr->add(working(r, *ex, limit("s1", "BTCUSDT", "buy", "0.003", "65000")));
    r.run(*tr);
    const bool notFound = GENERATE(false, true);
    r.venue.queryAlways = [notFound](const std::string&, const std::string&) {
        return notFound ? QueryResult{NotFound{"Order does not exist."}} : QueryResult{Unknown{"timeout"}};
    };
    // Asked at +1 s, then 2 s, 4 s, 8 s later.
    const std::vector<std::pair<std::int64_t, std::size_t>> expected = {{1000, 1}, {2999, 1},   {3000, 2},  {6999, 2},
                                                                        {7000, 3}, {14'999, 3}, {15'000, 4}};
    for (const auto& [at, queries] : expected) {
        r.clock.setMs(kT0 + at);
        r.run(*tr);
        INFO("at +" << at << " ms");
        CHECK(r.venue.queried.size() == queries);
    }
    CHECK(r.leg("s1").state == LegState::Working);
    CHECK(tr->working() == 1);
}

TEST_CASE("tracker: an operator's cancel request is carried out at the venue", "[pipeline][tracker]") {
    Rig r;
    r.options.workingPollMs = 10'000;  // so that a query in the cancel's round is the cancel's own
    auto ex = r.executor();
    RecordingControl control(*r.gate);
    auto tr = r.tracker(control);
    const LegRecord w = working(r, *ex, limit("s1", "BTCUSDT", "buy", "0.003", "65000"));
    tr->add(w);
    r.run(*tr);  // the first look at cancel requests: none yet

    r.clock.setMs(kT0 + 10);
    const auto request = r.gate->requestCancel(w.key(), {"alice", "stale limit"}, r.clock.nowMs());
    REQUIRE(request);
    r.run(*tr);
    CHECK(r.venue.cancelled.empty());  // requests are looked at about once a second

    r.clock.setMs(kT0 + 1000);
    const std::uint64_t mark = r.gate->lastEventId();
    SECTION("cancelled: CANCELLED with what filled before, the request closed") {
        r.venue.willCancel(Canceled{orderFor(intentOf(w), OrderStatus::Canceled, "0.001", "65000")});
        r.run(*tr);
        REQUIRE(r.venue.cancelled.size() == 1);
        CHECK(r.venue.cancelled[0].clientOrderId == "s1:bn:0:0");
        CHECK(r.venue.cancelled[0].symbol == "BTCUSDT");
        CHECK(r.leg("s1").state == LegState::Cancelled);
        CHECK(r.leg("s1").filledQuantity == Decimal::of("0.001"));
        CHECK(names(*r.gate, mark) == Names{"order_fill", "order_closed", "order_cancel_closed"});
        CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.001"));
        CHECK(control.closed == std::vector<std::pair<std::uint64_t, std::string>>{{*request, "cancelled"}});
        CHECK(tr->working() == 0);
        CHECK(r.venue.queried.empty());
    }
    SECTION("no longer open: asked about at once, in the same round") {
        r.venue.willCancel(NotOpen{"Unknown order sent."});
        r.venue.willQuery(Found{orderFor(intentOf(w), OrderStatus::Filled, "0.003", "65000")});
        r.run(*tr);
        CHECK(r.venue.cancelled.size() == 1);
        CHECK(r.venue.queriedIds() == Names{"s1:bn:0:0"});
        CHECK(r.leg("s1").state == LegState::Accepted);
        CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.003"));
        CHECK(control.closed ==
              std::vector<std::pair<std::uint64_t, std::string>>{{*request, "the order was no longer open"}});
    }
    SECTION("refused by the venue: order_cancel_failed once, the request kept and tried again until it works") {
        r.venue.willCancel(Rejected{"-1003", "Too many requests."});
        r.run(*tr);
        CHECK(names(*r.gate, mark) == Names{"order_cancel_failed"});
        const auto failed = theEvent(*r.gate, "order_cancel_failed", "s1");
        CHECK(field(failed, "code") == "-1003");
        CHECK(field(failed, "message") == "Too many requests.");
        CHECK(field(failed, "request") == std::to_string(*request));
        CHECK(r.leg("s1").state == LegState::Working);
        CHECK(tr->working() == 1);
        CHECK(control.closed.empty());
        CHECK(r.gate->openCancelRequests("bn").size() == 1);
        // Backing off: 1 s after the first refusal, then 2 s, 4 s ... up to a minute.
        r.clock.setMs(kT0 + 1999);
        r.run(*tr);
        CHECK(r.venue.cancelled.size() == 1);
        r.clock.setMs(kT0 + 2000);
        r.venue.willCancel(Rejected{"-1003", "Too many requests."});
        r.run(*tr);
        CHECK(r.venue.cancelled.size() == 2);
        CHECK(countOf(names(*r.gate, mark), "order_cancel_failed") == 1);  // refusals after the first are not logged
        r.clock.setMs(kT0 + 10'000);
        r.venue.willCancel(Canceled{orderFor(intentOf(w), OrderStatus::Canceled, "0")});
        r.run(*tr);
        CHECK(r.venue.cancelled.size() == 3);
        CHECK(r.leg("s1").state == LegState::Cancelled);
        CHECK(control.closed == std::vector<std::pair<std::uint64_t, std::string>>{{*request, "cancelled"}});
    }

    SECTION("no answer: the request stays open and is tried again at the next look") {
        r.venue.willCancel(Unknown{"timeout"});
        r.run(*tr);
        CHECK(control.closed.empty());
        CHECK(r.gate->openCancelRequests("bn").size() == 1);
        CHECK(r.leg("s1").state == LegState::Working);
        r.clock.setMs(kT0 + 1999);
        r.run(*tr);
        CHECK(r.venue.cancelled.size() == 1);
        r.clock.setMs(kT0 + 2000);
        r.venue.willCancel(Canceled{orderFor(intentOf(w), OrderStatus::Canceled, "0")});
        r.run(*tr);
        CHECK(r.venue.cancelled.size() == 2);
        CHECK(r.leg("s1").state == LegState::Cancelled);
        CHECK(control.closed == std::vector<std::pair<std::uint64_t, std::string>>{{*request, "cancelled"}});
    }
    CHECK(r.gate->openCancelRequests("bn").empty());
}

TEST_CASE("tracker: a cancel request for a leg that is not working is closed with 'nothing to cancel'",
          "[pipeline][tracker]") {
    Rig r;
    auto ex = r.executor();
    RecordingControl control(*r.gate);
    auto tr = r.tracker(control);
    r.admit(market("done"));
    r.venue.willPlace(fills());
    r.run(*ex);
    REQUIRE(r.leg("done").state == LegState::Accepted);
    const auto request = r.gate->requestCancel({"done", 0}, {"bob", "oops"}, kT0);
    REQUIRE(request);
    r.run(*tr);
    CHECK(r.venue.cancelled.empty());
    CHECK(control.closed ==
          std::vector<std::pair<std::uint64_t, std::string>>{{*request, "nothing to cancel: the leg is ACCEPTED"}});
    CHECK(r.gate->openCancelRequests("bn").empty());
    CHECK(r.leg("done").state == LegState::Accepted);
}

// A user-data stream usually pushes an order's first fill while the executor is still recording
// the placeOrder answer, i.e. before the WORKING leg is handed over: the tracker keeps such early
// pushes and books them once the leg comes in, not at the backstop poll half a minute later.
TEST_CASE("tracker: a pushed fill that arrives before the leg is handed over is booked promptly",
          "[pipeline][tracker]") {
    Rig r;
    r.options.workingPollMs = 1000;
    r.options.pushedPollMs = 30'000;
    auto ex = r.executor();
    RecordingControl control(*r.gate);
    auto tr = r.tracker(control);
    r.venue.pushes = true;
    tr->setPushed(r.venue.watchOrders(*tr));
    r.admit(limit("s1", "BTCUSDT", "buy", "0.003", "65000"));
    r.venue.willPlace([&](const OrderIntent& i) {
        // The stream is faster than the REST answer, and the tracker's thread runs a round at once.
        r.venue.push(orderFor(i, OrderStatus::PartiallyFilled, "0.001", "65000"));
        r.run(*tr);
        return PlaceResult{Accepted{orderFor(i, OrderStatus::New), ""}};
    });
    r.run(*ex);
    REQUIRE(r.toTracker.size() == 1);
    tr->add(r.toTracker[0]);
    // Whether the fix keeps early pushes or asks the venue soon after the hand-over, the fill must
    // be booked within a normal poll interval, not half a minute later.
    r.venue.queryAlways = [&](const std::string&, const std::string&) {
        return QueryResult{report(r.toTracker[0], OrderStatus::PartiallyFilled, "0.001", "65000")};
    };
    for (const std::int64_t at : {10, 1000, 1010}) {
        r.clock.setMs(kT0 + at);
        r.run(*tr);
    }
    CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.001"));
    CHECK(r.leg("s1").filledQuantity == Decimal::of("0.001"));
    CHECK(countOf(names(*r.gate, 0, "s1"), "order_fill") == 1);
}

// An operator's order_cancel_requested always gets its answer in the audit trail
// (order_cancel_closed), also when there was nothing to cancel.
TEST_CASE("tracker: every handled cancel request leaves its outcome in the audit trail", "[pipeline][tracker]") {
    Rig r;
    auto ex = r.executor();
    auto tr = r.tracker(*r.gate);
    r.admit(market("done"));
    r.venue.willPlace(fills());
    r.run(*ex);
    REQUIRE(r.gate->requestCancel({"done", 0}, {"bob", "oops"}, kT0));
    const std::uint64_t mark = r.gate->lastEventId();
    r.run(*tr);
    REQUIRE(r.gate->openCancelRequests("bn").empty());
    bool answered = false;
    for (const auto& e : eventsAfter(*r.gate, mark))
        answered =
            answered || (e.event.signalId == "done" && e.event.dataJson.find("nothing to cancel") != std::string::npos);
    CHECK(answered);
}
