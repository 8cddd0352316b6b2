// An IP address or CIDR range, and the rule for finding a request's client behind trusted proxies.
#include "intake/net/address_range.h"

#include <arpa/inet.h>

#include <cstring>

namespace tradehost::host {
namespace {

// The 16-byte form of an address (IPv4 as ::ffff:a.b.c.d); false if `text` is not an address.
bool toBytes(const std::string& text, std::array<std::uint8_t, 16>& out, bool& wasV4) {
    in_addr v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        out.fill(0);
        out[10] = 0xff;
        out[11] = 0xff;
        std::memcpy(out.data() + 12, &v4, 4);
        wasV4 = true;
        return true;
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
        std::memcpy(out.data(), &v6, 16);
        wasV4 = false;
        return true;
    }
    return false;
}

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::optional<AddressRange> AddressRange::parse(const std::string& text) {
    AddressRange r;
    r.text_ = text;
    const auto slash = text.find('/');
    bool v4 = false;
    if (!toBytes(text.substr(0, slash), r.bytes_, v4)) return std::nullopt;
    const int width = v4 ? 32 : 128;
    int prefix = width;
    if (slash != std::string::npos) {
        const std::string digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        prefix = std::stoi(digits);
        if (prefix > width) return std::nullopt;
    }
    r.prefix_ = prefix + (v4 ? 96 : 0);
    // Bits past the prefix are ignored ("10.1.2.3/8" is 10.0.0.0/8), as most tools read them.
    for (int bit = r.prefix_; bit < 128; ++bit) r.bytes_[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    return r;
}

bool AddressRange::contains(const std::string& address) const {
    std::array<std::uint8_t, 16> b{};
    bool v4 = false;
    if (!toBytes(address, b, v4)) return false;
    const int whole = prefix_ / 8;
    if (std::memcmp(b.data(), bytes_.data(), static_cast<std::size_t>(whole)) != 0) return false;
    const int rest = prefix_ % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
    return (b[static_cast<std::size_t>(whole)] & mask) == bytes_[static_cast<std::size_t>(whole)];
}

bool AddressRanges::contains(const std::string& address) const {
    for (const auto& r : ranges_)
        if (r.contains(address)) return true;
    return false;
}

std::optional<std::string> clientAddress(const std::string& peer, const std::string* forwardedFor,
                                         const AddressRanges& trustedProxies) {
    if (!trustedProxies.contains(peer)) return peer;
    if (!forwardedFor) return peer;  // the proxy itself is the client (a health check, say)
    std::string rest = *forwardedFor;
    for (;;) {
        const auto comma = rest.rfind(',');
        const std::string entry = trim(comma == std::string::npos ? rest : rest.substr(comma + 1));
        std::array<std::uint8_t, 16> b{};
        bool v4 = false;
        if (!toBytes(entry, b, v4)) return std::nullopt;
        if (!trustedProxies.contains(entry)) return entry;
        if (comma == std::string::npos) return std::nullopt;
        rest.erase(comma);
    }
}

}  // namespace tradehost::host
