// Each switchable fault on sendMessage: 429 with retry_after, 5xx, 403, slow, drop; counts; clear; stats.
#include <Poco/Exception.h>

#include <chrono>

#include "telegram_fixture.h"

using namespace tradehost::telegram_emulator::test;

TEST_CASE("429 fault: retry_after in the body, nothing recorded, then delivery", "[faults]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    REQUIRE(tg.control("POST", "/control/faults", R"({"mode":"429","retry_after":7,"count":2})").status == 200);
    for (int i = 0; i < 2; ++i) {
        const Answer a = tg.send(1001, "alert");
        INFO(a.body);
        REQUIRE(a.status == 429);
        const auto json = a.json();
        CHECK_FALSE(json->getValue<bool>("ok"));
        CHECK(json->getValue<int>("error_code") == 429);
        CHECK(json->getValue<std::string>("description") == "Too Many Requests: retry after 7");
        CHECK(json->getObject("parameters")->getValue<int>("retry_after") == 7);
    }
    CHECK(tg.messages()->size() == 0);
    CHECK(tg.send(1001, "alert").status == 200);
    CHECK(tg.messages()->size() == 1);
    CHECK(tg.stats()->getObject("faults")->getValue<int>("429") == 2);
}

TEST_CASE("5xx and 403 faults answer with their status and record nothing", "[faults]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    REQUIRE(tg.control("POST", "/control/faults", R"({"mode":"5xx","status":502,"count":1})").status == 200);
    REQUIRE(tg.control("POST", "/control/faults", R"({"mode":"403","count":1})").status == 200);
    const Answer bad = tg.send(1001, "a");
    INFO(bad.body);
    CHECK(bad.status == 502);
    CHECK(bad.json()->getValue<int>("error_code") == 502);
    const Answer forbidden = tg.send(1001, "b");
    CHECK(forbidden.status == 403);
    CHECK(forbidden.json()->getValue<std::string>("description") == "Forbidden: bot was blocked by the user");
    CHECK(tg.messages()->size() == 0);
    CHECK(tg.send(1001, "c").status == 200);
    const auto faults = tg.stats()->getObject("faults");
    CHECK(faults->getValue<int>("5xx") == 1);
    CHECK(faults->getValue<int>("403") == 1);
}

TEST_CASE("count -1 applies until cleared", "[faults]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    REQUIRE(tg.control("POST", "/control/faults", R"({"mode":"5xx","status":500,"count":-1})").status == 200);
    for (int i = 0; i < 5; ++i) CHECK(tg.send(1001, "x").status == 500);
    REQUIRE(tg.control("POST", "/control/faults", R"({"mode":"clear"})").status == 200);
    CHECK(tg.send(1001, "x").status == 200);
    CHECK(tg.stats()->getObject("faults")->getValue<int>("5xx") == 5);
}

TEST_CASE("slow fault delays the answer, then delivers", "[faults]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    REQUIRE(tg.control("POST", "/control/faults", R"({"mode":"slow","delay_ms":1500,"count":1})").status == 200);
    const auto started = std::chrono::steady_clock::now();
    const Answer a = tg.send(1001, "late");
    const auto tookMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    CHECK(a.status == 200);
    CHECK(tookMs >= 1500);
    CHECK(tg.messages()->size() == 1);
    CHECK(tg.stats()->getObject("faults")->getValue<int>("slow") == 1);
}

TEST_CASE("drop fault closes the connection without an answer and records nothing", "[faults]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    REQUIRE(tg.control("POST", "/control/faults", R"({"mode":"drop","count":1})").status == 200);
    {
        auto session = tg.newSession();
        CHECK_THROWS_AS(TelegramEmulator::requestOn(*session, "POST", std::string("/bot") + kToken + "/sendMessage",
                                                    R"({"chat_id":1001,"text":"lost"})", "application/json"),
                        Poco::Exception);
    }
    CHECK(tg.messages()->size() == 0);
    CHECK(tg.stats()->getObject("faults")->getValue<int>("drop") == 1);
    CHECK(tg.send(1001, "kept").status == 200);
    CHECK(tg.messages()->size() == 1);
}

TEST_CASE("bad fault requests are refused", "[faults]") {
    TelegramEmulator tg;
    CHECK(tg.control("POST", "/control/faults", R"({"mode":"418"})").status == 400);
    CHECK(tg.control("POST", "/control/faults", R"({"mode":"slow"})").status == 400);
    CHECK(tg.control("POST", "/control/faults", R"({"mode":"429","retry":3})").status == 400);
    CHECK(tg.control("POST", "/control/faults", R"({"mode":"5xx","status":404})").status == 400);
    CHECK(tg.control("POST", "/control/faults", "not json").status == 400);
    CHECK(tg.send(1001, "no fault was added").status == 200);
}
