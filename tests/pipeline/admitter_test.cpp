// The admitter on a real journal and the memory gate: records become legs on the right lane, once.
#include "pipeline/admitter.h"

#include <catch2/catch.hpp>

#include "pipeline_rig.h"

using namespace tradehost;
using namespace tradehost::host;
using namespace tradehost::test;

namespace {

using Names = std::vector<std::string>;

const std::string kTwoVenues =
    R"({"signal_id":"s1","legs":[)"
    R"({"venue":"bn","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"},)"
    R"({"venue":"ok","symbol":"ETHUSDT","side":"sell","type":"limit","quantity":"0.1","price":"3200"}]})";

}  // namespace

TEST_CASE("admitter: journal records become PENDING legs on their venue's lane with attempt-0 ids",
          "[pipeline][admitter]") {
    AdmitRig r;
    REQUIRE(r.journalSignal(kTwoVenues, kT0 - 500) == 1);
    auto admitter = r.admitter();
    CHECK(admitter->processedSeq() == 0);

    CHECK_FALSE(admitter->runOnce(kT0));  // less than a batch: nothing more to do until woken
    CHECK(admitter->processedSeq() == 1);
    CHECK(r.gate->processedSeq() == 1);

    const auto leg0 = r.gate->leg({"s1", 0});
    const auto leg1 = r.gate->leg({"s1", 1});
    REQUIRE(leg0);
    REQUIRE(leg1);
    CHECK(leg0->state == LegState::Pending);
    CHECK(leg0->attempt == 0);
    CHECK(leg0->clientOrderId == r.bnIds.encode("s1", 0, 0));
    CHECK(leg0->clientOrderId == "s1:bn:0:0");
    CHECK(leg0->owner == "local");
    CHECK(leg0->journalSeq == 1);
    CHECK(leg0->receivedMs == kT0 - 500);
    CHECK(leg0->intent.venue == "bn");
    CHECK(leg1->state == LegState::Pending);
    CHECK(leg1->clientOrderId == r.okIds.encode("s1", 1, 0));
    CHECK(leg1->clientOrderId == "s1:ok:1:0");
    CHECK(leg1->intent.price == Decimal::of("3200"));

    // Each leg on its own venue's lane, nowhere else.
    const auto bn = r.bn.takeRunnable(10, kT0);
    const auto ok = r.ok.takeRunnable(10, kT0);
    REQUIRE(bn.size() == 1);
    REQUIRE(ok.size() == 1);
    CHECK(bn[0].clientOrderId == "s1:bn:0:0");
    CHECK(ok[0].clientOrderId == "s1:ok:1:0");
    CHECK(r.wakes == std::map<std::string, int>{{"bn", 1}, {"ok", 1}});
    CHECK(r.admittedThrough == std::vector<std::uint64_t>{1});
    CHECK(r.recorded == 1);

    CHECK(names(*r.gate) == Names{"signal_received"});
    const auto received = theEvent(*r.gate, "signal_received", "s1");
    CHECK(field(received, "legs") == "2");
    CHECK(field(received, "journal_seq") == "1");
}

TEST_CASE("admitter: a leg for a venue the deployment lacks is admitted BLOCKED with no id; default routing",
          "[pipeline][admitter]") {
    AdmitRig r;
    r.journalSignal(R"({"signal_id":"s1","legs":[)"
                    R"({"symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"},)"
                    R"({"venue":"nowhere","symbol":"BTCUSDT","side":"sell","type":"market","quantity":"0.002"}]})");

    SECTION("with routing.default_venue, a leg that names no venue goes there") {
        r.options.defaultVenue = "bn";
        r.admitter()->runOnce(kT0);
        const LegRecord routed = *r.gate->leg({"s1", 0});
        CHECK(routed.state == LegState::Pending);
        CHECK(routed.intent.venue == "bn");
        CHECK(routed.clientOrderId == "s1:bn:0:0");
        CHECK(r.bn.queued() == 1);
        CHECK(r.wakes == std::map<std::string, int>{{"bn", 1}});
    }
    SECTION("without it, that leg is BLOCKED too") {
        r.admitter()->runOnce(kT0);
        const LegRecord unrouted = *r.gate->leg({"s1", 0});
        CHECK(unrouted.state == LegState::Blocked);
        CHECK(unrouted.clientOrderId.empty());
        CHECK(unrouted.reason == "the leg names no venue and routing.default_venue is not set");
        CHECK(r.bn.queued() == 0);
        CHECK(r.wakes.empty());
    }
    const LegRecord lost = *r.gate->leg({"s1", 1});
    CHECK(lost.state == LegState::Blocked);
    CHECK(lost.clientOrderId.empty());
    CHECK(lost.reason == "no venue instance named 'nowhere' in this deployment");
    CHECK(r.ok.queued() == 0);
    // Its end is in the audit trail, under its venue, with no client order id.
    std::vector<StoredEvent> blocked;
    for (const auto& e : eventsAfter(*r.gate))
        if (e.event.venue == "nowhere") blocked.push_back(e);
    REQUIRE(blocked.size() == 2);
    CHECK(blocked[0].event.event == "order_blocked");
    CHECK(blocked[1].event.event == "trade_fail");
    for (const auto& e : blocked) {
        CHECK(e.event.clientOrderId.empty());
        CHECK(field(e, "reason") == lost.reason);
    }
}

TEST_CASE("admitter: a duplicate record changes nothing, a conflicting one is refused; both recorded",
          "[pipeline][admitter]") {
    AdmitRig r;
    r.journalSignal(market("s1"));
    r.journalSignal(market("s1"));  // TradingView sent the alert twice
    const std::string other = signalOf(market("s1", "BTCUSDT", "sell")).canonical;
    r.journal->append(encodeSignalRecord(kT0, other));
    r.admitter()->runOnce(kT0);

    CHECK(names(*r.gate) == Names{"signal_received", "signal_duplicate", "signal_rejected"});
    CHECK(field(theEvent(*r.gate, "signal_duplicate"), "journal_seq") == "2");
    const auto rejected = theEvent(*r.gate, "signal_rejected", "s1");
    CHECK(field(rejected, "reason") == "same signal_id, different payload");
    CHECK(field(rejected, "journal_seq") == "3");
    CHECK(field(rejected, "refused_payload") == other);
    CHECK(r.gate->legsOf("s1").size() == 1);
    CHECK(r.gate->leg({"s1", 0})->intent.side == Side::Buy);
    CHECK(r.bn.queued() == 1);
    CHECK(r.gate->processedSeq() == 3);
    CHECK(r.admittedThrough == std::vector<std::uint64_t>{3});
}

TEST_CASE("admitter: a journaled refusal becomes signal_rejected; a record that is not a signal is skipped",
          "[pipeline][admitter]") {
    AdmitRig r;
    const std::string refused = signalOf(market("s9", "BTCUSDT", "sell")).canonical;
    r.journal->append(encodeRefusalRecord({kT0 - 10, "s9", "same signal_id, different payload", refused}));
    r.journal->append(R"({"hello":"world"})");
    r.journal->append(encodeSignalRecord(kT0, R"({"signal_id":"no-legs"})"));
    r.journalSignal(market("s2"));
    auto admitter = r.admitter();
    admitter->runOnce(kT0);

    CHECK(names(*r.gate) == Names{"signal_rejected", "signal_skipped", "signal_skipped", "signal_received"});
    const auto rejected = theEvent(*r.gate, "signal_rejected", "s9");
    CHECK(field(rejected, "reason") == "same signal_id, different payload");
    CHECK(field(rejected, "refused_payload") == refused);
    CHECK(field(rejected, "journal_seq") == "1");
    const auto events = eventsAfter(*r.gate);
    CHECK(field(events[1], "reason") == "journal record is not a signal");
    CHECK(field(events[1], "journal_seq") == "2");
    CHECK(field(events[2], "journal_seq") == "3");
    CHECK_FALSE(r.gate->payloadOf("s9"));
    CHECK_FALSE(r.gate->payloadOf("no-legs"));
    // The position moves past them all; only the signal trades.
    CHECK(admitter->processedSeq() == 4);
    CHECK(r.gate->processedSeq() == 4);
    const auto taken = r.bn.takeRunnable(10, kT0);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].signalId == "s2");
}

TEST_CASE("admitter: at most admitBatch records a round; admittedThrough gets the last seq of each",
          "[pipeline][admitter]") {
    AdmitRig r;
    r.options.admitBatch = 2;
    for (int i = 1; i <= 5; ++i) r.journalSignal(market("s" + std::to_string(i)));
    auto admitter = r.admitter();

    CHECK(admitter->runOnce(kT0) == kT0);  // a full batch: more may be waiting, go on at once
    CHECK(r.gate->processedSeq() == 2);
    CHECK(r.bn.queued() == 2);
    CHECK(r.admittedThrough == std::vector<std::uint64_t>{2});
    CHECK(admitter->runOnce(kT0) == kT0);
    CHECK(r.admittedThrough == std::vector<std::uint64_t>{2, 4});
    CHECK_FALSE(admitter->runOnce(kT0));
    CHECK(r.admittedThrough == std::vector<std::uint64_t>{2, 4, 5});
    CHECK(r.bn.queued() == 5);
    CHECK_FALSE(admitter->runOnce(kT0));  // nothing new: no hook, no transaction
    CHECK(r.admittedThrough == std::vector<std::uint64_t>{2, 4, 5});
    CHECK(r.recorded == 3);
    CHECK(r.wakes.at("bn") == 3);
    CHECK(countOf(names(*r.gate), "signal_received") == 5);
}

TEST_CASE("admitter: catchUp after a restart continues from the gate's position and admits nothing twice",
          "[pipeline][admitter]") {
    AdmitRig r;
    r.options.admitBatch = 2;
    for (int i = 1; i <= 3; ++i) r.journalSignal(market("s" + std::to_string(i)));
    auto first = r.admitter();
    CHECK(first->catchUp() == 3);
    CHECK(r.admittedThrough == std::vector<std::uint64_t>{2, 3});
    CHECK(r.bn.queued() == 3);

    // Restart: the journal is opened again, a new admitter runs over the same gate.
    first.reset();
    r.openJournal();
    r.journalSignal(market("s4"));
    r.journalSignal(market("s5"));
    VenueLane fresh("bn");
    std::map<std::string, VenueRoute> routes{{"bn", {&fresh, &r.bnIds, [] {}}}, {"ok", {&r.ok, &r.okIds, [] {}}}};
    Admitter second(*r.journal, *r.gate, routes, r.options, r.clock, {}, noFatal());
    CHECK(second.processedSeq() == 3);
    CHECK(second.catchUp() == 2);
    CHECK(second.catchUp() == 0);
    CHECK(r.gate->processedSeq() == 5);

    const auto all = names(*r.gate);
    CHECK(countOf(all, "signal_received") == 5);
    CHECK(countOf(all, "signal_duplicate") == 0);  // nothing was read twice
    const auto taken = fresh.takeRunnable(10, kT0);
    REQUIRE(taken.size() == 2);  // each of the two new signals, once, in journal order
    CHECK(taken[0].signalId == "s4");
    CHECK(taken[1].signalId == "s5");
    CHECK(fresh.queued() == 0);
}

TEST_CASE("admitter: a record older than the retention window is refused, never traded", "[pipeline][admitter]") {
    AdmitRig r;
    r.options.retentionMs = 3'600'000;
    r.journalSignal(market("old"), kT0 - 3'600'001);
    r.journalSignal(market("new"), kT0 - 3'600'000);
    r.admitter()->runOnce(kT0);
    CHECK(field(theEvent(*r.gate, "signal_rejected", "old"), "reason") == "older than the signal retention window");
    CHECK_FALSE(r.gate->leg({"old", 0}));
    CHECK(r.gate->leg({"new", 0})->state == LegState::Pending);
    CHECK(r.bn.queued() == 1);
}

TEST_CASE("admitter: a signal journaled with an origin (an admin order ticket) says who sent it and why",
          "[pipeline][admitter]") {
    AdmitRig r;
    // A why with quotes and the record's own member name in it must not confuse the decoder.
    const SignalOrigin origin{"admin", "admin session (operator) from 127.0.0.1",
                              R"(hedge, "origin": {"x"} ,"origin":)"};
    const std::string canonical = signalOf(market("t1")).canonical;
    const std::string record = encodeSignalRecord(kT0 - 20, canonical, origin);
    const auto decoded = decodeSignalRecord(record);
    REQUIRE(decoded);
    CHECK(decoded->receivedMs == kT0 - 20);
    CHECK(decoded->canonical == canonical);
    REQUIRE(decoded->origin);
    CHECK(decoded->origin->by == origin.by);
    CHECK(decoded->origin->why == origin.why);
    // A record written before origins existed reads as it always did.
    CHECK(encodeSignalRecord(kT0, canonical) ==
          "{\"received_ms\":" + std::to_string(kT0) + ",\"signal\":" + canonical + "}");
    CHECK_FALSE(decodeSignalRecord(encodeSignalRecord(kT0, canonical))->origin);

    r.journal->append(record);
    r.journalSignal(market("w1"));  // a webhook's: no origin
    r.admitter()->runOnce(kT0);
    const auto ticket = theEvent(*r.gate, "signal_received", "t1");
    CHECK(field(ticket, "source") == "admin");
    CHECK(field(ticket, "by") == origin.by);
    CHECK(field(ticket, "why") == origin.why);
    CHECK(field(ticket, "journal_seq") == "1");
    CHECK(r.gate->leg({"t1", 0})->state == LegState::Pending);
    const auto webhook = theEvent(*r.gate, "signal_received", "w1");
    CHECK(webhook.event.dataJson.find("\"source\"") == std::string::npos);
    CHECK(webhook.event.dataJson.find("\"by\"") == std::string::npos);
}
