// Turns a webhook body (any Content-Type, raw bytes) into a validated Signal or a 400 naming the field.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "intake/signal/signal.h"

namespace tradehost::host {

// A defence for callers that forget their own body cap (the webhook's is 64 KiB): larger bodies
// are refused with 413 before any parsing. The parser is linear anyway; this bounds memory.
constexpr std::size_t kMaxSignalBodyBytes = 1024 * 1024;

struct Parsed {
    Signal signal;
    // The body's "secret", removed from the signal (and from Signal::canonical) for the caller's
    // constant-time check. nullopt when the body has none (or "secret": null).
    std::optional<std::string> secret;
};

// Accepts three shapes, all documented in docs/signals.md:
//   flat      {"secret"?, "signal_id", "venue"?, "symbol", "side", "type", "quantity", "price"?,
//              "reduce_only"?, "time_in_force"|"tif"?, "sent_at"|"timenow"|"time"?}
//   legs      {"secret"?, "signal_id", "legs": [ {leg fields as above}, ... ], time field?}
//   envelope  {"secret"?, "signal_id", "payload": {leg fields as above}, time field?}  (Python bot)
// Pure: no I/O, no globals, safe for any input (fuzzed). Never invents a side, quantity, type
// or symbol: a missing one is a ParseError naming it.
std::variant<Parsed, ParseError> parseSignal(std::string_view body);

// A symbol as signals name it, in its canonical form ("binance:btcusdt.p" -> "BTCUSDT"), or the
// reason it is not one. Operator commands naming a symbol use the same rule.
std::variant<std::string, std::string> canonicalSymbol(std::string_view text);  // symbol | error

// The canonical JSON of a signal (see Signal::canonical); parseSignal(canonicalJson(s)) yields
// the same signal again.
std::string canonicalJson(const Signal& signal);

}  // namespace tradehost::host
