// SHA-256 in one place (OpenSSL's: a tenth of the instructions of Poco's SHA2Engine per event
// line, where the event log's hash chain and intake's payload digests spend them).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tradehost::host {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::string_view bytes);
// Lower-case hex of the digest, 64 characters.
std::string sha256Hex(std::string_view bytes);

}  // namespace tradehost::host
