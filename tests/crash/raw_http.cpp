// Raw HTTP over loopback for the intake tests.
#include "raw_http.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <regex>

namespace tradehost::test {

// Raw bytes over TCP: the only way to send what a well-behaved client library refuses to
// (two Content-Lengths, CL with TE, a body shorter than announced). With `early`, the body is
// held back until the server had 300 ms to answer the headers alone (413 without reading it).
RawAnswer rawExchange(unsigned short port, const std::string& head, const std::string& body, bool early,
                      int timeoutMs) {
    RawAnswer a;
    try {
        Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
        socket.setReceiveTimeout(Poco::Timespan(static_cast<long>(timeoutMs) * 1000));
        socket.setSendTimeout(Poco::Timespan(static_cast<long>(timeoutMs) * 1000));
        auto sendAll = [&](const std::string& bytes) {
            std::size_t done = 0;
            while (done < bytes.size()) {
                const int n = socket.sendBytes(bytes.data() + done,
                                               static_cast<int>(std::min<std::size_t>(bytes.size() - done, 16384)));
                if (n <= 0) return;
                done += static_cast<std::size_t>(n);
            }
        };
        sendAll(head);
        const bool answered = early && socket.poll(Poco::Timespan(0, 300000), Poco::Net::Socket::SELECT_READ);
        if (!answered) {
            try {
                sendAll(body);
            } catch (const Poco::Exception&) {
                // The server may close before taking the whole body; its answer may still be there.
            }
        }
        char buf[4096];
        for (;;) {
            int n = 0;
            try {
                n = socket.receiveBytes(buf, sizeof buf);
            } catch (const Poco::Exception&) {
                break;
            }
            if (n <= 0) break;
            a.text.append(buf, static_cast<std::size_t>(n));
            const auto end = a.text.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            std::smatch m;
            const std::string headers = a.text.substr(0, end);
            const std::size_t want =
                std::regex_search(headers, m, std::regex("Content-Length: ([0-9]+)", std::regex::icase))
                    ? std::stoul(m[1])
                    : 0;
            if (a.text.size() >= end + 4 + want) break;
        }
    } catch (const Poco::Exception& e) {
        a.text += "transport: " + e.displayText();
    }
    std::smatch m;
    if (std::regex_search(a.text, m, std::regex("^HTTP/1\\.[01] ([0-9]{3})"))) a.status = std::stoi(m[1]);
    return a;
}

std::string post(const std::string& path, const std::string& body, const std::string& extraHeaders) {
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + extraHeaders + "Connection: close\r\n\r\n";
}

// What a signing sender puts in X-Signature (GitHub's scheme): hex HMAC-SHA256 of the body.
std::string hmacHex(const std::string& key, const std::string& body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
         body.size(), digest, &length);
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return hex;
}

std::string flat(const std::string& id, const std::string& secret, const std::string& quantity) {
    return std::string("{") + (secret.empty() ? "" : "\"secret\":\"" + secret + "\",") + "\"signal_id\":\"" + id +
           "\",\"venue\":\"bn\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"type\":\"market\",\"quantity\":" + quantity +
           "}";
}

long journalSeqOf(const RawAnswer& a) {
    std::smatch m;
    return std::regex_search(a.text, m, std::regex("\"journal_seq\":([0-9]+)")) ? std::stol(m[1]) : -1;
}

}  // namespace tradehost::test
