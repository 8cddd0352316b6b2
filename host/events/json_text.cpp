// JSON text primitives for the event log: string escaping, a strict validator, string redaction.
#include "events/json_text.h"

#include <stdexcept>

#include "text/utf8.h"

namespace tradehost::host {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One recursive-descent pass over a JSON value. With a redactor it also rebuilds the text,
// copying untouched stretches verbatim so the common case (nothing to redact) keeps every byte.
class JsonScanner {
public:
    JsonScanner(std::string_view text, const std::function<std::string(std::string)>* redact)
        : text_(text), redact_(redact) {}

    bool object(std::size_t& pos, int depth) {
        if (depth > kMaxEventJsonDepth) return fail(pos, "nested deeper than " + std::to_string(kMaxEventJsonDepth));
        if (!expect(pos, '{')) return fail(pos, "expected '{'");
        skipSpace(pos);
        if (peek(pos) == '}') return ++pos, true;
        for (;;) {
            skipSpace(pos);
            if (peek(pos) != '"') return fail(pos, "expected a member name");
            if (!string(pos)) return false;
            skipSpace(pos);
            if (!expect(pos, ':')) return fail(pos, "expected ':'");
            skipSpace(pos);
            if (!value(pos, depth)) return false;
            skipSpace(pos);
            if (expect(pos, ',')) continue;
            if (expect(pos, '}')) return true;
            return fail(pos, "expected ',' or '}'");
        }
    }

    bool string(std::size_t& pos) {
        const std::size_t start = pos;
        if (!expect(pos, '"')) return fail(pos, "expected '\"'");
        std::string decoded;
        const bool decode = redact_ != nullptr;
        for (;;) {
            if (pos >= text_.size()) return fail(pos, "unterminated string");
            const auto c = static_cast<unsigned char>(text_[pos]);
            if (c == '"') {
                ++pos;
                break;
            }
            if (c < 0x20) return fail(pos, "control character in string");
            if (c == '\\') {
                if (!escape(pos, decode ? &decoded : nullptr)) return false;
                continue;
            }
            const std::size_t length = utf8SequenceLength(text_, pos);
            if (length == 0) return fail(pos, "invalid UTF-8");
            if (decode) decoded.append(text_.data() + pos, length);
            pos += length;
        }
        if (decode) {
            std::string redacted = (*redact_)(decoded);
            if (redacted != decoded) {
                out_.append(text_.data() + copied_, start - copied_);
                appendJsonString(out_, redacted);
                copied_ = pos;
            }
        }
        return true;
    }

    // The rebuilt text once a scan with a redactor has succeeded over the whole input.
    std::string rebuilt() {
        out_.append(text_.data() + copied_, text_.size() - copied_);
        copied_ = text_.size();
        return std::move(out_);
    }

    const std::string& error() const { return error_; }

private:
    bool value(std::size_t& pos, int depth) {
        switch (peek(pos)) {
            case '{':
                return object(pos, depth + 1);
            case '[':
                return array(pos, depth + 1);
            case '"':
                return string(pos);
            case 't':
                return literal(pos, "true");
            case 'f':
                return literal(pos, "false");
            case 'n':
                return literal(pos, "null");
            default:
                return number(pos);
        }
    }

    bool array(std::size_t& pos, int depth) {
        if (depth > kMaxEventJsonDepth) return fail(pos, "nested deeper than " + std::to_string(kMaxEventJsonDepth));
        ++pos;  // '['
        skipSpace(pos);
        if (peek(pos) == ']') return ++pos, true;
        for (;;) {
            skipSpace(pos);
            if (!value(pos, depth)) return false;
            skipSpace(pos);
            if (expect(pos, ',')) continue;
            if (expect(pos, ']')) return true;
            return fail(pos, "expected ',' or ']'");
        }
    }

    bool literal(std::size_t& pos, std::string_view word) {
        if (text_.substr(pos, word.size()) != word) return fail(pos, "invalid literal");
        pos += word.size();
        return true;
    }

    bool number(std::size_t& pos) {
        const std::size_t start = pos;
        expect(pos, '-');
        if (expect(pos, '0')) {
            // JSON forbids leading zeros: "01" is not a number.
        } else if (isDigit(peek(pos))) {
            while (isDigit(peek(pos))) ++pos;
        } else {
            return fail(start, "expected a value");
        }
        if (expect(pos, '.')) {
            if (!isDigit(peek(pos))) return fail(pos, "expected a digit after '.'");
            while (isDigit(peek(pos))) ++pos;
        }
        if (peek(pos) == 'e' || peek(pos) == 'E') {
            ++pos;
            if (peek(pos) == '+' || peek(pos) == '-') ++pos;
            if (!isDigit(peek(pos))) return fail(pos, "expected a digit in the exponent");
            while (isDigit(peek(pos))) ++pos;
        }
        return true;
    }

    // At a backslash inside a string.
    bool escape(std::size_t& pos, std::string* decoded) {
        ++pos;
        const char e = peek(pos);
        const std::string_view simple = "\"\\/bfnrt";
        const std::string_view meaning = "\"\\/\b\f\n\r\t";
        if (const auto i = simple.find(e); e != '\0' && i != std::string_view::npos) {
            if (decoded) *decoded += meaning[i];
            ++pos;
            return true;
        }
        if (e != 'u') return fail(pos, "invalid escape");
        std::uint32_t unit = 0;
        if (!hex4(pos + 1, unit)) return fail(pos, "invalid \\u escape");
        pos += 5;
        // A lone surrogate is legal JSON grammar but not text: strict parsers (Poco's among them)
        // refuse it, and every line must parse everywhere.
        if (unit >= 0xDC00 && unit <= 0xDFFF) return fail(pos - 6, "unpaired low surrogate");
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            std::uint32_t low = 0;
            if (peek(pos) != '\\' || peek(pos + 1) != 'u' || !hex4(pos + 2, low) || low < 0xDC00 || low > 0xDFFF)
                return fail(pos - 6, "unpaired high surrogate");
            pos += 6;
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        }
        if (decoded) appendUtf8(*decoded, unit);
        return true;
    }

    bool hex4(std::size_t pos, std::uint32_t& unit) const {
        if (pos + 4 > text_.size()) return false;
        unit = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            const int v = hexValue(text_[pos + i]);
            if (v < 0) return false;
            unit = (unit << 4) | static_cast<std::uint32_t>(v);
        }
        return true;
    }

    // No '\n': the value sits inside one event line, so a line feed would split it.
    void skipSpace(std::size_t& pos) const {
        while (pos < text_.size() && (text_[pos] == ' ' || text_[pos] == '\t' || text_[pos] == '\r')) ++pos;
    }
    char peek(std::size_t pos) const { return pos < text_.size() ? text_[pos] : '\0'; }
    bool expect(std::size_t& pos, char c) {
        if (peek(pos) != c || pos >= text_.size()) return false;
        ++pos;
        return true;
    }
    static bool isDigit(char c) { return c >= '0' && c <= '9'; }
    bool fail(std::size_t pos, const std::string& reason) {
        if (error_.empty()) error_ = reason + " at offset " + std::to_string(pos);
        return false;
    }

    std::string_view text_;
    const std::function<std::string(std::string)>* redact_;
    std::string out_;
    std::size_t copied_ = 0;
    std::string error_;
};

}  // namespace

void appendJsonString(std::string& out, std::string_view raw) {
    out += '"';
    for (std::size_t i = 0; i < raw.size();) {
        const auto c = static_cast<unsigned char>(raw[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
            ++i;
        } else if (c < 0x20) {
            out += "\\u00";
            out += kHexDigits[c >> 4];
            out += kHexDigits[c & 0xF];
            ++i;
        } else if (c < 0x80) {
            out += static_cast<char>(c);
            ++i;
        } else if (const std::size_t length = utf8SequenceLength(raw, i); length != 0) {
            out.append(raw.data() + i, length);
            i += length;
        } else {
            out += kReplacementCharacter;
            ++i;
        }
    }
    out += '"';
}

bool scanJsonObject(std::string_view text, std::size_t pos, std::size_t& end, std::string& error) {
    JsonScanner scanner(text, nullptr);
    if (!scanner.object(pos, 1)) {
        error = scanner.error();
        return false;
    }
    end = pos;
    return true;
}

bool scanJsonString(std::string_view text, std::size_t pos, std::size_t& end, std::string& error) {
    JsonScanner scanner(text, nullptr);
    if (!scanner.string(pos)) {
        error = scanner.error();
        return false;
    }
    end = pos;
    return true;
}

std::string redactJsonStrings(std::string_view objectText, const std::function<std::string(std::string)>& redact) {
    JsonScanner scanner(objectText, &redact);
    std::size_t pos = 0;
    if (!scanner.object(pos, 1) || pos != objectText.size())
        throw std::invalid_argument("not a single JSON object: " +
                                    (scanner.error().empty() ? "trailing text" : scanner.error()));
    return scanner.rebuilt();
}

namespace {

template <typename Members>
std::string objectOfMembers(const Members& members) {
    std::string out = "{";
    for (const auto& [key, value] : members) {
        if (out.size() > 1) out += ',';
        appendJsonString(out, key);
        out += ':';
        appendJsonString(out, value);
    }
    return out + "}";
}

}  // namespace

std::string jsonObject(std::initializer_list<std::pair<std::string_view, std::string_view>> members) {
    return objectOfMembers(members);
}

std::string jsonObject(const std::vector<std::pair<std::string, std::string>>& members) {
    return objectOfMembers(members);
}

}  // namespace tradehost::host
