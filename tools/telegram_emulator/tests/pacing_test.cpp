// Telegram's per-chat and per-group pacing: 429 with retry_after, then success once it has passed.
#include <chrono>
#include <thread>

#include "telegram_fixture.h"

using namespace tradehost::telegram_emulator::test;

TEST_CASE("per-chat pacing: past the burst 429 with retry_after, success after waiting it", "[pacing]") {
    // A 3 s interval so a slow machine cannot refill the bucket between the sends below.
    TelegramEmulator tg(
        {"--per-chat-burst", "2", "--per-chat-interval-ms", "3000", "--chat", "1001", "--chat", "1002"});
    CHECK(tg.send(1001, "1").status == 200);
    CHECK(tg.send(1001, "2").status == 200);
    const Answer limited = tg.send(1001, "3");
    INFO(limited.body);
    REQUIRE(limited.status == 429);
    const int retryAfter = limited.json()->getObject("parameters")->getValue<int>("retry_after");
    CHECK(retryAfter >= 1);
    CHECK(retryAfter <= 3);
    CHECK(limited.json()->getValue<std::string>("description") ==
          "Too Many Requests: retry after " + std::to_string(retryAfter));
    // Another chat has its own allowance.
    CHECK(tg.send(1002, "other chat").status == 200);
    std::this_thread::sleep_for(std::chrono::seconds(retryAfter));
    CHECK(tg.send(1001, "3").status == 200);
    const auto list = tg.messages();
    REQUIRE(list->size() == 4);
    CHECK(list->getObject(3)->getValue<std::string>("text") == "3");
    CHECK(tg.stats()->getValue<int>("rate_limited") == 1);
}

TEST_CASE("group pacing: more than N per minute in a group chat is 429", "[pacing]") {
    TelegramEmulator tg({"--per-chat-burst", "0", "--group-per-minute", "3", "--chat", "-500", "--chat", "1001"});
    for (int i = 0; i < 3; ++i) CHECK(tg.send(-500, "g" + std::to_string(i)).status == 200);
    const Answer limited = tg.send(-500, "g3");
    INFO(limited.body);
    REQUIRE(limited.status == 429);
    const int retryAfter = limited.json()->getObject("parameters")->getValue<int>("retry_after");
    CHECK(retryAfter >= 1);
    CHECK(retryAfter <= 60);
    // Private chats are not group-limited.
    for (int i = 0; i < 5; ++i) CHECK(tg.send(1001, "p").status == 200);
    CHECK(tg.messages()->size() == 8);
}

TEST_CASE("pacing can be switched off", "[pacing]") {
    TelegramEmulator tg({"--per-chat-burst", "0", "--group-per-minute", "0", "--chat", "-500"});
    for (int i = 0; i < 30; ++i) REQUIRE(tg.send(-500, "m" + std::to_string(i)).status == 200);
    CHECK(tg.messages()->size() == 30);
}
