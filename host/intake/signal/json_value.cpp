// A strict RFC 8259 JSON reader that keeps numbers as their literal text, for exact decimals.
#include "intake/signal/json_value.h"

#include "text/utf8.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

namespace tradehost::host {

namespace {

constexpr std::size_t kMaxKeyInMessage = 40;



bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Recursive descent over the text. Recursion is bounded by kMaxSignalJsonDepth, so hostile nesting
// cannot exhaust the stack; every loop advances pos_, so every input terminates.
class JsonReader {
public:
    explicit JsonReader(std::string_view text) : text_(text) {}

    std::variant<JsonValue, JsonError> read() {
        if (text_.size() >= 3 && text_.substr(0, 3) == "\xEF\xBB\xBF") {
            return JsonError{"", "byte order mark is not allowed", 0};
        }
        if (const auto bad = firstInvalidUtf8(text_)) return JsonError{"", "invalid UTF-8", *bad};
        JsonValue root;
        skipWhitespace();
        if (atEnd()) return JsonError{"", "empty body", pos_};
        if (!readValue(root, 0)) return error_;
        skipWhitespace();
        if (!atEnd()) {
            fail("unexpected text after the JSON value");
            return error_;
        }
        return root;
    }

private:
    struct PathPart {
        std::string key;
        std::size_t index = 0;
        bool isIndex = false;
    };

    bool atEnd() const { return pos_ >= text_.size(); }
    char peek() const { return text_[pos_]; }

    bool fail(std::string message) { return failAt(pos_, std::move(message)); }
    bool failAt(std::size_t offset, std::string message) {
        error_.path = pathText();
        error_.message = std::move(message);
        error_.offset = offset;
        error_.duplicateKey = false;
        return false;
    }

    std::string pathText() const {
        std::string out;
        for (const auto& part : path_) {
            if (part.isIndex) {
                out += '[' + std::to_string(part.index) + ']';
            } else {
                if (!out.empty()) out += '.';
                out += printableKey(part.key);
            }
        }
        return out;
    }

    void skipWhitespace() {
        while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
    }

    bool readValue(JsonValue& out, int depth) {
        if (atEnd()) return fail("unexpected end of text");
        switch (peek()) {
            case '{':
                return readObject(out, depth + 1);
            case '[':
                return readArray(out, depth + 1);
            case '"':
                out.kind = JsonValue::Kind::String;
                return readString(out.text);
            case 't':
                out.kind = JsonValue::Kind::Bool;
                out.boolean = true;
                return readWord("true");
            case 'f':
                out.kind = JsonValue::Kind::Bool;
                out.boolean = false;
                return readWord("false");
            case 'n':
                out.kind = JsonValue::Kind::Null;
                return readWord("null");
            default:
                if (peek() == '-' || isDigit(peek())) {
                    out.kind = JsonValue::Kind::Number;
                    return readNumber(out.text);
                }
                return fail("unexpected character");
        }
    }

    bool readWord(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return fail("unexpected character");
        pos_ += word.size();
        return true;
    }

    bool readObject(JsonValue& out, int depth) {
        if (depth > kMaxSignalJsonDepth) return fail("nesting deeper than " + std::to_string(kMaxSignalJsonDepth) + " levels");
        out.kind = JsonValue::Kind::Object;
        ++pos_;  // '{'
        std::vector<std::size_t> keyOffsets;
        skipWhitespace();
        if (!atEnd() && peek() == '}') {
            ++pos_;
            return true;
        }
        for (;;) {
            skipWhitespace();
            if (atEnd() || peek() != '"') return fail("expected a quoted key");
            keyOffsets.push_back(pos_);
            JsonMember member;
            if (!readString(member.key)) return false;
            skipWhitespace();
            if (atEnd() || peek() != ':') return fail("expected ':' after a key");
            ++pos_;
            skipWhitespace();
            path_.push_back(PathPart{member.key, 0, false});
            const bool ok = readValue(member.value, depth);
            path_.pop_back();
            if (!ok) return false;
            out.members.push_back(std::move(member));
            skipWhitespace();
            if (atEnd()) return fail("unexpected end of text inside an object");
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                break;
            }
            return fail("expected ',' or '}'");
        }
        return checkDuplicateKeys(out, keyOffsets);
    }

    // Sorting indices keeps the check O(n log n) for hostile objects with thousands of keys.
    bool checkDuplicateKeys(const JsonValue& object, const std::vector<std::size_t>& keyOffsets) {
        const auto& members = object.members;
        if (members.size() < 2) return true;
        std::vector<std::size_t> order(members.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return members[a].key < members[b].key; });
        std::optional<std::size_t> firstDuplicate;  // the earliest second occurrence in the text
        for (std::size_t i = 1; i < order.size(); ++i) {
            if (members[order[i]].key == members[order[i - 1]].key &&
                (!firstDuplicate || order[i] < *firstDuplicate)) {
                firstDuplicate = order[i];
            }
        }
        if (!firstDuplicate) return true;
        path_.push_back(PathPart{members[*firstDuplicate].key, 0, false});
        failAt(keyOffsets[*firstDuplicate], "duplicate key");
        error_.duplicateKey = true;
        path_.pop_back();
        return false;
    }

    bool readArray(JsonValue& out, int depth) {
        if (depth > kMaxSignalJsonDepth) return fail("nesting deeper than " + std::to_string(kMaxSignalJsonDepth) + " levels");
        out.kind = JsonValue::Kind::Array;
        ++pos_;  // '['
        skipWhitespace();
        if (!atEnd() && peek() == ']') {
            ++pos_;
            return true;
        }
        for (;;) {
            skipWhitespace();
            path_.push_back(PathPart{"", out.items.size(), true});
            JsonValue item;
            const bool ok = readValue(item, depth);
            path_.pop_back();
            if (!ok) return false;
            out.items.push_back(std::move(item));
            skipWhitespace();
            if (atEnd()) return fail("unexpected end of text inside an array");
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return true;
            }
            return fail("expected ',' or ']'");
        }
    }

    // Reads four hex digits at pos_.
    bool readHex4(std::uint32_t& out) {
        if (text_.size() - pos_ < 4) return fail("incomplete \\u escape");
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[pos_++];
            out <<= 4;
            if (c >= '0' && c <= '9') {
                out |= static_cast<std::uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                out |= static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                out |= static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                return failAt(pos_ - 1, "bad hex digit in a \\u escape");
            }
        }
        return true;
    }

    // The text is already known to be valid UTF-8, so bytes >= 0x80 are copied as they are.
    bool readString(std::string& out) {
        ++pos_;  // opening quote
        for (;;) {
            if (atEnd()) return fail("unterminated string");
            const char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string (must be escaped)");
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            ++pos_;
            if (atEnd()) return fail("unterminated string");
            const char e = text_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    const std::size_t start = pos_ - 2;
                    std::uint32_t cp = 0;
                    if (!readHex4(cp)) return false;
                    if (cp >= 0xDC00 && cp <= 0xDFFF) return failAt(start, "lone low surrogate in a \\u escape");
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (text_.substr(pos_, 2) != "\\u") return failAt(start, "lone high surrogate in a \\u escape");
                        pos_ += 2;
                        std::uint32_t low = 0;
                        if (!readHex4(low)) return false;
                        if (low < 0xDC00 || low > 0xDFFF) return failAt(start, "lone high surrogate in a \\u escape");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    }
                    appendUtf8(out, cp);
                    break;
                }
                default:
                    return failAt(pos_ - 1, "unknown escape in a string");
            }
        }
    }

    // RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; the literal is kept verbatim.
    bool readNumber(std::string& out) {
        const std::size_t start = pos_;
        if (peek() == '-') ++pos_;
        if (atEnd() || !isDigit(peek())) return fail("a number needs digits");
        if (peek() == '0') {
            ++pos_;
            if (!atEnd() && isDigit(peek())) return fail("numbers must not have leading zeros");
        } else {
            while (!atEnd() && isDigit(peek())) ++pos_;
        }
        if (!atEnd() && peek() == '.') {
            ++pos_;
            if (atEnd() || !isDigit(peek())) return fail("a number needs digits after '.'");
            while (!atEnd() && isDigit(peek())) ++pos_;
        }
        if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
            ++pos_;
            if (!atEnd() && (peek() == '+' || peek() == '-')) ++pos_;
            if (atEnd() || !isDigit(peek())) return fail("a number needs digits in its exponent");
            while (!atEnd() && isDigit(peek())) ++pos_;
        }
        out.assign(text_.substr(start, pos_ - start));
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::vector<PathPart> path_;
    JsonError error_;
};

}  // namespace

const JsonValue* JsonValue::find(std::string_view key) const {
    for (const auto& member : members)
        if (member.key == key) return &member.value;
    return nullptr;
}

std::variant<JsonValue, JsonError> readJson(std::string_view text) { return JsonReader(text).read(); }

std::string printableKey(std::string_view key) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < key.size(); ++i) {
        if (i == kMaxKeyInMessage) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(key[i]);
        if (c >= 0x20 && c <= 0x7E && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0x0F];
        }
    }
    if (key.empty()) out = "\"\"";  // an empty key still needs to be visible in a path
    return out;
}

}  // namespace tradehost::host
