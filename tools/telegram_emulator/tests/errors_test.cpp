// The Bot API's refusals: token, chat, empty text, HTML parse errors, and the 4096 limit after entity parsing.
#include "telegram_fixture.h"

using namespace tradehost::telegram_emulator::test;

namespace {

void checkError(const Answer& a, int code, const std::string& descriptionPrefix) {
    INFO(a.body);
    CHECK(a.status == code);
    const auto json = a.json();
    CHECK_FALSE(json->getValue<bool>("ok"));
    CHECK(json->getValue<int>("error_code") == code);
    CHECK(json->getValue<std::string>("description").rfind(descriptionPrefix, 0) == 0);
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

TEST_CASE("wrong token, unknown chat and missing text are refused and not recorded", "[errors]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    checkError(tg.bot("sendMessage", R"({"chat_id":1001,"text":"x"})", "123456:wrong"), 401, "Unauthorized");
    checkError(tg.send(4242, "x"), 400, "Bad Request: chat not found");
    checkError(tg.bot("sendMessage", R"({"chat_id":"@nochannel","text":"x"})"), 400, "Bad Request: chat not found");
    checkError(tg.bot("sendMessage", R"({"chat_id":1001})"), 400, "Bad Request: message text is empty");
    checkError(tg.send(1001, ""), 400, "Bad Request: message text is empty");
    checkError(tg.send(1001, "<b></b>", "HTML"), 400, "Bad Request: message text is empty");
    checkError(tg.bot("noSuchMethod", "{}"), 404, "Not Found");
    CHECK(tg.messages()->size() == 0);
    CHECK(tg.stats()->getObject("calls")->getValue<std::int64_t>("unauthorized") == 1);
}

TEST_CASE("HTML parse mode: malformed or unsupported tags are 400 can't parse entities", "[errors]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    const std::string cant = "Bad Request: can't parse entities: ";
    checkError(tg.send(1001, "price < 5", "HTML"), 400, cant);
    checkError(tg.send(1001, "<div>x</div>", "HTML"), 400, cant + "Unsupported start tag \"div\"");
    checkError(tg.send(1001, "<b>x</i>", "HTML"), 400, cant);
    checkError(tg.send(1001, "<b>unclosed", "HTML"), 400, cant);
    checkError(tg.send(1001, "x</b>", "HTML"), 400, cant);
    checkError(tg.send(1001, "<a>no href</a>", "HTML"), 400, cant);
    CHECK(tg.messages()->size() == 0);

    // The same texts are fine without a parse mode, and the supported tags and entities parse.
    CHECK(tg.send(1001, "price < 5").status == 200);
    CHECK(tg.send(1001, "<div>x</div>").status == 200);
    const std::string rich =
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>i</ins><s>s</s><strike>s</strike><del>d</del>"
        "<code>c</code><pre>p</pre><a href=\"https://example.com\">a</a><tg-spoiler>t</tg-spoiler>"
        "<blockquote>q</blockquote> &lt;&gt;&amp;&quot;&#65;&#x42; AT&T";
    const Answer ok = tg.send(1001, rich, "HTML");
    INFO(ok.body);
    CHECK(ok.status == 200);
    CHECK(tg.messages()->size() == 3);
}

TEST_CASE("4096 characters counted after entity parsing, in UTF-16 code units", "[errors]") {
    TelegramEmulator tg({"--per-chat-burst", "0"});
    // 4096 visible '<' written as 16384 bytes of &lt; passes; one more fails.
    CHECK(tg.send(1001, repeat("&lt;", 4096), "HTML").status == 200);
    checkError(tg.send(1001, repeat("&lt;", 4097), "HTML"), 400, "Bad Request: message is too long");
    // Tags count for nothing.
    CHECK(tg.send(1001, "<b>" + repeat("x", 4096) + "</b>", "HTML").status == 200);
    // Without a parse mode the same &lt; are four characters each.
    checkError(tg.send(1001, repeat("&lt;", 1025)), 400, "Bad Request: message is too long");
    CHECK(tg.send(1001, repeat("x", 4096)).status == 200);
    checkError(tg.send(1001, repeat("x", 4097)), 400, "Bad Request: message is too long");
    // An emoji outside the BMP is two UTF-16 units: 2048 fit, 2049 do not; é (2 bytes) is one.
    const std::string emoji = "\xF0\x9F\x9A\x80";
    CHECK(tg.send(1001, repeat(emoji, 2048)).status == 200);
    checkError(tg.send(1001, repeat(emoji, 2049)), 400, "Bad Request: message is too long");
    CHECK(tg.send(1001, repeat("\xC3\xA9", 4096)).status == 200);
    CHECK(tg.messages()->size() == 5);
}
