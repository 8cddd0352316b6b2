// Journal behaviour: round trip, sequence continuity, rotation, group commit, concurrent reads, retention.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "journal_test_support.h"

using namespace tradehost::test;
using tradehost::host::JournalError;

TEST_CASE("appended records read back in order with gapless sequence numbers", "[journal]") {
    TempDir tmp;
    auto journal = Journal::open(optionsFor(tmp.path()));
    CHECK(journal->lastSequence() == 0);
    CHECK(readAll(*journal).empty());
    for (std::uint64_t i = 1; i <= 5; ++i) CHECK(journal->append(payloadFor(i)) == i);
    CHECK(journal->lastSequence() == 5);
    CHECK_FALSE(journal->failed());

    const auto all = readAll(*journal);
    REQUIRE(all.size() == 5);
    for (std::uint64_t i = 1; i <= 5; ++i) {
        CHECK(all[i - 1].first == i);
        CHECK(all[i - 1].second == payloadFor(i));
    }
    const auto tail = readAll(*journal, 3);
    REQUIRE(tail.size() == 2);
    CHECK(tail[0].first == 4);
    CHECK(readAll(*journal, 5).empty());
    CHECK(readAll(*journal, 99).empty());

    // The file is exactly the documented format: one line per record.
    const auto files = segmentFiles(tmp.path());
    REQUIRE(files.size() == 1);
    CHECK(std::filesystem::path(files[0]).filename() == "journal-00000000000000000001.jsonl");
    const std::string content = readFile(files[0]);
    CHECK(lineOffsets(content).size() == 5);
    CHECK(content.rfind("{\"seq\":1,\"crc32c\":\"", 0) == 0);
    CHECK(content.back() == '\n');
}

TEST_CASE("sequence numbers continue across reopen", "[journal]") {
    TempDir tmp;
    {
        auto journal = Journal::open(optionsFor(tmp.path()));
        CHECK(journal->recovery().segments == 0);
        for (int i = 0; i < 3; ++i) journal->append(payloadFor(1));
    }
    {
        auto journal = Journal::open(optionsFor(tmp.path()));
        CHECK(journal->recovery().records == 3);
        CHECK(journal->recovery().segments == 1);
        CHECK_FALSE(journal->recovery().tornTailRepaired);
        CHECK(journal->recovery().tornTailDetail.empty());
        CHECK(journal->lastSequence() == 3);
        CHECK(journal->append(payloadFor(4)) == 4);
    }
    auto journal = Journal::open(optionsFor(tmp.path()));
    CHECK(journal->lastSequence() == 4);
    CHECK(readAll(*journal).size() == 4);
}

TEST_CASE("payloads that are not one single-line JSON object are refused and nothing is written", "[journal]") {
    TempDir tmp;
    auto journal = Journal::open(optionsFor(tmp.path()));
    const std::string bad =
        GENERATE(std::string("{\"a\":\n1}"), std::string("{\"a\":1}\n"), std::string(""), std::string("[1,2]"),
                 std::string("\"text\""), std::string(" {\"a\":1}"), std::string("{"));
    CAPTURE(bad);
    CHECK_THROWS_AS(journal->append(bad), std::invalid_argument);
    CHECK(journal->lastSequence() == 0);
    CHECK_FALSE(journal->failed());
    CHECK(journal->append("{}") == 1);
}

TEST_CASE("appendAll: a batch gets consecutive numbers and one fdatasync; an invalid one writes nothing", "[journal]") {
    TempDir tmp;
    auto journal = Journal::open(optionsFor(tmp.path()), fastIo());
    REQUIRE(journal->append(payloadFor(1)) == 1);
    const std::uint64_t syncs = journal->syncCount();
    CHECK(journal->appendAll({payloadFor(2), payloadFor(3), payloadFor(4)}) == 2);
    CHECK(journal->syncCount() == syncs + 1);
    CHECK(journal->lastSequence() == 4);
    CHECK_THROWS_AS(journal->appendAll({payloadFor(5), "not json"}), std::invalid_argument);
    CHECK_THROWS_AS(journal->appendAll({}), std::invalid_argument);
    CHECK(journal->lastSequence() == 4);
    const auto all = readAll(*journal, 0);
    REQUIRE(all.size() == 4);
    for (std::uint64_t i = 1; i <= 4; ++i) CHECK(all[i - 1] == std::make_pair(i, payloadFor(i)));
}

TEST_CASE("the directory is created with its parents, and each new entry's parent is fsynced", "[journal]") {
    TempDir tmp;
    const auto dir = tmp.path() / "a" / "b" / "c";
    auto script = std::make_shared<IoScript>();
    auto journal = Journal::open(optionsFor(dir), scriptedIo(script));
    CHECK(std::filesystem::is_directory(dir));
    CHECK(journal->append("{}") == 1);
    const auto ops = script->opLog();
    const auto has = [&](const std::string& op) { return std::find(ops.begin(), ops.end(), op) != ops.end(); };
    CHECK(has("fsync " + tmp.path().string()));
    CHECK(has("fsync " + (tmp.path() / "a").string()));
    CHECK(has("fsync " + (tmp.path() / "a" / "b").string()));
    CHECK(has("fsync " + dir.string()));  // after creating the first segment
}

TEST_CASE("segments rotate at segmentBytes and numbering continues across them", "[journal][rotation]") {
    TempDir tmp;
    const std::uint64_t segmentBytes = 300;  // about three records per segment
    {
        auto journal = Journal::open(optionsFor(tmp.path(), segmentBytes), fastIo());
        for (std::uint64_t i = 1; i <= 20; ++i) REQUIRE(journal->append(payloadFor(i)) == i);
        const auto all = readAll(*journal);
        REQUIRE(all.size() == 20);
        for (std::uint64_t i = 1; i <= 20; ++i) CHECK(all[i - 1] == std::make_pair(i, payloadFor(i)));
        CHECK(readAll(*journal, 11).front().first == 12);
    }
    const auto files = segmentFiles(tmp.path());
    REQUIRE(files.size() > 4);
    std::uint64_t next = 1;
    for (const auto& f : files) {
        const std::string content = readFile(f);
        CHECK(content.size() <= segmentBytes);
        // The name is the first record's seq.
        CHECK(std::filesystem::path(f).filename().string() ==
              "journal-" + std::string(20 - std::to_string(next).size(), '0') + std::to_string(next) + ".jsonl");
        CHECK(content.rfind("{\"seq\":" + std::to_string(next) + ",", 0) == 0);
        next += lineOffsets(content).size();
    }
    CHECK(next == 21);

    auto journal = Journal::open(optionsFor(tmp.path(), segmentBytes), fastIo());
    CHECK(journal->recovery().segments == files.size());
    CHECK(journal->recovery().records == 20);
    CHECK(journal->append(payloadFor(21)) == 21);
    CHECK(readAll(*journal, 18).size() == 3);
}

TEST_CASE("a record larger than segmentBytes gets a segment of its own", "[journal][rotation]") {
    TempDir tmp;
    auto journal = Journal::open(optionsFor(tmp.path(), 100), fastIo());
    journal->append("{}");
    const std::string big = "{\"blob\":\"" + std::string(500, 'x') + "\"}";
    CHECK(journal->append(big) == 2);
    CHECK(journal->append("{}") == 3);
    CHECK(segmentFiles(tmp.path()).size() == 3);
    CHECK(readAll(*journal, 1).front().second == big);
}

TEST_CASE("rotation makes the old segment durable, then the new one's directory entry, before writing it",
          "[journal][rotation]") {
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    auto journal = Journal::open(optionsFor(tmp.path(), 250), scriptedIo(script));
    for (std::uint64_t i = 1; i <= 8; ++i) journal->append(payloadFor(i));
    const auto files = segmentFiles(tmp.path());
    REQUIRE(files.size() >= 3);
    const auto ops = script->opLog();
    const std::string dirSync = "fsync " + tmp.path().string();
    for (std::size_t s = 1; s < files.size(); ++s) {
        const auto firstWrite = std::find(ops.begin(), ops.end(), "write " + files[s]);
        REQUIRE(firstWrite != ops.end());
        const auto lastOldSync =
            std::find(std::make_reverse_iterator(firstWrite), ops.rend(), "fdatasync " + files[s - 1]);
        REQUIRE(lastOldSync != ops.rend());
        // Between the old segment's last fdatasync and the new segment's first write: a directory fsync.
        CHECK(std::find(lastOldSync.base(), firstWrite, dirSync) != firstWrite);
        // No write to the old segment after it.
        CHECK(std::find(firstWrite, ops.end(), "write " + files[s - 1]) == ops.end());
    }
}

TEST_CASE("concurrent appenders share fdatasyncs and get distinct contiguous sequence numbers",
          "[journal][group-commit]") {
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    // A slow disk: while one batch is being synced, the others queue up behind it.
    script->syncDelay = std::chrono::milliseconds(2);
    script->realSyncs = false;
    auto journal = Journal::open(optionsFor(tmp.path(), 4096), scriptedIo(script));

    constexpr int kThreads = 8;
    constexpr int kPerThread = 25;
    std::vector<std::vector<std::pair<std::uint64_t, std::string>>> acked(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int k = 0; k < kPerThread; ++k) {
                const std::string payload = "{\"thread\":" + std::to_string(t) + ",\"k\":" + std::to_string(k) + "}";
                acked[static_cast<std::size_t>(t)].emplace_back(journal->append(payload), payload);
            }
        });
    }
    for (auto& th : threads) th.join();

    std::map<std::uint64_t, std::string> bySeq;
    for (const auto& list : acked) {
        // One thread's appends are ordered: its sequence numbers increase.
        for (std::size_t k = 1; k < list.size(); ++k) CHECK(list[k - 1].first < list[k].first);
        for (const auto& [seq, payload] : list) CHECK(bySeq.emplace(seq, payload).second);
    }
    constexpr std::uint64_t kTotal = kThreads * kPerThread;
    REQUIRE(bySeq.size() == kTotal);
    CHECK(bySeq.begin()->first == 1);
    CHECK(bySeq.rbegin()->first == kTotal);
    CHECK(journal->lastSequence() == kTotal);
    CHECK(journal->syncCount() < kTotal);
    CHECK(journal->syncCount() == static_cast<std::uint64_t>(script->count(&IoScript::fdatasyncs)));
    WARN("group commit: " << kTotal << " appends, " << journal->syncCount() << " fdatasyncs");

    const auto all = readAll(*journal);
    REQUIRE(all.size() == kTotal);
    for (const auto& [seq, payload] : all) CHECK(bySeq.at(seq) == payload);
}

TEST_CASE("group commit on the real disk, with and without an extra gathering wait", "[journal][group-commit]") {
    TempDir tmp;
    const auto waitUs = GENERATE(0, 500);
    auto options = optionsFor(tmp.path(), 2048);
    options.groupCommitWait = std::chrono::microseconds(waitUs);
    std::set<std::uint64_t> seqs;
    std::mutex m;
    {
        auto journal = Journal::open(options);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] {
                for (int k = 0; k < 10; ++k) {
                    const auto seq = journal->append(payloadFor(static_cast<std::uint64_t>(k)));
                    const std::lock_guard<std::mutex> lock(m);
                    seqs.insert(seq);
                }
            });
        }
        for (auto& th : threads) th.join();
        CHECK(journal->syncCount() <= 40 + segmentFiles(tmp.path()).size());
    }
    CHECK(seqs.size() == 40);
    CHECK(*seqs.rbegin() == 40);
    auto journal = Journal::open(options);
    CHECK(journal->recovery().records == 40);
}

TEST_CASE("readAfter runs safely alongside appends and sees everything durable when it started",
          "[journal][concurrency]") {
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    script->realSyncs = false;
    script->syncDelay = std::chrono::microseconds(200);
    auto journal = Journal::open(optionsFor(tmp.path(), 1024), scriptedIo(script));
    std::atomic<bool> readerStarted{false};
    std::atomic<bool> done{false};
    int reads = 0;
    int badReads = 0;  // counted, not asserted per read: Catch2 assertions are not thread-safe
    std::thread reader([&] {
        do {
            const std::uint64_t before = journal->lastSequence();
            const auto all = readAll(*journal);
            bool good = all.size() >= before;
            for (std::size_t i = 0; i < all.size(); ++i) good = good && all[i].first == i + 1;
            badReads += good ? 0 : 1;
            ++reads;
            readerStarted = true;
        } while (!done);
    });
    while (!readerStarted) std::this_thread::yield();
    std::vector<std::thread> writers;
    for (int t = 0; t < 3; ++t) {
        writers.emplace_back([&] {
            for (int k = 0; k < 100; ++k) journal->append(payloadFor(static_cast<std::uint64_t>(k)));
        });
    }
    for (auto& th : writers) th.join();
    done = true;
    reader.join();
    CHECK(reads > 0);
    CHECK(badReads == 0);
    CHECK(readAll(*journal).size() == 300);
}

TEST_CASE("the readAfter callback may append", "[journal][concurrency]") {
    TempDir tmp;
    auto journal = Journal::open(optionsFor(tmp.path()), fastIo());
    journal->append("{}");
    journal->append("{}");
    std::vector<std::uint64_t> seen;
    journal->readAfter(0, [&](std::uint64_t seq, const std::string&) {
        seen.push_back(seq);
        journal->append("{\"from\":\"callback\"}");
    });
    CHECK(seen == std::vector<std::uint64_t>{1, 2});  // not the records appended meanwhile
    CHECK(journal->lastSequence() == 4);
}

TEST_CASE("pruneThrough removes only whole segments at or below the mark, and keeps the active one",
          "[journal][prune]") {
    TempDir tmp;
    const std::uint64_t segmentBytes = 300;
    auto options = optionsFor(tmp.path(), segmentBytes);
    std::vector<std::uint64_t> firsts;  // first seq of each segment
    {
        auto journal = Journal::open(options, fastIo());
        for (std::uint64_t i = 1; i <= 30; ++i) journal->append(payloadFor(i));
        for (const auto& f : segmentFiles(tmp.path()))
            firsts.push_back(std::stoull(std::filesystem::path(f).filename().string().substr(8, 20)));
        REQUIRE(firsts.size() >= 5);

        // A mark inside the third segment: the first two go, the third stays.
        const std::uint64_t mark = firsts[2] + 1;
        REQUIRE(mark < firsts[3]);
        journal->pruneThrough(mark);
        auto files = segmentFiles(tmp.path());
        CHECK(files.size() == firsts.size() - 2);
        CHECK(readAll(*journal).front().first == firsts[2]);
        CHECK(readAll(*journal, mark).front().first == mark + 1);

        // A mark at the exact end of a segment removes it.
        journal->pruneThrough(firsts[3] - 1);
        CHECK(segmentFiles(tmp.path()).size() == firsts.size() - 3);

        // Everything: the active segment survives and numbering goes on.
        journal->pruneThrough(1000);
        files = segmentFiles(tmp.path());
        REQUIRE(files.size() == 1);
        CHECK(std::filesystem::path(files[0]).filename().string().substr(8, 20) ==
              std::string(20 - std::to_string(firsts.back()).size(), '0') + std::to_string(firsts.back()));
        CHECK(journal->lastSequence() == 30);
        CHECK(journal->append(payloadFor(31)) == 31);
    }
    auto journal = Journal::open(options, fastIo());
    CHECK(journal->lastSequence() == 31);
    CHECK(journal->append(payloadFor(32)) == 32);
    const auto all = readAll(*journal);
    CHECK(all.front().first == firsts.back());
    CHECK(all.back().first == 32);
}

TEST_CASE("pruneThrough fsyncs the directory after each deleted segment", "[journal][prune]") {
    TempDir tmp;
    auto script = std::make_shared<IoScript>();
    script->realSyncs = false;
    auto journal = Journal::open(optionsFor(tmp.path(), 200), scriptedIo(script));
    for (std::uint64_t i = 1; i <= 12; ++i) journal->append(payloadFor(i));
    const auto before = segmentFiles(tmp.path());
    REQUIRE(before.size() >= 4);
    const int fsyncsBefore = script->count(&IoScript::fsyncs);
    journal->pruneThrough(journal->lastSequence());
    CHECK(segmentFiles(tmp.path()).size() == 1);
    CHECK(script->count(&IoScript::fsyncs) - fsyncsBefore == static_cast<int>(before.size() - 1));
}

TEST_CASE("readAfter keeps reading segments pruned while it runs", "[journal][prune]") {
    TempDir tmp;
    auto journal = Journal::open(optionsFor(tmp.path(), 200), fastIo());
    for (std::uint64_t i = 1; i <= 12; ++i) journal->append(payloadFor(i));
    std::vector<std::uint64_t> seen;
    journal->readAfter(0, [&](std::uint64_t seq, const std::string& payload) {
        if (seq == 1) journal->pruneThrough(12);
        CHECK(payload == payloadFor(seq));
        seen.push_back(seq);
    });
    CHECK(seen.size() == 12);
    CHECK(readAll(*journal).front().first > 1);
}

TEST_CASE("a tailing reader reads only new records, across rotations, and a full read still sees all",
          "[journal][tail]") {
    TempDir tmp;
    const std::uint64_t segmentBytes = 300;  // about three records per segment
    auto journal = Journal::open(optionsFor(tmp.path(), segmentBytes), fastIo());
    std::uint64_t processed = 0;
    std::vector<std::uint64_t> seen;
    for (std::uint64_t i = 1; i <= 40; ++i) {
        REQUIRE(journal->append(payloadFor(i)) == i);
        if (i % 3 == 0 || i % 7 == 0) {  // irregular catch-ups, some mid-segment
            journal->readAfter(processed, [&](std::uint64_t seq, const std::string& payload) {
                CHECK(payload == payloadFor(seq));
                seen.push_back(seq);
                processed = seq;
            });
        }
    }
    journal->readAfter(processed, [&](std::uint64_t seq, const std::string&) { seen.push_back(seq); });
    REQUIRE(seen.size() == 40);
    for (std::uint64_t i = 1; i <= 40; ++i) CHECK(seen[i - 1] == i);

    // Reading from an earlier point, or from the start, does not use the cursor.
    CHECK(readAll(*journal, 0).size() == 40);
    CHECK(readAll(*journal, 17).front().first == 18);
    CHECK(readAll(*journal, 39).size() == 1);
}

TEST_CASE("a reader catching up on a backlog reads it in bounded batches, across segments", "[journal][tail]") {
    TempDir tmp;
    auto journal = Journal::open(optionsFor(tmp.path(), 300), fastIo());  // about three records a segment
    for (std::uint64_t i = 1; i <= 40; ++i) REQUIRE(journal->append(payloadFor(i)) == i);
    std::uint64_t processed = 0;
    std::vector<std::size_t> batches;
    std::vector<std::uint64_t> seen;
    for (;;) {
        std::size_t n = 0;
        journal->readAfter(
            processed,
            [&](std::uint64_t seq, const std::string& payload) {
                CHECK(payload == payloadFor(seq));
                seen.push_back(seq);
                processed = seq;
                ++n;
            },
            7);
        if (n == 0) break;
        batches.push_back(n);
    }
    CHECK(batches == std::vector<std::size_t>{7, 7, 7, 7, 7, 5});
    REQUIRE(seen.size() == 40);
    for (std::uint64_t i = 1; i <= 40; ++i) CHECK(seen[i - 1] == i);
}

TEST_CASE("a tailing read seeks past what it read before instead of re-reading the segment", "[journal][tail]") {
    TempDir tmp;
    auto journal = Journal::open(optionsFor(tmp.path()), fastIo());
    for (std::uint64_t i = 1; i <= 5; ++i) REQUIRE(journal->append(payloadFor(i)) == i);
    REQUIRE(readAll(*journal, 0).size() == 5);  // leaves the cursor at seq 6

    // Damage record 2 behind the journal's back. A read from the start notices (checksums are
    // re-checked); a tailing read from 5 never touches those bytes again.
    const auto files = segmentFiles(tmp.path());
    REQUIRE(files.size() == 1);
    std::string content = readFile(files[0]);
    const auto offsets = lineOffsets(content);
    content[content.find("\"buy\"", offsets[1]) + 3] = 'x';  // "buy" -> "bux": checksum no longer matches
    {
        const int fd = ::open(files[0].c_str(), O_WRONLY);
        REQUIRE(fd >= 0);
        REQUIRE(::pwrite(fd, content.data(), content.size(), 0) == static_cast<ssize_t>(content.size()));
        ::close(fd);
    }
    REQUIRE(journal->append(payloadFor(6)) == 6);
    const auto tail = readAll(*journal, 5);
    REQUIRE(tail.size() == 1);
    CHECK(tail[0] == std::make_pair(std::uint64_t{6}, payloadFor(6)));
    CHECK_THROWS_AS(readAll(*journal, 0), tradehost::host::JournalCorrupt);
}
