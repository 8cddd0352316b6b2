// CRC-32C (Castagnoli), the per-record checksum of the journal.
#pragma once

#include <cstdint>
#include <string_view>

namespace tradehost::host {

// CRC-32C of `data` (reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF: the
// iSCSI / ext4 / LevelDB variant; check value of "123456789" is 0xE3069283). Pass the result of
// an earlier call as `crc` to continue over data split into pieces: crc32c(b, crc32c(a)) equals
// crc32c(a + b). Castagnoli rather than zlib's CRC-32 because it detects more error patterns in
// short records, and because zlib is not among our dependencies.
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0);

}  // namespace tradehost::host
