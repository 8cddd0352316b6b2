// libFuzzer entry point for the signal parser (reliability-tests.md G1); built only with TRADEHOST_FUZZ.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "intake/signal/signal_parser.h"

using tradehost::host::Parsed;
using tradehost::host::ParseError;
using tradehost::host::parseSignal;

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "signal_parser_fuzz: %s\n", what);
    std::abort();
}

}  // namespace

// Crashes, leaks and UB are caught by the sanitizers; the checks below turn the parser's own
// promises into crashes too, so libFuzzer reports and minimises any input that breaks them.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto result = parseSignal(body);
    if (const auto* error = std::get_if<ParseError>(&result)) {
        if (error->field.empty() || error->message.empty()) fail("ParseError without field or message");
        if (error->httpStatus != 400 && error->httpStatus != 413) fail("unexpected HTTP status");
        return 0;
    }
    const auto& parsed = std::get<Parsed>(result);
    // parse -> serialize -> parse is stable, and the canonical form carries no secret field.
    const auto again = parseSignal(parsed.signal.canonical);
    const auto* second = std::get_if<Parsed>(&again);
    if (!second) fail("canonical form was refused");
    if (second->signal.canonical != parsed.signal.canonical) fail("canonical form is not stable");
    if (second->secret) fail("canonical form holds a secret");
    if (second->signal.sentAtMs != parsed.signal.sentAtMs) fail("sent_at changed in the round trip");
    if (parsed.signal.legs.empty() || parsed.signal.legs.size() > tradehost::host::kMaxLegs) fail("leg count out of range");
    for (const auto& leg : parsed.signal.legs) {
        if (!leg.quantity.isPositive()) fail("quantity not positive");
        if ((leg.type == tradehost::OrderType::Limit) != leg.price.has_value()) fail("price presence wrong for type");
        if (leg.price && !leg.price->isPositive()) fail("price not positive");
        if (leg.symbol.empty()) fail("empty symbol");
    }
    return 0;
}
