// `tradehost verify-events FILE`: checks an event log's hash chain and says where it breaks.
#pragma once

#include <ostream>
#include <string>

namespace tradehost::host {

// Prints "<path>: ok, N events, chain intact" to `out` and returns 0; or
// "<path>: line K: <reason>" to `err` and returns 1 when a line is malformed, fails its hash or
// breaks the chain (the first such line is named); or "<path>: cannot open: ..." to `err` and
// returns 2 when the file cannot be read. Read-only and lock-free, so it can check a live log
// (a line being appended at that instant may show up as an incomplete last line).
int runVerifyEvents(const std::string& path, std::ostream& out, std::ostream& err);

}  // namespace tradehost::host
