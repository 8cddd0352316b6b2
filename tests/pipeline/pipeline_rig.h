// What the pipeline's unit tests start from: a memory gate, one scripted venue "bn" with its lane
// and ids, a fake clock, components built by hand, and readers for events and positions.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fake_context.h"
#include "fake_venue.h"
#include "gate/gate.h"
#include "ids/client_order_id.h"
#include "intake/signal/signal_parser.h"
#include "journal/journal.h"
#include "pipeline/admitter.h"
#include "pipeline/executor.h"
#include "pipeline/journal_record.h"
#include "pipeline/leg_outcomes.h"
#include "pipeline/order_tracker.h"
#include "pipeline/resolver.h"
#include "pipeline/venue_lane.h"
#include "temp_dir.h"

namespace tradehost::test {

using namespace tradehost::host;

constexpr std::int64_t kT0 = 1'764'000'000'000;

// ---- signals --------------------------------------------------------------------------------

inline std::string market(const std::string& id, const std::string& symbol = "BTCUSDT", const std::string& side = "buy",
                          const std::string& quantity = "0.002", const std::string& extra = "") {
    return R"({"signal_id":")" + id + R"(","venue":"bn","symbol":")" + symbol + R"(","side":")" + side +
           R"(","type":"market","quantity":")" + quantity + "\"" + extra + "}";
}

inline std::string limit(const std::string& id, const std::string& symbol, const std::string& side,
                         const std::string& quantity, const std::string& price) {
    return R"({"signal_id":")" + id + R"(","venue":"bn","symbol":")" + symbol + R"(","side":")" + side +
           R"(","type":"limit","quantity":")" + quantity + R"(","price":")" + price + R"("})";
}

inline Signal signalOf(const std::string& body) {
    auto parsed = parseSignal(body);
    if (const auto* e = std::get_if<ParseError>(&parsed))
        FAIL("test signal does not parse: " << e->field << ": " << e->message);
    return std::get<Parsed>(parsed).signal;
}

// ---- events and positions -------------------------------------------------------------------

inline std::vector<StoredEvent> eventsAfter(EventOutbox& outbox, std::uint64_t after = 0) {
    return outbox.readAfter(after, 1'000'000);
}

// Event names in id order; only those of `signalId` when given.
inline std::vector<std::string> names(EventOutbox& outbox, std::uint64_t after = 0, const std::string& signalId = "") {
    std::vector<std::string> out;
    for (const auto& e : eventsAfter(outbox, after))
        if (signalId.empty() || e.event.signalId == signalId) out.push_back(e.event.event);
    return out;
}

inline int countOf(const std::vector<std::string>& names, const std::string& name) {
    return static_cast<int>(std::count(names.begin(), names.end(), name));
}

// The one event named `name` (of `signalId` when given) after `after`; fails the test unless there is exactly one.
inline StoredEvent theEvent(EventOutbox& outbox, const std::string& name, const std::string& signalId = "",
                            std::uint64_t after = 0) {
    std::vector<StoredEvent> found;
    for (const auto& e : eventsAfter(outbox, after))
        if (e.event.event == name && (signalId.empty() || e.event.signalId == signalId)) found.push_back(e);
    INFO("event " << name << " of '" << signalId << "'");
    REQUIRE(found.size() == 1);
    return found.front();
}

// A member of the event's data, as text (strings unquoted, numbers as written); "<absent>" if missing.
inline std::string field(const StoredEvent& e, const std::string& key) {
    Poco::JSON::Parser parser;
    const auto data = parser.parse(e.event.dataJson).extract<Poco::JSON::Object::Ptr>();
    if (!data->has(key)) return "<absent>";
    return data->get(key).convert<std::string>();
}

inline Decimal positionOf(PositionBook& book, const std::string& symbol, PositionSide side = PositionSide::Both,
                          const std::string& venue = "bn") {
    for (const auto& p : book.expectedPositions())
        if (p.key == PositionKey{venue, symbol, side}) return p.quantity();
    return Decimal();
}

inline std::function<void(const std::string&)> noFatal() {
    return [](const std::string& why) { FAIL_CHECK("onFatal: " << why); };
}

// The control state of a gate, keeping the outcome of every closed cancel request (the memory gate
// drops it).
class RecordingControl final : public ControlState {
public:
    explicit RecordingControl(ControlState& inner) : inner_(inner) {}
    KillSwitch killSwitch() override { return inner_.killSwitch(); }
    void setKillSwitch(bool paused, const Actor& by, std::int64_t nowMs) override {
        inner_.setKillSwitch(paused, by, nowMs);
    }
    std::vector<SymbolPause> pausedSymbols() override { return inner_.pausedSymbols(); }
    bool setSymbolPaused(const std::string& venue, const std::string& symbol, bool paused, const Actor& by,
                         std::int64_t nowMs) override {
        return inner_.setSymbolPaused(venue, symbol, paused, by, nowMs);
    }
    std::optional<std::uint64_t> requestCancel(const LegKey& leg, const Actor& by, std::int64_t nowMs) override {
        return inner_.requestCancel(leg, by, nowMs);
    }
    std::vector<CancelRequest> openCancelRequests(const std::string& venue) override {
        return inner_.openCancelRequests(venue);
    }
    void closeCancelRequest(std::uint64_t id, const std::string& outcome, std::int64_t nowMs) override {
        closed.emplace_back(id, outcome);
        inner_.closeCancelRequest(id, outcome, nowMs);
    }

    std::vector<std::pair<std::uint64_t, std::string>> closed;

private:
    ControlState& inner_;
};

// ---- one venue instance's components over a memory gate ------------------------------------

struct Rig {
    FakeClock clock{kT0};
    std::unique_ptr<Gate> gate = makeMemoryGate();
    FakeVenue venue{clock};
    ClientOrderIdCodec ids{venue.clientOrderIdRules(), "bn"};
    VenueLane lane{"bn"};
    // Set before a component is built: each keeps its own copy.
    PipelineOptions options;
    std::uint64_t lastSeq = 0;

    // What the components' hooks were told.
    std::vector<LegRecord> toResolver;
    std::vector<LegRecord> toTracker;
    int recorded = 0;
    int executorWakes = 0;

    // Admits a signal into the gate as the admitter would (attempt-0 ids from `ids`, the next
    // journal position) and queues its PENDING legs. Returns the legs as stored.
    std::vector<LegRecord> admit(const std::string& body, std::optional<std::int64_t> receivedMs = std::nullopt) {
        const Signal s = signalOf(body);
        AdmissionRequest r;
        r.journalSeq = ++lastSeq;
        r.receivedMs = receivedMs.value_or(clock.nowMs());
        r.signal = s;
        for (std::size_t i = 0; i < s.legs.size(); ++i)
            r.legs.push_back({ids.encode(s.signalId, static_cast<int>(i), 0), ""});
        const auto results = gate->admit({r}, options.owner, 0, clock.nowMs());
        REQUIRE(results.front().outcome == Admission::Admitted);
        for (const auto& leg : results.front().legs)
            if (leg.state == LegState::Pending) lane.enqueue(leg);
        return results.front().legs;
    }

    LegRecord leg(const std::string& signalId, int n = 0) {
        const auto l = gate->leg({signalId, n});
        REQUIRE(l);
        return *l;
    }

    // A state change made the way the resolver or tracker makes it: compare-and-set in the gate,
    // then reported to the lane.
    LegRecord move(const LegRecord& before, LegState to, const std::function<void(LegRecord&)>& edit = {}) {
        LegChange c{before, before, {}};
        c.after.state = to;
        if (edit) edit(c.after);
        REQUIRE(gate->apply(c, clock.nowMs()) == ChangeResult::Applied);
        lane.track(c.after);
        return c.after;
    }

    std::unique_ptr<Executor> executor(Settings risk = {}) {
        return std::make_unique<Executor>(
            lane, venue, std::move(risk), *gate, *gate, options, clock,
            Executor::Hooks{[this](const LegRecord& l) { toResolver.push_back(l); },
                            [this](const LegRecord& l) { toTracker.push_back(l); }, [this] { ++recorded; }},
            noFatal());
    }
    std::unique_ptr<Resolver> resolver() {
        return std::make_unique<Resolver>(lane, venue, ids, *gate, options, clock,
                                          Resolver::Hooks{[this](const LegRecord& l) { toTracker.push_back(l); },
                                                          [this] { ++executorWakes; }, [this] { ++recorded; }},
                                          noFatal());
    }
    std::unique_ptr<OrderTracker> tracker(ControlState& control) {
        return std::make_unique<OrderTracker>(lane, venue, *gate, control, options, clock,
                                              OrderTracker::Hooks{[this] { ++recorded; }}, noFatal());
    }

    std::optional<std::int64_t> run(Worker& w) { return w.runOnce(clock.nowMs()); }
};

// ---- the admitter's world: a real journal in a temporary directory -------------------------

struct AdmitRig {
    TempDir dir;
    FakeClock clock{kT0};
    std::unique_ptr<Journal> journal;
    std::unique_ptr<Gate> gate = makeMemoryGate();
    ClientOrderIdCodec bnIds{ClientOrderIdRules{}, "bn"};
    ClientOrderIdCodec okIds{ClientOrderIdRules{}, "ok"};
    VenueLane bn{"bn"};
    VenueLane ok{"ok"};
    PipelineOptions options;

    std::map<std::string, int> wakes;
    std::vector<std::uint64_t> admittedThrough;
    int recorded = 0;

    explicit AdmitRig(std::uint64_t segmentBytes = 64ull << 20) { openJournal(segmentBytes); }

    void openJournal(std::uint64_t segmentBytes = 64ull << 20) {
        journal.reset();
        JournalOptions o;
        o.dir = dir.file("journal");
        o.segmentBytes = segmentBytes;
        journal = Journal::open(o);
    }

    // As intake journals a signal it acknowledged.
    std::uint64_t journalSignal(const std::string& body, std::int64_t receivedMs = kT0) {
        return journal->append(encodeSignalRecord(receivedMs, signalOf(body).canonical));
    }

    std::unique_ptr<Admitter> admitter() {
        std::map<std::string, VenueRoute> routes;
        routes["bn"] = {&bn, &bnIds, [this] { ++wakes["bn"]; }};
        routes["ok"] = {&ok, &okIds, [this] { ++wakes["ok"]; }};
        return std::make_unique<Admitter>(
            *journal, *gate, std::move(routes), options, clock,
            Admitter::Hooks{[this](std::uint64_t seq) { admittedThrough.push_back(seq); }, [this] { ++recorded; }},
            noFatal());
    }
};

}  // namespace tradehost::test

// Readable failures: decimals and leg states as text.
namespace Catch {
template <>
struct StringMaker<tradehost::Decimal> {
    static std::string convert(const tradehost::Decimal& d) { return d.toString(); }
};
template <>
struct StringMaker<tradehost::host::LegState> {
    static std::string convert(tradehost::host::LegState s) { return tradehost::host::toString(s); }
};
}  // namespace Catch
