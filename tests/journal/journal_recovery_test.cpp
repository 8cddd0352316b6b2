// Recovery at open: torn tails are cut and reported, anything else invalid refuses to start (B5).
#include <catch2/catch.hpp>
#include <functional>
#include <random>

#include "journal/journal_record.h"
#include "journal_test_support.h"

using namespace tradehost::test;
using tradehost::host::JournalCorrupt;
using tradehost::host::JournalError;

namespace {

// Writes records 1..count and closes the journal; returns the segment files.
std::vector<std::string> writeJournal(const TempDir& tmp, std::uint64_t count,
                                      std::uint64_t segmentBytes = 64ull << 20) {
    auto journal = Journal::open(optionsFor(tmp.path(), segmentBytes), fastIo());
    for (std::uint64_t i = 1; i <= count; ++i) journal->append(payloadFor(i));
    return segmentFiles(tmp.path());
}

// Replaces the checksum's first hex digit on the line starting at `lineStart`.
void breakChecksum(std::string& content, std::size_t lineStart) {
    const std::size_t pos = content.find("\"crc32c\":\"", lineStart) + 10;
    content[pos] = content[pos] == '0' ? '1' : '0';
}

std::string fileName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

struct TailCase {
    const char* name;
    // Damages the last record of `content`; returns the byte offset recovery must cut at.
    std::function<std::size_t(std::string& content)> damage;
    std::uint64_t survivingRecords;  // of 5
};

}  // namespace

TEST_CASE("a torn tail is cut, reported, and appends continue seamlessly", "[journal][recovery]") {
    const auto tailCase = GENERATE(TailCase{"truncated last line",
                                            [](std::string& c) {
                                                const std::size_t last = lineOffsets(c).back();
                                                c.resize(c.size() - 10);
                                                return last;
                                            },
                                            4},
                                   TailCase{"last line cut just before its newline",
                                            [](std::string& c) {
                                                const std::size_t last = lineOffsets(c).back();
                                                c.pop_back();
                                                return last;
                                            },
                                            4},
                                   TailCase{"garbage after the last newline",
                                            [](std::string& c) {
                                                const std::size_t end = c.size();
                                                c += "{\"seq\":6,\"crc32c\":\"dead";
                                                return end;
                                            },
                                            5},
                                   TailCase{"bad checksum on the last record",
                                            [](std::string& c) {
                                                const std::size_t last = lineOffsets(c).back();
                                                breakChecksum(c, last);
                                                return last;
                                            },
                                            4},
                                   TailCase{"payload byte flipped in the last record",
                                            [](std::string& c) {
                                                const std::size_t last = lineOffsets(c).back();
                                                c[c.size() - 5] ^= 0x01;
                                                return last;
                                            },
                                            4},
                                   TailCase{"unparsable last line",
                                            [](std::string& c) {
                                                const std::size_t end = c.size();
                                                c += "not a record\n";
                                                return end;
                                            },
                                            5},
                                   TailCase{"zero-filled tail",
                                            [](std::string& c) {
                                                const std::size_t end = c.size();
                                                c += std::string(4096, '\0');
                                                return end;
                                            },
                                            5},
                                   TailCase{"last record zero-filled in place",
                                            [](std::string& c) {
                                                const std::size_t last = lineOffsets(c).back();
                                                std::fill(c.begin() + static_cast<std::ptrdiff_t>(last), c.end(), '\0');
                                                return last;
                                            },
                                            4},
                                   TailCase{"bad last record followed by an unterminated fragment",
                                            [](std::string& c) {
                                                const std::size_t last = lineOffsets(c).back();
                                                breakChecksum(c, last);
                                                c += "{\"seq\":6,\"cr";
                                                return last;
                                            },
                                            4});
    CAPTURE(tailCase.name);
    TempDir tmp;
    const auto files = writeJournal(tmp, 5);
    REQUIRE(files.size() == 1);
    std::string content = readFile(files[0]);
    const std::size_t cut = tailCase.damage(content);
    writeFile(files[0], content);

    {
        auto journal = Journal::open(optionsFor(tmp.path()));
        const auto& rec = journal->recovery();
        CHECK(rec.tornTailRepaired);
        CHECK(rec.records == tailCase.survivingRecords);
        CHECK(rec.tornTailDetail.find(fileName(files[0])) != std::string::npos);
        CHECK(rec.tornTailDetail.find("byte " + std::to_string(cut)) != std::string::npos);
        CHECK(std::filesystem::file_size(files[0]) == cut);
        CHECK(journal->lastSequence() == tailCase.survivingRecords);
        CHECK(journal->append(payloadFor(100)) == tailCase.survivingRecords + 1);
    }
    auto journal = Journal::open(optionsFor(tmp.path()));
    CHECK_FALSE(journal->recovery().tornTailRepaired);
    const auto all = readAll(*journal);
    REQUIRE(all.size() == tailCase.survivingRecords + 1);
    for (std::uint64_t i = 1; i <= tailCase.survivingRecords; ++i) CHECK(all[i - 1].second == payloadFor(i));
    CHECK(all.back().second == payloadFor(100));
}

TEST_CASE("a torn tail in the last of several segments is repaired", "[journal][recovery]") {
    TempDir tmp;
    const auto files = writeJournal(tmp, 12, 300);
    REQUIRE(files.size() >= 3);
    std::string content = readFile(files.back());
    const std::size_t last = lineOffsets(content).back();
    content.resize(last + 7);
    writeFile(files.back(), content);
    auto journal = Journal::open(optionsFor(tmp.path(), 300));
    CHECK(journal->recovery().tornTailRepaired);
    CHECK(journal->recovery().tornTailDetail.find(fileName(files.back())) != std::string::npos);
    CHECK(journal->lastSequence() == 11);
    CHECK(journal->append("{}") == 12);
}

TEST_CASE("a last segment left empty by a crash after its creation is reused", "[journal][recovery]") {
    TempDir tmp;
    writeJournal(tmp, 5);
    writeFile(tmp.file("journal-00000000000000000006.jsonl"), "");
    auto journal = Journal::open(optionsFor(tmp.path()));
    CHECK_FALSE(journal->recovery().tornTailRepaired);
    CHECK(journal->recovery().segments == 2);
    CHECK(journal->append("{}") == 6);
    CHECK(segmentFiles(tmp.path()).size() == 2);
    CHECK(readFile(tmp.file("journal-00000000000000000006.jsonl")).rfind("{\"seq\":6,", 0) == 0);
}

TEST_CASE("a whole torn segment (its only record torn) is cut to empty and reused", "[journal][recovery]") {
    TempDir tmp;
    const auto files = writeJournal(tmp, 7, 300);
    REQUIRE(files.size() >= 2);
    const std::uint64_t lastFirst = std::stoull(fileName(files.back()).substr(8, 20));
    // Leave only a fragment of the last segment's first record.
    writeFile(files.back(), readFile(files.back()).substr(0, 12));
    auto journal = Journal::open(optionsFor(tmp.path(), 300));
    CHECK(journal->recovery().tornTailRepaired);
    CHECK(journal->lastSequence() == lastFirst - 1);
    CHECK(journal->append("{}") == lastFirst);
}

TEST_CASE("damage followed by a valid record refuses to start, naming file and offset", "[journal][recovery]") {
    TempDir tmp;
    const auto files = writeJournal(tmp, 5);
    std::string content = readFile(files[0]);
    const auto offsets = lineOffsets(content);
    const std::size_t damaged = offsets[2];  // record 3 of 5

    const int variant = GENERATE(0, 1, 2, 3);
    CAPTURE(variant);
    if (variant == 0) breakChecksum(content, damaged);
    if (variant == 1) content.erase(damaged + 3, 10);  // line cut short mid-file
    if (variant == 2) std::fill_n(content.begin() + static_cast<std::ptrdiff_t>(damaged), 20, '\0');  // zeroed block
    if (variant == 3) content.insert(damaged, "garbage\n");
    writeFile(files[0], content);

    try {
        Journal::open(optionsFor(tmp.path()));
        FAIL("open accepted a journal with mid-file damage");
    } catch (const JournalCorrupt& e) {
        const std::string msg = e.what();
        CAPTURE(msg);
        CHECK(msg.find(fileName(files[0])) != std::string::npos);
        CHECK(msg.find("byte " + std::to_string(damaged)) != std::string::npos);
        CHECK(msg.find("valid record") != std::string::npos);
    }
    CHECK(readFile(files[0]) == content);  // nothing repaired, nothing lost
}

TEST_CASE("damage in an earlier segment refuses to start even at that segment's end", "[journal][recovery]") {
    TempDir tmp;
    const auto files = writeJournal(tmp, 12, 300);
    REQUIRE(files.size() >= 3);
    std::string content = readFile(files[0]);
    const std::size_t last = lineOffsets(content).back();
    const bool truncate = GENERATE(false, true);
    if (truncate) {
        content.resize(content.size() - 4);
    } else {
        breakChecksum(content, last);
    }
    writeFile(files[0], content);
    try {
        Journal::open(optionsFor(tmp.path(), 300));
        FAIL("open accepted a damaged earlier segment");
    } catch (const JournalCorrupt& e) {
        const std::string msg = e.what();
        CAPTURE(msg);
        CHECK(msg.find(fileName(files[0])) != std::string::npos);
        CHECK(msg.find("byte " + std::to_string(last)) != std::string::npos);
    }
    CHECK(readFile(files[0]) == content);
}

TEST_CASE("more than one invalid line at the end is not a torn tail", "[journal][recovery]") {
    TempDir tmp;
    const auto files = writeJournal(tmp, 5);
    std::string content = readFile(files[0]);
    const auto offsets = lineOffsets(content);
    breakChecksum(content, offsets[3]);
    breakChecksum(content, offsets[4]);
    writeFile(files[0], content);
    try {
        Journal::open(optionsFor(tmp.path()));
        FAIL("open accepted two damaged records");
    } catch (const JournalCorrupt& e) {
        CHECK(std::string(e.what()).find("byte " + std::to_string(offsets[3])) != std::string::npos);
    }
}

TEST_CASE("sequence gaps are corruption", "[journal][recovery]") {
    TempDir tmp;
    SECTION("a missing segment") {
        const auto files = writeJournal(tmp, 12, 300);
        REQUIRE(files.size() >= 3);
        std::filesystem::remove(files[1]);
        try {
            Journal::open(optionsFor(tmp.path(), 300));
            FAIL("open accepted a missing segment");
        } catch (const JournalCorrupt& e) {
            const std::string msg = e.what();
            CHECK(msg.find("gap") != std::string::npos);
            CHECK(msg.find(fileName(files[2])) != std::string::npos);
        }
    }
    SECTION("a record whose seq was altered (the checksum covers only the payload)") {
        const auto files = writeJournal(tmp, 5);
        std::string content = readFile(files[0]);
        const std::size_t pos = content.find("{\"seq\":3,");
        content[pos + 7] = '4';
        writeFile(files[0], content);
        try {
            Journal::open(optionsFor(tmp.path()));
            FAIL("open accepted a sequence gap");
        } catch (const JournalCorrupt& e) {
            const std::string msg = e.what();
            CHECK(msg.find("gap") != std::string::npos);
            CHECK(msg.find("byte " + std::to_string(pos)) != std::string::npos);
        }
    }
    SECTION("an empty segment that is not the last") {
        writeJournal(tmp, 5);
        writeFile(tmp.file("journal-00000000000000000006.jsonl"), "");
        writeFile(tmp.file("journal-00000000000000000007.jsonl"), tradehost::host::JournalRecord::format(7, "{}"));
        CHECK_THROWS_AS(Journal::open(optionsFor(tmp.path())), JournalCorrupt);
    }
    SECTION("a segment whose name does not match its first record") {
        writeJournal(tmp, 3);
        std::filesystem::rename(tmp.file("journal-00000000000000000001.jsonl"),
                                tmp.file("journal-00000000000000000002.jsonl"));
        CHECK_THROWS_AS(Journal::open(optionsFor(tmp.path())), JournalCorrupt);
    }
}

TEST_CASE("files that are not segments are left alone", "[journal][recovery]") {
    TempDir tmp;
    writeJournal(tmp, 2);
    tmp.write("notes.txt", "hello\n");
    tmp.write("journal-1.jsonl", "junk\n");
    tmp.write("journal-00000000000000000009.jsonl.bak", "junk\n");
    auto journal = Journal::open(optionsFor(tmp.path()));
    CHECK(journal->recovery().segments == 1);
    CHECK(journal->lastSequence() == 2);
}

TEST_CASE("recovery never accepts a damaged record: random single-byte damage and truncation",
          "[journal][recovery][property]") {
    // G3 in miniature: whatever one byte flip or cut does, open either refuses (JournalCorrupt)
    // or every record it accepts is byte-identical to what was appended under that seq.
    std::mt19937 rng(20241124);
    int refused = 0, repaired = 0, untouched = 0;
    for (int round = 0; round < 150; ++round) {
        TempDir tmp;
        const auto files = writeJournal(tmp, 6, 400);
        const std::string& victim = files[rng() % files.size()];
        std::string content = readFile(victim);
        if (content.empty()) continue;
        const std::size_t at = rng() % content.size();
        if (round % 3 == 0) {
            content.resize(at);
        } else {
            content[at] = static_cast<char>(content[at] ^ static_cast<char>(1 + rng() % 255));
        }
        writeFile(victim, content);
        try {
            auto journal = Journal::open(optionsFor(tmp.path(), 400), fastIo());
            (journal->recovery().tornTailRepaired ? repaired : untouched) += 1;
            for (const auto& [seq, payload] : readAll(*journal)) REQUIRE(payload == payloadFor(seq));
            const std::uint64_t before = journal->lastSequence();
            CHECK(journal->append("{}") == before + 1);
        } catch (const JournalCorrupt&) {
            ++refused;
        }
    }
    CHECK(refused > 0);
    CHECK(repaired > 0);
    WARN("random damage: " << refused << " refused, " << repaired << " repaired, " << untouched << " harmless");
}
