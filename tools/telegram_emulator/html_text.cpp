// HTML parse mode as Telegram (tdlib's parse_html) reads it: tag nesting, allowed tags, entity decoding.
#include "html_text.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <vector>

namespace tradehost::telegram_emulator {
namespace {

const std::set<std::string> kTags = {"b",   "strong", "i",   "em", "u",    "ins",        "s",         "strike",
                                     "del", "code",   "pre", "a",  "span", "tg-spoiler", "blockquote"};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::size_t utf16UnitsOf(std::uint32_t codePoint) { return codePoint >= 0x10000 ? 2 : 1; }

// Decodes the entity starting at text[pos] == '&'; returns its code point and sets *end past the
// ';', or returns 0 when it is not an entity tdlib knows (then the '&' is plain text).
std::uint32_t decodeEntity(const std::string& text, std::size_t pos, std::size_t* end) {
    const std::size_t semi = text.find(';', pos + 1);
    if (semi == std::string::npos || semi - pos > 12) return 0;
    const std::string name = text.substr(pos + 1, semi - pos - 1);
    std::uint32_t cp = 0;
    if (name == "lt") {
        cp = '<';
    } else if (name == "gt") {
        cp = '>';
    } else if (name == "amp") {
        cp = '&';
    } else if (name == "quot") {
        cp = '"';
    } else if (name.size() >= 2 && name[0] == '#') {
        const bool hex = name[1] == 'x' || name[1] == 'X';
        const std::string digits = name.substr(hex ? 2 : 1);
        if (digits.empty() || digits.size() > 8) return 0;
        for (const char c : digits) {
            if (!(hex ? std::isxdigit(static_cast<unsigned char>(c)) : std::isdigit(static_cast<unsigned char>(c))))
                return 0;
        }
        const unsigned long v = std::stoul(digits, nullptr, hex ? 16 : 10);
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
        cp = static_cast<std::uint32_t>(v);
    } else {
        return 0;
    }
    *end = semi + 1;
    return cp;
}

bool tagNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

}  // namespace

std::size_t utf16Length(const std::string& utf8, bool* valid) {
    std::size_t units = 0;
    bool ok = true;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > utf8.size()) {
            ok = false;
            len = 1;
        } else {
            for (std::size_t k = 1; k < len; ++k) {
                if ((static_cast<unsigned char>(utf8[i + k]) & 0xC0) != 0x80) ok = false;
            }
        }
        units += len == 4 ? 2 : 1;
        i += len;
    }
    if (valid != nullptr) *valid = ok;
    return units;
}

ParsedText parseMessageText(const std::string& text, const std::string& parseMode) {
    ParsedText out{};
    utf16Length(text, &out.validUtf8);
    if (!out.validUtf8) return out;
    if (lower(parseMode) != "html") {
        out.utf16Length = utf16Length(text);
        return out;
    }
    std::vector<std::string> open;
    std::size_t units = 0;
    std::size_t i = 0;
    std::size_t plainStart = 0;
    auto flushPlain = [&](std::size_t until) { units += utf16Length(text.substr(plainStart, until - plainStart)); };
    while (i < text.size()) {
        const char c = text[i];
        if (c == '&') {
            std::size_t end = 0;
            const std::uint32_t cp = decodeEntity(text, i, &end);
            if (cp != 0) {
                flushPlain(i);
                units += utf16UnitsOf(cp);
                i = end;
                plainStart = i;
                continue;
            }
            ++i;
            continue;
        }
        if (c != '<') {
            ++i;
            continue;
        }
        flushPlain(i);
        const std::size_t tagStart = i;
        const std::size_t close = text.find('>', i);
        if (close == std::string::npos) {
            out.error = "Unclosed start tag at byte offset " + std::to_string(tagStart);
            return out;
        }
        const bool closing = i + 1 < text.size() && text[i + 1] == '/';
        std::size_t p = i + (closing ? 2 : 1);
        const std::size_t nameStart = p;
        while (p < close && tagNameChar(text[p])) ++p;
        const std::string name = lower(text.substr(nameStart, p - nameStart));
        if (closing) {
            if (open.empty()) {
                out.error = "Unexpected end tag at byte offset " + std::to_string(tagStart);
                return out;
            }
            if (name != open.back()) {
                out.error = "Can't find end tag corresponding to start tag \"" + open.back() + "\"";
                return out;
            }
            open.pop_back();
        } else {
            if (name.empty() || kTags.count(name) == 0) {
                out.error = "Unsupported start tag \"" + text.substr(nameStart, p - nameStart) + "\" at byte offset " +
                            std::to_string(tagStart);
                return out;
            }
            const std::string attributes = text.substr(p, close - p);
            if (name == "a" && attributes.find("href") == std::string::npos) {
                out.error = "Can't find href in a tag at byte offset " + std::to_string(tagStart);
                return out;
            }
            if (name == "span" && attributes.find("tg-spoiler") == std::string::npos) {
                out.error = "Tag \"span\" must have class \"tg-spoiler\" at byte offset " + std::to_string(tagStart);
                return out;
            }
            open.push_back(name);
        }
        i = close + 1;
        plainStart = i;
    }
    flushPlain(text.size());
    if (!open.empty()) {
        out.error = "Can't find end tag corresponding to start tag \"" + open.back() + "\"";
        return out;
    }
    out.utf16Length = units;
    return out;
}

}  // namespace tradehost::telegram_emulator
