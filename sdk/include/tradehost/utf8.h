// UTF-8 well-formedness as RFC 3629 defines it: for plugins that write or check text (alert
// sinks escaping hostile alert fields), and for the host. Header-only, std-only.
#pragma once

#include <cstddef>
#include <string_view>

namespace tradehost {

// Length (1-4) of the well-formed UTF-8 sequence starting at text[pos], or 0 if there is none
// (stray continuation byte, overlong form, UTF-16 surrogate, beyond U+10FFFF, truncated).
inline std::size_t utf8SequenceLength(std::string_view text, std::size_t pos) {
    const std::size_t left = text.size() - pos;
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
    const auto continuation = [&](std::size_t i) { return (at(i) & 0xC0) == 0x80; };
    const unsigned char b0 = at(0);
    if (b0 < 0x80) return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) return left >= 2 && continuation(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (left < 3 || !continuation(1) || !continuation(2)) return 0;
        if (b0 == 0xE0 && at(1) < 0xA0) return 0;  // overlong
        if (b0 == 0xED && at(1) > 0x9F) return 0;  // UTF-16 surrogate
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (left < 4 || !continuation(1) || !continuation(2) || !continuation(3)) return 0;
        if (b0 == 0xF0 && at(1) < 0x90) return 0;  // overlong
        if (b0 == 0xF4 && at(1) > 0x8F) return 0;  // beyond U+10FFFF
        return 4;
    }
    return 0;
}

}  // namespace tradehost
