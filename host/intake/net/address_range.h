// An IP address or CIDR range ("203.0.113.7", "10.0.0.0/8", "2001:db8::/32"), and the rule for
// finding a request's client address behind trusted proxies.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tradehost::host {

class AddressRange {
public:
    // nullopt for anything that is not an IPv4/IPv6 address with an optional /prefix in range.
    // An IPv4 range also matches IPv4-mapped IPv6 peers (::ffff:a.b.c.d).
    static std::optional<AddressRange> parse(const std::string& text);
    bool contains(const std::string& address) const;
    const std::string& text() const { return text_; }

private:
    std::string text_;
    std::array<std::uint8_t, 16> bytes_{};  // IPv4 as IPv4-mapped IPv6
    int prefix_ = 128;                      // in bits of the 16-byte form
};

class AddressRanges {
public:
    AddressRanges() = default;
    explicit AddressRanges(std::vector<AddressRange> ranges) : ranges_(std::move(ranges)) {}
    bool empty() const { return ranges_.empty(); }
    bool contains(const std::string& address) const;

private:
    std::vector<AddressRange> ranges_;
};

// The client a request came from: the TCP peer, unless the peer is a trusted proxy; then the
// X-Forwarded-For entries are read right to left and the first address that is not a trusted
// proxy is the client (the leftmost entries are whatever the client chose to send, never
// believed). nullopt when the header is unreadable or holds only trusted proxies.
std::optional<std::string> clientAddress(const std::string& peer, const std::string* forwardedFor,
                                         const AddressRanges& trustedProxies);

}  // namespace tradehost::host
