// The outbox dispatcher feeding a real event log, and the janitor's retention of signals, consumed
// events and admitted journal segments.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "events/event_log.h"
#include "pipeline/event_log_writer.h"
#include "pipeline/janitor.h"
#include "pipeline/outbox_dispatcher.h"
#include "pipeline_rig.h"

using namespace tradehost;
using namespace tradehost::host;
using namespace tradehost::test;

namespace {

using Names = std::vector<std::string>;

std::vector<EventRecord> someEvents(int n, const std::string& prefix = "e") {
    std::vector<EventRecord> out;
    for (int i = 1; i <= n; ++i)
        out.push_back({"test_event", prefix + std::to_string(i), "", "bn", R"({"n":")" + std::to_string(i) + "\"}"});
    return out;
}

// The event log's lines: (id, signal_id) each.
std::vector<std::pair<std::uint64_t, std::string>> logLines(const std::string& path) {
    std::vector<std::pair<std::uint64_t, std::string>> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        Poco::JSON::Parser parser;
        const auto o = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
        out.emplace_back(o->getValue<std::uint64_t>("id"), o->getValue<std::string>("signal_id"));
    }
    return out;
}

std::vector<std::uint64_t> idsOf(const std::vector<std::pair<std::uint64_t, std::string>>& lines) {
    std::vector<std::uint64_t> out;
    for (const auto& [id, signal] : lines) out.push_back(id);
    return out;
}

std::vector<std::uint64_t> oneTo(std::uint64_t n) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t i = 1; i <= n; ++i) out.push_back(i);
    return out;
}

class RecordingConsumer final : public OutboxConsumer {
public:
    std::string cursorName() const override { return "live_view"; }
    std::uint64_t durableThrough() const override { return 0; }
    void consume(const std::vector<StoredEvent>& events) override {
        if (fail) throw std::runtime_error("cannot deliver");
        for (const auto& e : events) seen.push_back(e.id);
    }
    bool fail = false;
    std::vector<std::uint64_t> seen;
};

std::vector<std::string> segmentsIn(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("journal-", 0) == 0) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("outbox dispatcher: events reach the event log in id order and each consumer's cursor follows",
          "[pipeline][outbox]") {
    TempDir dir;
    FakeClock clock(kT0);
    auto gate = makeMemoryGate();
    gate->append(someEvents(3), kT0);
    const std::string path = dir.file("events.jsonl");
    auto log = EventLog::open(path);
    EventLogWriter writer(*log);
    RecordingConsumer live;
    OutboxDispatcher dispatcher(*gate, clock, noFatal());
    dispatcher.add(writer);
    dispatcher.add(live);
    CHECK(gate->cursors() == std::map<std::string, std::uint64_t>{{"event_log", 0}, {"live_view", 0}});

    // Less than a batch: nothing more waiting; it runs again when the stored cursors are next due.
    CHECK(dispatcher.runOnce(kT0) == kT0 + 1000);
    CHECK(logLines(path) == std::vector<std::pair<std::uint64_t, std::string>>{{1, "e1"}, {2, "e2"}, {3, "e3"}});
    CHECK(live.seen == oneTo(3));
    CHECK(gate->cursors() == std::map<std::string, std::uint64_t>{{"event_log", 3}, {"live_view", 3}});

    gate->append(someEvents(2, "f"), kT0 + 1);
    CHECK(dispatcher.runOnce(kT0 + 1) == kT0 + 1000);
    CHECK(idsOf(logLines(path)) == oneTo(5));
    CHECK(live.seen == oneTo(5));
    // The stored cursor lags by up to a second (what the log holds is the durable progress).
    CHECK(gate->cursors().at("event_log") == 3);
    CHECK(dispatcher.runOnce(kT0 + 1000) == kT0 + 2000);
    CHECK(gate->cursors().at("event_log") == 5);
    CHECK(idsOf(logLines(path)) == oneTo(5));
    const auto verified = EventLog::verify(path);
    CHECK(verified.ok);
    CHECK(verified.lines == 5);
}

TEST_CASE("outbox dispatcher: a log holding events its cursor never recorded resumes after them, no duplicates",
          "[pipeline][outbox]") {
    TempDir dir;
    FakeClock clock(kT0);
    auto gate = makeMemoryGate();
    gate->append(someEvents(5), kT0);
    const std::string path = dir.file("events.jsonl");
    SECTION("no cursor yet") {}
    SECTION("a cursor behind the log") {
        gate->openCursor("event_log", 0);
        gate->advanceCursor("event_log", 1);
    }
    {
        // Three lines written, then the process died before the cursor moved.
        auto log = EventLog::open(path);
        EventLogWriter(*log).consume(gate->readAfter(0, 3));
    }
    auto log = EventLog::open(path);
    EventLogWriter writer(*log);
    CHECK(writer.durableThrough() == 3);
    OutboxDispatcher dispatcher(*gate, clock, noFatal());
    dispatcher.add(writer);
    dispatcher.runOnce(kT0);
    CHECK(idsOf(logLines(path)) == oneTo(5));
    CHECK(gate->cursors().at("event_log") == 5);
    CHECK(EventLog::verify(path).ok);
}

TEST_CASE("outbox dispatcher: a backlog goes in batches; drain() hands over everything", "[pipeline][outbox]") {
    TempDir dir;
    FakeClock clock(kT0);
    auto gate = makeMemoryGate();
    gate->append(someEvents(2500), kT0);
    const std::string path = dir.file("events.jsonl");
    auto log = EventLog::open(path);
    EventLogWriter writer(*log);
    OutboxDispatcher dispatcher(*gate, clock, noFatal());
    dispatcher.add(writer);
    CHECK(dispatcher.runOnce(kT0) == kT0);  // a full batch: go on at once
    CHECK(log->lastId() == 1000);
    CHECK(gate->cursors().at("event_log") == 1000);  // the first round stores it
    dispatcher.drain();
    CHECK(log->lastId() == 2500);
    CHECK(gate->cursors().at("event_log") == 2500);
    CHECK(idsOf(logLines(path)) == oneTo(2500));
    CHECK(dispatcher.runOnce(kT0) == kT0 + 1000);
    dispatcher.drain();  // nothing left: a no-op
    CHECK(log->lastId() == 2500);
}

TEST_CASE("outbox dispatcher: a consumer that cannot take its events throws, and its cursor stays",
          "[pipeline][outbox]") {
    FakeClock clock(kT0);
    auto gate = makeMemoryGate();
    gate->append(someEvents(3), kT0);
    RecordingConsumer live;
    live.fail = true;
    OutboxDispatcher dispatcher(*gate, clock, noFatal());
    dispatcher.add(live);
    CHECK_THROWS_WITH(dispatcher.runOnce(kT0), "cannot deliver");
    CHECK(gate->cursors().at("live_view") == 0);
    live.fail = false;
    dispatcher.runOnce(kT0);  // after the restart the same events come again
    CHECK(live.seen == oneTo(3));
}

TEST_CASE("janitor: forgets signals past retention whose legs are all final; a replayed old record is refused",
          "[pipeline][janitor]") {
    AdmitRig r;
    r.options.retentionMs = 3'600'000;
    r.journalSignal(market("done"), kT0);
    r.journalSignal(market("open"), kT0);
    r.journalSignal(market("later"), kT0 + 1000);
    r.admitter()->runOnce(kT0 + 1000);
    for (const char* id : {"done", "later"}) {
        const LegRecord leg = *r.gate->leg({id, 0});
        LegChange c{leg, leg, {}};
        c.after.state = LegState::Accepted;
        REQUIRE(r.gate->apply(c, kT0 + 1000) == ChangeResult::Applied);
    }
    Janitor janitor(*r.journal, *r.gate, *r.gate, r.options, r.clock, noFatal());

    // An hour and a millisecond after 'done' and 'open' were received.
    const std::int64_t t1 = kT0 + 3'600'001;
    CHECK(janitor.runOnce(t1) == t1 + 10'000);
    CHECK_FALSE(r.gate->payloadOf("done"));
    CHECK_FALSE(r.gate->leg({"done", 0}));
    CHECK_FALSE(r.gate->legByClientOrderId("done:bn:0:0"));
    CHECK(r.gate->payloadOf("open"));  // its leg is still PENDING
    CHECK(r.gate->payloadOf("later"));

    // Retention runs hourly: 'later' becomes old enough, but is forgotten only at the next pass.
    CHECK(janitor.runOnce(t1 + 10'000) == t1 + 20'000);
    CHECK(r.gate->payloadOf("later"));
    janitor.runOnce(t1 + 3'600'000);
    CHECK_FALSE(r.gate->payloadOf("later"));

    // The journal replayed from the start (a restored gate position) cannot trade 'done' again.
    r.journal->append(encodeSignalRecord(kT0, signalOf(market("done")).canonical));
    r.admitter()->runOnce(t1 + 3'600'000);
    CHECK(field(theEvent(*r.gate, "signal_rejected", "done"), "reason") == "older than the signal retention window");
    CHECK_FALSE(r.gate->leg({"done", 0}));
}

TEST_CASE("janitor: prunes the outbox up to the slowest cursor, every ten seconds", "[pipeline][janitor]") {
    AdmitRig r;
    r.gate->append(someEvents(10), kT0);
    r.gate->openCursor("event_log", 7);
    r.gate->openCursor("alerts", 4);
    Janitor janitor(*r.journal, *r.gate, *r.gate, r.options, r.clock, noFatal());
    CHECK(janitor.runOnce(kT0) == kT0 + 10'000);
    auto left = r.gate->readAfter(0, 100);
    REQUIRE(left.size() == 6);
    CHECK(left.front().id == 5);
    r.gate->advanceCursor("alerts", 10);
    r.gate->advanceCursor("event_log", 10);
    janitor.runOnce(kT0 + 9'999);
    CHECK(r.gate->readAfter(0, 100).size() == 6);
    janitor.runOnce(kT0 + 10'000);
    CHECK(r.gate->readAfter(0, 100).empty());
}

TEST_CASE("janitor: deletes journal segments the gate has fully admitted, never the active one",
          "[pipeline][janitor]") {
    AdmitRig r(1);  // one record per segment
    for (int i = 1; i <= 6; ++i) r.journalSignal(market("s" + std::to_string(i)));
    const std::string dir = r.dir.file("journal");
    REQUIRE(segmentsIn(dir).size() == 6);
    r.options.admitBatch = 4;
    auto admitter = r.admitter();
    admitter->runOnce(kT0);
    REQUIRE(r.gate->processedSeq() == 4);

    Janitor janitor(*r.journal, *r.gate, *r.gate, r.options, r.clock, noFatal());
    janitor.runOnce(kT0);
    CHECK(segmentsIn(dir) == Names{"journal-00000000000000000005.jsonl", "journal-00000000000000000006.jsonl"});
    std::vector<std::uint64_t> readable;
    r.journal->readAfter(0, [&](std::uint64_t seq, const std::string&) { readable.push_back(seq); });
    CHECK(readable == std::vector<std::uint64_t>{5, 6});

    // What was not admitted yet is still there to admit.
    CHECK_FALSE(admitter->runOnce(kT0));
    CHECK(r.gate->processedSeq() == 6);
    CHECK(r.gate->legsIn({LegState::Pending}, "local").size() == 6);
    janitor.runOnce(kT0 + 10'000);
    CHECK(segmentsIn(dir) == Names{"journal-00000000000000000006.jsonl"});
}
