// Binance request signing: hex HMAC-SHA256 of totalParams keyed with the API secret (shared with the tests).
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tradehost::binance_emulator {

// Lower-case hex digest, as the docs' test vector prints it.
inline std::string hmacSha256Hex(std::string_view secret, std::string_view payload) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest, &length) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 0x0f];
    }
    return hex;
}

// Binance compares signatures case-insensitively. The loop does not stop at the first
// difference so the answer time says nothing about how much of a guess was right.
inline bool signatureMatches(std::string_view expectedHex, std::string_view given) {
    if (expectedHex.size() != given.size()) return false;
    unsigned diff = 0;
    for (std::size_t i = 0; i < given.size(); ++i) {
        diff |= static_cast<unsigned>(std::tolower(static_cast<unsigned char>(expectedHex[i])) ^
                                      std::tolower(static_cast<unsigned char>(given[i])));
    }
    return diff == 0;
}

}  // namespace tradehost::binance_emulator
