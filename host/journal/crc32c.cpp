// CRC-32C, byte-at-a-time from a table built at compile time (fast enough: an fdatasync costs
// far more than checksumming the records it covers).
#include "journal/crc32c.h"

#include <array>

namespace tradehost::host {
namespace {

constexpr std::uint32_t kCastagnoliReflected = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> makeTable() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ kCastagnoliReflected : c >> 1;
        table[i] = c;
    }
    return table;
}

constexpr std::array<std::uint32_t, 256> kTable = makeTable();

}  // namespace

std::uint32_t crc32c(std::string_view data, std::uint32_t crc) {
    std::uint32_t c = ~crc;
    for (const char ch : data) c = kTable[(c ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (c >> 8);
    return ~c;
}

}  // namespace tradehost::host
