// Raw HTTP over loopback for the intake tests: bytes a well-behaved client library would refuse
// to send, and the signals the crash tests post.
#pragma once

#include <string>

namespace tradehost::test {

struct RawAnswer {
    int status = 0;  // 0: no answer (closed or timed out)
    std::string text;
};

// Raw bytes over TCP: the only way to send what a well-behaved client library refuses to
// (two Content-Lengths, CL with TE, a body shorter than announced). With `early`, the body is
// held back until the server had 300 ms to answer the headers alone (413 without reading it).
RawAnswer rawExchange(unsigned short port, const std::string& head, const std::string& body, bool early = false,
                      int timeoutMs = 8000);

// A POST's head (Connection: close), with `extraHeaders` ("Name: value\r\n"...) before the blank line.
std::string post(const std::string& path, const std::string& body, const std::string& extraHeaders = "");

// What a signing sender puts in X-Signature (GitHub's scheme): hex HMAC-SHA256 of the body.
std::string hmacHex(const std::string& key, const std::string& body);

// A flat market signal for venue "bn" (HostConfig's default), with the body secret when given.
std::string flat(const std::string& id, const std::string& secret, const std::string& quantity = "\"0.002\"");

// The journal_seq of a 202 answer, or -1.
long journalSeqOf(const RawAnswer& a);

}  // namespace tradehost::test
