// sendMessage in each request encoding, the list endpoint, and no idempotency.
#include "telegram_fixture.h"

using namespace tradehost::telegram_emulator::test;

TEST_CASE("sendMessage answers a Message and the list endpoint shows it", "[send]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    const Answer a = tg.send(1001, "<b>drift</b> on BTCUSDT", "HTML");
    INFO(a.body);
    REQUIRE(a.status == 200);
    const auto json = a.json();
    CHECK(json->getValue<bool>("ok"));
    const auto result = json->getObject("result");
    CHECK(result->getValue<std::int64_t>("message_id") > 0);
    CHECK(result->getValue<std::int64_t>("date") > 1600000000);
    CHECK(result->getObject("chat")->getValue<std::int64_t>("id") == 1001);
    CHECK(result->getObject("chat")->getValue<std::string>("type") == "private");
    CHECK(result->getValue<std::string>("text") == "<b>drift</b> on BTCUSDT");

    const auto list = tg.messages();
    REQUIRE(list->size() == 1);
    const auto m = list->getObject(0);
    CHECK(m->getValue<std::int64_t>("message_id") == result->getValue<std::int64_t>("message_id"));
    CHECK(m->getValue<std::int64_t>("chat_id") == 1001);
    CHECK(m->getValue<std::string>("text") == "<b>drift</b> on BTCUSDT");
    CHECK(m->getValue<std::string>("parse_mode") == "HTML");
    CHECK(m->getValue<std::int64_t>("received_ms") > 1600000000000LL);
}

TEST_CASE("form bodies, URL queries and GET work; the list keeps arrival order", "[send]") {
    TelegramEmulator tg({"--per-chat-burst", "0", "--chat", "1001", "--chat", "-2002"});
    CHECK(tg.request("POST", std::string("/bot") + kToken + "/sendMessage", "chat_id=1001&text=one+%26+two",
                     "application/x-www-form-urlencoded")
              .status == 200);
    CHECK(tg.request("GET", std::string("/bot") + kToken + "/sendMessage?chat_id=-2002&text=second").status == 200);
    CHECK(tg.request("POST", std::string("/bot") + kToken + "/SENDMESSAGE?chat_id=1001&text=third", "", "text/plain")
              .status == 200);
    const auto list = tg.messages();
    REQUIRE(list->size() == 3);
    CHECK(list->getObject(0)->getValue<std::string>("text") == "one & two");
    CHECK(list->getObject(0)->isNull("parse_mode"));
    CHECK(list->getObject(1)->getValue<std::int64_t>("chat_id") == -2002);
    CHECK(list->getObject(1)->getValue<std::string>("text") == "second");
    CHECK(list->getObject(2)->getValue<std::string>("text") == "third");
}

TEST_CASE("no idempotency: the same text sent twice is two messages", "[send]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    const Answer first = tg.send(1001, "same alert");
    const Answer second = tg.send(1001, "same alert");
    REQUIRE(first.status == 200);
    REQUIRE(second.status == 200);
    CHECK(first.json()->getObject("result")->getValue<std::int64_t>("message_id") !=
          second.json()->getObject("result")->getValue<std::int64_t>("message_id"));
    const auto list = tg.messages();
    REQUIRE(list->size() == 2);
    CHECK(list->getObject(0)->getValue<std::string>("text") == "same alert");
    CHECK(list->getObject(1)->getValue<std::string>("text") == "same alert");
}

TEST_CASE("getMe and /control/reset", "[send]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    const Answer me = tg.request("GET", std::string("/bot") + kToken + "/getMe");
    REQUIRE(me.status == 200);
    CHECK(me.json()->getObject("result")->getValue<bool>("is_bot"));
    CHECK(me.json()->getObject("result")->getValue<std::int64_t>("id") == 123456);
    REQUIRE(tg.send(1001, "before reset").status == 200);
    REQUIRE(tg.control("POST", "/control/reset").status == 200);
    CHECK(tg.messages()->size() == 0);
    CHECK(tg.stats()->getObject("calls")->getValue<std::int64_t>("sendMessage") == 0);
}
