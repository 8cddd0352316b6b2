// Unit tests of the Telegram sink: escaping, splitting, classification, pacing, parts, redaction, commands.
#include <catch2/catch.hpp>
#include <deque>
#include <fstream>
#include <string>
#include <vector>

#include "command_poller.h"
#include "fake_context.h"
#include "progress_file.h"
#include "telegram_alert_sink.h"
#include "telegram_format.h"
#include "telegram_sender.h"
#include "telegram_transport.h"

using namespace tradehost;
using namespace tradehost::telegram;

namespace {

const std::string kCanary = "123456:CANARY-token-Zz9";

// Answers from a script, records what was posted; the rest of the script repeats its last answer.
class ScriptedTransport final : public BotTransport {
public:
    std::deque<HttpReply> script;
    std::vector<std::string> bodies;
    HttpReply post(const std::string& method, const std::string& jsonBody) override {
        CHECK(method == "sendMessage");
        bodies.push_back(jsonBody);
        if (script.empty()) return answered(200, R"({"ok":true,"result":{"message_id":1}})");
        HttpReply r = script.front();
        if (script.size() > 1) script.pop_front();
        return r;
    }
    static HttpReply answered(int status, std::string body) {
        HttpReply r;
        r.transport = HttpReply::Transport::Answered;
        r.status = status;
        r.body = std::move(body);
        return r;
    }
    static HttpReply lost(HttpReply::Transport t, std::string reason) {
        HttpReply r;
        r.transport = t;
        r.reason = std::move(reason);
        return r;
    }
};

struct Harness {
    ScriptedTransport transport;
    test::FakeMetrics metrics;
    std::int64_t nowMs = 1'000'000;
    std::int64_t sleptMs = 0;
    TelegramSender sender;
    explicit Harness(SenderConfig config = defaults())
        : sender(
              config, transport, metrics, [this] { return nowMs; },
              [this](std::int64_t ms) {
                  sleptMs += ms;
                  nowMs += ms;
              }) {}
    static SenderConfig defaults() {
        SenderConfig c;
        c.token = kCanary;
        c.chatId = "4242";
        return c;
    }
};

Alert alertWith(std::string title, std::string text) {
    Alert a;
    a.id = "a1";
    a.key = "k";
    a.severity = Severity::Warning;
    a.title = std::move(title);
    a.text = std::move(text);
    return a;
}

std::size_t visibleUnits(const std::string& html) { return utf16Length(visibleText(html)); }

// Tags balanced and only <b>; every & starts one of our entities.
bool wellFormed(const std::string& html) {
    int open = 0;
    for (std::size_t i = 0; i < html.size(); ++i) {
        if (html.compare(i, 3, "<b>") == 0) {
            if (++open > 1) return false;
            i += 2;
        } else if (html.compare(i, 4, "</b>") == 0) {
            if (--open < 0) return false;
            i += 3;
        } else if (html[i] == '<' || html[i] == '>') {
            return false;
        } else if (html[i] == '&') {
            if (html.compare(i, 4, "&lt;") && html.compare(i, 4, "&gt;") && html.compare(i, 5, "&amp;")) return false;
        }
    }
    return open == 0;
}

std::string textOf(const SendResult& r) {
    if (const auto* retry = std::get_if<Retry>(&r)) return retry->reason;
    if (const auto* fail = std::get_if<Fail>(&r)) return fail->reason;
    return "";
}

}  // namespace

TEST_CASE("hostile text is escaped: tags, entities, quotes, emoji, invalid UTF-8", "[telegram][escape]") {
    CHECK(escapeHtml("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
    CHECK(escapeHtml("&amp; is not an entity here") == "&amp;amp; is not an entity here");
    CHECK(escapeHtml(R"(say "hi" & 'bye')") == R"(say "hi" &amp; 'bye')");
    CHECK(escapeHtml("rocket \xF0\x9F\x9A\x80 ok") == "rocket \xF0\x9F\x9A\x80 ok");
    CHECK(escapeHtml("bad \xC3\x28 byte \xFF end") == "bad \xEF\xBF\xBD( byte \xEF\xBF\xBD end");
    CHECK(escapeHtml("overlong \xC0\xAF surrogate \xED\xA0\x80") ==
          "overlong \xEF\xBF\xBD\xEF\xBF\xBD surrogate \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(escapeHtml(std::string("nul\0bell\a", 9)) ==
          "nul\xEF\xBF\xBD"
          "bell\xEF\xBF\xBD");
    CHECK(sanitizeUtf8("a\r\nb") == "a\nb");

    Alert a = alertWith("<b>bold?</b> & <i>", "<a href=\"x\">click</a>\n&lt;pre&gt;");
    a.fields = {{"<sym>", "BTC&USDT <1>"}};
    a.severity = Severity::Critical;
    const auto parts = renderAlert(a);
    REQUIRE(parts.size() == 1);
    CHECK(wellFormed(parts[0]));
    CHECK(parts[0] ==
          "<b>CRITICAL</b> <b>&lt;b&gt;bold?&lt;/b&gt; &amp; &lt;i&gt;</b>\n"
          "&lt;a href=\"x\"&gt;click&lt;/a&gt;\n"
          "&amp;lt;pre&amp;gt;\n"
          "<b>&lt;sym&gt;</b>: BTC&amp;USDT &lt;1&gt;");
    CHECK(visibleText(parts[0]) ==
          "CRITICAL <b>bold?</b> & <i>\n<a href=\"x\">click</a>\n&lt;pre&gt;\n<sym>: BTC&USDT <1>");
}

TEST_CASE("the title is one line, fields are lines, suppressedCount is named", "[telegram][render]") {
    Alert a = alertWith("two\nlines", "body");
    a.fields = {{"venue", "bn_main"}, {"note", "x\ny"}};
    a.suppressedCount = 3;
    const auto parts = renderAlert(a);
    REQUIRE(parts.size() == 1);
    CHECK(parts[0] ==
          "<b>WARNING</b> <b>two lines</b>\nbody\n<b>venue</b>: bn_main\n<b>note</b>: x\ny\n"
          "(3 similar alerts held back since the last one)");
    a.suppressedCount = 0;
    CHECK(renderAlert(a)[0].find("held back") == std::string::npos);
}

TEST_CASE("UTF-16 length counts what Telegram counts", "[telegram][split]") {
    CHECK(utf16Length("abc") == 3);
    CHECK(utf16Length("\xC3\xBC") == 1);          // ü
    CHECK(utf16Length("\xE2\x82\xBF") == 1);      // ₿
    CHECK(utf16Length("\xF0\x9F\x9A\x80") == 2);  // 🚀: a surrogate pair
    CHECK(visibleUnits("&lt;&gt;&amp;<b>x</b>") == 4);
}

TEST_CASE("splitting at the 4096 boundary counts text after entity parsing", "[telegram][split]") {
    SECTION("a message of exactly the budget is one part, even if its HTML is far longer") {
        // 4000 visible characters, 16000 bytes of HTML: "&lt;" counts as one.
        const std::vector<Line> lines{{{std::string(kPartBudget, '<'), false}}};
        const auto parts = splitMessage(lines);
        REQUIRE(parts.size() == 1);
        CHECK(parts[0].size() == kPartBudget * 4);
        CHECK(visibleUnits(parts[0]) == kPartBudget);
    }
    SECTION("one more character makes two numbered parts, each below the limit") {
        const std::vector<Line> lines{{{std::string(kPartBudget + 1, '&'), false}}};
        const auto parts = splitMessage(lines);
        REQUIRE(parts.size() == 2);
        CHECK(parts[0].rfind("(1/2) ", 0) == 0);
        CHECK(parts[1].rfind("(2/2) ", 0) == 0);
        for (const auto& p : parts) {
            CHECK(wellFormed(p));
            CHECK(visibleUnits(p) <= kMessageLimit);
        }
        CHECK(visibleText(parts[0]).size() + visibleText(parts[1]).size() == kPartBudget + 1 + 12);
    }
    SECTION("emoji count two units and are never cut in half") {
        std::string text;
        for (int i = 0; i < 3000; ++i) text += "\xF0\x9F\x9A\x80";  // 6000 units
        const auto parts = splitMessage({{{text, true}}});
        REQUIRE(parts.size() == 2);
        for (const auto& p : parts) {
            CHECK(wellFormed(p));
            CHECK(visibleUnits(p) <= kMessageLimit);
            CHECK(sanitizeUtf8(p) == p);  // no broken sequence
        }
    }
}

TEST_CASE("a 10,000-character alert is split on line boundaries, in order, nothing lost", "[telegram][split]") {
    std::string text;
    std::vector<std::string> expectedLines;
    for (int i = 0; text.size() < 10000; ++i) {
        std::string line = "line " + std::to_string(i) + " <" + std::string(60, 'x') + "> & done";
        expectedLines.push_back(line);
        text += line + "\n";
    }
    text.pop_back();
    const auto parts = renderAlert(alertWith("big", text));
    REQUIRE(parts.size() == 3);
    std::string joined;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string prefix = "(" + std::to_string(i + 1) + "/3) ";
        REQUIRE(parts[i].rfind(prefix, 0) == 0);
        CHECK(wellFormed(parts[i]));
        CHECK(visibleUnits(parts[i]) <= kMessageLimit);
        const std::string visible = visibleText(parts[i].substr(prefix.size()));
        CHECK(visible.back() != '\n');
        joined += (i ? "\n" : "") + visible;
    }
    // Cut only between lines: joining the parts with newlines gives the message back.
    std::string expected = "WARNING big";
    for (const auto& l : expectedLines) expected += "\n" + l;
    CHECK(joined == expected);
}

TEST_CASE("a line longer than a part is cut between characters, at a space when one is near", "[telegram][split]") {
    SECTION("no space: a hard cut, never inside an entity") {
        const auto parts = renderAlert(alertWith("t", std::string(9000, '&')));
        REQUIRE(parts.size() == 3);
        for (const auto& p : parts) {
            CHECK(wellFormed(p));
            CHECK(visibleUnits(p) <= kMessageLimit);
        }
    }
    SECTION("words: the cut falls after a space") {
        std::string text;
        while (text.size() < 6000) text += "word<> ";
        const auto parts = renderAlert(alertWith("t", text));
        REQUIRE(parts.size() == 2);
        CHECK(visibleText(parts[0]).back() == ' ');
        CHECK(visibleUnits(parts[0]) <= kMessageLimit);
        CHECK(wellFormed(parts[0]));
    }
    SECTION("a long bold title keeps its tags balanced in every part") {
        const auto parts = renderAlert(alertWith(std::string(5000, '>'), "x"));
        REQUIRE(parts.size() == 2);
        for (const auto& p : parts) CHECK(wellFormed(p));
    }
}

TEST_CASE("chat ids: 64-bit integers, negative groups, @channels", "[telegram][config]") {
    CHECK(validChatId("4242"));
    CHECK(validChatId("-1001234567890"));
    CHECK(validChatId("9223372036854775807"));
    CHECK_FALSE(validChatId("9223372036854775808"));
    CHECK(validChatId("@my_channel"));
    CHECK_FALSE(validChatId(""));
    CHECK_FALSE(validChatId("-"));
    CHECK_FALSE(validChatId("12a"));
    CHECK_FALSE(validChatId("@bad name"));
    CHECK(isGroupChat("-100"));
    CHECK(isGroupChat("@chan"));
    CHECK_FALSE(isGroupChat("100"));
    CHECK(sendMessageJson("-1001234567890123", "a\"b<", false) ==
          R"({"chat_id":-1001234567890123,"text":"a\"b<","parse_mode":"HTML","disable_web_page_preview":true})");
    CHECK(sendMessageJson("@chan", "x", true).find(R"("chat_id":"@chan")") != std::string::npos);
    CHECK(sendMessageJson("@chan", "x", true).find(R"("disable_notification":true)") != std::string::npos);
}

TEST_CASE("every answer is classified once, as a value", "[telegram][classify]") {
    using T = ScriptedTransport;
    CHECK(std::holds_alternative<Ok>(classifyReply(T::answered(200, R"({"ok":true,"result":{}})"), kCanary, 5000)));
    CHECK(std::holds_alternative<Ok>(classifyReply(T::answered(200, "not json"), kCanary, 5000)));

    const auto r429 = classifyReply(
        T::answered(
            429,
            R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 37","parameters":{"retry_after":37}})"),
        kCanary, 5000);
    REQUIRE(std::holds_alternative<Retry>(r429));
    CHECK(std::get<Retry>(r429).after == std::chrono::seconds(37));
    CHECK(std::get<Retry>(r429).reason == "HTTP 429: Too Many Requests: retry after 37");
    const auto r429bare = classifyReply(T::answered(429, "{}"), kCanary, 5000);
    REQUIRE(std::holds_alternative<Retry>(r429bare));
    CHECK(std::get<Retry>(r429bare).after == std::chrono::milliseconds(5000));

    for (const int status : {500, 502, 503, 504}) {
        const auto r = classifyReply(T::answered(status, "<html>bad gateway</html>"), kCanary, 3000);
        REQUIRE(std::holds_alternative<Retry>(r));
        CHECK(std::get<Retry>(r).after == std::chrono::milliseconds(3000));
    }
    const auto notSent = classifyReply(T::lost(HttpReply::Transport::NotSent, "connection refused"), kCanary, 3000);
    REQUIRE(std::holds_alternative<Retry>(notSent));
    CHECK(std::get<Retry>(notSent).after == std::chrono::milliseconds(3000));
    CHECK(std::holds_alternative<Retry>(
        classifyReply(T::lost(HttpReply::Transport::NoAnswer, "timeout"), kCanary, 3000)));

    struct Case {
        int status;
        const char* body;
        const char* reason;
    };
    const Case fails[] = {
        {401, R"({"ok":false,"error_code":401,"description":"Unauthorized"})", "HTTP 401: Unauthorized"},
        {403, R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})",
         "HTTP 403: Forbidden: bot was blocked by the user"},
        {404, R"({"ok":false,"error_code":404,"description":"Not Found"})", "HTTP 404: Not Found"},
        {400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})",
         "HTTP 400: Bad Request: chat not found"},
        {400, R"({"ok":false,"error_code":400,"description":"Bad Request: can't parse entities"})",
         "HTTP 400: Bad Request: can't parse entities"},
        {400, "garbage", "HTTP 400"},
    };
    for (const auto& c : fails) {
        const auto r = classifyReply(T::answered(c.status, c.body), kCanary, 5000);
        INFO(c.status << " " << c.body);
        REQUIRE(std::holds_alternative<Fail>(r));
        CHECK(std::get<Fail>(r).reason == c.reason);
    }
    const auto migrated = classifyReply(
        T::answered(
            400,
            R"({"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009876543210987}})"),
        kCanary, 5000);
    REQUIRE(std::holds_alternative<Fail>(migrated));
    CHECK(std::get<Fail>(migrated).reason.find("-1009876543210987") != std::string::npos);
}

TEST_CASE("the token never appears in a reason, whatever the transport or server says", "[telegram][secret]") {
    CHECK(redact("POST /bot" + kCanary + "/sendMessage failed", kCanary) == "POST /bot<token>/sendMessage failed");
    CHECK(redact("/bot123456%3ACANARY-token-Zz9/x", kCanary) == "/bot<token>/x");
    using T = ScriptedTransport;
    const HttpReply replies[] = {
        T::lost(HttpReply::Transport::NotSent, "cannot connect to https://h/bot" + kCanary + "/sendMessage"),
        T::lost(HttpReply::Transport::NoAnswer, "timeout on /bot" + kCanary),
        T::answered(502, R"({"description":"proxy error for /bot)" + kCanary + R"("})"),
        T::answered(401, R"({"ok":false,"description":"Unauthorized token )" + kCanary + R"("})"),
        T::answered(429, R"({"description":")" + kCanary + R"(","parameters":{"retry_after":1}})"),
    };
    for (const auto& reply : replies) {
        Harness h;
        h.transport.script = {reply};
        const auto r = h.sender.send(alertWith("t", "x"));
        const std::string reason = textOf(r);
        CHECK_FALSE(reason.empty());
        CHECK(reason.find(kCanary) == std::string::npos);
        CHECK(reason.find("CANARY") == std::string::npos);
    }
}

TEST_CASE("the sink's own errors never carry the token", "[telegram][secret]") {
    test::FakeContext context;
    SECTION("a bad base_url") {
        Settings s({{"token", SettingValue(kCanary)},
                    {"chat_id", SettingValue(std::string("42"))},
                    {"base_url", SettingValue(std::string("ftp://x"))},
                    {"request_timeout_ms", SettingValue(std::int64_t{1000})},
                    {"silent_info", SettingValue(true)},
                    {"min_interval_ms", SettingValue(std::int64_t{0})},
                    {"group_per_minute", SettingValue(std::int64_t{20})},
                    {"max_pacing_wait_ms", SettingValue(std::int64_t{0})},
                    {"error_retry_ms", SettingValue(std::int64_t{100})}});
        try {
            TelegramAlertSink sink(s, context);
            FAIL("constructed with a bad base_url");
        } catch (const std::exception& e) {
            CHECK(std::string(e.what()).find("base_url") != std::string::npos);
            CHECK(std::string(e.what()).find("CANARY") == std::string::npos);
        }
    }
    SECTION("a refused connection (nothing listens on port 1)") {
        Settings s({{"token", SettingValue(kCanary)},
                    {"chat_id", SettingValue(std::string("-42"))},
                    {"base_url", SettingValue(std::string("http://127.0.0.1:1"))},
                    {"request_timeout_ms", SettingValue(std::int64_t{1000})},
                    {"silent_info", SettingValue(true)},
                    {"min_interval_ms", SettingValue(std::int64_t{0})},
                    {"group_per_minute", SettingValue(std::int64_t{20})},
                    {"max_pacing_wait_ms", SettingValue(std::int64_t{0})},
                    {"error_retry_ms", SettingValue(std::int64_t{100})}});
        TelegramAlertSink sink(s, context);
        sink.start();
        const auto r = sink.send(alertWith("t", "x"));
        REQUIRE(std::holds_alternative<Retry>(r));
        CHECK(std::get<Retry>(r).reason.find("CANARY") == std::string::npos);
        sink.stop();
        sink.stop();
        CHECK(std::holds_alternative<Fail>(sink.send(alertWith("t", "x"))));
        for (const auto& line : context.fakeLogger().lines()) CHECK(line.message.find("CANARY") == std::string::npos);
    }
}

TEST_CASE("pacing: about one message a second per chat, 20 a minute to a group", "[telegram][pacing]") {
    SECTION("a private chat: the second message waits the interval, inside send()") {
        Harness h;
        CHECK(std::holds_alternative<Ok>(h.sender.send(alertWith("a", "x"))));
        CHECK(std::holds_alternative<Ok>(h.sender.send(alertWith("b", "x"))));
        CHECK(h.sleptMs == 1000);
        CHECK(h.transport.bodies.size() == 2);
    }
    SECTION("a group: the 21st message in a minute is a Retry for the host, not a long sleep") {
        SenderConfig c = Harness::defaults();
        c.chatId = "-100123";
        Harness h(c);
        for (int i = 0; i < 20; ++i) REQUIRE(std::holds_alternative<Ok>(h.sender.send(alertWith("a", "x"))));
        const auto r = h.sender.send(alertWith("b", "x"));
        REQUIRE(std::holds_alternative<Retry>(r));
        CHECK(std::get<Retry>(r).after > std::chrono::milliseconds(5000));
        CHECK(std::get<Retry>(r).after <= std::chrono::milliseconds(60000));
        CHECK(h.transport.bodies.size() == 20);
        h.nowMs += std::get<Retry>(r).after.count();
        CHECK(std::holds_alternative<Ok>(h.sender.send(alertWith("b", "x"))));
    }
    SECTION("after a 429, nothing is sent before retry_after has passed") {
        Harness h;
        h.transport.script = {ScriptedTransport::answered(429, R"({"parameters":{"retry_after":30}})"),
                              ScriptedTransport::answered(200, "{}")};
        REQUIRE(std::holds_alternative<Retry>(h.sender.send(alertWith("a", "x"))));
        h.nowMs += 10000;
        const auto early = h.sender.send(alertWith("a", "x"));
        REQUIRE(std::holds_alternative<Retry>(early));
        CHECK(std::get<Retry>(early).after == std::chrono::milliseconds(20000));
        CHECK(h.transport.bodies.size() == 1);
        h.nowMs += 20000;
        CHECK(std::holds_alternative<Ok>(h.sender.send(alertWith("a", "x"))));
        CHECK(h.transport.bodies.size() == 2);
    }
}

TEST_CASE("a multi-part alert that fails midway: the host's retry sends only the missing parts", "[telegram][parts]") {
    Harness h;
    Alert big = alertWith("big", std::string(9000, 'y'));  // three parts
    big.id = "multi";
    h.transport.script = {ScriptedTransport::answered(200, "{}"),
                          ScriptedTransport::answered(502, R"({"description":"Bad Gateway"})"),
                          ScriptedTransport::answered(200, "{}")};
    const auto first = h.sender.send(big);
    REQUIRE(std::holds_alternative<Retry>(first));
    CHECK(std::get<Retry>(first).reason.find("parts 1-1 of 3 delivered") != std::string::npos);
    REQUIRE(h.transport.bodies.size() == 2);
    CHECK(h.transport.bodies[0].find("(1/3)") != std::string::npos);
    CHECK(h.transport.bodies[1].find("(2/3)") != std::string::npos);

    h.nowMs += 5000;
    REQUIRE(std::holds_alternative<Ok>(h.sender.send(big)));
    REQUIRE(h.transport.bodies.size() == 4);
    CHECK(h.transport.bodies[2].find("(2/3)") != std::string::npos);
    CHECK(h.transport.bodies[3].find("(3/3)") != std::string::npos);

    SECTION("once delivered, the same id sent again is a new message (the host only does that on purpose)") {
        h.nowMs += 5000;
        REQUIRE(std::holds_alternative<Ok>(h.sender.send(big)));
        CHECK(h.transport.bodies.size() == 7);
    }
    SECTION("a Fail midway names what was delivered and forgets the progress") {
        Alert other = big;
        other.id = "other";
        h.transport.script = {ScriptedTransport::answered(200, "{}"),
                              ScriptedTransport::answered(403, R"({"description":"Forbidden: bot was kicked"})")};
        h.nowMs += 5000;
        const auto r = h.sender.send(other);
        REQUIRE(std::holds_alternative<Fail>(r));
        CHECK(std::get<Fail>(r).reason == "parts 1-1 of 3 delivered; HTTP 403: Forbidden: bot was kicked");
    }
}

TEST_CASE("info alerts are silent by default, others are not", "[telegram][render]") {
    Harness h;
    Alert info = alertWith("i", "x");
    info.severity = Severity::Info;
    REQUIRE(std::holds_alternative<Ok>(h.sender.send(info)));
    REQUIRE(std::holds_alternative<Ok>(h.sender.send(alertWith("w", "x"))));
    CHECK(h.transport.bodies[0].find("disable_notification") != std::string::npos);
    CHECK(h.transport.bodies[1].find("disable_notification") == std::string::npos);
}

TEST_CASE("split progress survives a restart: the retry after it sends only the missing parts", "[telegram][parts]") {
    test::TempDir dir;
    const std::string path = (dir.path() / "split_progress").string();
    SECTION("the file keeps any alert id") {
        ProgressFile file(path);
        CHECK(file.load().empty());
        const std::vector<ProgressEntry> entries{{"a b%c\nd", 3, 1}, {"plain:id:1", 5, 4}};
        REQUIRE(file.save(entries));
        const auto back = ProgressFile(path).load();
        REQUIRE(back.size() == 2);
        CHECK(back[0].alertId == "a b%c\nd");
        CHECK(back[0].parts == 3);
        CHECK(back[0].delivered == 1);
        CHECK(back[1].alertId == "plain:id:1");
        CHECK(back[1].delivered == 4);
    }
    SECTION("a sender built again from the file resumes at the failed part") {
        Alert big = alertWith("big", std::string(9000, 'y'));
        big.id = "multi";
        {
            ProgressFile file(path);
            Harness h;
            TelegramSender sender(
                Harness::defaults(), h.transport, h.metrics, [&h] { return h.nowMs; },
                [&h](std::int64_t ms) { h.nowMs += ms; }, &file);
            h.transport.script = {ScriptedTransport::answered(200, "{}"),
                                  ScriptedTransport::lost(HttpReply::Transport::NotSent, "connection refused")};
            REQUIRE(std::holds_alternative<Retry>(sender.send(big)));
            CHECK(h.transport.bodies.size() == 2);
        }
        ProgressFile file(path);
        Harness h;
        TelegramSender sender(
            Harness::defaults(), h.transport, h.metrics, [&h] { return h.nowMs; },
            [&h](std::int64_t ms) { h.nowMs += ms; }, &file);
        sender.loadProgress();
        REQUIRE(std::holds_alternative<Ok>(sender.send(big)));
        REQUIRE(h.transport.bodies.size() == 2);
        CHECK(h.transport.bodies[0].find("(2/3)") != std::string::npos);
        CHECK(h.transport.bodies[1].find("(3/3)") != std::string::npos);
        CHECK(ProgressFile(path).load().empty());  // done: forgotten on disk too
    }
}

TEST_CASE("command text: name, args, and another bot's commands", "[telegram][commands]") {
    auto c = parseCommandText("/pause maintenance  window ", "MyBot");
    REQUIRE(c);
    CHECK(c->name == "pause");
    CHECK(c->args == "maintenance  window");
    c = parseCommandText("/Status@mybot", "MyBot");  // usernames compare without case
    REQUIRE(c);
    CHECK(c->name == "status");
    CHECK(c->args.empty());
    c = parseCommandText("/resume\nnext line", "MyBot");
    REQUIRE(c);
    CHECK(c->name == "resume");
    CHECK(c->args == "next line");
    CHECK_FALSE(parseCommandText("/status@OtherBot", "MyBot"));
    CHECK_FALSE(parseCommandText("status", "MyBot"));
    CHECK_FALSE(parseCommandText("/", "MyBot"));
    CHECK_FALSE(parseCommandText("/@MyBot", "MyBot"));
    CHECK_FALSE(parseCommandText("", "MyBot"));
}

TEST_CASE("getUpdates answers: messages read, other updates kept for their offset, errors thrown",
          "[telegram][commands]") {
    const auto updates = parseUpdates(
        R"({"ok":true,"result":[{"update_id":5,"message":{"message_id":1,"date":1700000000,)"
        R"("chat":{"id":-1001234567890,"type":"supergroup"},"from":{"id":77,"is_bot":false},"text":"/status"}},)"
        R"({"update_id":6,"edited_message":{"message_id":1}},)"
        R"({"update_id":7,"message":{"message_id":2,"date":1700000001,"chat":{"id":-100,"type":"channel"}}}]})");
    REQUIRE(updates.size() == 3);
    CHECK(updates[0].updateId == 5);
    CHECK(updates[0].hasMessage);
    CHECK(updates[0].chatId == -1001234567890);
    CHECK(updates[0].userId == 77);
    CHECK(updates[0].dateS == 1700000000);
    CHECK(updates[0].text == "/status");
    CHECK_FALSE(updates[1].hasMessage);
    CHECK(updates[2].hasMessage);
    CHECK(updates[2].userId == 0);  // no sender: never authorized
    CHECK(updates[2].text.empty());
    CHECK_THROWS(parseUpdates(R"({"ok":false,"error_code":409,"description":"Conflict"})"));
    CHECK_THROWS(parseUpdates("<html>bad gateway</html>"));
    CHECK_THROWS(parseUpdates(R"({"ok":true,"result":[{"message":{}}]})"));
}

TEST_CASE("the update offset file: missing, written, replaced, damaged", "[telegram][commands]") {
    test::TempDir dir;
    const std::string path = dir.file("updates_offset");
    CHECK_FALSE(loadOffset(path));
    REQUIRE(saveOffset(path, 42));
    CHECK(loadOffset(path) == std::optional<std::int64_t>(42));
    REQUIRE(saveOffset(path, 43));
    CHECK(loadOffset(path) == std::optional<std::int64_t>(43));
    {
        std::ofstream out(path, std::ios::trunc);
        out << "4x\n";
    }
    CHECK_FALSE(loadOffset(path));  // read as none: the backlog is skipped, never replayed
    CHECK_FALSE(saveOffset(dir.file("missing/updates_offset"), 1));
}
