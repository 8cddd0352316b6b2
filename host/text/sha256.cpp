// SHA-256 in one place (OpenSSL's one-shot digest).
#include "text/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace tradehost::host {

namespace {

// Fetched once: OpenSSL 3 looks the algorithm up in its providers on every EVP_sha256() use
// otherwise, which costs more than hashing a short event line.
const EVP_MD* sha256Algorithm() {
    static const EVP_MD* const md = [] {
        const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        if (!fetched) throw std::runtime_error("OpenSSL has no SHA-256 (EVP_MD_fetch)");
        return fetched;
    }();
    return md;
}

}  // namespace

Sha256Digest sha256(std::string_view bytes) {
    Sha256Digest d{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), d.data(), &length, sha256Algorithm(), nullptr) != 1 ||
        length != d.size())
        throw std::runtime_error("SHA-256 failed (OpenSSL EVP_Digest)");
    return d;
}

std::string sha256Hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    const Sha256Digest d = sha256(bytes);
    std::string out(64, '0');
    for (std::size_t i = 0; i < d.size(); ++i) {
        out[2 * i] = kHex[d[i] >> 4];
        out[2 * i + 1] = kHex[d[i] & 15];
    }
    return out;
}

}  // namespace tradehost::host
