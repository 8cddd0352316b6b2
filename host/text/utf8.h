// UTF-8 as RFC 3629 defines it: well-formedness, encoding a code point, repair. Shared by the
// signal reader (intake) and the event log's JSON text.
#pragma once

#include <tradehost/utf8.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tradehost::host {

// Length (1-4) of the well-formed UTF-8 sequence at text[pos], or 0: the SDK's, one definition.
using tradehost::utf8SequenceLength;

// Offset of the first byte that does not start a well-formed sequence, or nullopt.
std::optional<std::size_t> firstInvalidUtf8(std::string_view text);

// `text` with every byte that is not part of a well-formed sequence replaced by U+FFFD.
std::string sanitizeUtf8(std::string_view text);

// Appends the UTF-8 encoding of `codePoint` (a Unicode scalar value: not a surrogate, <= U+10FFFF).
void appendUtf8(std::string& out, std::uint32_t codePoint);

// U+FFFD REPLACEMENT CHARACTER, encoded.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

}  // namespace tradehost::host
