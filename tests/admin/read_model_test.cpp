// The admin page's read model and live feed: events in, what the page shows out.
#include "readmodel/read_model.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "readmodel/live_feed.h"
#include "temp_dir.h"

using namespace tradehost::host;

namespace {

struct Events {
    std::uint64_t next = 1;
    std::vector<StoredEvent> batch;
    Events& add(const std::string& event, const std::string& signal, const std::string& clientId,
                const std::string& venue, const std::string& data) {
        batch.push_back({next++, 1'000'000 + static_cast<std::int64_t>(next), {event, signal, clientId, venue, data}});
        return *this;
    }
    std::vector<StoredEvent> take() { return std::exchange(batch, {}); }
};

std::string received(const std::string& venue, const std::string& symbol, int legs = 1) {
    std::string orders;
    for (int i = 0; i < legs; ++i)
        orders += std::string(i ? "," : "") + R"({"leg":)" + std::to_string(i) + R"(,"venue":")" + venue +
                  R"(","symbol":")" + symbol + R"(","side":"BUY","type":"MARKET","quantity":"0.002"})";
    return R"({"legs":)" + std::to_string(legs) + R"(,"orders":[)" + orders + R"(],"journal_seq":1})";
}

}  // namespace

TEST_CASE("a signal's state follows its legs' events; the chain is kept in order") {
    tradehost::test::TempDir dir;
    LiveFeed feed;
    ReadModel model(dir.file("rm.sqlite"), &feed);
    Events e;
    e.add("signal_received", "s1", "", "", received("bn", "BTCUSDT"));
    model.consume(e.take());
    REQUIRE(model.signal("s1"));
    CHECK(model.signal("s1")->state == "OPEN");
    CHECK(model.signal("s1")->legs.at(0).state == "PENDING");
    CHECK(model.signal("s1")->legs.at(0).symbol == "BTCUSDT");

    e.add("order_submitted", "s1", "s1:bn:0:0", "bn", R"({"symbol":"BTCUSDT"})")
        .add("order_unknown", "s1", "s1:bn:0:0", "bn", R"({"reason":"timeout"})");
    model.consume(e.take());
    CHECK(model.signal("s1")->state == "UNKNOWN");
    CHECK(model.signal("s1")->legs.at(0).reason == "timeout");

    e.add("order_resolved", "s1", "s1:bn:0:0", "bn", R"({"outcome":"found","status":"NEW"})");
    model.consume(e.take());
    CHECK(model.signal("s1")->state == "WORKING");
    e.add("order_fill", "s1", "s1:bn:0:0", "bn", R"({"status":"FILLED"})")
        .add("order_closed", "s1", "s1:bn:0:0", "bn", R"({"status":"FILLED","state":"ACCEPTED"})");
    model.consume(e.take());
    const auto s1 = model.signal("s1");
    CHECK(s1->state == "ACCEPTED");
    CHECK(s1->lastEvent == "order_closed");
    CHECK(s1->legs.at(0).clientOrderId == "s1:bn:0:0");

    const auto chain = model.eventsOf("s1");
    REQUIRE(chain.size() == 6);
    CHECK(chain.front().event.event == "signal_received");
    CHECK(chain.back().event.event == "order_closed");
    CHECK(feed.lastSeq() == 6);  // every projected event told to the live feed, once
}

TEST_CASE("signal states: blocked at admission, several legs, refused ids, digest ids") {
    tradehost::test::TempDir dir;
    ReadModel model(dir.file("rm.sqlite"), nullptr);
    Events e;
    // A leg blocked at admission has no client order id: the event names its leg.
    e.add("signal_received", "b", "", "", received("gone", "ETHUSDT"))
        .add("order_blocked", "b", "", "gone", R"({"reason":"no venue","leg":"0"})");
    // Two legs: one filled, one rejected.
    e.add("signal_received", "m", "", "", received("bn", "BTCUSDT", 2))
        .add("order_ack", "m", "m:bn:0:0", "bn", R"({"status":"FILLED"})")
        .add("order_rejected", "m", "m:bn:1:0", "bn", R"({"code":"-2019","message":"margin is insufficient"})");
    // A signal id with ':' in it: the client id's signal part is a digest; the leg is read from the right.
    e.add("signal_received", "a:b:c", "", "", received("bn", "BTCUSDT"))
        .add("order_ack", "a:b:c", ":DIGEST0123456:bn:0:0", "bn", R"({"status":"FILLED"})");
    // Refused as a whole.
    e.add("signal_rejected", "old", "", "", R"({"reason":"older than the signal retention window"})");
    model.consume(e.take());
    CHECK(model.signal("b")->state == "BLOCKED");
    CHECK(model.signal("m")->state == "MIXED");
    CHECK(model.signal("m")->legs.at(1).reason == "margin is insufficient");
    CHECK(model.signal("a:b:c")->state == "ACCEPTED");
    CHECK(model.signal("old")->state == "REJECTED");
    // A conflicting delivery of an admitted id does not make the signal rejected.
    e.add("signal_rejected", "a:b:c", "", "", R"({"reason":"same signal_id, different payload"})");
    model.consume(e.take());
    CHECK(model.signal("a:b:c")->state == "ACCEPTED");
    CHECK(model.signal("a:b:c")->lastEvent == "signal_rejected");

    CHECK(ReadModel::signalState({"ACCEPTED", "WORKING"}) == "WORKING");
    CHECK(ReadModel::signalState({"WORKING", "PENDING"}) == "OPEN");
    CHECK(ReadModel::signalState({"PENDING", "UNKNOWN"}) == "UNKNOWN");
}

TEST_CASE("signals are listed newest first, filtered, paged; the store stays bounded and resumes") {
    tradehost::test::TempDir dir;
    Events e;
    {
        ReadModel model(dir.file("rm.sqlite"), nullptr, {5, 1000});
        for (int i = 0; i < 8; ++i) {
            const std::string id = "sig-" + std::to_string(i);
            const std::string venue = i % 2 ? "bn" : "paper";
            e.add("signal_received", id, "", "", received(venue, i < 4 ? "BTCUSDT" : "ETHUSDT"));
            if (i % 3 == 0) e.add("order_blocked", id, id + ":" + venue + ":0:0", venue, R"({"reason":"paused"})");
        }
        model.consume(e.take());

        SignalFilter all;
        all.limit = 3;
        const SignalPage first = model.signals(all);
        REQUIRE(first.signals.size() == 3);
        CHECK(first.signals[0].signalId == "sig-7");
        CHECK(first.signals[2].signalId == "sig-5");
        REQUIRE(first.nextBefore != 0);
        all.before = first.nextBefore;
        const SignalPage second = model.signals(all);
        CHECK(second.signals.front().signalId == "sig-4");

        SignalFilter f;
        f.state = "BLOCKED";
        std::vector<std::string> ids;
        for (const auto& s : model.signals(f).signals) ids.push_back(s.signalId);
        CHECK(ids == std::vector<std::string>{"sig-6", "sig-3", "sig-0"});
        f = {};
        f.venue = "bn";
        f.symbol = "ETHUSDT";
        ids.clear();
        for (const auto& s : model.signals(f).signals) ids.push_back(s.signalId);
        CHECK(ids == std::vector<std::string>{"sig-7", "sig-5"});
        f = {};
        f.id = "g-2";
        REQUIRE(model.signals(f).signals.size() == 1);
        CHECK(model.signals(f).signals[0].signalId == "sig-2");

        CHECK(model.tail(2).back().event.signalId == "sig-7");
        CHECK(model.tail(100, 10).front().id == 11);
        CHECK(model.signalsSince(0) == 8);
        model.tick(0);  // prunes: 5 signals kept
        CHECK(model.signalsSince(0) == 5);
        CHECK_FALSE(model.signal("sig-0"));
        CHECK(model.durableThrough() == 11);
    }
    ReadModel reopened(dir.file("rm.sqlite"), nullptr, {5, 1000});
    CHECK(reopened.durableThrough() == 11);
    // Events it already holds are not projected twice.
    Events again;
    again.add("signal_received", "sig-x", "", "", received("bn", "BTCUSDT"));
    reopened.consume(again.take());
    CHECK_FALSE(reopened.signal("sig-x"));
}

TEST_CASE("drifts open until cleared") {
    tradehost::test::TempDir dir;
    ReadModel model(dir.file("rm.sqlite"), nullptr);
    Events e;
    e.add("drift_detected", "", "", "bn", R"({"symbol":"BTCUSDT","position_side":"BOTH"})")
        .add("drift_detected", "", "", "bn", R"({"symbol":"ETHUSDT","position_side":"BOTH"})");
    model.consume(e.take());
    CHECK(model.openDrifts() == 2);
    e.add("drift_cleared", "", "", "bn", R"({"symbol":"BTCUSDT","position_side":"BOTH"})");
    model.consume(e.take());
    CHECK(model.openDrifts() == 1);
}

TEST_CASE("the live feed numbers deltas one by one, tells a viewer that fell behind, and ends on close") {
    LiveFeed feed(4);
    Events e;
    for (int i = 0; i < 3; ++i) e.add("order_fill", "s", "", "bn", "{}");
    feed.publish(e.take());
    auto b = feed.after(0, std::chrono::milliseconds(0));
    REQUIRE(b.deltas.size() == 3);
    CHECK(b.deltas[0].seq == 1);
    CHECK(b.deltas[2].seq == 3);
    CHECK(b.deltas[2].json.find("\"seq\":3") != std::string::npos);
    CHECK(b.deltas[2].json.find(feed.epoch()) != std::string::npos);
    CHECK(feed.after(1, std::chrono::milliseconds(0)).deltas.size() == 2);
    for (int i = 0; i < 3; ++i) e.add("order_fill", "s", "", "bn", "{}");
    feed.publish(e.take());  // 6 published, the ring holds 3..6
    CHECK(feed.after(1, std::chrono::milliseconds(0)).gap);
    CHECK_FALSE(feed.after(2, std::chrono::milliseconds(0)).gap);
    CHECK(feed.after(2, std::chrono::milliseconds(0)).deltas.front().seq == 3);
    CHECK(feed.after(99, std::chrono::milliseconds(0)).gap);  // a number from another process
    CHECK(feed.after(6, std::chrono::milliseconds(10)).deltas.empty());
    feed.close();
    CHECK(feed.after(6, std::chrono::milliseconds(5000)).closed);
}

TEST_CASE("a venue's reachability and its last error, as the reconciler's events tell them") {
    tradehost::test::TempDir dir;
    ReadModel model(dir.file("rm.sqlite"), nullptr);
    CHECK_FALSE(model.venueHealth("bn"));
    Events e;
    e.add("venue_unreachable", "", "", "bn", R"({"reason":"connection refused","what":"positions"})");
    model.consume(e.take());
    REQUIRE(model.venueHealth("bn"));
    CHECK_FALSE(model.venueHealth("bn")->reachable);
    CHECK(model.venueHealth("bn")->lastError == "connection refused");
    e.add("venue_reachable", "", "", "bn", "{}");
    model.consume(e.take());
    CHECK(model.venueHealth("bn")->reachable);
    CHECK(model.venueHealth("bn")->lastError == "connection refused");  // the last one, kept
    CHECK_FALSE(model.venueHealth("paper"));
}
