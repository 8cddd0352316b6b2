// CRC-32C against published check values (the CRC catalogue and RFC 3720 appendix B.4).
#include "journal/crc32c.h"

#include <catch2/catch.hpp>
#include <string>

using tradehost::host::crc32c;

TEST_CASE("crc32c matches the standard check value", "[crc32c]") {
    CHECK(crc32c("123456789") == 0xE3069283u);
    CHECK(crc32c("") == 0u);
}

TEST_CASE("crc32c matches the iSCSI test vectors", "[crc32c]") {
    std::string ascending, descending;
    for (int i = 0; i < 32; ++i) {
        ascending.push_back(static_cast<char>(i));
        descending.push_back(static_cast<char>(31 - i));
    }
    CHECK(crc32c(std::string(32, '\0')) == 0x8A9136AAu);
    CHECK(crc32c(std::string(32, '\xFF')) == 0x62A8AB43u);
    CHECK(crc32c(ascending) == 0x46DD794Eu);
    CHECK(crc32c(descending) == 0x113FDB5Cu);
}

TEST_CASE("crc32c continues over split input", "[crc32c]") {
    const std::string text = "{\"signal_id\":\"ema-x-BTCUSDT\",\"quantity\":\"0.002\"}";
    const std::size_t split = GENERATE(0u, 1u, 7u, 20u, 47u, 48u);
    REQUIRE(split <= text.size());
    CHECK(crc32c(text.substr(split), crc32c(text.substr(0, split))) == crc32c(text));
}
