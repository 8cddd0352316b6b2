// Injected I/O faults: fail-stop on fsync/write errors, no half record ever accepted (C1-C3, reliability §1.8).
#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "journal_test_support.h"

using namespace tradehost::test;
using tradehost::host::JournalError;

namespace {

// Everything a failed journal must not do: count the disk-touching calls around `fn`.
template <typename Fn>
int diskCallsDuring(IoScript& script, Fn fn) {
    const auto total = [&] {
        return script.count(&IoScript::writes) + script.count(&IoScript::fdatasyncs) + script.count(&IoScript::fsyncs) +
               script.count(&IoScript::ftruncates);
    };
    const int before = total();
    fn();
    return total() - before;
}

void checkFailStop(Journal& journal, IoScript& script) {
    CHECK(journal.failed());
    for (int i = 0; i < 3; ++i) {
        const int calls = diskCallsDuring(script, [&] { CHECK_THROWS_AS(journal.append("{}"), JournalError); });
        CHECK(calls == 0);
    }
    CHECK_THROWS_AS(journal.pruneThrough(1), JournalError);
}

// Reopens with the real system calls and checks: the acknowledged records are there, byte for
// byte; the journal holds only whole, valid records; appends work again.
std::unique_ptr<Journal> reopenAndCheck(const TempDir& tmp, const std::map<std::uint64_t, std::string>& acked,
                                        std::uint64_t segmentBytes = 64ull << 20) {
    auto journal = Journal::open(optionsFor(tmp.path(), segmentBytes));
    const auto all = readAll(*journal);
    std::size_t gaps = 0, lostOrChanged = 0;
    for (std::size_t i = 0; i < all.size(); ++i) gaps += all[i].first == i + 1 ? 0 : 1;
    for (const auto& [seq, payload] : acked)
        lostOrChanged += seq <= all.size() && all[seq - 1].second == payload ? 0 : 1;
    CHECK(gaps == 0);
    CHECK(lostOrChanged == 0);
    const std::uint64_t last = journal->lastSequence();
    CHECK(journal->append("{\"after\":\"restart\"}") == last + 1);
    return journal;
}

}  // namespace

TEST_CASE("the k-th fdatasync failing with EIO fails the journal for good", "[journal][fault]") {
    const int k = GENERATE(1, 2, 4);
    CAPTURE(k);
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    std::map<std::uint64_t, std::string> acked;
    {
        auto journal = Journal::open(optionsFor(tmp.path()), scriptedIo(script));
        script->failFdatasyncAt = script->count(&IoScript::fdatasyncs) + k;
        for (std::uint64_t i = 1; i < static_cast<std::uint64_t>(k); ++i)
            acked[journal->append(payloadFor(i))] = payloadFor(i);
        try {
            journal->append(payloadFor(static_cast<std::uint64_t>(k)));
            FAIL("append returned although its fdatasync failed");
        } catch (const JournalError& e) {
            const std::string msg = e.what();
            CHECK(msg.find("fdatasync") != std::string::npos);
            CHECK(msg.find("Input/output error") != std::string::npos);
            CHECK(msg.find("fail-stop") != std::string::npos);
        }
        CHECK(journal->lastSequence() == static_cast<std::uint64_t>(k - 1));
        checkFailStop(*journal, *script);
        // Reading what was durable still works on a failed journal, and shows nothing unacked.
        CHECK(readAll(*journal).size() == acked.size());
    }
    auto journal = reopenAndCheck(tmp, acked);
    // The unacknowledged record was fully written before the fsync failed: whole or absent.
    CHECK(journal->recovery().records >= acked.size());
    CHECK(journal->recovery().records <= acked.size() + 1);
}

TEST_CASE("an fdatasync failure under concurrent appenders: acked means durable, then nothing succeeds",
          "[journal][fault][group-commit]") {
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    script->syncDelay = std::chrono::milliseconds(1);
    std::map<std::uint64_t, std::string> acked;
    std::mutex m;
    {
        auto journal = Journal::open(optionsFor(tmp.path(), 2048), scriptedIo(script));
        script->failFdatasyncAt = script->count(&IoScript::fdatasyncs) + 5;
        constexpr int kThreads = 6;
        std::vector<std::vector<bool>> outcomes(kThreads);  // per thread, in order: true = acked
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 15; ++i) {
                    const std::string payload = "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
                    try {
                        const auto seq = journal->append(payload);
                        const std::lock_guard<std::mutex> lock(m);
                        acked[seq] = payload;
                        outcomes[static_cast<std::size_t>(t)].push_back(true);
                    } catch (const JournalError&) {
                        const std::lock_guard<std::mutex> lock(m);
                        outcomes[static_cast<std::size_t>(t)].push_back(false);
                    }
                }
            });
        }
        for (auto& th : threads) th.join();
        CHECK(journal->failed());
        // Per thread: once an append failed, every later one failed too.
        for (const auto& o : outcomes) {
            const auto firstFail = std::find(o.begin(), o.end(), false);
            CHECK(std::find(firstFail, o.end(), true) == o.end());
        }
        // Acknowledged sequence numbers are exactly 1..N: nothing after the failed batch succeeded.
        REQUIRE_FALSE(acked.empty());
        CHECK(acked.begin()->first == 1);
        CHECK(acked.rbegin()->first == acked.size());
        CHECK(journal->lastSequence() == acked.size());
    }
    reopenAndCheck(tmp, acked, 2048);
}

TEST_CASE("a write failing outright (ENOSPC, EIO) fails the journal and leaves no partial record", "[journal][fault]") {
    const int err = GENERATE(ENOSPC, EIO);
    CAPTURE(err);
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    std::map<std::uint64_t, std::string> acked;
    {
        auto journal = Journal::open(optionsFor(tmp.path()), scriptedIo(script));
        for (std::uint64_t i = 1; i <= 3; ++i) acked[journal->append(payloadFor(i))] = payloadFor(i);
        script->writeErrno = err;
        script->failWriteAt = script->count(&IoScript::writes) + 1;
        try {
            journal->append(payloadFor(4));
            FAIL("append returned although its write failed");
        } catch (const JournalError& e) {
            CHECK(std::string(e.what()).find(err == ENOSPC ? "No space left on device" : "Input/output error") !=
                  std::string::npos);
        }
        checkFailStop(*journal, *script);
    }
    auto journal = reopenAndCheck(tmp, acked);
    CHECK_FALSE(journal->recovery().tornTailRepaired);
    CHECK(journal->recovery().records == 3);
}

TEST_CASE("a short write followed by an error leaves a torn tail that recovery cuts", "[journal][fault]") {
    const int err = GENERATE(ENOSPC, EIO);
    CAPTURE(err);
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    std::map<std::uint64_t, std::string> acked;
    {
        auto journal = Journal::open(optionsFor(tmp.path()), scriptedIo(script));
        for (std::uint64_t i = 1; i <= 3; ++i) acked[journal->append(payloadFor(i))] = payloadFor(i);
        script->writeErrno = err;
        script->shortWriteFirst = true;
        script->failWriteAt = script->count(&IoScript::writes) + 1;
        CHECK_THROWS_AS(journal->append(payloadFor(4)), JournalError);
        checkFailStop(*journal, *script);
    }
    const auto files = segmentFiles(tmp.path());
    const std::string content = readFile(files.back());
    REQUIRE(content.back() != '\n');  // the half record really is on disk
    auto journal = reopenAndCheck(tmp, acked);
    CHECK(journal->recovery().tornTailRepaired);
    CHECK(journal->recovery().records == 3);
}

TEST_CASE("EINTR and short writes are retried until the batch is whole", "[journal][fault]") {
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    script->eintrAndShortWrites = true;
    script->realSyncs = false;
    std::map<std::uint64_t, std::string> acked;
    {
        auto journal = Journal::open(optionsFor(tmp.path(), 256), scriptedIo(script));
        for (std::uint64_t i = 1; i <= 6; ++i) acked[journal->append(payloadFor(i))] = payloadFor(i);
        CHECK_FALSE(journal->failed());
        CHECK(script->count(&IoScript::writes) > 100);  // the faults really happened
    }
    auto journal = reopenAndCheck(tmp, acked, 256);
    CHECK_FALSE(journal->recovery().tornTailRepaired);
    CHECK(journal->recovery().records == 6);
}

TEST_CASE("a failed directory fsync while rotating fails the journal before the new segment is used",
          "[journal][fault][rotation]") {
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    std::map<std::uint64_t, std::string> acked;
    {
        auto journal = Journal::open(optionsFor(tmp.path(), 250), scriptedIo(script));
        script->failFsyncAt = script->count(&IoScript::fsyncs) + 1;  // the next one: at rotation
        std::uint64_t i = 1;
        const std::size_t segmentsBefore = segmentFiles(tmp.path()).size();
        try {
            for (; i < 100; ++i) acked[journal->append(payloadFor(i))] = payloadFor(i);
            FAIL("no rotation happened");
        } catch (const JournalError& e) {
            CHECK(std::string(e.what()).find("fsync directory") != std::string::npos);
        }
        CHECK(segmentFiles(tmp.path()).size() == segmentsBefore + 1);
        CHECK(readFile(segmentFiles(tmp.path()).back()).empty());  // nothing was written into it
        checkFailStop(*journal, *script);
    }
    reopenAndCheck(tmp, acked, 250);
}

TEST_CASE("a failed repair at open leaves the file as it was and a later open repairs it", "[journal][fault]") {
    TempDir tmp;
    {
        auto journal = Journal::open(optionsFor(tmp.path()), fastIo());
        for (std::uint64_t i = 1; i <= 3; ++i) journal->append(payloadFor(i));
    }
    const std::string segment = segmentFiles(tmp.path()).front();
    appendFile(segment, "{\"seq\":4,\"crc");
    const std::string damaged = readFile(segment);

    auto script = std::make_shared<IoScript>();
    const bool failTruncate = GENERATE(true, false);
    if (failTruncate) {
        script->failFtruncateAt = 1;
    } else {
        script->failFsyncAt = 1;  // the fsync after ftruncate
    }
    CHECK_THROWS_AS(Journal::open(optionsFor(tmp.path()), scriptedIo(script)), JournalError);
    if (failTruncate) CHECK(readFile(segment) == damaged);

    auto journal = Journal::open(optionsFor(tmp.path()));
    CHECK(journal->lastSequence() == 3);
    CHECK(journal->recovery().tornTailRepaired == failTruncate);
}

TEST_CASE("an fdatasync failure at open refuses to open", "[journal][fault]") {
    TempDir tmp;
    {
        auto journal = Journal::open(optionsFor(tmp.path()), fastIo());
        journal->append("{}");
    }
    auto script = std::make_shared<IoScript>();
    script->failFdatasyncAt = 1;
    CHECK_THROWS_AS(Journal::open(optionsFor(tmp.path()), scriptedIo(script)), JournalError);
    CHECK(Journal::open(optionsFor(tmp.path()))->lastSequence() == 1);
}

TEST_CASE("a failed directory fsync while pruning fails the journal", "[journal][fault][prune]") {
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    script->realSyncs = false;
    auto journal = Journal::open(optionsFor(tmp.path(), 200), scriptedIo(script));
    for (std::uint64_t i = 1; i <= 10; ++i) journal->append(payloadFor(i));
    script->failFsyncAt = script->count(&IoScript::fsyncs) + 1;
    CHECK_THROWS_AS(journal->pruneThrough(10), JournalError);
    CHECK(journal->failed());
    CHECK_THROWS_AS(journal->append("{}"), JournalError);
}
