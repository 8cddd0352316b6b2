// Secret-handling primitives: random tokens and comparisons that do not leak timing.
#pragma once

#include <cstddef>
#include <string>

namespace tradehost::host {

// `bytes` random bytes from OpenSSL's CSPRNG, as lower-case hex. Throws std::runtime_error if
// the generator fails.
std::string randomHex(std::size_t bytes);

// Equal, in time independent of where they differ (the lengths may leak).
bool equalsConstantTime(const std::string& a, const std::string& b);

}  // namespace tradehost::host
