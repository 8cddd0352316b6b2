// A webhook signal after validation: the orders it asks for, its id, and its canonical form.
#pragma once

#include <tradehost/decimal.h>
#include <tradehost/venue.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tradehost::host {

// Contract limits (DESIGN.md §4, docs/signals.md). Changing one changes what senders may send.
constexpr std::size_t kMaxLegs = 16;
constexpr std::size_t kMaxSignalIdLength = 128;
constexpr std::size_t kMaxSymbolLength = 32;
constexpr std::size_t kMaxVenueNameLength = 64;

// One order the signal asks for. The leg number is its position in Signal::legs.
struct Leg {
    std::string venue;   // venue instance name; empty: the router's configured default venue
    std::string symbol;  // upper case, TradingView ".P" suffix and "BINANCE:" prefix removed
    Side side = Side::Buy;
    OrderType type = OrderType::Market;
    Decimal quantity;                            // > 0; always sent, never defaulted
    std::optional<Decimal> price;                // > 0 and present for Limit; always empty for Market
    TimeInForce timeInForce = TimeInForce::GTC;  // meaningful for Limit only; GTC for Market
    bool reduceOnly = false;
    // Which book the order trades in hedge mode (LONG / SHORT); BOTH in one-way mode, or in hedge
    // mode to let the venue infer it (buy opens LONG, sell opens SHORT; reduce-only closes).
    PositionSide positionSide = PositionSide::Both;
};

// Who put a signal in when no webhook sender did (an operator's order ticket on the admin page).
// Journaled beside the signal and recorded on its signal_received event, but not part of its
// payload: the same ticket sent again is a duplicate, whoever sends it and whatever they say.
struct SignalOrigin {
    std::string source;  // "admin"
    std::string by;      // the authenticated caller, as the admin listener names it
    std::string why;
};

struct Signal {
    std::string signalId;   // 1-128 printable ASCII characters; inner spaces allowed, no edge spaces
    std::vector<Leg> legs;  // 1..kMaxLegs
    // The signal as compact JSON with sorted keys, every field explicit, decimals normalised and
    // without the secret. Equal meaning gives equal bytes, whatever shape and representation the
    // sender used; this is what is journaled and compared for "same id, different payload".
    std::string canonical;
    // The sender's own timestamp ("sent_at", "timenow" or "time"), epoch milliseconds UTC.
    std::optional<std::int64_t> sentAtMs;
    // Set by the host for a signal that did not come from a webhook (never read from a body);
    // not in `canonical`.
    std::optional<SignalOrigin> origin;
};

// Why a body was refused. `field` is a JSON path ("legs[1].quantity") or "body" for the body as
// a whole; `message` never repeats a value from the body, so no secret can leak through it.
struct ParseError {
    int httpStatus = 400;
    std::string field;
    std::string message;
    // The body's "secret" when the body was a readable object that had one: the caller must
    // authenticate a sender before telling it which field is wrong.
    std::optional<std::string> secret;
    // The body is not a readable JSON object (syntax, a repeated key, not an object), so it
    // cannot carry a secret either: the caller may say so without authenticating the sender.
    bool unreadable = false;
};

}  // namespace tradehost::host
