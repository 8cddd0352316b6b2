// Tests for the strict JSON reader under the signal parser: grammar, UTF-8, escapes, depth, duplicates.
#include "intake/signal/json_value.h"

#include <catch2/catch.hpp>
#include <string>
#include <variant>

using tradehost::host::JsonError;
using tradehost::host::JsonValue;
using tradehost::host::kMaxSignalJsonDepth;
using tradehost::host::printableKey;
using tradehost::host::readJson;
using Kind = JsonValue::Kind;

namespace {

JsonValue mustRead(const std::string& text) {
    INFO("text: " << text);
    auto r = readJson(text);
    if (const auto* e = std::get_if<JsonError>(&r)) FAIL("unexpected error at " << e->offset << ": " << e->message);
    return std::get<JsonValue>(std::move(r));
}

JsonError mustFail(const std::string& text) {
    INFO("text: " << text);
    auto r = readJson(text);
    if (std::holds_alternative<JsonValue>(r)) FAIL("accepted");
    return std::get<JsonError>(std::move(r));
}

std::string nested(int depth) { return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']'); }

}  // namespace

TEST_CASE("numbers keep their literal text", "[json]") {
    // The whole point of this reader: 0.1 stays "0.1", and digits beyond a double survive.
    const auto literal = GENERATE(as<std::string>{}, "0", "-0", "0.1", "65000.10", "-12.5", "1e5", "1E+5", "2.5e-3",
                                  "123456789012345678901234567890123456789012345", "0.30000000000000004");
    const auto v = mustRead(literal);
    CHECK(v.kind == Kind::Number);
    CHECK(v.text == literal);
}

TEST_CASE("numbers outside the JSON grammar are refused", "[json]") {
    const auto literal = GENERATE(as<std::string>{}, "01", "-01", "00", "+1", ".5", "1.", "-", "1e", "1e+", "NaN",
                                  "Infinity", "-Infinity", "0x10", "1.2.3", "--1", "1_000");
    const auto e = mustFail(literal);
    CHECK_FALSE(e.message.empty());
}

TEST_CASE("literals, arrays and objects", "[json]") {
    const auto v = mustRead(" \t\r\n{\"a\" : [true, false, null, \"x\", 1] , \"b\":{}} \n");
    REQUIRE(v.kind == Kind::Object);
    REQUIRE(v.members.size() == 2);
    const JsonValue* a = v.find("a");
    REQUIRE(a);
    REQUIRE(a->items.size() == 5);
    CHECK(a->items[0].kind == Kind::Bool);
    CHECK(a->items[0].boolean);
    CHECK_FALSE(a->items[1].boolean);
    CHECK(a->items[2].isNull());
    CHECK(a->items[3].text == "x");
    CHECK(a->items[4].text == "1");
    CHECK(v.find("b")->kind == Kind::Object);
    CHECK(v.find("c") == nullptr);
    CHECK(mustRead("[]").items.empty());
    CHECK(mustRead("\"top\"").text == "top");  // the reader takes any value; the parser wants an object

    const auto bad = GENERATE(as<std::string>{}, "", "   ", "tru", "nul", "True", "[1,]", "{\"a\":1,}", "{,}", "[,1]",
                              "{\"a\"}", "{\"a\" 1}", "{a:1}", "{'a':1}", "[1 2]", "{} {}", "[] x", "{\"a\":1",
                              "[", "\"abc", "/* c */ {}", std::string("{\"a\":1}") + '\0');
    CHECK_FALSE(mustFail(bad).message.empty());
}

TEST_CASE("string escapes decode, including surrogate pairs", "[json]") {
    CHECK(mustRead(R"("a\"b\\c\/d\b\f\n\r\t")").text == "a\"b\\c/d\b\f\n\r\t");
    CHECK(mustRead(R"("\u0041\u00e9\u20AC")").text == "A\xC3\xA9\xE2\x82\xAC");
    CHECK(mustRead(R"("\ud83d\ude80")").text == "\xF0\x9F\x9A\x80");
    CHECK(mustRead(R"("\u0000")").text == std::string(1, '\0'));
    CHECK(mustRead("\"caf\xC3\xA9 \xF0\x9F\x9A\x80\"").text == "caf\xC3\xA9 \xF0\x9F\x9A\x80");

    const auto bad = GENERATE(as<std::string>{}, R"("\ud83d")", R"("\ud83dx")", R"("\ud83d\u0041")", R"("\ude80")",
                              R"("\u12")", R"("\u12g4")", R"("\x41")", R"("\a")", R"("\)", "\"a\tb\"", "\"a\nb\"",
                              std::string("\"a") + '\x01' + "\"", std::string("\"a") + '\0' + "\"");
    CHECK_FALSE(mustFail(bad).message.empty());
}

TEST_CASE("invalid UTF-8 is refused anywhere", "[json]") {
    const auto bad = GENERATE(as<std::string>{},
                              "\"\xFF\"",                  // never valid
                              "\"\xC0\xAF\"",              // overlong '/'
                              "\"\xE0\x80\xAF\"",          // overlong, 3 bytes
                              "\"\xF0\x80\x80\xAF\"",      // overlong, 4 bytes
                              "\"\xED\xA0\x80\"",          // encoded surrogate U+D800
                              "\"\xF4\x90\x80\x80\"",      // above U+10FFFF
                              "\"\xC3\"",                  // truncated sequence
                              "\"\xE2\x82\"",              // truncated sequence
                              "\"\x80\"",                  // lone continuation byte
                              "\"\xC3\x28\"",              // bad continuation
                              "{\"a\":1}\xC3",             // outside a string, truncated
                              "\xFE\xFF{}");
    const auto e = mustFail(bad);
    CHECK(e.message == "invalid UTF-8");
    CHECK(e.path.empty());
}

TEST_CASE("a byte order mark is refused", "[json]") {
    CHECK(mustFail("\xEF\xBB\xBF{}").message == "byte order mark is not allowed");
}

TEST_CASE("nesting is bounded", "[json]") {
    CHECK(mustRead(nested(kMaxSignalJsonDepth)).kind == Kind::Array);
    const auto e = mustFail(nested(kMaxSignalJsonDepth + 1));
    CHECK(e.message.find("nesting deeper than 32") != std::string::npos);
    // Far beyond the limit: refused long before the stack could be at risk.
    CHECK_FALSE(mustFail(std::string(200000, '[')).message.empty());
    CHECK_FALSE(mustFail(std::string(100000, '{')).message.empty());
    std::string objects;
    for (int i = 0; i < 40; ++i) objects += "{\"k\":";
    const auto deep = mustFail(objects + "1" + std::string(40, '}'));
    CHECK(deep.path.substr(0, 6) == "k.k.k.");
}

TEST_CASE("duplicate keys are refused and named", "[json]") {
    SECTION("plain") {
        const auto e = mustFail(R"({"a":1,"b":2,"a":3})");
        CHECK(e.duplicateKey);
        CHECK(e.path == "a");
        CHECK(e.offset == 13);
    }
    SECTION("spelled differently with escapes") {
        const auto e = mustFail(R"({"side":"buy","\u0073ide":"sell"})");
        CHECK(e.duplicateKey);
        CHECK(e.path == "side");
    }
    SECTION("nested") {
        const auto e = mustFail(R"({"legs":[{"q":1},{"q":1,"x":2,"q":2}]})");
        CHECK(e.duplicateKey);
        CHECK(e.path == "legs[1].q");
    }
    SECTION("the earliest second occurrence is named") {
        const auto e = mustFail(R"({"z":1,"y":1,"y":2,"z":2})");
        CHECK(e.path == "y");
    }
    SECTION("many keys stay fast") {
        std::string text = "{";
        for (int i = 0; i < 20000; ++i) text += "\"k" + std::to_string(i) + "\":0,";
        text += "\"k19999\":1}";
        CHECK(mustFail(text).path == "k19999");
    }
}

TEST_CASE("error paths locate the problem", "[json]") {
    CHECK(mustFail(R"({"legs":[{"side":"b)").path == "legs[0].side");
    CHECK(mustFail(R"({"a":[1,2,01]})").path == "a[2]");
    CHECK(mustFail("{\"a\":\"x\ty\"}").path == "a");
    CHECK(mustFail("{\"a\":1 2}").path.empty());
}

TEST_CASE("printableKey makes untrusted keys safe to show", "[json]") {
    CHECK(printableKey("quantiy") == "quantiy");
    CHECK(printableKey("a\nb") == "a\\x0ab");
    CHECK(printableKey("caf\xC3\xA9") == "caf\\xc3\\xa9");
    CHECK(printableKey("back\\slash") == "back\\x5cslash");
    CHECK(printableKey("") == "\"\"");
    CHECK(printableKey(std::string(100, 'k')) == std::string(40, 'k') + "...");
}
