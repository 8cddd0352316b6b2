// The Telegram sink against the Telegram emulator over real HTTPS (started by with_emulator.sh).
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
#include <string>
#include <thread>
#include <vector>

#include "fake_context.h"
#include "telegram_alert_sink.h"
#include "telegram_format.h"

using namespace tradehost;
using namespace tradehost::telegram;

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) throw std::runtime_error(std::string("run me through with_emulator.sh: ") + name + " is not set");
    return v;
}

struct Recorded {
    std::int64_t chatId = 0;
    std::string text;
    std::string parseMode;
};

// The emulator's control API.
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
    void fault(const std::string& json) { call("POST", "/control/faults", json); }
    std::vector<Recorded> messages() {
        Poco::JSON::Parser parser;
        const auto root = parser.parse(call("GET", "/control/messages")).extract<Poco::JSON::Object::Ptr>();
        std::vector<Recorded> out;
        const auto list = root->getArray("messages");
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto m = list->getObject(static_cast<unsigned>(i));
            out.push_back({m->getValue<std::int64_t>("chat_id"), m->getValue<std::string>("text"),
                           m->optValue<std::string>("parse_mode", "")});
        }
        return out;
    }

private:
    Poco::URI uri_;
    Poco::Net::Context::Ptr tls_;
};

Settings sinkSettings(std::int64_t requestTimeoutMs = 3000) {
    return Settings({{"token", SettingValue(env("TELEGRAM_BOT_TOKEN"))},
                     {"chat_id", SettingValue(env("TELEGRAM_CHAT_ID"))},
                     {"base_url", SettingValue(env("TELEGRAM_EMULATOR_URL"))},
                     {"ca_file", SettingValue(env("TELEGRAM_EMULATOR_CA"))},
                     {"request_timeout_ms", SettingValue(requestTimeoutMs)},
                     {"silent_info", SettingValue(true)},
                     {"min_interval_ms", SettingValue(std::int64_t{1000})},
                     {"group_per_minute", SettingValue(std::int64_t{20})},
                     {"max_pacing_wait_ms", SettingValue(std::int64_t{5000})},
                     {"error_retry_ms", SettingValue(std::int64_t{2000})}});
}

Alert alert(const std::string& id, std::string text) {
    Alert a;
    a.id = id;
    a.key = "it:" + id;
    a.severity = Severity::Critical;
    a.title = "<script>alert('x')</script> & &amp;";
    a.text = std::move(text);
    a.fields = {{"symbol", "BTC<USDT>"}, {"note", "\"quoted\" \xF0\x9F\x9A\x80 \xFF"}};
    a.suppressedCount = 2;
    return a;
}

// Nothing any answer or log says may carry the token.
void checkNoToken(const test::FakeContext& context, const SendResult& r) {
    const std::string token = env("TELEGRAM_BOT_TOKEN");
    if (const auto* retry = std::get_if<Retry>(&r)) CHECK(retry->reason.find(token) == std::string::npos);
    if (const auto* fail = std::get_if<Fail>(&r)) CHECK(fail->reason.find(token) == std::string::npos);
    for (const auto& line : const_cast<test::FakeContext&>(context).fakeLogger().lines())
        CHECK(line.message.find(token) == std::string::npos);
}

struct Fixture {
    Control control;
    test::FakeContext context;
    TelegramAlertSink sink;
    explicit Fixture(std::int64_t requestTimeoutMs = 3000) : sink(sinkSettings(requestTimeoutMs), context) {
        control.reset();
        sink.start();
    }
    ~Fixture() { sink.stop(); }
};

}  // namespace

TEST_CASE("hostile text arrives as the same visible text, parsed as HTML", "[telegram][integration]") {
    Fixture f;
    const Alert a = alert("hostile", "<b>not bold</b>\n&lt;literal&gt; line\n\xC3\x28 broken");
    const auto r = f.sink.send(a);
    checkNoToken(f.context, r);
    REQUIRE(std::holds_alternative<Ok>(r));
    const auto messages = f.control.messages();
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].parseMode == "HTML");
    CHECK(messages[0].chatId == std::stoll(env("TELEGRAM_CHAT_ID")));
    // The emulator records the text as sent and accepted it as valid HTML of at most 4096
    // characters: the hostile parts reach the reader as the same visible text.
    CHECK(messages[0].text == renderAlert(a).at(0));
    const std::string visible = visibleText(messages[0].text);
    CHECK(visible.find("<script>alert('x')</script> & &amp;") != std::string::npos);
    CHECK(visible.find("<b>not bold</b>") != std::string::npos);
    CHECK(visible.find("symbol: BTC<USDT>") != std::string::npos);
}

TEST_CASE("a 10,000-character alert arrives as numbered parts, in order, each accepted", "[telegram][integration]") {
    Fixture f;
    std::string text;
    for (int i = 0; text.size() < 10000; ++i)
        text += "line " + std::to_string(i) + " <&> " + std::string(50, 'z') + "\n";
    const auto r = f.sink.send(alert("big", text));
    REQUIRE(std::holds_alternative<Ok>(r));
    const auto messages = f.control.messages();
    REQUIRE(messages.size() == 3);
    for (std::size_t i = 0; i < messages.size(); ++i) {
        CHECK(messages[i].text.rfind("(" + std::to_string(i + 1) + "/3) ", 0) == 0);
        CHECK(utf16Length(visibleText(messages[i].text)) <= kMessageLimit);
    }
}

TEST_CASE("429 is Retry after retry_after, and nothing is sent before it has passed", "[telegram][integration]") {
    Fixture f;
    f.control.fault(R"({"mode":"429","retry_after":7,"count":1})");
    const auto r = f.sink.send(alert("rl", "x"));
    checkNoToken(f.context, r);
    REQUIRE(std::holds_alternative<Retry>(r));
    CHECK(std::get<Retry>(r).after == std::chrono::seconds(7));
    // The host would wait; an impatient second call is held back without a request.
    const auto early = f.sink.send(alert("rl", "x"));
    REQUIRE(std::holds_alternative<Retry>(early));
    CHECK(std::get<Retry>(early).after > std::chrono::seconds(5));
    CHECK(f.control.messages().empty());
}

TEST_CASE("5xx is Retry, 403 is Fail with Telegram's description", "[telegram][integration]") {
    Fixture f;
    f.control.fault(R"({"mode":"5xx","status":502,"count":1})");
    const auto r502 = f.sink.send(alert("e1", "x"));
    checkNoToken(f.context, r502);
    REQUIRE(std::holds_alternative<Retry>(r502));
    CHECK(std::get<Retry>(r502).after == std::chrono::milliseconds(2000));
    CHECK(std::get<Retry>(r502).reason.find("502") != std::string::npos);

    f.control.fault(R"({"mode":"403","count":1})");
    const auto r403 = f.sink.send(alert("e2", "x"));
    checkNoToken(f.context, r403);
    REQUIRE(std::holds_alternative<Fail>(r403));
    CHECK(std::get<Fail>(r403).reason == "HTTP 403: Forbidden: bot was blocked by the user");

    REQUIRE(std::holds_alternative<Ok>(f.sink.send(alert("e3", "x"))));
    CHECK(f.control.messages().size() == 1);
}

TEST_CASE("a slow answer past the timeout is Retry, saying the message may have gone", "[telegram][integration]") {
    Fixture f(1000);
    f.control.fault(R"({"mode":"slow","delay_ms":2500,"count":1})");
    const auto r = f.sink.send(alert("slow", "x"));
    checkNoToken(f.context, r);
    REQUIRE(std::holds_alternative<Retry>(r));
    CHECK(std::get<Retry>(r).reason.find("may have been delivered") != std::string::npos);
    // And it was: the emulator delivers it once its delay is over. This is the duplicate the Bot
    // API's lack of idempotency forces on the host's retry.
    std::size_t delivered = 0;
    for (int i = 0; i < 50 && delivered == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        delivered = f.control.messages().size();
    }
    CHECK(delivered == 1);
}

TEST_CASE("a connection dropped without an answer is Retry", "[telegram][integration]") {
    Fixture f;
    f.control.fault(R"({"mode":"drop","count":1})");
    const auto r = f.sink.send(alert("drop", "x"));
    checkNoToken(f.context, r);
    REQUIRE(std::holds_alternative<Retry>(r));
    std::this_thread::sleep_for(std::get<Retry>(r).after);
    REQUIRE(std::holds_alternative<Ok>(f.sink.send(alert("drop", "x"))));
    CHECK(f.control.messages().size() == 1);
}

TEST_CASE("a multi-part alert failing midway: the retry sends only the missing parts", "[telegram][integration]") {
    Fixture f;
    f.control.fault(R"({"mode":"slow","delay_ms":1,"count":1})");  // lets the first part through
    f.control.fault(R"({"mode":"5xx","status":502,"count":1})");
    const Alert a = alert("multi", std::string(9000, 'q'));
    const auto first = f.sink.send(a);
    REQUIRE(std::holds_alternative<Retry>(first));
    CHECK(std::get<Retry>(first).reason.find("parts 1-1 of 3 delivered") != std::string::npos);
    std::this_thread::sleep_for(std::get<Retry>(first).after);
    REQUIRE(std::holds_alternative<Ok>(f.sink.send(a)));
    const auto messages = f.control.messages();
    REQUIRE(messages.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(messages[i].text.rfind("(" + std::to_string(i + 1) + "/3) ", 0) == 0);
}

TEST_CASE("a wrong token is Fail naming 401 or 404, without the token", "[telegram][integration]") {
    Control control;
    control.reset();
    test::FakeContext context;
    std::map<std::string, SettingValue> values = sinkSettings().all();
    values["token"] = SettingValue(std::string("999:WRONG-canary"));
    TelegramAlertSink sink(Settings(values), context);
    sink.start();
    const auto r = sink.send(alert("wrong", "x"));
    REQUIRE(std::holds_alternative<Fail>(r));
    CHECK(std::get<Fail>(r).reason.find("WRONG-canary") == std::string::npos);
    CHECK((std::get<Fail>(r).reason.rfind("HTTP 401", 0) == 0 || std::get<Fail>(r).reason.rfind("HTTP 404", 0) == 0));
    sink.stop();
}

TEST_CASE("a host restart between a split alert's failure and its retry resends no delivered part",
          "[telegram][integration]") {
    Control control;
    control.reset();
    test::TempDir data;  // the instance's data directory, kept across the "restart"
    const Alert a = alert("restart", std::string(9000, 'r'));
    {
        test::FakeContext context("tg", data.path().string());
        TelegramAlertSink sink(sinkSettings(), context);
        sink.start();
        control.fault(R"({"mode":"slow","delay_ms":1,"count":1})");
        control.fault(R"({"mode":"5xx","status":503,"count":1})");
        REQUIRE(std::holds_alternative<Retry>(sink.send(a)));
        sink.stop();
    }
    test::FakeContext context("tg", data.path().string());
    TelegramAlertSink sink(sinkSettings(), context);
    sink.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // the emulator's per-chat pacing
    REQUIRE(std::holds_alternative<Ok>(sink.send(a)));
    const auto messages = control.messages();
    REQUIRE(messages.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(messages[i].text.rfind("(" + std::to_string(i + 1) + "/3) ", 0) == 0);
    sink.stop();
}
