// How the Telegram sink reaches the Bot API: an interface, its HTTPS implementation, and redaction.
#pragma once

#include <Poco/Net/Context.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace tradehost::telegram {

// An HTTP(S) session that can connect before a request is written (telegram_transport.cpp).
class BotSession;

struct HttpReply {
    enum class Transport {
        Answered,  // an HTTP answer came back (any status)
        NotSent,   // nothing reached the server (connect or TLS handshake failed)
        NoAnswer,  // the request may have reached the server, but no answer came back
    };
    Transport transport = Transport::NoAnswer;
    int status = 0;
    std::string body;
    std::string reason;  // for NotSent / NoAnswer; never contains the token
};

// One POST of a JSON body to a Bot API method. Implementations never put the token in `reason`.
class BotTransport {
public:
    virtual ~BotTransport() = default;
    // `method` is e.g. "sendMessage"; the implementation builds /bot<token>/<method>.
    virtual HttpReply post(const std::string& method, const std::string& jsonBody) = 0;
};

// Replaces every occurrence of `token` (and its URL-encoded form) in `text` with "<token>".
std::string redact(std::string text, const std::string& token);

struct HttpsConfig {
    std::string baseUrl;  // scheme://host[:port][/prefix]
    std::string token;
    std::string caFile;  // extra CA to trust (a test emulator's certificate); empty: system CAs only
    std::int64_t requestTimeoutMs = 10000;
    // How long an answer may take once the request is written; 0: requestTimeoutMs. A getUpdates
    // long poll needs its timeout on top.
    std::int64_t answerTimeoutMs = 0;
};

// A kept-alive connection to the Bot API, reopened after any failure. Not thread-safe (the host
// calls send() from one thread at a time per instance), except abort().
class HttpsBotTransport final : public BotTransport {
public:
    explicit HttpsBotTransport(HttpsConfig config);  // throws std::invalid_argument for a bad base_url
    ~HttpsBotTransport() override;
    HttpReply post(const std::string& method, const std::string& jsonBody) override;
    void close() noexcept;
    // From any thread: the request in progress (a long poll) ends at once as NoAnswer, and every
    // later post() is NotSent. Shuts the socket down without touching its TLS state, which belongs
    // to the thread in post().
    void abort() noexcept;

private:
    HttpsConfig config_;
    std::string scheme_, host_, pathPrefix_;
    unsigned short port_ = 0;
    Poco::Net::Context::Ptr tls_;
    std::unique_ptr<BotSession> session_;
    std::mutex abortMutex_;  // guards fd_ and aborted_ against abort()
    int fd_ = -1;            // the connected socket, while post() may block on it
    bool aborted_ = false;
};

}  // namespace tradehost::telegram
