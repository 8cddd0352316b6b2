// Unit tests for the file_alerts sink, compiled in directly: JSON lines, escaping, directories, errors, removal.
#include "file_alert_sink.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "support/fake_context.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using tradehost::Alert;
using tradehost::Fail;
using tradehost::Ok;
using tradehost::Retry;
using tradehost::SendResult;
using tradehost::Severity;
using tradehost::file_alerts::alertToJson;
using tradehost::file_alerts::appendJsonString;
using tradehost::file_alerts::FileAlertSink;
using tradehost::test::FakeContext;
using tradehost::test::settingsFor;
using tradehost::test::TempDir;

namespace {

FileAlertSink makeSink(const std::string& path, FakeContext& context) {
    return FileAlertSink(settingsFor(FileAlertSink::settingsSchema(), {{"path", path}}), context);
}

Alert sampleAlert(const std::string& id = "alert-1") {
    Alert alert;
    alert.id = id;
    alert.key = "drift:bn_main:BTCUSDT";
    alert.severity = Severity::Critical;
    alert.title = "Position drift on bn_main BTCUSDT";
    alert.text = "expected 0.002, venue reports 0.004";
    alert.timestampMs = 1'764'000'000'123;
    alert.fields = {{"venue", "bn_main"}, {"symbol", "BTCUSDT"}, {"expected", "0.002"}, {"actual", "0.004"}};
    alert.suppressedCount = 3;
    return alert;
}

std::vector<std::string> readLines(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

std::string readAll(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

Poco::JSON::Object::Ptr parseLine(const std::string& line) {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(line).extract<Poco::JSON::Object::Ptr>();
}

bool isOk(const SendResult& result) { return std::holds_alternative<Ok>(result); }

std::string describe(const SendResult& result) {
    if (const auto* retry = std::get_if<Retry>(&result)) return "Retry: " + retry->reason;
    if (const auto* fail = std::get_if<Fail>(&result)) return "Fail: " + fail->reason;
    return "Ok";
}

}  // namespace

TEST_CASE("file_alerts: settings and construction", "[file_alerts][settings]") {
    const auto schema = FileAlertSink::settingsSchema();
    REQUIRE(schema.size() == 1);
    CHECK(schema[0].name == "path");
    CHECK(schema[0].type == tradehost::SettingType::String);
    CHECK(schema[0].required);
    CHECK_FALSE(schema[0].secret);
    CHECK_THROWS_AS(settingsFor(schema), std::logic_error);  // required, no default

    FakeContext context;
    CHECK_THROWS_AS(makeSink("", context), std::invalid_argument);
    CHECK_THROWS_WITH(makeSink("/tmp/alerts/", context), Catch::Contains("/tmp/alerts/"));

    TempDir dir;
    const fs::path file = dir.path() / "sub" / "alerts.jsonl";
    {
        FileAlertSink sink = makeSink(file.string(), context);
        CHECK_FALSE(fs::exists(dir.path() / "sub"));  // construction does no I/O
    }
    CHECK_FALSE(fs::exists(dir.path() / "sub"));
}

TEST_CASE("file_alerts: JSON string escaping", "[file_alerts][json]") {
    const auto [input, expected] = GENERATE(table<std::string, std::string>({
        {"", R"("")"},
        {"plain text", R"("plain text")"},
        {"say \"hi\"", R"("say \"hi\"")"},
        {"back\\slash", R"("back\\slash")"},
        {"line1\nline2", R"("line1\u000aline2")"},
        {"tab\there\r", R"("tab\u0009here\u000d")"},
        {std::string("nul\0byte", 8), R"("nul\u0000byte")"},
        {"\x01\x1f", R"("\u0001\u001f")"},
        {"\x7f", "\"\x7f\""},  // DEL needs no escape
        {"/slash", R"("/slash")"},
        {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\""},  // é € 😀 kept
        {"\xFF", "\"\xEF\xBF\xBD\""},                                                  // not UTF-8 -> U+FFFD
        {"a\xE2\x82", "\"a\xEF\xBF\xBD\xEF\xBF\xBD\""},                                // truncated sequence
        {"\xC0\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},                                  // overlong '/'
        {"\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},                  // UTF-16 surrogate
        {"\xF4\x90\x80\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},  // beyond U+10FFFF
        {"\xF4\x8F\xBF\xBF", "\"\xF4\x8F\xBF\xBF\""},                                  // U+10FFFF itself is fine
    }));
    std::string out;
    appendJsonString(out, input);
    CHECK(out == expected);
}

TEST_CASE("file_alerts: each alert is one JSON line", "[file_alerts][send]") {
    TempDir dir;
    const fs::path file = dir.path() / "alerts.jsonl";
    FakeContext context;
    FileAlertSink sink = makeSink(file.string(), context);
    sink.start();
    CHECK(fs::exists(file));

    REQUIRE(isOk(sink.send(sampleAlert("a1"))));
    Alert second = sampleAlert("a2");
    second.severity = Severity::Info;
    second.fields.clear();
    second.suppressedCount = 0;
    second.timestampMs = 0;  // none: the sink stamps it with the context's clock
    context.fakeClock().setMs(1'800'000'000'000);
    REQUIRE(isOk(sink.send(second)));
    sink.stop();

    const auto lines = readLines(file);
    REQUIRE(lines.size() == 2);
    const std::string raw = readAll(file);
    CHECK(raw.back() == '\n');

    const auto first = parseLine(lines[0]);
    CHECK(first->getValue<Poco::Int64>("ts") == 1'764'000'000'123);
    CHECK(first->getValue<std::string>("id") == "a1");
    CHECK(first->getValue<std::string>("key") == "drift:bn_main:BTCUSDT");
    CHECK(first->getValue<std::string>("severity") == "critical");
    CHECK(first->getValue<std::string>("title") == "Position drift on bn_main BTCUSDT");
    CHECK(first->getValue<std::string>("text") == "expected 0.002, venue reports 0.004");
    CHECK(first->getValue<int>("suppressed") == 3);
    const auto fields = first->getObject("fields");
    REQUIRE(fields);
    CHECK(fields->size() == 4);
    CHECK(fields->getValue<std::string>("venue") == "bn_main");
    CHECK(fields->getValue<std::string>("actual") == "0.004");
    // Keys in the documented order, fields in the alert's order.
    CHECK(lines[0] ==
          R"({"ts":1764000000123,"id":"a1","key":"drift:bn_main:BTCUSDT","severity":"critical",)"
          R"("title":"Position drift on bn_main BTCUSDT","text":"expected 0.002, venue reports 0.004",)"
          R"("fields":{"venue":"bn_main","symbol":"BTCUSDT","expected":"0.002","actual":"0.004"},"suppressed":3})");

    const auto next = parseLine(lines[1]);
    CHECK(next->getValue<Poco::Int64>("ts") == 1'800'000'000'000);
    CHECK(next->getValue<std::string>("severity") == "info");
    CHECK(next->getObject("fields")->size() == 0);
    CHECK(next->getValue<int>("suppressed") == 0);

    CHECK(context.fakeMetrics().value("alerts_written") == 2);
    CHECK(context.fakeLogger().contains(file.string()));
}

TEST_CASE("file_alerts: awkward characters survive the round trip", "[file_alerts][json]") {
    TempDir dir;
    const fs::path file = dir.path() / "alerts.jsonl";
    FakeContext context;
    FileAlertSink sink = makeSink(file.string(), context);
    sink.start();

    Alert alert = sampleAlert("weird\"id");
    alert.title = "quote \" backslash \\ slash /";
    alert.text = "line one\nline two\r\n\ttabbed \x01\x02\x1f end";
    alert.key = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
    alert.fields = {{"with \"quote\"", "new\nline"}, {"utf8 \xC3\xA9", "\xE2\x82\xAC"}};
    REQUIRE(isOk(sink.send(alert)));
    Alert broken = sampleAlert("broken");
    broken.text = "venue said: \xFF\xFE garbage";
    REQUIRE(isOk(sink.send(broken)));

    const auto lines = readLines(file);
    REQUIRE(lines.size() == 2);
    for (const auto& line : lines) {
        for (const char c : line) CHECK(static_cast<unsigned char>(c) >= 0x20);  // nothing raw inside a line
    }
    const auto parsed = parseLine(lines[0]);
    CHECK(parsed->getValue<std::string>("id") == alert.id);
    CHECK(parsed->getValue<std::string>("title") == alert.title);
    CHECK(parsed->getValue<std::string>("text") == alert.text);
    CHECK(parsed->getValue<std::string>("key") == alert.key);
    CHECK(parsed->getObject("fields")->getValue<std::string>("with \"quote\"") == "new\nline");
    CHECK(parsed->getObject("fields")->getValue<std::string>("utf8 \xC3\xA9") == "\xE2\x82\xAC");
    CHECK(parseLine(lines[1])->getValue<std::string>("text") == "venue said: \xEF\xBF\xBD\xEF\xBF\xBD garbage");
}

TEST_CASE("file_alerts: start() creates directories and the file, appending to what is there", "[file_alerts][start]") {
    TempDir dir;
    FakeContext context;
    SECTION("missing parent directories are created, private") {
        const fs::path file = dir.path() / "a" / "b" / "c" / "alerts.jsonl";
        FileAlertSink sink = makeSink(file.string(), context);
        sink.start();
        REQUIRE(fs::is_regular_file(file));
        struct stat info {};
        REQUIRE(::stat(file.c_str(), &info) == 0);
        CHECK((info.st_mode & 0777) == 0600);
        REQUIRE(::stat((dir.path() / "a").c_str(), &info) == 0);
        CHECK((info.st_mode & 0777) == 0700);
        CHECK(isOk(sink.send(sampleAlert())));
        CHECK(readLines(file).size() == 1);
    }
    SECTION("an existing file is appended to, never truncated") {
        const fs::path file = dir.path() / "alerts.jsonl";
        std::ofstream(file) << "{\"earlier\":true}\n";
        FileAlertSink sink = makeSink(file.string(), context);
        sink.start();
        sink.start();  // twice is harmless
        CHECK(isOk(sink.send(sampleAlert())));
        const auto lines = readLines(file);
        REQUIRE(lines.size() == 2);
        CHECK(lines[0] == "{\"earlier\":true}");
    }
    SECTION("a relative path works") {
        const fs::path previous = fs::current_path();
        fs::current_path(dir.path());
        FileAlertSink sink = makeSink("var/alerts.jsonl", context);
        sink.start();
        CHECK(isOk(sink.send(sampleAlert())));
        sink.stop();
        fs::current_path(previous);
        CHECK(readLines(dir.path() / "var" / "alerts.jsonl").size() == 1);
    }
}

TEST_CASE("file_alerts: start() on an unusable path throws naming it", "[file_alerts][start]") {
    TempDir dir;
    FakeContext context;
    // Tests may run as root, which ignores permissions; a regular file where a directory must be
    // fails for everyone.
    const fs::path blocker = dir.path() / "blocker";
    std::ofstream(blocker) << "not a directory";
    const std::string path = GENERATE(as<std::string>{}, "blocker/alerts.jsonl", "blocker/sub/alerts.jsonl", "");
    const std::string full = path.empty() ? dir.path().string() : (dir.path() / path).string();  // "" -> a directory
    CAPTURE(full);
    FileAlertSink sink = makeSink(full, context);
    try {
        sink.start();
        FAIL("start() did not throw");
    } catch (const std::runtime_error& e) {
        CHECK_THAT(e.what(), Catch::Contains(full));
        CHECK_THAT(e.what(), Catch::Contains("Not a directory") || Catch::Contains("Is a directory"));
    }
    sink.stop();
}

TEST_CASE("file_alerts: stop() is idempotent", "[file_alerts][stop]") {
    TempDir dir;
    FakeContext context;
    FileAlertSink sink = makeSink((dir.path() / "alerts.jsonl").string(), context);
    sink.stop();  // before start
    sink.start();
    sink.stop();
    sink.stop();
    CHECK(readLines(dir.path() / "alerts.jsonl").empty());
}

TEST_CASE("file_alerts: the file or its directory removed while running", "[file_alerts][removal]") {
    TempDir dir;
    FakeContext context;
    const fs::path file = dir.path() / "var" / "alerts.jsonl";
    FileAlertSink sink = makeSink(file.string(), context);
    sink.start();
    REQUIRE(isOk(sink.send(sampleAlert("before"))));

    // Documented behaviour: Ok. The sink notices the open file is no longer at the path and
    // recreates directory and file, instead of "delivering" into an unlinked inode.
    SECTION("directory deleted: recreated, send is Ok") {
        fs::remove_all(dir.path() / "var");
        const auto result = sink.send(sampleAlert("after"));
        CHECK(describe(result) == "Ok");
        const auto lines = readLines(file);
        REQUIRE(lines.size() == 1);
        CHECK(parseLine(lines[0])->getValue<std::string>("id") == "after");
        CHECK(context.fakeLogger().contains("recreated"));
    }
    SECTION("file renamed away (rotation): the next alert goes to a new file at the path") {
        fs::rename(file, dir.path() / "var" / "alerts.jsonl.1");
        CHECK(isOk(sink.send(sampleAlert("after"))));
        CHECK(readLines(file).size() == 1);
        CHECK(readLines(dir.path() / "var" / "alerts.jsonl.1").size() == 1);
    }
    SECTION("directory replaced by a file: Retry naming the path, then recovery") {
        fs::remove_all(dir.path() / "var");
        std::ofstream(dir.path() / "var") << "in the way";
        const auto result = sink.send(sampleAlert("blocked"));
        REQUIRE(std::holds_alternative<Retry>(result));
        CHECK(std::get<Retry>(result).after == std::chrono::milliseconds(1000));
        CHECK_THAT(std::get<Retry>(result).reason,
                   Catch::Contains(file.string()) && Catch::Contains("Not a directory"));
        CHECK(context.fakeMetrics().value("write_errors") == 1);

        fs::remove(dir.path() / "var");
        CHECK(isOk(sink.send(sampleAlert("blocked"))));
        CHECK(readLines(file).size() == 1);
    }
}

TEST_CASE("file_alerts: a full disk is a Retry, not an exception", "[file_alerts][errors]") {
    // /dev/full accepts the open and fails every write with ENOSPC.
    if (!fs::exists("/dev/full")) return;
    FakeContext context;
    FileAlertSink sink = makeSink("/dev/full", context);
    sink.start();
    const auto first = sink.send(sampleAlert());
    REQUIRE(std::holds_alternative<Retry>(first));
    CHECK_THAT(std::get<Retry>(first).reason, Catch::Contains("alert-1") && Catch::Contains("No space left"));
    CHECK(std::holds_alternative<Retry>(sink.send(sampleAlert())));  // and again, after reopening
    CHECK(context.fakeMetrics().value("write_errors") == 2);
    sink.stop();
}

TEST_CASE("file_alerts: a write cut short leaves the next line whole", "[file_alerts][errors]") {
    TempDir dir;
    const fs::path file = dir.path() / "alerts.jsonl";
    FakeContext context;
    FileAlertSink sink = makeSink(file.string(), context);
    sink.start();
    REQUIRE(isOk(sink.send(sampleAlert("first"))));
    const auto sizeBefore = static_cast<rlim_t>(fs::file_size(file));

    // RLIMIT_FSIZE makes write() stop part-way through the line (then EFBIG), as a disk filling
    // up mid-write would. Process-wide, so it is restored before any assertion can throw.
    struct rlimit saved {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limited = saved;
    limited.rlim_cur = sizeBefore + 20;
    ::setrlimit(RLIMIT_FSIZE, &limited);
    const SendResult cut = sink.send(sampleAlert("cut"));
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previousHandler);

    REQUIRE(std::holds_alternative<Retry>(cut));
    CHECK_THAT(std::get<Retry>(cut).reason, Catch::Contains("cut"));
    CHECK(fs::file_size(file) == sizeBefore + 20);  // the fragment is there
    REQUIRE(isOk(sink.send(sampleAlert("cut"))));   // the host's retry

    const auto lines = readLines(file);
    REQUIRE(lines.size() == 3);
    CHECK(parseLine(lines[0])->getValue<std::string>("id") == "first");
    CHECK_THROWS(parseLine(lines[1]));  // the fragment, alone on its line
    CHECK(parseLine(lines[2])->getValue<std::string>("id") == "cut");
}

TEST_CASE("file_alerts: send() before start() opens the file itself", "[file_alerts][send]") {
    TempDir dir;
    FakeContext context;
    FileAlertSink sink = makeSink((dir.path() / "alerts.jsonl").string(), context);
    CHECK(isOk(sink.send(sampleAlert())));
    CHECK(readLines(dir.path() / "alerts.jsonl").size() == 1);
}

TEST_CASE("file_alerts: writers sharing a file never interleave inside a line", "[file_alerts][concurrency]") {
    TempDir dir;
    const fs::path file = dir.path() / "shared.jsonl";
    constexpr int kWriters = 4;
    constexpr int kAlertsEach = 200;
    // Large lines make a torn or interleaved write likely if the sink ever split one.
    const std::string bulk(16 * 1024, 'x');

    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            FakeContext context;  // separate instances, as the host's fallback file and a sink would be
            FileAlertSink sink = makeSink(file.string(), context);
            sink.start();
            for (int i = 0; i < kAlertsEach; ++i) {
                Alert alert = sampleAlert("w" + std::to_string(w) + "-" + std::to_string(i));
                alert.text = bulk;
                if (!isOk(sink.send(alert))) return;
            }
            sink.stop();
        });
    }
    for (auto& t : writers) t.join();

    const auto lines = readLines(file);
    REQUIRE(lines.size() == static_cast<std::size_t>(kWriters * kAlertsEach));
    for (const auto& line : lines) {
        const auto parsed = parseLine(line);
        REQUIRE(parsed->getValue<std::string>("text") == bulk);
    }
}

TEST_CASE("file_alerts: alertToJson uses the fallback time only when the alert has none", "[file_alerts][json]") {
    Alert alert = sampleAlert();
    CHECK(alertToJson(alert, 42).rfind("{\"ts\":1764000000123,", 0) == 0);
    alert.timestampMs = 0;
    CHECK(alertToJson(alert, 42).rfind("{\"ts\":42,", 0) == 0);
}
