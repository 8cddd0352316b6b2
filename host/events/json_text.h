// JSON text primitives for the event log: string escaping, a strict validator, string redaction.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/utf8.h"  // sanitizeUtf8 and friends, which the event log uses with these

namespace tradehost::host {

// Deep enough for any event payload; the limit keeps the recursive validator's stack bounded
// whatever bytes a damaged or hostile file holds.
constexpr int kMaxEventJsonDepth = 64;

// Appends `raw` as a JSON string literal, quotes included. Quote and backslash are escaped,
// control characters (< 0x20) become \u00xx, well-formed UTF-8 passes through, and every byte
// that is not part of a well-formed UTF-8 sequence becomes U+FFFD — so the result always parses.
void appendJsonString(std::string& out, std::string_view raw);

// A flat JSON object of string members, in the given order: the data of most events.
std::string jsonObject(std::initializer_list<std::pair<std::string_view, std::string_view>> members);
// The same, for members gathered at run time.
std::string jsonObject(const std::vector<std::pair<std::string, std::string>>& members);

// Checks that text[pos..] starts with one JSON value of the expected kind, strictly per RFC 8259
// plus: UTF-8 well-formed, \u surrogates paired (so Poco and other strict parsers accept it),
// nesting at most kMaxEventJsonDepth, and no line feed anywhere (the value lives inside one line).
// On success returns true and sets `end` just past the value; otherwise returns false and sets
// `error` to a short reason naming the byte offset.
bool scanJsonObject(std::string_view text, std::size_t pos, std::size_t& end, std::string& error);
bool scanJsonString(std::string_view text, std::size_t pos, std::size_t& end, std::string& error);

// Applies `redact` to the decoded text of every string (keys and values) of a JSON object that
// scanJsonObject accepts; strings it leaves unchanged keep their original bytes, changed ones are
// re-escaped. Throws std::invalid_argument if `objectText` is not such an object.
std::string redactJsonStrings(std::string_view objectText, const std::function<std::string(std::string)>& redact);

}  // namespace tradehost::host
