// Binance request signing: HMAC-SHA256 over the exact bytes sent, as lower-case hex.
#pragma once

#include <string>

namespace tradehost::binance {

// Hex HMAC-SHA256 of `payload` keyed with `secret`. Binance signs totalParams = the query
// string followed directly by the form body (no '&' between them), after percent-encoding.
std::string hmacSha256Hex(const std::string& secret, const std::string& payload);

// application/x-www-form-urlencoded escaping of one key or value (RFC 3986 unreserved kept).
std::string formEncode(const std::string& text);

// Compares two strings in time independent of where they differ (for secrets and signatures).
bool constantTimeEquals(const std::string& a, const std::string& b);

}  // namespace tradehost::binance
