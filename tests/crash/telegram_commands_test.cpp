// Issue 10's Telegram commands against real processes: /pause and /resume from the configured
// chat and user steer the running host's kill switch and are answered; a stranger's /pause is
// recorded as an operator_command event and changes nothing.
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "emulator_process.h"
#include "host_process.h"
#include "invariant_checker.h"
#include "signal_run.h"
#include "telegram_process.h"
#include "temp_dir.h"

using namespace tradehost::test;
using namespace std::chrono_literals;

namespace {

const char* const kUser = "77";

template <class Pred>
bool waitFor(Pred pred, std::chrono::milliseconds timeout = 15s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(100ms);
    }
    return true;
}

std::vector<EventLine> named(SignalRun& run, const std::string& event, const std::string& signalId = "") {
    std::vector<EventLine> out;
    for (const auto& e : run.events())
        if (e.event == event && (signalId.empty() || e.signalId == signalId)) out.push_back(e);
    return out;
}

std::string fields(const std::string& venue) {
    return R"("venue":")" + venue +
           R"(","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002","price":null,"reduce_only":false)";
}

bool replied(TelegramEmulatorProcess& telegram, const std::string& text) {
    for (const auto& m : telegram.messages())
        if (m.text.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("Telegram /pause and /resume steer the host; a stranger's /pause is recorded and ignored",
          "[telegram_commands]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    TelegramEmulatorProcess telegram(dir.path() / "telegram");
    HostConfig config;
    config.telegram = {telegram.url(), telegram.caFile(), telegram.token(), telegram.chatId()};
    config.telegram.extraSettings = {"commands: true", "command_chat_ids: [\"" + telegram.chatId() + "\"]",
                                     std::string("command_user_ids: [\"") + kUser + "\"]", "command_poll_timeout_s: 5",
                                     "min_interval_ms: 200"};
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    REQUIRE(host.waitForOutput("reading updates for @"));
    SignalRun run(host, emulator, {"tc-", config.venue, 1, "0.002"}, dir.path() / "commands.ledger");
    auto update = [&](const std::string& user, const std::string& text) {
        telegram.control(
            "POST", "/control/updates",
            R"({"chat_id":)" + telegram.chatId() + R"(,"user_id":)" + user + R"(,"text":")" + text + R"("})");
    };

    // A stranger in the chat: recorded, nothing changes, no answer.
    update("666", "/pause hijack");
    REQUIRE(waitFor([&] { return !named(run, "operator_command").empty(); }));
    const EventLine stranger = named(run, "operator_command").front();
    CHECK(stranger.dataText("from") == "telegram user 666 in chat " + telegram.chatId());
    CHECK(stranger.dataText("command") == "pause");
    CHECK(stranger.dataText("authorized") == "false");
    CHECK(stranger.dataText("outcome").rfind("ignored: ", 0) == 0);
    CHECK(stranger.dataText("via") == "tg");

    // The operator pauses: the kill switch is on, with who and why, and the operator is answered.
    update(kUser, "/pause e2e check");
    REQUIRE(waitFor([&] { return !named(run, "trading_paused").empty(); }));
    const EventLine paused = named(run, "trading_paused").front();
    CHECK(paused.dataText("by") == std::string("telegram user ") + kUser + " in chat " + telegram.chatId());
    CHECK(paused.dataText("why") == "e2e check");
    CHECK(waitFor([&] { return replied(telegram, "trading paused: every leg is blocked"); }));

    // A signal now is blocked, not traded.
    REQUIRE(run.post("tc-paused", fields(config.venue)).status == 202);
    REQUIRE(waitFor([&] { return !named(run, "order_blocked", "tc-paused").empty(); }));
    CHECK(named(run, "order_blocked", "tc-paused").front().dataText("reason").find("trading is paused") !=
          std::string::npos);
    CHECK(named(run, "order_submitted", "tc-paused").empty());

    // /status says so; /resume trades again.
    update(kUser, "/status");
    CHECK(waitFor([&] { return replied(telegram, "trading: PAUSED since"); }));
    update(kUser, "/resume");
    REQUIRE(waitFor([&] { return !named(run, "trading_resumed").empty(); }));
    CHECK(waitFor([&] { return replied(telegram, "trading resumed: legs are sent again"); }));
    REQUIRE(run.post("tc-resumed", fields(config.venue)).status == 202);
    CHECK(waitFor([&] { return !named(run, "order_submitted", "tc-resumed").empty(); }));
    REQUIRE(run.drain(30s));

    // Every command is one event; the stranger was told nothing.
    std::vector<std::string> outcomes;
    for (const auto& e : named(run, "operator_command"))
        outcomes.push_back(e.dataText("command") + " " + e.dataText("outcome"));
    CHECK(outcomes == std::vector<std::string>{"pause ignored: not an authorized chat and user", "pause done",
                                               "status done", "resume done"});
    CHECK(named(run, "trading_paused").size() == 1);
    std::size_t replies = 0;
    for (const auto& m : telegram.messages()) {
        CHECK(m.chatId == telegram.chatId());
        CHECK(m.text.find("hijack") == std::string::npos);
        CHECK(m.text.find(telegram.token()) == std::string::npos);
        replies += m.text.rfind("<b>", 0) != 0;  // alerts start bold; replies are plain text
    }
    CHECK(replies == 3);
    CHECK(host.stop() == 0);
    CHECK(host.output().find(telegram.token()) == std::string::npos);
    std::cout << "[crash.telegram_commands] 4 commands (1 from a stranger, recorded and ignored), " << replies
              << " replies; a signal while paused blocked, one after /resume traded" << std::endl;
}
