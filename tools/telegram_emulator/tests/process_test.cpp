// The real telegram-emulator executable: --help, bad options, clean SIGTERM even during a long poll.
#include <csignal>
#include <thread>

#include "telegram_fixture.h"

using namespace tradehost::telegram_emulator::test;

TEST_CASE("--help prints the usage and exits 0", "[process]") {
    ProcessGuard p(TELEGRAM_EMULATOR_EXE, {"--help"});
    const std::string text = p.readAll();
    CHECK(text.find("Usage: telegram-emulator") != std::string::npos);
    CHECK(text.find("--per-chat-burst") != std::string::npos);
    CHECK(p.waitFor(5000) == 0);
}

TEST_CASE("a bad option exits 2 without listening", "[process]") {
    const std::vector<std::vector<std::string>> bad = {
        {"--listen"}, {"--chat", "abc"}, {"--bogus", "1"}, {"--cert", "only-cert.pem"}, {"--per-chat-burst", "-1"}};
    for (const auto& args : bad) {
        INFO(args.front());
        ProcessGuard p(TELEGRAM_EMULATOR_EXE, args);
        CHECK(p.readAll().empty());
        CHECK(p.waitFor(5000) == 2);
    }
}

TEST_CASE("SIGTERM stops it cleanly while a long poll is waiting", "[process]") {
    TelegramEmulator tg;
    std::thread poll([&tg] {
        auto session = tg.newSession();
        try {
            TelegramEmulator::requestOn(*session, "GET", std::string("/bot") + kToken + "/getUpdates?timeout=50", "",
                                        "application/json");
        } catch (...) {
            // Ending the poll by stopping the server is what this test does.
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(tg.process().terminate(SIGTERM, 10000) == 0);
    poll.join();
}
