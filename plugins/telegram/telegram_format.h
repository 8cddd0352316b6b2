// Rendering an alert as Telegram HTML: escaping hostile text and splitting into numbered parts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tradehost/alert_sink.h"

namespace tradehost::telegram {

// Telegram's limit on sendMessage text, in UTF-16 code units after entity parsing.
constexpr std::size_t kMessageLimit = 4096;
// What a part's own text may use: the limit less room for the "(NN/NN) " numbering, with margin.
constexpr std::size_t kPartBudget = 4000;

// Valid UTF-8 as it is; each byte that is not part of valid UTF-8, and every control character
// except tab and newline (a lone CR included), becomes U+FFFD. "\r\n" becomes "\n".
std::string sanitizeUtf8(std::string_view text);

// `text` (sanitized first) with <, > and & replaced by &lt;, &gt; and &amp;; nothing else changes.
std::string escapeHtml(std::string_view text);

// Length in UTF-16 code units (what Telegram counts) of valid UTF-8 text.
std::size_t utf16Length(std::string_view utf8);

// What Telegram shows for HTML we produce: tags removed, the four entities decoded. Used to count
// a part's visible length, and by the tests.
std::string visibleText(std::string_view html);

// A run of plain (unescaped, sanitized) text, shown bold or not.
struct Segment {
    std::string text;
    bool bold = false;
};
using Line = std::vector<Segment>;

// The alert as lines: "<b>SEVERITY</b> <b>title</b>", the text's lines, one "name: value" line per
// field (name bold), and a line naming suppressedCount when it is above 0.
std::vector<Line> renderLines(const Alert& alert);

// Packs the lines into messages, each at most kMessageLimit UTF-16 units once Telegram has parsed
// it. Splits on line boundaries; a line longer than a part is cut between code points (at a space
// when one is in its last quarter), before escaping, so never inside an entity or a tag. Each
// part of a message of several starts with "(i/n) ".
std::vector<std::string> splitMessage(const std::vector<Line>& lines, std::size_t budget = kPartBudget);

// renderLines + splitMessage.
std::vector<std::string> renderAlert(const Alert& alert);

// Plain text (a command's reply: no bold, no header) as escaped parts, split like an alert.
std::vector<std::string> renderText(std::string_view text);

}  // namespace tradehost::telegram
