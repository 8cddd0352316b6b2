// Telegram operator commands against the Telegram emulator over real HTTPS (with_emulator.sh):
// who may command, what reaches the host, what is answered, the offset across a restart, stop().
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_context.h"
#include "telegram_alert_sink.h"
#include "temp_dir.h"

using namespace tradehost;
using namespace tradehost::telegram;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kUser = 77;  // the authorized user; the chat is TELEGRAM_CHAT_ID

std::string env(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) throw std::runtime_error(std::string("run me through with_emulator.sh: ") + name + " is not set");
    return v;
}

std::int64_t chat() { return std::stoll(env("TELEGRAM_CHAT_ID")); }

class Control {
public:
    Control() : uri_(env("TELEGRAM_EMULATOR_URL")) {
        tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", env("TELEGRAM_EMULATOR_CA"),
                                      Poco::Net::Context::VERIFY_RELAXED, 9, false);
    }
    std::string call(const std::string& method, const std::string& path, const std::string& body = "") {
        Poco::Net::HTTPSClientSession session(uri_.getHost(), uri_.getPort(), tls_);
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::string out;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), out);
        INFO(method << " " << path << " -> " << out);
        REQUIRE(response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK);
        return out;
    }
    void reset() { call("POST", "/control/reset", "{}"); }
    void message(std::int64_t chatId, std::int64_t userId, const std::string& text) {
        Poco::JSON::Object o;
        o.set("chat_id", chatId);
        o.set("user_id", userId);
        o.set("text", text);
        std::ostringstream body;
        o.stringify(body);
        call("POST", "/control/updates", body.str());
    }
    std::vector<std::pair<std::int64_t, std::string>> messages() {
        Poco::JSON::Parser parser;
        const auto root = parser.parse(call("GET", "/control/messages")).extract<Poco::JSON::Object::Ptr>();
        std::vector<std::pair<std::int64_t, std::string>> out;
        const auto list = root->getArray("messages");
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto m = list->getObject(static_cast<unsigned>(i));
            out.emplace_back(m->getValue<std::int64_t>("chat_id"), m->getValue<std::string>("text"));
        }
        return out;
    }
    std::int64_t getUpdatesCalls() {
        Poco::JSON::Parser parser;
        const auto root = parser.parse(call("GET", "/control/stats")).extract<Poco::JSON::Object::Ptr>();
        return root->getObject("calls")->getValue<std::int64_t>("getUpdates");
    }

private:
    Poco::URI uri_;
    Poco::Net::Context::Ptr tls_;
};

// The host's side, recording every command it is handed.
class RecordingCommands final : public OperatorCommands {
public:
    CommandReply run(const OperatorCommand& c) override {
        std::lock_guard<std::mutex> lock(mutex_);
        calls_.push_back(c);
        if (!c.authorized) return {false, ""};
        return {true, "ran /" + c.name + " <" + c.args + "> & done"};
    }
    std::vector<OperatorCommand> calls() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return calls_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<OperatorCommand> calls_;
};

Settings commandSettings(std::int64_t pollTimeoutS = 5) {
    return test::settingsFor(TelegramAlertSink::settingsSchema(),
                             {{"token", SettingValue(env("TELEGRAM_BOT_TOKEN"))},
                              {"chat_id", SettingValue(env("TELEGRAM_CHAT_ID"))},
                              {"base_url", SettingValue(env("TELEGRAM_EMULATOR_URL"))},
                              {"ca_file", SettingValue(env("TELEGRAM_EMULATOR_CA"))},
                              {"request_timeout_ms", SettingValue(std::int64_t{3000})},
                              {"min_interval_ms", SettingValue(std::int64_t{200})},
                              {"commands", SettingValue(true)},
                              {"command_chat_ids", SettingValue(std::vector<std::string>{env("TELEGRAM_CHAT_ID")})},
                              {"command_user_ids", SettingValue(std::vector<std::string>{std::to_string(kUser)})},
                              {"command_poll_timeout_s", SettingValue(pollTimeoutS)}});
}

template <class Pred>
bool waitFor(Pred pred, std::chrono::milliseconds timeout = 10s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

void checkNoToken(test::FakeContext& context) {
    const std::string token = env("TELEGRAM_BOT_TOKEN");
    for (const auto& line : context.fakeLogger().lines()) CHECK(line.message.find(token) == std::string::npos);
}

// A sink with commands on, started, polling from a fresh offset (the backlog skipped).
struct Fixture {
    RecordingCommands commands;
    test::FakeContext context;
    TelegramAlertSink sink;
    explicit Fixture(const std::string& dataDir = "", std::int64_t pollTimeoutS = 5)
        : context("tg", dataDir), sink(commandSettings(pollTimeoutS), context) {
        context.setOperatorCommands(&commands);
        // The emulator stamps messages with the real time; the fake clock reads it as now.
        context.fakeClock().setMs(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
    }
    void startPolling(const std::string& logged = "reading updates") {
        sink.start();
        REQUIRE(waitFor([&] { return context.fakeLogger().contains(logged); }));
    }
    ~Fixture() { sink.stop(); }
};

}  // namespace

TEST_CASE("only the configured chat and user command; strangers reach the host unauthorized and get no reply",
          "[telegram][commands]") {
    Control control;
    control.reset();
    Fixture f;
    // Typed before this instance ever ran: skipped, never handed to the host.
    control.message(chat(), kUser, "/pause from the backlog");
    f.startPolling("commands sent before this start are skipped");

    control.message(chat(), kUser, "/status");                                     // authorized
    control.message(chat(), kUser + 1, "/pause");                                  // the chat, another user
    control.message(999, kUser, "/resume now");                                    // another chat, the user
    control.message(chat(), kUser, "/status@some_other_bot");                      // another bot's
    control.message(chat(), kUser, "just chatting");                               // not a command
    control.message(chat(), kUser, "/Positions@tradehost_emulator_bot  BTC <x>");  // ours, with args
    REQUIRE(waitFor([&] { return f.commands.calls().size() >= 4; }));
    REQUIRE(waitFor([&] { return control.messages().size() >= 2; }));
    std::this_thread::sleep_for(500ms);  // nothing more may come

    const auto calls = f.commands.calls();
    REQUIRE(calls.size() == 4);
    CHECK(calls[0].name == "status");
    CHECK(calls[0].authorized);
    CHECK(calls[0].from == "telegram user 77 in chat " + std::to_string(chat()));
    CHECK(calls[1].name == "pause");
    CHECK_FALSE(calls[1].authorized);
    CHECK(calls[1].refusal == "not an authorized chat and user");
    CHECK(calls[1].from == "telegram user 78 in chat " + std::to_string(chat()));
    CHECK(calls[2].name == "resume");
    CHECK_FALSE(calls[2].authorized);
    CHECK(calls[2].from == "telegram user 77 in chat 999");
    CHECK(calls[3].name == "positions");
    CHECK(calls[3].args == "BTC <x>");
    CHECK(calls[3].authorized);

    // Replies only to the two authorized commands, in their chat, escaped.
    const auto messages = control.messages();
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].first == chat());
    CHECK(messages[0].second == "ran /status &lt;&gt; &amp; done");
    CHECK(messages[1].second == "ran /positions &lt;BTC &lt;x&gt;&gt; &amp; done");
    CHECK(f.context.fakeMetrics().value("commands_refused") == 2);
    checkNoToken(f.context);
}

TEST_CASE("the update offset survives a restart: no command runs twice", "[telegram][commands]") {
    Control control;
    control.reset();
    test::TempDir dir;
    {
        Fixture first(dir.path().string());
        first.startPolling("commands sent before this start are skipped");
        control.message(chat(), kUser, "/status");
        REQUIRE(waitFor([&] { return first.commands.calls().size() == 1; }));
    }
    REQUIRE(std::filesystem::exists(dir.path() / "updates_offset"));
    control.message(chat(), kUser, "/pause while it was down");  // recent: runs after the restart
    Fixture second(dir.path().string());
    second.startPolling("reading updates from offset");
    control.message(chat(), kUser, "/positions");
    REQUIRE(waitFor([&] { return second.commands.calls().size() >= 2; }));
    std::this_thread::sleep_for(500ms);
    const auto calls = second.commands.calls();
    REQUIRE(calls.size() == 2);  // /status is not run again
    CHECK(calls[0].name == "pause");
    CHECK(calls[0].args == "while it was down");
    CHECK(calls[1].name == "positions");
    checkNoToken(second.context);
}

TEST_CASE("a command older than command_max_age_s is not run, and its sender is told", "[telegram][commands]") {
    Control control;
    control.reset();
    Fixture f;
    f.startPolling();
    f.context.fakeClock().advanceMs(3600 * 1000);  // the host reads it an hour after it was sent
    control.message(chat(), kUser, "/pause");
    REQUIRE(waitFor([&] { return f.commands.calls().size() == 1 && control.messages().size() == 1; }));
    const auto call = f.commands.calls().at(0);
    CHECK_FALSE(call.authorized);
    CHECK(call.refusal.find("older than command_max_age_s (120)") != std::string::npos);
    CHECK(control.messages().at(0).second.find("not run: /pause was sent 3") != std::string::npos);
}

TEST_CASE("stop() ends a long poll at once", "[telegram][commands]") {
    Control control;
    control.reset();
    Fixture f("", 30);
    f.startPolling();
    // The backlog skip, then the 30 s long poll, under way and held.
    REQUIRE(waitFor([&] { return control.getUpdatesCalls() >= 2; }));
    std::this_thread::sleep_for(300ms);
    CHECK(control.getUpdatesCalls() == 2);
    const auto before = std::chrono::steady_clock::now();
    f.sink.stop();
    const auto tookMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - before).count();
    CHECK(tookMs < 5000);  // not the 30 s the poll would have lasted
    checkNoToken(f.context);
}

TEST_CASE("commands on without both id lists, or with a bad id, is refused naming the key", "[telegram][commands]") {
    test::FakeContext context;
    auto settings = [](std::vector<std::string> chats, std::vector<std::string> users) {
        return test::settingsFor(TelegramAlertSink::settingsSchema(), {{"token", SettingValue(std::string("1:abc"))},
                                                                       {"chat_id", SettingValue(std::string("42"))},
                                                                       {"commands", SettingValue(true)},
                                                                       {"command_chat_ids", SettingValue(chats)},
                                                                       {"command_user_ids", SettingValue(users)}});
    };
    auto failure = [&](const Settings& s) -> std::string {
        try {
            TelegramAlertSink sink(s, context);
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return "";
    };
    CHECK(failure(settings({}, {"7"})).find("'command_chat_ids'") != std::string::npos);
    CHECK(failure(settings({"42"}, {})).find("'command_user_ids'") != std::string::npos);
    CHECK(failure(settings({"42"}, {"@someone"})).find("'command_user_ids'") != std::string::npos);
    CHECK(failure(settings({"4x2"}, {"7"})).find("'command_chat_ids'") != std::string::npos);
    CHECK(failure(settings({"-100123"}, {"7"})).empty());
}
