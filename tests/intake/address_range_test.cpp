// Addresses and CIDR ranges for allow_ips / trusted_proxies, and the client behind a proxy.
#include "intake/net/address_range.h"

#include <catch2/catch.hpp>

using namespace tradehost::host;

TEST_CASE("addresses and CIDR ranges parse; anything else does not") {
    for (const char* good : {"127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::1", "2001:db8::/32", "::/0", "1.2.3.4/32"})
        CHECK(AddressRange::parse(good));
    for (const char* bad : {"", "not-an-ip", "10.0.0.0/33", "::1/129", "1.2.3.4/", "1.2.3.4/-1", "1.2.3", "1.2.3.4/8x",
                            "1.2.3.4 ", "localhost"})
        CHECK_FALSE(AddressRange::parse(bad));
}

TEST_CASE("a range matches the addresses in it, IPv4-mapped IPv6 peers included") {
    const auto loop = *AddressRange::parse("127.0.0.0/8");
    CHECK(loop.contains("127.0.0.1"));
    CHECK(loop.contains("127.255.3.4"));
    CHECK(loop.contains("::ffff:127.0.0.1"));
    CHECK_FALSE(loop.contains("128.0.0.1"));
    CHECK_FALSE(loop.contains("::1"));
    const auto odd = *AddressRange::parse("192.168.1.128/25");
    CHECK(odd.contains("192.168.1.200"));
    CHECK_FALSE(odd.contains("192.168.1.127"));
    const auto v6 = *AddressRange::parse("2001:db8::/32");
    CHECK(v6.contains("2001:db8:1::5"));
    CHECK_FALSE(v6.contains("2001:db9::5"));
    const auto one = *AddressRange::parse("203.0.113.7");
    CHECK(one.contains("203.0.113.7"));
    CHECK_FALSE(one.contains("203.0.113.8"));
    CHECK_FALSE(one.contains("garbage"));
}

TEST_CASE("X-Forwarded-For is believed only from trusted proxies, read from the right") {
    const AddressRanges proxies({*AddressRange::parse("10.0.0.0/8")});
    const std::string forwarded = "198.51.100.7";
    // Not from a proxy: the peer is the client, whatever the header says.
    CHECK(clientAddress("203.0.113.9", &forwarded, proxies) == "203.0.113.9");
    // From a proxy: the header's entry.
    CHECK(clientAddress("10.1.2.3", &forwarded, proxies) == "198.51.100.7");
    // A client's forged entries on the left are skipped: the rightmost untrusted one counts.
    const std::string chain = "1.1.1.1, 198.51.100.7, 10.9.9.9";
    CHECK(clientAddress("10.1.2.3", &chain, proxies) == "198.51.100.7");
    // The proxy itself asking (no header): the proxy is the client.
    CHECK(clientAddress("10.1.2.3", nullptr, proxies) == "10.1.2.3");
    // Unreadable, or only proxies: nobody to believe.
    const std::string junk = "198.51.100.7, not-an-ip";
    CHECK_FALSE(clientAddress("10.1.2.3", &junk, proxies));
    const std::string onlyProxies = "10.0.0.5";
    CHECK_FALSE(clientAddress("10.1.2.3", &onlyProxies, proxies));
    // No trusted proxies at all: never believed.
    CHECK(clientAddress("10.1.2.3", &forwarded, AddressRanges()) == "10.1.2.3");
}
