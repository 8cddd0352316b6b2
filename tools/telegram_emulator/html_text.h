// Telegram's reading of a message text: HTML parse-mode checking and the length after entity parsing.
#pragma once

#include <cstddef>
#include <string>

namespace tradehost::telegram_emulator {

struct ParsedText {
    std::string error;        // empty: the text parsed; otherwise the part after "can't parse entities: "
    std::size_t utf16Length;  // visible text (tags removed, entities decoded) in UTF-16 code units
    bool validUtf8 = true;
};

// parseMode is "" (plain text) or "HTML" (case-insensitive); the caller refuses other modes.
// Follows tdlib's parse_html: supported tags b, strong, i, em, u, ins, s, strike, del, code, pre,
// a (href), tg-spoiler, span (class="tg-spoiler"), blockquote; the named entities &lt; &gt; &amp;
// &quot; and numeric ones; any other '&' is literal text.
ParsedText parseMessageText(const std::string& text, const std::string& parseMode);

// UTF-16 code units of a UTF-8 string (what Telegram counts); invalid UTF-8 sets *valid to false.
std::size_t utf16Length(const std::string& utf8, bool* valid = nullptr);

}  // namespace tradehost::telegram_emulator
