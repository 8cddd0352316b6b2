// How the Telegram sink reaches the Bot API: an interface, its HTTPS implementation, and redaction.
#include "telegram_transport.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <sys/socket.h>

#include <algorithm>
#include <stdexcept>

namespace tradehost::telegram {

// Poco connects inside sendRequest(), where a failure could come before or after bytes of the
// request left. Connecting as a step of its own makes "nothing was sent" provable.
class BotSession {
public:
    virtual ~BotSession() = default;
    virtual Poco::Net::HTTPClientSession& http() = 0;
    virtual void connectNow() = 0;
};

namespace {

template <class Base>
class BotSessionOf final : public Base, public BotSession {
public:
    template <class... Args>
    explicit BotSessionOf(Args&&... args) : Base(std::forward<Args>(args)...) {}
    Poco::Net::HTTPClientSession& http() override { return *this; }
    void connectNow() override {
        if (!this->connected()) this->reconnect();
    }
};

std::string replaceAll(std::string text, const std::string& what, const std::string& with) {
    if (what.empty()) return text;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
        text.replace(at, what.size(), with);
    return text;
}

}  // namespace

std::string redact(std::string text, const std::string& token) {
    if (token.empty()) return text;
    text = replaceAll(std::move(text), token, "<token>");
    std::string encoded;
    Poco::URI::encode(token, ":/?#[]@!$&'()*+,;=", encoded);
    if (encoded != token) text = replaceAll(std::move(text), encoded, "<token>");
    return text;
}

HttpsBotTransport::HttpsBotTransport(HttpsConfig config) : config_(std::move(config)) {
    Poco::URI uri;
    try {
        uri = Poco::URI(config_.baseUrl);
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("base_url is not a URL: '" + config_.baseUrl + "'");
    }
    scheme_ = uri.getScheme();
    host_ = uri.getHost();
    port_ = uri.getPort();
    pathPrefix_ = uri.getPath();
    while (!pathPrefix_.empty() && pathPrefix_.back() == '/') pathPrefix_.pop_back();
    if ((scheme_ != "https" && scheme_ != "http") || host_.empty())
        throw std::invalid_argument("base_url must be https://host[:port] (or http:// for a local stand-in), got '" +
                                    config_.baseUrl + "'");
    if (scheme_ == "https") {
        // Built in code, verifying the peer against the system CAs (plus ca_file): no SSLManager
        // defaults, no process-wide handler installed from inside a plugin.
        tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", config_.caFile,
                                      Poco::Net::Context::VERIFY_RELAXED, 9, true, "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
    }
}

HttpsBotTransport::~HttpsBotTransport() { close(); }

void HttpsBotTransport::abort() noexcept {
    std::lock_guard<std::mutex> lock(abortMutex_);
    aborted_ = true;
    // shutdown(2), not close: the descriptor stays ours until post() closes it, and a blocked
    // poll/recv on it wakes at once.
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void HttpsBotTransport::close() noexcept {
    {
        std::lock_guard<std::mutex> lock(abortMutex_);
        fd_ = -1;
    }
    if (!session_) return;
    try {
        session_->http().reset();
    } catch (...) {
    }
    session_.reset();
}

HttpReply HttpsBotTransport::post(const std::string& method, const std::string& jsonBody) {
    HttpReply reply;
    {
        std::lock_guard<std::mutex> lock(abortMutex_);
        fd_ = -1;  // the idle check below may close it; it is set again once connected
        if (aborted_) {
            reply.transport = HttpReply::Transport::NotSent;
            reply.reason = "stopped";
            return reply;
        }
    }
    if (!session_) {
        if (tls_)
            session_ = std::make_unique<BotSessionOf<Poco::Net::HTTPSClientSession>>(host_, port_, tls_);
        else
            session_ = std::make_unique<BotSessionOf<Poco::Net::HTTPClientSession>>(host_, port_);
        // Over TLS, Poco 1.11 waits the receive timeout twice (see the Binance rest client).
        const std::int64_t answerMs = config_.answerTimeoutMs > 0 ? config_.answerTimeoutMs : config_.requestTimeoutMs;
        const std::int64_t receiveMs = tls_ ? std::max<std::int64_t>(1, answerMs / 2) : answerMs;
        session_->http().setTimeout(Poco::Timespan(config_.requestTimeoutMs * 1000),
                                    Poco::Timespan(config_.requestTimeoutMs * 1000), Poco::Timespan(receiveMs * 1000));
        session_->http().setKeepAlive(true);
        session_->http().setKeepAliveTimeout(Poco::Timespan(30, 0));
    }
    Poco::Net::HTTPClientSession& http = session_->http();
    // A kept-alive connection the server closed while idle reads as readable: writing into it
    // would only turn a clean "not sent" into "no answer".
    try {
        if (http.connected() && http.socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ)) http.reset();
    } catch (const std::exception&) {
        http.reset();
    }
    bool connected = false;
    try {
        session_->connectNow();
        connected = true;
    } catch (const Poco::Net::ConnectionRefusedException& e) {
        reply.reason = "connection refused: " + e.displayText();
    } catch (const Poco::Net::DNSException& e) {
        reply.reason = "host not found: " + e.displayText();
    } catch (const Poco::Net::SSLException& e) {
        reply.reason = "TLS handshake failed: " + e.displayText();
    } catch (const Poco::TimeoutException& e) {
        reply.reason = "connect timeout: " + e.displayText();
    } catch (const Poco::Exception& e) {
        reply.reason = "cannot connect: " + e.displayText();
    } catch (const std::exception& e) {
        reply.reason = std::string("cannot connect: ") + e.what();
    }
    if (!connected) {
        reply.transport = HttpReply::Transport::NotSent;
        reply.reason = redact(reply.reason, config_.token);
        close();
        return reply;
    }
    bool stopped = false;
    {
        std::lock_guard<std::mutex> lock(abortMutex_);
        stopped = aborted_;
        if (!stopped) fd_ = static_cast<int>(http.socket().impl()->sockfd());
    }
    if (stopped) {
        reply.transport = HttpReply::Transport::NotSent;
        reply.reason = "stopped";
        close();
        return reply;
    }
    try {
        // The token is in the path: it must never reach a log or an error text (see redact()).
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST,
                                       pathPrefix_ + "/bot" + config_.token + "/" + method,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setKeepAlive(true);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(jsonBody.size()));
        std::ostream& out = http.sendRequest(request);
        out << jsonBody;
        Poco::Net::HTTPResponse response;
        std::istream& in = http.receiveResponse(response);
        Poco::StreamCopier::copyToString(in, reply.body);
        reply.transport = HttpReply::Transport::Answered;
        reply.status = static_cast<int>(response.getStatus());
        if (!response.getKeepAlive()) close();
    } catch (const Poco::TimeoutException& e) {
        reply.transport = HttpReply::Transport::NoAnswer;
        reply.reason = "timeout: " + e.displayText();
        close();
    } catch (const Poco::Exception& e) {
        reply.transport = HttpReply::Transport::NoAnswer;
        reply.reason = e.displayText();
        close();
    } catch (const std::exception& e) {
        reply.transport = HttpReply::Transport::NoAnswer;
        reply.reason = e.what();
        close();
    }
    reply.reason = redact(reply.reason, config_.token);
    return reply;
}

}  // namespace tradehost::telegram
