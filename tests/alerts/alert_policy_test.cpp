// The alert router's rules for telling a human: dedup by key, repeats of an unchanged condition,
// resolved once, per-order alerts muted (counted) while their instance is unreachable.
#include "alerts/alert_policy.h"

#include <catch2/catch.hpp>

using namespace tradehost;
using namespace tradehost::host;
using V = AlertPolicy::Verdict;

namespace {

constexpr std::int64_t kT0 = 1'800'000'000'000;
constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 3'600'000;

RaisedAlert drift(Severity s = Severity::Warning) {
    RaisedAlert a;
    a.kind = "drift";
    a.instance = "bn_main";
    a.symbol = "BTCUSDT";
    a.severity = s;
    a.title = "drift on bn_main BTCUSDT";
    a.condition = true;
    return a;
}

RaisedAlert tradeFailed(const std::string& instance = "bn_main") {
    RaisedAlert a;
    a.kind = "trade_failed";
    a.instance = instance;
    a.symbol = "ETHUSDT";
    a.title = "a leg ended without trading";
    a.perOrder = true;
    return a;
}

}  // namespace

TEST_CASE("the same key inside the dedup window is held back, and the next alert says how many") {
    AlertPolicy p;
    auto first = p.raise(tradeFailed(), kT0);
    REQUIRE(first.verdict == V::Send);
    CHECK(first.alert.key == "trade_failed:bn_main:ETHUSDT");
    CHECK(first.alert.suppressedCount == 0);
    CHECK(first.alert.timestampMs == kT0);
    for (int i = 1; i <= 4; ++i) CHECK(p.raise(tradeFailed(), kT0 + i * 10'000).verdict == V::Suppress);
    // Another key is not held back by this one.
    auto other = tradeFailed();
    other.symbol = "BTCUSDT";
    CHECK(p.raise(other, kT0 + 20'000).verdict == V::Send);
    const auto next = p.raise(tradeFailed(), kT0 + kMinute);
    REQUIRE(next.verdict == V::Send);
    CHECK(next.alert.suppressedCount == 4);
    CHECK(p.raise(tradeFailed(), kT0 + kMinute + 1).verdict == V::Suppress);
}

TEST_CASE("an unchanged condition is told once per repeat interval; a worse one at once") {
    AlertPolicy p;
    CHECK(p.raise(drift(), kT0).verdict == V::Send);
    CHECK(p.raise(drift(), kT0 + 15'000).verdict == V::Suppress);
    CHECK(p.raise(drift(), kT0 + 2 * kHour).verdict == V::Suppress);  // past dedup, inside repeat
    const auto escalated = p.raise(drift(Severity::Critical), kT0 + 2 * kHour + 15'000);
    REQUIRE(escalated.verdict == V::Send);
    CHECK(escalated.alert.severity == Severity::Critical);
    CHECK(escalated.alert.suppressedCount == 2);
    CHECK(p.raise(drift(Severity::Critical), kT0 + 3 * kHour).verdict == V::Suppress);
    const auto repeated = p.raise(drift(Severity::Critical), kT0 + 2 * kHour + 15'000 + 4 * kHour);
    REQUIRE(repeated.verdict == V::Send);
    CHECK(repeated.alert.suppressedCount == 1);
}

TEST_CASE("a resolved condition says so once; an alert never told is never resolved") {
    AlertPolicy p;
    CHECK_FALSE(p.resolve("drift:bn_main:BTCUSDT", "back in line", kT0));
    REQUIRE(p.raise(drift(), kT0).verdict == V::Send);
    p.raise(drift(), kT0 + 15'000);
    const auto resolved = p.resolve("drift:bn_main:BTCUSDT", "back in line", kT0 + 30'000);
    REQUIRE(resolved);
    CHECK(resolved->severity == Severity::Info);
    CHECK(resolved->title == "resolved: drift on bn_main BTCUSDT");
    CHECK(resolved->text == "back in line");
    CHECK(resolved->suppressedCount == 1);
    CHECK_FALSE(p.resolve("drift:bn_main:BTCUSDT", "again", kT0 + 31'000));
    // The next drift is news again at once, even inside the old window.
    CHECK(p.raise(drift(), kT0 + 40'000).verdict == V::Send);
    // A one-off event is not a condition: nothing to resolve.
    p.raise(tradeFailed(), kT0);
    CHECK_FALSE(p.resolve("trade_failed:bn_main:ETHUSDT", "", kT0 + 1));
}

TEST_CASE("while an instance is unreachable its per-order alerts are muted and counted, others are not") {
    AlertPolicy p;
    CHECK(p.setUnreachable("bn_main", true) == 0);
    for (int i = 0; i < 7; ++i) CHECK(p.raise(tradeFailed(), kT0 + i * kMinute).verdict == V::Mute);
    CHECK(p.mutedFor("bn_main") == 7);
    CHECK(p.raise(tradeFailed("bn_alt"), kT0).verdict == V::Send);  // another instance
    CHECK(p.raise(drift(), kT0).verdict == V::Send);                // not a per-order alert
    CHECK(p.setUnreachable("bn_main", false) == 7);
    CHECK(p.mutedFor("bn_main") == 0);
    CHECK(p.raise(tradeFailed(), kT0 + 8 * kMinute).verdict == V::Send);
}

TEST_CASE("keys no longer in play are forgotten; active conditions are kept") {
    AlertPolicy p;
    p.raise(tradeFailed(), kT0);
    p.raise(drift(), kT0);
    CHECK(p.keysHeld() == 2);
    p.forgetOlderThan(kT0 + 4 * kHour);
    CHECK(p.keysHeld() == 1);  // the drift is still active
    CHECK(p.raise(drift(), kT0 + 4 * kHour - 1).verdict == V::Suppress);
}
