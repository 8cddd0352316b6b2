// Intake's memory of signal ids in flight: duplicates and conflicts answered without the gate's
// writer, one winner when two payloads race under one id, bounded, and never fooled by a release.
#include "intake/recent_signals.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "intake/signal/signal_parser.h"

using namespace tradehost::host;
using Verdict = RecentSignals::Verdict;

namespace {

// The gate's read-only lookup, as a map; `after` runs once, after a read has looked (so what it
// changes comes too late for that read: a commit landing while the read runs).
struct FakeLookup : SignalLookup {
    std::mutex mutex;
    std::map<std::string, std::string> known;
    std::function<void()> after;
    int calls = 0;
    std::optional<std::string> payloadOf(const std::string& id) override {
        std::optional<std::string> answer;
        std::function<void()> hook;
        {
            std::lock_guard<std::mutex> lock(mutex);
            ++calls;
            const auto it = known.find(id);
            if (it != known.end()) answer = it->second;
            hook = std::move(after);
            after = nullptr;
        }
        if (hook) hook();
        return answer;
    }
};

Signal signal(const std::string& id, const std::string& qty = "0.002") {
    auto parsed = parseSignal(R"({"signal_id":")" + id +
                              R"(","symbol":"BTCUSDT","side":"buy","type":"market","quantity":")" + qty + R"("})");
    return std::get<Parsed>(parsed).signal;
}

}  // namespace

TEST_CASE("a new id is claimed; a duplicate or conflict of a durable claim is answered from memory", "[intake]") {
    FakeLookup gate;
    RecentSignals recent(gate, 100, std::chrono::milliseconds(50));
    const Signal s = signal("a");
    CHECK(recent.claim(s) == Verdict::New);
    CHECK(recent.size() == 1);
    recent.durable("a", 7);
    const int lookups = gate.calls;
    CHECK(recent.claim(s) == Verdict::Duplicate);
    CHECK(recent.claim(signal("a", "0.003")) == Verdict::Conflict);
    CHECK(gate.calls == lookups);  // in flight: the gate is not asked
}

TEST_CASE("a duplicate of a claim not yet durable waits for it, then answers; or says not yet", "[intake]") {
    FakeLookup gate;
    RecentSignals recent(gate, 100, std::chrono::milliseconds(300));
    const Signal s = signal("b");
    REQUIRE(recent.claim(s) == Verdict::New);
    SECTION("durable while the duplicate waits: 200") {
        std::thread appender([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            recent.durable("b", 1);
        });
        CHECK(recent.claim(s) == Verdict::Duplicate);
        appender.join();
    }
    SECTION("never durable within the wait: not yet (503), never a 2xx") {
        CHECK(recent.claim(s) == Verdict::NotYetDurable);
    }
    SECTION("the first append failed: the next delivery claims it anew") {
        std::thread appender([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            recent.abandon("b");
        });
        CHECK(recent.claim(s) == Verdict::New);
        appender.join();
    }
}

TEST_CASE("ids the gate holds are answered from the gate's read-only lookup", "[intake]") {
    FakeLookup gate;
    const Signal s = signal("c");
    gate.known["c"] = s.canonical;
    RecentSignals recent(gate, 100, std::chrono::milliseconds(50));
    CHECK(recent.claim(s) == Verdict::Duplicate);
    CHECK(recent.claim(signal("c", "1")) == Verdict::Conflict);
    CHECK(recent.size() == 0);
}

TEST_CASE("claims are forgotten once admitted, and the gate answers from then on", "[intake]") {
    FakeLookup gate;
    RecentSignals recent(gate, 100, std::chrono::milliseconds(50));
    const Signal s1 = signal("d1"), s2 = signal("d2");
    REQUIRE(recent.claim(s1) == Verdict::New);
    REQUIRE(recent.claim(s2) == Verdict::New);
    recent.durable("d1", 1);
    recent.durable("d2", 2);
    gate.known["d1"] = s1.canonical;
    recent.admittedThrough(1);
    CHECK(recent.size() == 1);
    CHECK(recent.claim(s1) == Verdict::Duplicate);  // from the gate now
    recent.admittedThrough(5);
    CHECK(recent.size() == 0);
}

TEST_CASE("a release during the gate lookup makes the lookup run again: no second claim of an admitted id",
          "[intake]") {
    // The race: a delivery of "h" with payload 2 misses "h" in memory and in the gate; while its
    // gate read runs, the first delivery (payload 1) is claimed, journaled, admitted and its claim
    // released. Claiming "h" now would journal a conflicting payload and answer 202 for a signal
    // the gate then refuses; the delivery must read the gate again and answer 422.
    FakeLookup gate;
    RecentSignals recent(gate, 100, std::chrono::milliseconds(50));
    const Signal h1 = signal("h"), h2 = signal("h", "5");
    gate.after = [&] {
        REQUIRE(recent.claim(h1) == Verdict::New);
        recent.durable("h", 1);
        {
            std::lock_guard<std::mutex> lock(gate.mutex);
            gate.known["h"] = h1.canonical;
        }
        recent.admittedThrough(1);
    };
    CHECK(recent.claim(h2) == Verdict::Conflict);
    CHECK(gate.calls == 3);  // h2's read (missed), h1's own read, h2's second read
    CHECK(recent.size() == 0);
}

TEST_CASE("bounded: past maxClaims new ids are refused as over capacity, duplicates still answered", "[intake]") {
    FakeLookup gate;
    RecentSignals recent(gate, 3, std::chrono::milliseconds(50));
    for (int i = 0; i < 3; ++i) {
        REQUIRE(recent.claim(signal("f" + std::to_string(i))) == Verdict::New);
        recent.durable("f" + std::to_string(i), static_cast<std::uint64_t>(i + 1));
    }
    CHECK(recent.claim(signal("f9")) == Verdict::Full);
    CHECK(recent.claim(signal("f1")) == Verdict::Duplicate);
    recent.admittedThrough(1);
    CHECK(recent.claim(signal("f9")) == Verdict::New);
}

TEST_CASE("two payloads racing under one id: exactly one is claimed", "[intake]") {
    FakeLookup gate;
    RecentSignals recent(gate, 10000, std::chrono::milliseconds(200));
    for (int round = 0; round < 200; ++round) {
        const std::string id = "race-" + std::to_string(round);
        std::atomic<int> news{0}, conflicts{0}, others{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                const Verdict v = recent.claim(signal(id, t % 2 ? "1" : "2"));
                if (v == Verdict::New) {
                    ++news;
                    recent.durable(id, static_cast<std::uint64_t>(round + 1));
                } else if (v == Verdict::Conflict) {
                    ++conflicts;
                } else {
                    ++others;
                }
            });
        for (auto& t : threads) t.join();
        CHECK(news == 1);
        CHECK(conflicts >= 1);  // at least the two of the other payload
    }
}
