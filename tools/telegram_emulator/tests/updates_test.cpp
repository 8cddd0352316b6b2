// getUpdates: queued commands as Update objects, offset acknowledgement, long polling with timeout.
#include <chrono>
#include <thread>

#include "telegram_fixture.h"

using namespace tradehost::telegram_emulator::test;

namespace {

Poco::JSON::Array::Ptr updates(TelegramEmulator& tg, const std::string& query) {
    const Answer a = tg.request("GET", std::string("/bot") + kToken + "/getUpdates" + query);
    INFO(a.body);
    REQUIRE(a.status == 200);
    REQUIRE(a.json()->getValue<bool>("ok"));
    return a.json()->getArray("result");
}

}  // namespace

TEST_CASE("queued commands come back as Updates; offset acknowledges older ones", "[updates]") {
    TelegramEmulator tg;
    REQUIRE(tg.control("POST", "/control/updates", R"({"chat_id":1001,"user_id":77,"text":"/status now"})").status ==
            200);
    REQUIRE(tg.control("POST", "/control/updates", R"({"chat_id":-900,"user_id":78,"text":"/pause BTCUSDT"})").status ==
            200);
    auto all = updates(tg, "");
    REQUIRE(all->size() == 2);
    const auto first = all->getObject(0);
    const auto message = first->getObject("message");
    CHECK(message->getValue<std::string>("text") == "/status now");
    CHECK(message->getObject("chat")->getValue<std::int64_t>("id") == 1001);
    CHECK(message->getObject("chat")->getValue<std::string>("type") == "private");
    CHECK(message->getObject("from")->getValue<std::int64_t>("id") == 77);
    CHECK_FALSE(message->getObject("from")->getValue<bool>("is_bot"));
    const auto entity = message->getArray("entities")->getObject(0);
    CHECK(entity->getValue<std::string>("type") == "bot_command");
    CHECK(entity->getValue<int>("offset") == 0);
    CHECK(entity->getValue<int>("length") == 7);
    CHECK(all->getObject(1)->getObject("message")->getObject("chat")->getValue<std::string>("type") == "group");

    // Without an offset nothing is acknowledged; limit takes the oldest first.
    auto one = updates(tg, "?limit=1");
    REQUIRE(one->size() == 1);
    const auto firstId = one->getObject(0)->getValue<std::int64_t>("update_id");
    CHECK(firstId == first->getValue<std::int64_t>("update_id"));
    // offset = last + 1 acknowledges the first one for good.
    auto rest = updates(tg, "?offset=" + std::to_string(firstId + 1));
    REQUIRE(rest->size() == 1);
    CHECK(rest->getObject(0)->getValue<std::int64_t>("update_id") > firstId);
    CHECK(updates(tg, "")->size() == 1);
    const auto secondId = rest->getObject(0)->getValue<std::int64_t>("update_id");
    CHECK(updates(tg, "?offset=" + std::to_string(secondId + 1))->size() == 0);
    CHECK(updates(tg, "")->size() == 0);
}

TEST_CASE("long polling: timeout waits for an update, and returns empty when none comes", "[updates]") {
    TelegramEmulator tg;
    {
        // Nothing queued: the poll holds for about the timeout, then answers an empty list.
        const auto started = std::chrono::steady_clock::now();
        CHECK(updates(tg, "?timeout=1")->size() == 0);
        CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(900));
    }
    // An update queued while a poll is waiting ends the poll with it.
    std::thread later([&tg] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        auto session = tg.newSession();
        TelegramEmulator::requestOn(*session, "POST", "/control/updates", R"({"chat_id":1001,"text":"/resume"})",
                                    "application/json");
    });
    auto got = updates(tg, "?timeout=20");
    later.join();
    REQUIRE(got->size() == 1);
    CHECK(got->getObject(0)->getObject("message")->getValue<std::string>("text") == "/resume");
    CHECK(got->getObject(0)->getObject("message")->getObject("from")->getValue<std::int64_t>("id") == 1001);
    // JSON body parameters work for getUpdates too.
    const auto id = got->getObject(0)->getValue<std::int64_t>("update_id");
    const Answer acked = tg.bot("getUpdates", R"({"offset":)" + std::to_string(id + 1) + R"(,"timeout":0})");
    REQUIRE(acked.status == 200);
    CHECK(acked.json()->getArray("result")->size() == 0);
    CHECK(tg.stats()->getObject("calls")->getValue<int>("getUpdates") == 3);
}
