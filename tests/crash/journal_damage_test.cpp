// B5 end to end: a torn journal tail is repaired at restart; damage in the middle stops startup.
#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "emulator_process.h"
#include "exactly_once_checks.h"
#include "host_process.h"
#include "signal_run.h"
#include "temp_dir.h"

using namespace tradehost::test;

namespace {

// The journal's segment files, in order (journal-<20 digits>.jsonl).
std::vector<std::filesystem::path> segments(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("journal-", 0) == 0 && name.size() > 6 && name.substr(name.size() - 6) == ".jsonl")
            out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void appendBytes(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary | std::ios::app) << bytes;
}

}  // namespace

TEST_CASE("journal damage end to end: torn tails are repaired at restart, a damaged middle record refuses startup",
          "[journal_damage]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    SignalRun run(host, emulator, {"jd-", config.venue, 2, "0.002"}, dir.path() / "jd.ledger");

    // What a crash can leave after the last whole record: an unterminated line, one complete
    // line whose checksum is wrong, and zeroes (a file extended but never written).
    const std::vector<std::pair<std::string, std::string>> tails = {
        {"unterminated garbage", "{\"seq\":999,\"crc32c\":\"0000"},
        {"last record with a bad checksum",
         "{\"seq\":@SEQ@,\"crc32c\":\"deadbeef\",\"rec\":{\"received_ms\":1,\"signal\":{}}}\n"},
        {"zero-filled tail", std::string(512, '\0')},
    };
    int sent = 0;
    int repaired = 0;
    for (const auto& [what, bytes] : tails) {
        auto options = run.options(5);
        options.firstIndex = sent + 1;
        run.send(options);
        sent += 5;
        REQUIRE(run.drain());
        host.kill();
        const auto journal = segments(host.journalDir());
        REQUIRE(!journal.empty());
        std::string tail = bytes;
        if (const auto at = tail.find("@SEQ@"); at != std::string::npos) tail.replace(at, 5, std::to_string(sent + 1));
        appendBytes(journal.back(), tail);

        INFO(what);
        REQUIRE(host.start());  // it starts...
        host.waitForOutput("recovery: ");
        const std::string out = host.output();
        INFO(out);
        CHECK(out.find("torn tail repaired") != std::string::npos);  // ...and says it repaired the tail
        if (out.find("torn tail repaired") != std::string::npos) ++repaired;
        std::cout << "[crash.journal_damage] " << what << ": host started, "
                  << (out.find("torn tail repaired") != std::string::npos ? "torn tail repaired" : "NO REPAIR REPORTED")
                  << std::endl;
    }
    // The host keeps working after the repairs: new signals, exactly once.
    auto options = run.options(5);
    options.firstIndex = sent + 1;
    run.send(options);
    sent += 5;
    REQUIRE(run.drain());
    CHECK(host.stop() == 0);
    const auto check = run.check();
    const auto storage = run.checkStorage();
    printReport("crash.journal_damage", "after " + std::to_string(tails.size()) + " torn tails", check, &storage);
    CHECK(check.signalsOk == sent);
    checkExactlyOnceInvariants(check);
    CHECK(storage.clean());
    CHECK(storage.journalRecords == static_cast<std::uint64_t>(sent));

    // Damage in the middle: flip one byte inside an early record's payload (its checksum no
    // longer matches, and valid records follow). Startup must refuse, name the file, not crash.
    const auto journal = segments(host.journalDir());
    REQUIRE(!journal.empty());
    std::string text = readFile(journal.front());
    const auto secondLine = text.find('\n') + 1;
    const auto payload = text.find("\"signal_id\":\"", secondLine);
    REQUIRE(payload != std::string::npos);
    text[payload + 13] = text[payload + 13] == 'j' ? 'J' : 'j';
    std::ofstream(journal.front(), std::ios::binary | std::ios::trunc) << text;

    CHECK_FALSE(host.start(std::map<std::string, std::string>{}, std::chrono::seconds(20)));
    const auto exit = host.waitExit(std::chrono::seconds(20));
    const std::string out = host.output();
    INFO(out);
    REQUIRE(exit.has_value());
    CHECK(*exit != 0);
    CHECK(*exit < 256);  // an exit with a code, not killed by a signal (no crash)
    CHECK(out.find(journal.front().filename().string()) != std::string::npos);
    CHECK(out.find("corrupt") != std::string::npos);
    std::cout << "[crash.journal_damage] middle record damaged: host refused to start, exit " << (exit ? *exit : -1)
              << ": " << out.substr(out.find("tradehost:") == std::string::npos ? 0 : out.find("tradehost:"), 300)
              << std::endl;
    CHECK(repaired == static_cast<int>(tails.size()));
}
