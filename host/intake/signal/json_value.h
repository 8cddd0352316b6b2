// A strict RFC 8259 JSON reader that keeps numbers as their literal text, for exact decimals.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tradehost::host {

// Poco::JSON (1.11) is not used here: it turns every number into a double or an integer before
// a handler sees it (so 0.1 could not be kept exactly), and it lets a duplicate key silently
// overwrite the first one. Signal bodies need both the literal text and duplicate detection.

struct JsonMember;

// One parsed JSON value. A tree of plain structs: the bodies it reads are small (64 KiB cap).
struct JsonValue {
    enum class Kind { Null, Bool, Number, String, Array, Object };

    Kind kind = Kind::Null;
    bool boolean = false;             // Bool
    std::string text;                 // Number: the literal exactly as written; String: decoded UTF-8
    std::vector<JsonValue> items;     // Array
    std::vector<JsonMember> members;  // Object, in document order; keys are unique

    bool isNull() const { return kind == Kind::Null; }
    // The member named `key`, or nullptr.
    const JsonValue* find(std::string_view key) const;
};

struct JsonMember {
    std::string key;  // decoded, so "a" and "\u0061" are the same (duplicate) key
    JsonValue value;
};

// Why a text is not acceptable JSON. `path` locates the problem inside the document
// ("legs[0].side"); empty when it concerns the text as a whole.
struct JsonError {
    std::string path;
    std::string message;  // never quotes string contents from the text
    std::size_t offset = 0;
    bool duplicateKey = false;  // the last key of `path` occurs twice in one object
};

// The deepest nesting of arrays and objects readJson() accepts; bounds recursion (stack) depth.
constexpr int kMaxSignalJsonDepth = 32;

// Reads exactly one JSON value spanning the whole text (surrounding whitespace allowed).
// Refuses: invalid UTF-8 anywhere (including overlong forms, surrogates, > U+10FFFF), a byte order
// mark, unescaped control characters in strings, lone surrogate escapes, numbers outside the
// JSON grammar (leading zeros, "+1", ".5", "1.", NaN, Infinity), duplicate keys in one object,
// nesting deeper than kMaxSignalJsonDepth, and anything after the value. Linear time and memory in
// the text size, for any input.
std::variant<JsonValue, JsonError> readJson(std::string_view text);

// A path component safe to put in an error message or log: printable ASCII kept, anything else
// as \xNN, cut to a short prefix (keys come from untrusted senders).
std::string printableKey(std::string_view key);

}  // namespace tradehost::host
