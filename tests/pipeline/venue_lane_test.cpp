// VenueLane on its own: journal order per symbol, in-flight legs, holds, expiry and when it is due.
#include "pipeline/venue_lane.h"

#include <catch2/catch.hpp>

#include "pipeline_rig.h"

using namespace tradehost;
using namespace tradehost::host;
using namespace tradehost::test;

namespace {

LegRecord queued(const std::string& signalId, std::uint64_t seq, const std::string& symbol,
                 std::int64_t receivedMs = kT0, int leg = 0) {
    LegRecord l;
    l.signalId = signalId;
    l.leg = leg;
    l.journalSeq = seq;
    l.receivedMs = receivedMs;
    l.intent.venue = "bn";
    l.intent.symbol = symbol;
    l.intent.quantity = Decimal::of("1");
    l.clientOrderId = signalId + ":bn:" + std::to_string(leg) + ":0";
    l.state = LegState::Pending;
    return l;
}

std::vector<std::string> signalsOf(const std::vector<LegRecord>& legs) {
    std::vector<std::string> out;
    for (const auto& l : legs) out.push_back(l.signalId + "#" + std::to_string(l.leg));
    return out;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("lane: a round takes legs in journal order across symbols, a symbol's legs one after another",
          "[pipeline][lane]") {
    VenueLane lane("bn");
    lane.enqueue(queued("b2", 2, "BTCUSDT"));
    lane.enqueue(queued("b1", 1, "BTCUSDT"));  // queued after b2, still ahead of it: the journal position decides
    lane.enqueue(queued("e3", 3, "ETHUSDT"));
    CHECK(lane.queued() == 3);
    CHECK(lane.nextDueMs(kT0, 60'000) == kT0);
    CHECK(signalsOf(lane.takeRunnable(10, kT0)) == Names{"b1#0", "b2#0", "e3#0"});
    CHECK(lane.queued() == 0);
    CHECK(lane.unsettled() == 3);  // in flight from the moment they are taken
    CHECK(lane.takeRunnable(10, kT0).empty());
    CHECK_FALSE(lane.nextDueMs(kT0, 60'000));  // nothing queued
}

TEST_CASE("lane: a leg queued behind an unsettled leg of its symbol waits for it; other symbols go past",
          "[pipeline][lane]") {
    VenueLane lane("bn");
    LegRecord b1 = queued("b1", 1, "BTCUSDT");
    lane.enqueue(b1);
    REQUIRE(signalsOf(lane.takeRunnable(1, kT0)) == Names{"b1#0"});
    // b1 is in flight when b2 (same symbol) and e3 arrive.
    lane.enqueue(queued("b2", 2, "BTCUSDT"));
    lane.enqueue(queued("e3", 3, "ETHUSDT"));
    CHECK(signalsOf(lane.takeRunnable(10, kT0)) == Names{"e3#0"});
    CHECK(lane.takeRunnable(10, kT0).empty());
    // Nothing can go until b1 settles: the lane is next due when b2 passes the maximum age.
    CHECK(lane.nextDueMs(kT0, 60'000) == kT0 + 60'001);

    SECTION("SUBMITTED, UNKNOWN and ABSENT keep it waiting; a settled state lets it go") {
        for (const LegState s : {LegState::Submitted, LegState::Unknown, LegState::Absent}) {
            b1.state = s;
            CHECK_FALSE(lane.track(b1));
            CHECK(lane.takeRunnable(10, kT0).empty());
        }
        b1.state = GENERATE(LegState::Accepted, LegState::Working, LegState::Rejected, LegState::Blocked,
                            LegState::Expired, LegState::Cancelled);
        INFO("b1 " << toString(b1.state));
        CHECK(lane.track(b1));
        CHECK(lane.nextDueMs(kT0, 60'000) == kT0);
        CHECK(signalsOf(lane.takeRunnable(10, kT0)) == Names{"b2#0"});
    }
    SECTION("deferred: back to PENDING and queued again, it is still ahead of b2") {
        b1.state = LegState::Pending;
        lane.track(b1);
        lane.enqueue(b1);
        CHECK(signalsOf(lane.takeRunnable(10, kT0)) == Names{"b1#0", "b2#0"});
    }
    SECTION("a settled leg of another symbol releases nothing here") {
        LegRecord e3 = queued("e3", 3, "ETHUSDT");
        e3.state = LegState::Accepted;
        lane.track(e3);
        CHECK(lane.takeRunnable(10, kT0).empty());
        CHECK(lane.unsettled() == 1);
    }
}

TEST_CASE("lane: two legs of one signal on one symbol go in leg order", "[pipeline][lane]") {
    VenueLane lane("bn");
    lane.enqueue(queued("s", 1, "BTCUSDT", kT0, 1));
    lane.enqueue(queued("s", 1, "BTCUSDT", kT0, 0));
    CHECK(signalsOf(lane.takeRunnable(10, kT0)) == Names{"s#0", "s#1"});
}

TEST_CASE("lane: an ABSENT leg's next attempt goes although its own position is unsettled; later legs after it",
          "[pipeline][lane]") {
    VenueLane lane("bn");
    LegRecord b1 = queued("b1", 1, "BTCUSDT");
    lane.enqueue(b1);
    lane.enqueue(queued("b2", 2, "BTCUSDT"));
    REQUIRE(signalsOf(lane.takeRunnable(1, kT0)) == Names{"b1#0"});
    b1.state = LegState::Unknown;
    lane.track(b1);
    CHECK(lane.takeRunnable(10, kT0).empty());  // b2 waits while b1 is unknown
    b1.state = LegState::Absent;
    lane.track(b1);
    CHECK(lane.takeRunnable(10, kT0).empty());  // ... and while b1 awaits its next attempt
    b1.attempt = 1;
    b1.clientOrderId = "b1:bn:0:1";
    lane.enqueue(b1);
    const auto next = lane.takeRunnable(10, kT0);
    REQUIRE(signalsOf(next) == Names{"b1#0", "b2#0"});  // b2 is sent only once b1 settles
    CHECK(next[0].attempt == 1);
    CHECK(lane.unsettled() == 2);
    CHECK(lane.takeRunnable(10, kT0).empty());
}

TEST_CASE("lane: at most `max` legs a round, the earliest first", "[pipeline][lane]") {
    VenueLane lane("bn");
    lane.enqueue(queued("e5", 5, "ETHUSDT"));
    lane.enqueue(queued("b3", 3, "BTCUSDT"));
    lane.enqueue(queued("s4", 4, "SOLUSDT"));
    CHECK(signalsOf(lane.takeRunnable(2, kT0)) == Names{"b3#0", "s4#0"});
    CHECK(signalsOf(lane.takeRunnable(2, kT0)) == Names{"e5#0"});
}

TEST_CASE("lane: a hold stops every symbol until it ends; a later hold extends it, an earlier never shortens",
          "[pipeline][lane]") {
    VenueLane lane("bn");
    lane.enqueue(queued("b1", 1, "BTCUSDT"));
    lane.enqueue(queued("e2", 2, "ETHUSDT"));
    lane.hold(kT0 + 5000, "429 Too Many Requests");
    CHECK(lane.heldUntilMs() == kT0 + 5000);
    lane.hold(kT0 + 2000, "shorter");
    CHECK(lane.heldUntilMs() == kT0 + 5000);
    CHECK(lane.takeRunnable(10, kT0 + 4999).empty());
    CHECK(lane.nextDueMs(kT0, 60'000) == kT0 + 5000);
    CHECK(lane.nextDueMs(kT0, 3000) == kT0 + 3001);  // the oldest leg expires before the hold ends
    lane.hold(kT0 + 8000, "longer");
    CHECK(lane.heldUntilMs() == kT0 + 8000);
    CHECK(lane.takeRunnable(10, kT0 + 7999).empty());
    CHECK(lane.queued() == 2);
    CHECK(signalsOf(lane.takeRunnable(10, kT0 + 8000)) == Names{"b1#0", "e2#0"});
}

TEST_CASE("lane: takeExpired takes queued legs received at or before the cut, held or not, oldest first",
          "[pipeline][lane]") {
    VenueLane lane("bn");
    CHECK_FALSE(lane.nextDueMs(kT0, 1000));  // nothing queued: nothing due
    lane.enqueue(queued("c", 3, "ETHUSDT", kT0 + 300));
    lane.enqueue(queued("b", 2, "BTCUSDT", kT0 + 200));
    lane.enqueue(queued("a", 1, "SOLUSDT", kT0 + 100));
    lane.hold(kT0 + 1'000'000, "venue down");
    CHECK(signalsOf(lane.takeExpired(kT0 + 200)) == Names{"a#0", "b#0"});
    CHECK(lane.queued() == 1);
    CHECK(lane.unsettled() == 0);  // expired legs are not in flight
    CHECK(lane.takeExpired(kT0 + 200).empty());
    CHECK(lane.nextDueMs(kT0 + 250, 1000) == kT0 + 300 + 1000 + 1);
    CHECK(signalsOf(lane.takeRunnable(10, kT0 + 1'000'000)) == Names{"c#0"});
    CHECK_FALSE(lane.nextDueMs(kT0 + 1'000'000, 1000));
}

TEST_CASE("lane: the same leg queued again replaces its queued copy", "[pipeline][lane]") {
    VenueLane lane("bn");
    LegRecord a = queued("a", 1, "BTCUSDT");
    lane.enqueue(a);
    a.attempt = 1;
    a.clientOrderId = "a:bn:0:1";
    lane.enqueue(a);
    CHECK(lane.queued() == 1);
    const auto taken = lane.takeRunnable(10, kT0);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].clientOrderId == "a:bn:0:1");
    CHECK(lane.takeExpired(kT0 + 1'000'000).empty());
}
