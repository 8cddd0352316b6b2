// Rendering an alert as Telegram HTML: escaping hostile text and splitting into numbered parts.
#include "telegram_format.h"

#include <tradehost/utf8.h>

#include <algorithm>

namespace tradehost::telegram {

namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// One code point of sanitized text, with its UTF-16 length.
struct CodePoint {
    std::string_view bytes;
    bool bold = false;
    std::size_t units = 1;
};

std::string htmlOf(const std::vector<CodePoint>& cps, std::size_t from, std::size_t to) {
    std::string out;
    bool bold = false;
    for (std::size_t i = from; i < to; ++i) {
        if (cps[i].bold != bold) {
            out += cps[i].bold ? "<b>" : "</b>";
            bold = cps[i].bold;
        }
        out += escapeHtml(cps[i].bytes);
    }
    if (bold) out += "</b>";
    return out;
}

std::vector<std::string> splitLines(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t nl = text.find('\n', start);
        out.emplace_back(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    return out;
}

std::string oneLine(std::string_view text) {
    std::string s = sanitizeUtf8(text);
    std::replace(s.begin(), s.end(), '\n', ' ');
    return s;
}

}  // namespace

std::string sanitizeUtf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            ++i;
            continue;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
            out += kReplacementCharacter;
            ++i;
            continue;
        }
        const std::size_t length = utf8SequenceLength(text, i);
        if (length == 0) {
            out += kReplacementCharacter;
            ++i;
            continue;
        }
        out.append(text.substr(i, length));
        i += length;
    }
    return out;
}

std::string escapeHtml(std::string_view text) {
    const std::string clean = sanitizeUtf8(text);
    std::string out;
    out.reserve(clean.size() + clean.size() / 8);
    for (const char c : clean) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::size_t utf16Length(std::string_view utf8) {
    std::size_t units = 0;
    for (const char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte
        units += c >= 0xF0 ? 2 : 1;        // 4-byte sequences are surrogate pairs in UTF-16
    }
    return units;
}

std::string visibleText(std::string_view html) {
    std::string out;
    std::size_t i = 0;
    while (i < html.size()) {
        if (html[i] == '<') {
            const std::size_t close = html.find('>', i);
            if (close == std::string_view::npos) break;
            i = close + 1;
            continue;
        }
        if (html[i] == '&') {
            static const std::pair<std::string_view, char> kEntities[] = {
                {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}};
            bool matched = false;
            for (const auto& [entity, c] : kEntities) {
                if (html.substr(i, entity.size()) == entity) {
                    out += c;
                    i += entity.size();
                    matched = true;
                    break;
                }
            }
            if (matched) continue;
        }
        out += html[i++];
    }
    return out;
}

std::vector<Line> renderLines(const Alert& alert) {
    std::vector<Line> lines;
    std::string severity = toString(alert.severity);
    std::transform(severity.begin(), severity.end(), severity.begin(),
                   [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
    Line header{{severity, true}};
    if (!alert.title.empty()) {
        header.push_back({" ", false});
        header.push_back({oneLine(alert.title), true});
    }
    lines.push_back(std::move(header));
    if (!alert.text.empty()) {
        for (auto& line : splitLines(sanitizeUtf8(alert.text))) lines.push_back({{std::move(line), false}});
    }
    for (const auto& [name, value] : alert.fields) {
        auto valueLines = splitLines(sanitizeUtf8(value));
        lines.push_back({{oneLine(name), true}, {": " + valueLines.front(), false}});
        for (std::size_t i = 1; i < valueLines.size(); ++i) lines.push_back({{std::move(valueLines[i]), false}});
    }
    if (alert.suppressedCount > 0) {
        lines.push_back({{"(" + std::to_string(alert.suppressedCount) +
                              (alert.suppressedCount == 1 ? " similar alert" : " similar alerts") +
                              " held back since the last one)",
                          false}});
    }
    return lines;
}

std::vector<std::string> splitMessage(const std::vector<Line>& lines, std::size_t budget) {
    struct Part {
        std::string html;
        std::size_t units = 0;
        bool empty = true;
    };
    std::vector<Part> parts(1);
    const auto append = [&](const std::string& html, std::size_t units) {
        Part& part = parts.back();
        if (!part.empty) {
            part.html += '\n';
            part.units += 1;
        }
        part.html += html;
        part.units += units;
        part.empty = false;
    };
    // Room left in the last part for a new line (after its newline).
    const auto room = [&]() -> std::size_t {
        const Part& part = parts.back();
        if (part.empty) return budget;
        return part.units + 1 >= budget ? 0 : budget - part.units - 1;
    };

    for (const Line& line : lines) {
        std::vector<CodePoint> cps;
        std::size_t total = 0;
        for (const Segment& segment : line) {
            const std::string_view text = segment.text;
            std::size_t i = 0;
            while (i < text.size()) {
                std::size_t length = utf8SequenceLength(text, i);
                if (length == 0) length = 1;  // not reached: segments are sanitized
                const std::string_view bytes = text.substr(i, length);
                const std::size_t units = utf16Length(bytes);
                cps.push_back({bytes, segment.bold, units});
                total += units;
                i += length;
            }
        }
        if (total <= room()) {
            append(htmlOf(cps, 0, cps.size()), total);
            continue;
        }
        if (total <= budget) {
            parts.emplace_back();
            append(htmlOf(cps, 0, cps.size()), total);
            continue;
        }
        // A line longer than a part: its first cut fills the current part unless little is left.
        if (room() < budget / 8) parts.emplace_back();
        std::size_t start = 0;
        while (start < cps.size()) {
            if (room() == 0) parts.emplace_back();
            const std::size_t limit = room();
            std::size_t end = start;
            std::size_t units = 0;
            while (end < cps.size() && units + cps[end].units <= limit) units += cps[end++].units;
            if (end < cps.size()) {
                // Prefer a cut after a space in the last quarter of the piece.
                std::size_t back = end;
                std::size_t backUnits = units;
                while (back > start && backUnits > limit - limit / 4) {
                    if (cps[back - 1].bytes == " " || cps[back - 1].bytes == "\t") break;
                    backUnits -= cps[--back].units;
                }
                if (back > start && backUnits > limit - limit / 4) {
                    end = back;
                    units = backUnits;
                }
            }
            if (end == start) {  // not even one code point fits here
                if (parts.back().empty)
                    units = cps[end++].units;  // a budget below 2: never in use
                else {
                    parts.emplace_back();
                    continue;
                }
            }
            append(htmlOf(cps, start, end), units);
            start = end;
            if (start < cps.size()) parts.emplace_back();
        }
    }

    std::vector<std::string> out;
    out.reserve(parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts.size() == 1) {
            out.push_back(std::move(parts[i].html));
        } else {
            out.push_back("(" + std::to_string(i + 1) + "/" + std::to_string(parts.size()) + ") " + parts[i].html);
        }
    }
    return out;
}

std::vector<std::string> renderAlert(const Alert& alert) { return splitMessage(renderLines(alert)); }

std::vector<std::string> renderText(std::string_view text) {
    std::vector<Line> lines;
    for (auto& line : splitLines(sanitizeUtf8(text))) lines.push_back({{std::move(line), false}});
    return splitMessage(lines);
}

}  // namespace tradehost::telegram
