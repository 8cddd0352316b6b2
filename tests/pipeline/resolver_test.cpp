// The resolver on the memory gate and a scripted venue: when an UNKNOWN leg is adopted, left
// waiting, proven absent, retried under its next id, or given up on.
#include "pipeline/resolver.h"

#include <catch2/catch.hpp>

#include "pipeline_rig.h"

using namespace tradehost;
using namespace tradehost::host;
using namespace tradehost::test;

namespace {

using Names = std::vector<std::string>;

// Sends `body`'s first leg and makes its outcome unknown (at kT0, the rig's clock); returns the
// leg as the executor handed it to the resolver.
LegRecord sendIntoUnknown(Rig& r, Executor& ex, const std::string& body) {
    r.admit(body);
    r.venue.willPlace(unknownOutcome("timeout"));
    const std::size_t before = r.toResolver.size();
    r.run(ex);
    REQUIRE(r.toResolver.size() == before + 1);
    return r.toResolver.back();
}

NotFound notFound() { return NotFound{"Order does not exist."}; }

}  // namespace

TEST_CASE("resolver: an order found by its client order id is adopted", "[pipeline][resolver]") {
    Rig r;
    auto ex = r.executor();
    auto res = r.resolver();
    const LegRecord unknown = sendIntoUnknown(r, *ex, market("s1"));
    r.admit(market("s2"));  // same symbol: waits for s1 to settle
    res->add(unknown);
    CHECK(res->pending() == 1);
    CHECK(r.run(*res) == kT0 + 500);  // first asked half a second after the outcome went unknown
    CHECK(r.venue.queried.empty());
    r.clock.setMs(kT0 + 500);
    const std::uint64_t mark = r.gate->lastEventId();

    SECTION("filled: ACCEPTED, the fill booked") {
        r.venue.willQuery(Found{orderFor(intentOf(unknown), OrderStatus::Filled, "0.002", "65010")});
        CHECK_FALSE(r.run(*res));
        REQUIRE(r.venue.queried.size() == 1);
        CHECK(r.venue.queried[0].clientOrderId == "s1:bn:0:0");
        CHECK(r.venue.queried[0].symbol == "BTCUSDT");
        const LegRecord leg = r.leg("s1");
        CHECK(leg.state == LegState::Accepted);
        CHECK(leg.filledQuantity == Decimal::of("0.002"));
        CHECK(leg.unknownSinceMs == 0);
        CHECK(names(*r.gate, mark) == Names{"order_resolved", "order_fill"});
        const auto resolved = theEvent(*r.gate, "order_resolved", "s1");
        CHECK(field(resolved, "outcome") == "found");
        CHECK(field(resolved, "status") == "FILLED");
        CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.002"));
        CHECK(r.toTracker.empty());
    }
    SECTION("still open: WORKING, handed to the tracker") {
        r.venue.willQuery(Found{orderFor(intentOf(unknown), OrderStatus::New)});
        r.run(*res);
        CHECK(r.leg("s1").state == LegState::Working);
        REQUIRE(r.toTracker.size() == 1);
        CHECK(r.toTracker[0].key() == LegKey{"s1", 0});
        CHECK(names(*r.gate, mark) == Names{"order_resolved"});
        CHECK(field(theEvent(*r.gate, "order_resolved", "s1"), "status") == "NEW");
        CHECK(r.gate->expectedPositions().empty());
    }
    // Settled either way: the leg behind it is released and the executor woken; nothing resent.
    CHECK(res->pending() == 0);
    CHECK(r.executorWakes == 1);
    CHECK(r.lane.unsettled() == 0);
    r.venue.willPlace(fills());
    r.run(*ex);
    CHECK(r.venue.placedIds() == Names{"s1:bn:0:0", "s2:bn:0:0"});
    r.clock.advanceMs(60'000);
    CHECK_FALSE(r.run(*res));
    CHECK(r.venue.queried.size() == 1);
}

TEST_CASE(
    "resolver: 'could not ask' leaves the leg UNKNOWN, asked again after a quarter of its unknown time "
    "(1-30 s); order_unresolved once",
    "[pipeline][resolver]") {
    Rig r;
    r.options.unresolvedAlertMs = 120'000;
    auto ex = r.executor();
    auto res = r.resolver();
    res->add(sendIntoUnknown(r, *ex, market("s1")));
    r.venue.queryAlways = [](const std::string&, const std::string&) { return QueryResult{Unknown{"HTTP 503"}}; };

    struct Step {
        std::int64_t atMs;      // since the outcome went unknown
        std::size_t queries;    // asked so far
        std::int64_t nextAtMs;  // when it wants to ask again
    };
    const std::vector<Step> steps = {
        {500, 1, 1500},         // unknown 0.5 s: a quarter is below the 1 s floor
        {1499, 1, 1500},        // not yet
        {1500, 2, 2500},        //
        {60'000, 3, 75'000},    // unknown 60 s: asked again 15 s later
        {75'000, 4, 93'750},    //
        {200'000, 5, 230'000},  // unknown 200 s: a quarter is 50 s, capped at 30 s
        {230'000, 6, 260'000},
    };
    for (const auto& step : steps) {
        r.clock.setMs(kT0 + step.atMs);
        INFO("at +" << step.atMs << " ms");
        CHECK(r.run(*res) == kT0 + step.nextAtMs);
        CHECK(r.venue.queried.size() == step.queries);
        CHECK(r.leg("s1").state == LegState::Unknown);
        CHECK(countOf(names(*r.gate), "order_unresolved") == (step.atMs >= 200'000 ? 1 : 0));
    }
    const auto unresolved = theEvent(*r.gate, "order_unresolved", "s1");
    CHECK(field(unresolved, "reason") == "unresolved: HTTP 503");
    CHECK(field(unresolved, "unknown_for_s") == "200");
    CHECK(r.leg("s1").reason == "unresolved: HTTP 503");
    CHECK(r.venue.placed.size() == 1);
    CHECK(res->pending() == 1);
    CHECK(r.lane.unsettled() == 1);
}

TEST_CASE(
    "resolver: NotFound proves absence only repeated and past the settle window; then the next attempt, "
    "under a new id, is queued and sent",
    "[pipeline][resolver]") {
    Rig r;
    r.options.settleWindowMs = 30'000;
    r.options.notFoundToAbsent = 3;
    auto ex = r.executor();
    auto res = r.resolver();
    res->add(sendIntoUnknown(r, *ex, market("s1")));
    r.venue.queryAlways = [](const std::string&, const std::string&) { return QueryResult{notFound()}; };

    SECTION("three NotFound inside the settle window are not enough") {
        for (const std::int64_t at : {500, 1500, 2500}) {
            r.clock.setMs(kT0 + at);
            CHECK(r.run(*res) == kT0 + at + 1000);
        }
        CHECK(r.venue.queried.size() == 3);
        r.clock.setMs(kT0 + 29'999);
        r.run(*res);
        CHECK(r.venue.queried.size() == 4);
        CHECK(r.leg("s1").state == LegState::Unknown);
        CHECK(r.lane.queued() == 0);
        r.run(*ex);
        CHECK(r.venue.placed.size() == 1);
        r.clock.setMs(kT0 + 30'999);
    }
    SECTION("past the settle window, NotFound must still repeat") {
        for (const std::int64_t at : {40'000, 41'000}) {
            r.clock.setMs(kT0 + at);
            r.run(*res);
            CHECK(r.leg("s1").state == LegState::Unknown);
        }
        CHECK(r.venue.queried.size() == 2);
        r.clock.setMs(kT0 + 42'000);
    }
    const std::uint64_t mark = r.gate->lastEventId();
    CHECK_FALSE(r.run(*res));
    const LegRecord next = r.leg("s1");
    CHECK(next.state == LegState::Absent);
    CHECK(next.attempt == 1);
    CHECK(next.clientOrderId == r.ids.encode("s1", 0, 1));
    CHECK(next.clientOrderId == "s1:bn:0:1");
    CHECK(next.reason == "next attempt after proven absence");
    const auto resolved = theEvent(*r.gate, "order_resolved", "s1", mark);
    CHECK(field(resolved, "outcome") == "absent");
    CHECK(field(resolved, "reason").rfind("not found ", 0) == 0);
    CHECK(resolved.event.clientOrderId == "s1:bn:0:0");  // the attempt proven absent
    CHECK(r.lane.queued() == 1);
    CHECK(r.executorWakes >= 1);
    CHECK(res->pending() == 0);

    r.venue.willPlace(fills());
    r.run(*ex);
    CHECK(r.venue.placedIds() == Names{"s1:bn:0:0", "s1:bn:0:1"});
    CHECK(field(theEvent(*r.gate, "order_submitted", "s1", mark), "attempt") == "1");
    CHECK(r.leg("s1").state == LegState::Accepted);
    CHECK(positionOf(*r.gate, "BTCUSDT") == Decimal::of("0.002"));
    CHECK(r.gate->legByClientOrderId("s1:bn:0:0")->signalId == "s1");  // the old id still maps back
}

TEST_CASE("resolver: a proven-absent leg with no attempts left, or past max signal age, is EXPIRED",
          "[pipeline][resolver]") {
    Rig r;
    r.options.settleWindowMs = 30'000;
    r.options.notFoundToAbsent = 3;
    std::string reason;
    int attempt = 0;
    SECTION("attempts exhausted") {
        attempt = kMaxAttempt;
        reason = "no attempts left";
    }
    SECTION("the signal is too old to send again") {
        r.options.maxSignalAgeMs = 20'000;
        reason = "absent, and the signal is past max_signal_age_s";
    }
    auto ex = r.executor();
    auto res = r.resolver();
    LegRecord unknown = sendIntoUnknown(r, *ex, market("s1"));
    if (attempt > 0) {
        // A leg on its last attempt (its earlier ones proven absent before).
        unknown = r.move(unknown, LegState::Unknown, [&](LegRecord& l) {
            l.attempt = attempt;
            l.clientOrderId = r.ids.encode("s1", 0, attempt);
        });
    }
    res->add(unknown);
    r.venue.queryAlways = [](const std::string&, const std::string&) { return QueryResult{notFound()}; };
    const std::uint64_t mark = r.gate->lastEventId();
    for (const std::int64_t at : {30'000, 31'000, 32'000}) {
        r.clock.setMs(kT0 + at);
        r.run(*res);
    }
    const LegRecord leg = r.leg("s1");
    CHECK(leg.state == LegState::Expired);
    CHECK(leg.attempt == attempt);
    CHECK(leg.reason == reason);
    CHECK(names(*r.gate, mark) == Names{"order_resolved", "order_expired", "trade_fail"});
    CHECK(r.lane.queued() == 0);
    CHECK(r.lane.unsettled() == 0);
    CHECK(res->pending() == 0);
    r.run(*ex);
    CHECK(r.venue.placed.size() == 1);
}

TEST_CASE(
    "resolver: when the next attempt's id already belongs to another leg, the leg is EXPIRED, never sent under it",
    "[pipeline][resolver]") {
    Rig r;
    r.options.settleWindowMs = 30'000;
    r.options.notFoundToAbsent = 3;
    // Another signal's leg holds s1's attempt-1 id (a digest collision, or a gate edited by hand).
    AdmissionRequest other;
    other.journalSeq = ++r.lastSeq;
    other.receivedMs = kT0;
    other.signal = signalOf(market("other"));
    other.legs = {{"s1:bn:0:1", ""}};
    REQUIRE(r.gate->admit({other}, "local", 0, kT0).front().outcome == Admission::Admitted);

    auto ex = r.executor();
    auto res = r.resolver();
    res->add(sendIntoUnknown(r, *ex, market("s1")));
    r.venue.queryAlways = [](const std::string&, const std::string&) { return QueryResult{notFound()}; };
    const std::uint64_t mark = r.gate->lastEventId();
    for (const std::int64_t at : {30'000, 31'000, 32'000}) {
        r.clock.setMs(kT0 + at);
        r.run(*res);
    }
    const LegRecord leg = r.leg("s1");
    CHECK(leg.state == LegState::Expired);
    CHECK(leg.attempt == 0);
    CHECK(leg.clientOrderId == "s1:bn:0:0");
    CHECK(leg.reason == "the next attempt's client order id s1:bn:0:1 already belongs to another leg");
    CHECK(names(*r.gate, mark) == Names{"order_resolved", "order_expired", "trade_fail"});
    CHECK(r.gate->legByClientOrderId("s1:bn:0:1")->signalId == "other");
    CHECK(r.lane.queued() == 0);
    r.run(*ex);
    CHECK(r.venue.placedIds() == Names{"s1:bn:0:0"});
}

TEST_CASE("resolver: an operator's retry is a query now, recorded with who and why, never a resend",
          "[pipeline][resolver]") {
    Rig r;
    auto ex = r.executor();
    auto res = r.resolver();
    res->add(sendIntoUnknown(r, *ex, market("s1")));
    r.venue.queryAlways = [](const std::string&, const std::string&) { return QueryResult{Unknown{"HTTP 503"}}; };
    r.clock.setMs(kT0 + 60'000);
    CHECK(r.run(*res) == kT0 + 75'000);  // could not ask: next in 15 s
    CHECK(r.venue.queried.size() == 1);
    const std::uint64_t mark = r.gate->lastEventId();

    res->checkNow({"s1", 0}, {"admin bearer (operator) from 127.0.0.1", "the venue is back"});
    r.clock.setMs(kT0 + 61'000);  // long before its backoff time
    CHECK(r.run(*res) == kT0 + 76'250);
    CHECK(r.venue.queriedIds() == Names{"s1:bn:0:0", "s1:bn:0:0"});
    CHECK(names(*r.gate, mark) == Names{"operator_retry_resolution"});
    const auto asked = theEvent(*r.gate, "operator_retry_resolution", "s1");
    CHECK(asked.event.clientOrderId == "s1:bn:0:0");
    CHECK(field(asked, "by") == "admin bearer (operator) from 127.0.0.1");
    CHECK(field(asked, "why") == "the venue is back");
    CHECK(r.leg("s1").state == LegState::Unknown);
    CHECK(r.venue.placedIds() == Names{"s1:bn:0:0"});  // asked, never sent again

    // A leg the resolver does not follow (settled, or never unknown): nothing asked, nothing recorded.
    res->checkNow({"other", 0}, {"someone", "why not"});
    CHECK(r.run(*res) == kT0 + 76'250);
    CHECK(r.venue.queried.size() == 2);
    CHECK(names(*r.gate, mark) == Names{"operator_retry_resolution"});
}
