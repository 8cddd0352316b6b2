// Event log: chain and ids across reopen, torn-tail repair, tamper detection, escaping, redaction, verify-events.
#include "events/event_log.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "events/event_line.h"
#include "events/json_text.h"
#include "events/verify_events.h"
#include "temp_dir.h"

using tradehost::host::Event;
using tradehost::host::EventLog;
using tradehost::host::EventLogCorrupt;
using tradehost::host::EventLogError;
using tradehost::test::TempDir;

namespace {

// 2026-11-24T10:00:00.123Z
constexpr std::int64_t kBaseMs = 1'795'514'400'123;

Event makeEvent(std::uint64_t id, std::string data = "{}", std::string name = "order_submitted") {
    Event e;
    e.id = id;
    e.tsMs = kBaseMs + static_cast<std::int64_t>(id);
    e.event = std::move(name);
    e.signalId = "sig-" + std::to_string(id);
    e.clientOrderId = "sig-" + std::to_string(id) + ":bn:0:1";
    e.venue = "bn_main";
    e.dataJson = std::move(data);
    return e;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeFile(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Complete lines without their '\n'; an unterminated tail is dropped.
std::vector<std::string> readLines(const std::string& path) {
    std::vector<std::string> lines;
    std::istringstream in(readFile(path));
    std::string line;
    while (std::getline(in, line))
        if (!in.eof()) lines.push_back(line);
    return lines;
}

void writeLines(const std::string& path, const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    writeFile(path, text);
}

std::string hashOf(const std::string& line) {
    const auto at = line.find("\"hash\":\"");
    REQUIRE(at != std::string::npos);
    return line.substr(at + 8, 64);
}

std::string prevOf(const std::string& line) {
    const auto at = line.find("\"prev\":\"");
    REQUIRE(at != std::string::npos);
    return line.substr(at + 8, 64);
}

// A line that is well-formed and carries its own correct hash, chained to whatever `prev` says.
std::string forgeLine(const Event& event, const std::string& prev) {
    std::string out;
    tradehost::host::appendEventLine(out, event, prev, {});
    out.pop_back();  // '\n'
    return out;
}

// A log with events of the given ids, closed again; returns its path.
std::string makeLog(const TempDir& dir, const std::vector<std::uint64_t>& ids) {
    const std::string path = dir.file("events.jsonl");
    auto log = EventLog::open(path);
    std::vector<Event> events;
    for (auto id : ids) events.push_back(makeEvent(id, "{\"qty\":\"0.00" + std::to_string(id) + "\"}"));
    log->append(events);
    return path;
}

Poco::JSON::Object::Ptr parseLine(const std::string& line) {
    Poco::JSON::Parser parser;
    return parser.parse(line).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("a new log writes the documented line format and chains every line", "[events]") {
    TempDir dir;
    const std::string path = dir.file("var/events/today/events.jsonl");  // parents do not exist yet
    auto log = EventLog::open(path);
    CHECK(log->lastId() == 0);
    CHECK(log->lastHash() == std::string(64, '0'));
    CHECK_FALSE(log->recovery().truncated);

    Event first;
    first.id = 1;
    first.tsMs = kBaseMs;
    first.event = "signal_received";
    first.signalId = "ema-x";
    first.venue = "bn_main";
    first.dataJson = "{\"side\":\"buy\"}";
    log->append({first});

    // Computed independently (Python hashlib) from the prefix, i.e. everything before "hash":.
    const std::string expected =
        "{\"id\":1,\"ts\":\"2026-11-24T10:00:00.123Z\",\"ts_ms\":1795514400123,\"event\":\"signal_received\","
        "\"signal_id\":\"ema-x\",\"client_order_id\":\"\",\"venue\":\"bn_main\",\"data\":{\"side\":\"buy\"},"
        "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\","
        "\"hash\":\"dc1a225944fc50f733195baf2eb75b8344c48a7e095d0b9ac0c04066b29eedd8\"}\n";
    CHECK(readFile(path) == expected);
    CHECK(log->lastId() == 1);
    CHECK(log->lastHash() == "dc1a225944fc50f733195baf2eb75b8344c48a7e095d0b9ac0c04066b29eedd8");

    log->append({makeEvent(2), makeEvent(3), makeEvent(4)});
    log->append({makeEvent(7)});  // gaps are allowed; only order matters

    const auto lines = readLines(path);
    REQUIRE(lines.size() == 5);
    for (std::size_t i = 1; i < lines.size(); ++i) CHECK(prevOf(lines[i]) == hashOf(lines[i - 1]));
    CHECK(log->lastId() == 7);
    CHECK(log->lastHash() == hashOf(lines.back()));

    const auto verification = EventLog::verify(path);
    CHECK(verification.ok);
    CHECK(verification.lines == 5);
    CHECK(verification.firstBadLine == 0);
}

TEST_CASE("reopening continues the ids and the chain", "[events]") {
    TempDir dir;
    const std::string path = makeLog(dir, {1, 2, 3});
    std::string hashAfterThree;
    {
        auto log = EventLog::open(path);
        CHECK_FALSE(log->recovery().truncated);
        CHECK(log->lastId() == 3);
        hashAfterThree = log->lastHash();
        CHECK(hashAfterThree == hashOf(readLines(path).back()));
        CHECK_THROWS_AS(log->append({makeEvent(3)}), std::invalid_argument);
        log->append({makeEvent(4), makeEvent(5)});
    }
    auto log = EventLog::open(path);
    CHECK(log->lastId() == 5);
    const auto lines = readLines(path);
    REQUIRE(lines.size() == 5);
    CHECK(prevOf(lines[3]) == hashAfterThree);
    const auto verification = EventLog::verify(path);
    CHECK(verification.ok);
    CHECK(verification.lines == 5);
}

TEST_CASE("invalid events are refused before anything is written, and the log stays usable", "[events]") {
    TempDir dir;
    const std::string path = makeLog(dir, {1, 2});
    auto log = EventLog::open(path);
    const std::string before = readFile(path);

    SECTION("ids not above the last one") {
        CHECK_THROWS_AS(log->append({makeEvent(2)}), std::invalid_argument);
        CHECK_THROWS_AS(log->append({makeEvent(1)}), std::invalid_argument);
    }
    SECTION("ids not increasing within a batch — nothing of the batch is written") {
        CHECK_THROWS_AS(log->append({makeEvent(3), makeEvent(3)}), std::invalid_argument);
        CHECK_THROWS_AS(log->append({makeEvent(3), makeEvent(5), makeEvent(4)}), std::invalid_argument);
    }
    SECTION("id 0 on an empty log") {
        TempDir other;
        auto empty = EventLog::open(other.file("e.jsonl"));
        CHECK_THROWS_AS(empty->append({makeEvent(0)}), std::invalid_argument);
        CHECK(readFile(other.file("e.jsonl")).empty());
    }
    SECTION("event names outside [a-z_]+") {
        CHECK_THROWS_AS(log->append({makeEvent(3, "{}", "")}), std::invalid_argument);
        CHECK_THROWS_AS(log->append({makeEvent(3, "{}", "Order")}), std::invalid_argument);
        CHECK_THROWS_AS(log->append({makeEvent(3, "{}", "order-ack")}), std::invalid_argument);
        CHECK_THROWS_AS(log->append({makeEvent(3, "{}", "x\",\"id\":9")}), std::invalid_argument);
    }
    SECTION("data that is not one single-line JSON object") {
        for (const char* data : {"", "[]", "\"x\"", "{", "{\"a\":1}x", "{\"a\":1}\n", "{\"a\":\n1}", "{\"a\":01}",
                                 "{\"a\":\"\x01\"}", "{\"a\":\"\\ud800\"}", "{'a':1}", "{\"a\":tru}"}) {
            INFO("data: " << data);
            CHECK_THROWS_AS(log->append({makeEvent(3, data)}), std::invalid_argument);
        }
        std::string deep(65, '[');
        CHECK_THROWS_AS(log->append({makeEvent(3, "{\"a\":" + deep + std::string(65, ']') + "}")}),
                        std::invalid_argument);
    }
    SECTION("timestamps the fixed-width ts cannot show") {
        Event early = makeEvent(3);
        early.tsMs = -1;
        CHECK_THROWS_AS(log->append({early}), std::invalid_argument);
        Event late = makeEvent(3);
        late.tsMs = tradehost::host::kMaxEventTimestampMs + 1;
        CHECK_THROWS_AS(log->append({late}), std::invalid_argument);
    }
    SECTION("a line over the size limit") {
        const std::string big = "{\"blob\":\"" + std::string(tradehost::host::kMaxEventLineBytes, 'x') + "\"}";
        CHECK_THROWS_AS(log->append({makeEvent(3, big)}), std::invalid_argument);
    }

    CHECK(readFile(path) == before);
    CHECK(log->lastId() == 2);
    // A refused event is the caller's bug, not an I/O failure: the log keeps working.
    log->append({makeEvent(3, "{\"a\":[" + std::string(62, '[') + std::string(62, ']') + "]}")});  // depth 64 is fine
    CHECK(EventLog::verify(path).ok);
    CHECK(EventLog::verify(path).lines == 3);
}

TEST_CASE("only one writer may hold the log", "[events]") {
    TempDir dir;
    const std::string path = dir.file("events.jsonl");
    auto log = EventLog::open(path);
    CHECK_THROWS_AS(EventLog::open(path), EventLogError);
    log.reset();
    CHECK_NOTHROW(EventLog::open(path));
}

TEST_CASE("tampering is detected at the first line it touches", "[events]") {
    TempDir dir;
    const std::string path = makeLog(dir, {10, 20, 30, 40, 50});
    auto lines = readLines(path);
    REQUIRE(lines.size() == 5);

    std::uint64_t expectedBadLine = 0;
    std::string expectedReason;
    SECTION("one byte of data edited in a middle line") {
        const auto at = lines[2].find("0.0030");
        REQUIRE(at != std::string::npos);
        lines[2][at + 5] = '9';
        expectedBadLine = 3;
        expectedReason = "hash does not match";
    }
    SECTION("a middle line deleted") {
        lines.erase(lines.begin() + 2);
        expectedBadLine = 3;
        expectedReason = "prev does not match the hash of line 2";
    }
    SECTION("two lines swapped") {
        std::swap(lines[1], lines[2]);
        expectedBadLine = 2;
        expectedReason = "prev does not match the hash of line 1";
    }
    SECTION("a forged line with its own hash recomputed but the wrong prev") {
        lines.insert(lines.begin() + 2, forgeLine(makeEvent(25), hashOf(lines[0])));
        expectedBadLine = 3;
        expectedReason = "prev does not match the hash of line 2";
    }
    SECTION("a forged line with the right prev: the next line no longer links") {
        lines.insert(lines.begin() + 2, forgeLine(makeEvent(25), hashOf(lines[1])));
        expectedBadLine = 4;
        expectedReason = "prev does not match the hash of line 3";
    }
    SECTION("a forged line with a correct chain but an id out of order") {
        lines.insert(lines.begin() + 2, forgeLine(makeEvent(15), hashOf(lines[1])));
        expectedBadLine = 3;
        expectedReason = "id 15 does not follow id 20 of line 2";
    }
    SECTION("the first line's prev is not the genesis hash") {
        lines[0] = forgeLine(makeEvent(10), std::string(64, 'a'));
        expectedBadLine = 1;
        expectedReason = "genesis";
    }
    SECTION("an empty line in the middle") {
        lines.insert(lines.begin() + 1, "");
        expectedBadLine = 2;
        expectedReason = "empty line";
    }
    SECTION("a member renamed") {
        lines[3].replace(lines[3].find("\"venue\""), 7, "\"Venue\"");
        expectedBadLine = 4;
        expectedReason = "malformed";
    }
    SECTION("the last line appended with a valid own hash but a broken link") {
        lines.push_back(forgeLine(makeEvent(60), hashOf(lines[2])));
        expectedBadLine = 6;
        expectedReason = "prev does not match the hash of line 5";
    }
    writeLines(path, lines);

    const auto verification = EventLog::verify(path);
    CHECK_FALSE(verification.ok);
    CHECK(verification.firstBadLine == expectedBadLine);
    CHECK(verification.lines == expectedBadLine - 1);
    CHECK_THAT(verification.reason, Catch::Contains(expectedReason));

    // None of these is what a crash leaves behind, so open() refuses rather than repairs.
    const std::string before = readFile(path);
    try {
        EventLog::open(path);
        FAIL("open() accepted a broken chain");
    } catch (const EventLogCorrupt& e) {
        CHECK(e.line() == expectedBadLine);
        CHECK_THAT(std::string(e.what()), Catch::StartsWith(path + ": line " + std::to_string(expectedBadLine) + ": "));
    }
    CHECK(readFile(path) == before);
}

TEST_CASE("a torn last line is reported by verify and cut away by open", "[events]") {
    TempDir dir;
    const std::string path = makeLog(dir, {1, 2, 3, 4, 5});
    const std::string whole = readFile(path);
    const auto lines = readLines(path);
    const std::size_t fourLines = whole.size() - lines[4].size() - 1;

    std::uint64_t removed = 0;
    std::string expectedReason;
    SECTION("cut mid-line") {
        writeFile(path, whole.substr(0, fourLines + 37));
        removed = 37;
        expectedReason = "incomplete last line";
    }
    SECTION("complete but for the newline") {
        writeFile(path, whole.substr(0, whole.size() - 1));
        removed = lines[4].size();
        expectedReason = "incomplete last line";
    }
    SECTION("zero-filled tail, as a crash after the size but before the data reached the disk leaves") {
        writeFile(path, whole.substr(0, fourLines) + std::string(300, '\0'));
        removed = 300;
        expectedReason = "incomplete last line";
    }
    SECTION("last line garbled but newline-terminated") {
        const std::string garbled = "{\"id\":5,\"ts\":\"20\n";
        writeFile(path, whole.substr(0, fourLines) + garbled);
        removed = garbled.size();
        expectedReason = "malformed";
    }
    SECTION("last line's own hash wrong") {
        std::string edited = whole;
        edited[fourLines + lines[4].find("0.005") + 4] = '7';
        writeFile(path, edited);
        removed = lines[4].size() + 1;
        expectedReason = "hash does not match";
    }

    const auto verification = EventLog::verify(path);
    CHECK_FALSE(verification.ok);
    CHECK(verification.firstBadLine == 5);
    CHECK(verification.lines == 4);
    CHECK_THAT(verification.reason, Catch::Contains(expectedReason));

    {
        auto log = EventLog::open(path);
        CHECK(log->recovery().truncated);
        CHECK(log->recovery().line == 5);
        CHECK(log->recovery().bytesRemoved == removed);
        CHECK_THAT(log->recovery().reason, Catch::Contains(expectedReason));
        CHECK(log->lastId() == 4);
        CHECK(log->lastHash() == hashOf(lines[3]));
        CHECK(readFile(path) == whole.substr(0, fourLines));
        // The writer re-sends what never became durable; the chain continues without a gap.
        log->append({makeEvent(5), makeEvent(6)});
    }
    const auto after = EventLog::verify(path);
    CHECK(after.ok);
    CHECK(after.lines == 6);
    auto again = EventLog::open(path);
    CHECK_FALSE(again->recovery().truncated);
}

TEST_CASE("a break before a torn tail is still corruption", "[events]") {
    TempDir dir;
    const std::string path = makeLog(dir, {1, 2, 3});
    auto lines = readLines(path);
    lines[1][lines[1].find("0.002") + 4] = '8';
    writeFile(path, lines[0] + "\n" + lines[1] + "\n" + lines[2].substr(0, 20));
    CHECK(EventLog::verify(path).firstBadLine == 2);
    CHECK_THROWS_AS(EventLog::open(path), EventLogCorrupt);
}

TEST_CASE("a file with only a torn line recovers to empty", "[events]") {
    TempDir dir;
    const std::string path = dir.write("events.jsonl", "{\"id\":1,\"ts\"");
    auto log = EventLog::open(path);
    CHECK(log->recovery().truncated);
    CHECK(log->recovery().line == 1);
    CHECK(log->lastId() == 0);
    CHECK(log->lastHash() == std::string(64, '0'));
    CHECK(readFile(path).empty());
}

TEST_CASE("strings are escaped so that every line parses back to what was given", "[events]") {
    TempDir dir;
    const std::string path = dir.file("events.jsonl");
    auto log = EventLog::open(path);

    const std::string controls = std::string("nul:") + '\0' + " \x01\x1f\b\f\n\r\t del:\x7f";
    const std::string quotes = "say \"hi\" \\ back\\slash /";
    const std::string unicode = "caf\xC3\xA9 \xE2\x82\xAC \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80";
    // Stray continuation, truncated 3-byte, overlong '/', UTF-16 surrogate, beyond U+10FFFF, 0xFF.
    const std::string invalid =
        "a\x80"
        "b\xE2\x82"
        "c\xC0\xAF"
        "d\xED\xA0\x80"
        "e\xF4\x90\x80\x80"
        "f\xFF";
    const std::string fffd = "\xEF\xBF\xBD";
    const std::string invalidRepaired = "a" + fffd + "b" + fffd + fffd + "c" + fffd + fffd + "d" + fffd + fffd + fffd +
                                        "e" + fffd + fffd + fffd + fffd + "f" + fffd;

    Event e = makeEvent(1);
    e.signalId = controls;
    e.clientOrderId = quotes;
    e.venue = unicode;
    e.dataJson = "{\"msg\":\"caf\\u00e9 \\\"q\\\" \\\\ \\ud83d\\ude00\",\"raw\":\"" + unicode +
                 "\",\"bad\":\"x\xFFy\",\"n\":-1.5e3,\"z\":0,\"a\":[true,false,null,{},[]],\"e\":\"\"}";
    Event second = makeEvent(2);
    second.signalId = invalid;
    log->append({e, second});

    const auto lines = readLines(path);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find('\0') == std::string::npos);  // escaped, not raw
    CHECK(lines[0].find("\\u0000") != std::string::npos);
    CHECK(lines[0].find("\\u001f") != std::string::npos);

    const auto first = parseLine(lines[0]);
    CHECK(first->getValue<std::uint64_t>("id") == 1);
    CHECK(first->getValue<std::int64_t>("ts_ms") == kBaseMs + 1);
    CHECK(first->getValue<std::string>("ts") == "2026-11-24T10:00:00.124Z");
    CHECK(first->getValue<std::string>("event") == "order_submitted");
    CHECK(first->getValue<std::string>("signal_id") == controls);
    CHECK(first->getValue<std::string>("client_order_id") == quotes);
    CHECK(first->getValue<std::string>("venue") == unicode);
    const auto data = first->getObject("data");
    REQUIRE(data);
    CHECK(data->getValue<std::string>("msg") == "caf\xC3\xA9 \"q\" \\ \xF0\x9F\x98\x80");
    CHECK(data->getValue<std::string>("raw") == unicode);
    CHECK(data->getValue<std::string>("bad") == "x" + fffd + "y");
    CHECK(data->getValue<double>("n") == -1500.0);
    CHECK(data->getArray("a")->size() == 5);
    CHECK(first->getValue<std::string>("prev") == std::string(64, '0'));
    CHECK(first->getValue<std::string>("hash") == hashOf(lines[0]));

    const auto secondParsed = parseLine(lines[1]);
    CHECK(secondParsed->getValue<std::string>("signal_id") == invalidRepaired);

    // Data is written byte for byte (valid UTF-8 is never re-encoded).
    CHECK(lines[0].find(",\"data\":" + e.dataJson.substr(0, 40)) != std::string::npos);
    CHECK(EventLog::verify(path).ok);
}

TEST_CASE("the redaction hook runs on every string field before hashing", "[events]") {
    TempDir dir;
    const std::string path = dir.file("events.jsonl");
    const std::string secret = "s3cret-key";
    auto redact = [&](std::string text) {
        for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
            text.replace(at, secret.size(), "***");
        return text;
    };
    auto log = EventLog::open(path, redact);
    Event e = makeEvent(1);
    e.signalId = "sig-" + secret;
    e.clientOrderId = secret;
    e.venue = "bn";
    // As a value, as a key, behind an escape (\u002d is '-'), and a number that must stay a number.
    e.dataJson =
        "{\"key\":\"" + secret + "\",\"" + secret + "\":1,\"esc\":\"s3cret\\u002dkey\",\"n\":12345,\"ok\":\"x\"}";
    log->append({e});

    const std::string text = readFile(path);
    CHECK(text.find(secret) == std::string::npos);
    CHECK(text.find("s3cret\\u002dkey") == std::string::npos);
    const auto parsed = parseLine(readLines(path)[0]);
    CHECK(parsed->getValue<std::string>("signal_id") == "sig-***");
    CHECK(parsed->getValue<std::string>("client_order_id") == "***");
    CHECK(parsed->getValue<std::string>("venue") == "bn");
    const auto data = parsed->getObject("data");
    CHECK(data->getValue<std::string>("key") == "***");
    CHECK(data->has("***"));
    CHECK(data->getValue<std::string>("esc") == "***");
    CHECK(data->getValue<int>("n") == 12345);
    // Untouched stretches keep their bytes.
    CHECK(text.find(",\"n\":12345,\"ok\":\"x\"}") != std::string::npos);
    CHECK(EventLog::verify(path).ok);
}

TEST_CASE("concurrent appenders keep the chain intact", "[events]") {
    TempDir dir;
    const std::string path = dir.file("events.jsonl");
    auto log = EventLog::open(path);

    // The contract: the caller assigns ids under its own lock and appends under it, as the
    // outbox drainer does; the log's own lock guards its state against everyone else.
    std::mutex idLock;
    std::uint64_t nextId = 1;
    constexpr int kThreads = 4;
    constexpr int kAppendsPerThread = 15;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kAppendsPerThread; ++i) {
                const auto batchSize = static_cast<std::uint64_t>(1 + (t + i) % 3);
                std::lock_guard<std::mutex> lock(idLock);
                std::vector<Event> batch;
                for (std::uint64_t k = 0; k < batchSize; ++k)
                    batch.push_back(makeEvent(nextId++, "{\"thread\":" + std::to_string(t) + "}"));
                log->append(batch);
            }
        });
    }
    for (auto& thread : threads) thread.join();

    const std::uint64_t total = nextId - 1;
    CHECK(log->lastId() == total);
    const auto verification = EventLog::verify(path);
    CHECK(verification.ok);
    CHECK(verification.lines == total);
    const auto lines = readLines(path);
    REQUIRE(lines.size() == total);
    for (std::uint64_t i = 0; i < total; ++i) CHECK(parseLine(lines[i])->getValue<std::uint64_t>("id") == i + 1);
}

TEST_CASE("an I/O failure fails the log for good; reopening recovers", "[events]") {
    TempDir dir;
    const std::string path = makeLog(dir, {1});
    const auto sizeBefore = std::filesystem::file_size(path);
    {
        auto log = EventLog::open(path);
        // A file size limit makes write() fail with EFBIG, a stand-in for a full disk.
        rlimit old{};
        REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
        const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limited = old;
        limited.rlim_cur = static_cast<rlim_t>(sizeBefore + 100);
        REQUIRE(setrlimit(RLIMIT_FSIZE, &limited) == 0);
        bool threw = false;
        try {
            log->append({makeEvent(2, "{\"pad\":\"" + std::string(400, 'p') + "\"}")});
        } catch (const EventLogError&) {
            threw = true;
        }
        setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, oldHandler);
        REQUIRE(threw);
        CHECK(log->lastId() == 1);
        // Even a small event that would fit now is refused: nobody knows what reached the disk.
        CHECK_THROWS_WITH(log->append({makeEvent(2)}), Catch::Contains("failed earlier"));
    }
    auto log = EventLog::open(path);
    CHECK(log->recovery().truncated);  // the partial write is the torn tail
    CHECK(log->lastId() == 1);
    log->append({makeEvent(2)});
    CHECK(EventLog::verify(path).ok);
}

TEST_CASE("timestamps are UTC with milliseconds whatever the time zone", "[events]") {
    using tradehost::host::formatEventTimestamp;
    CHECK(formatEventTimestamp(0) == "1970-01-01T00:00:00.000Z");
    CHECK(formatEventTimestamp(kBaseMs) == "2026-11-24T10:00:00.123Z");
    CHECK(formatEventTimestamp(1'709'251'199'999) == "2024-02-29T23:59:59.999Z");
    CHECK(formatEventTimestamp(951'782'400'000) == "2000-02-29T00:00:00.000Z");
    CHECK(formatEventTimestamp(tradehost::host::kMaxEventTimestampMs) == "9999-12-31T23:59:59.999Z");
    CHECK_THROWS_AS(formatEventTimestamp(-1), std::invalid_argument);
}

TEST_CASE("verify-events prints one line and exits 0, 1 or 2", "[events]") {
    using tradehost::host::runVerifyEvents;
    TempDir dir;
    std::ostringstream out, err;

    SECTION("intact") {
        const std::string path = makeLog(dir, {1, 2, 3});
        CHECK(runVerifyEvents(path, out, err) == 0);
        CHECK(out.str() == path + ": ok, 3 events, chain intact\n");
        CHECK(err.str().empty());
    }
    SECTION("one event") {
        const std::string path = makeLog(dir, {1});
        CHECK(runVerifyEvents(path, out, err) == 0);
        CHECK(out.str() == path + ": ok, 1 event, chain intact\n");
    }
    SECTION("empty") {
        const std::string path = dir.write("empty.jsonl", "");
        CHECK(runVerifyEvents(path, out, err) == 0);
        CHECK(out.str() == path + ": ok, 0 events, chain intact\n");
    }
    SECTION("broken") {
        const std::string path = makeLog(dir, {1, 2, 3});
        auto lines = readLines(path);
        lines.erase(lines.begin() + 1);
        writeLines(path, lines);
        CHECK(runVerifyEvents(path, out, err) == 1);
        CHECK(out.str().empty());
        CHECK(err.str() == path + ": line 2: prev does not match the hash of line 1\n");
    }
    SECTION("torn") {
        const std::string path = makeLog(dir, {1, 2});
        const std::string text = readFile(path);
        writeFile(path, text.substr(0, text.size() - 10));
        CHECK(runVerifyEvents(path, out, err) == 1);
        CHECK(err.str() == path + ": line 2: incomplete last line (no newline at end of file)\n");
    }
    SECTION("missing") {
        const std::string path = dir.file("nope.jsonl");
        CHECK(runVerifyEvents(path, out, err) == 2);
        CHECK(out.str().empty());
        CHECK_THAT(err.str(), Catch::StartsWith(path + ": cannot open: "));
    }
    SECTION("a directory") {
        CHECK(runVerifyEvents(dir.path().string(), out, err) == 2);
        CHECK_THAT(err.str(), Catch::StartsWith(dir.path().string() + ": cannot read: "));
    }
}
