// Signed fapi REST calls over kept-alive HTTPS connections, with clock sync and rate-limit state.
#include "rest_client.h"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "responses.h"
#include "signer.h"

namespace tradehost::binance {

using Poco::Net::HTTPClientSession;

// Poco connects inside sendRequest(), where a failure could come before or after bytes of the
// request left. Connecting first, as a step of its own, makes "nothing was sent" provable: a
// failure there (refused, no such host, TLS handshake, connect timeout) happened before any byte
// of the request was written.
class PooledSession {
public:
    virtual ~PooledSession() = default;
    virtual HTTPClientSession& http() = 0;
    // Opens the connection unless a kept-alive one is open; throws what connecting throws.
    virtual void connectNow() = 0;
    // Open, and Poco would reuse it as it is (not past its keep-alive time, no "Connection:
    // close" from the server), so sendRequest() will not reconnect on its own.
    virtual bool reusable() const = 0;
};

namespace {

template <class Base>
class PooledSessionOf final : public Base, public PooledSession {
public:
    template <class... Args>
    explicit PooledSessionOf(Args&&... args) : Base(std::forward<Args>(args)...) {}
    HTTPClientSession& http() override { return *this; }
    void connectNow() override {
        if (!this->connected()) this->reconnect();
    }
    bool reusable() const override { return this->connected() && !this->mustReconnect(); }
};

// A kept-alive connection that is readable while idle was closed by the server (or holds bytes
// nobody asked for): writing an order into it would make its fate unknown, so it is dropped.
bool closedByPeer(PooledSession& session) {
    try {
        return session.http().socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ);
    } catch (const std::exception&) {
        return true;
    }
}

std::optional<std::int64_t> headerInt(const Poco::Net::HTTPResponse& response, const std::string& name) {
    if (!response.has(name)) return std::nullopt;
    try {
        return std::stoll(response.get(name));
    } catch (const std::exception&) {
        return std::nullopt;  // a malformed header must not turn an answered request into Unknown
    }
}

std::string seconds(std::int64_t ms) { return std::to_string((ms + 999) / 1000) + " s"; }

// A failed sync is retried at most this often by signed requests (start() and -1021 always try).
constexpr std::int64_t kClockResyncRetryMs = 10000;
constexpr std::int64_t kWeightWindowMs = 60000;
constexpr std::int64_t kOrderWindowMs = 10000;

}  // namespace

RestClient::RestClient(RestConfig config, Logger& logger, Metrics& metrics)
    : config_(std::move(config)), logger_(logger), metrics_(metrics) {
    const Poco::URI uri(config_.baseUrl);
    scheme_ = uri.getScheme();
    host_ = uri.getHost();
    port_ = uri.getPort();
    if ((scheme_ != "https" && scheme_ != "http") || host_.empty())
        throw std::invalid_argument("base_url must be https://host[:port] (or http:// for a local emulator), got '" +
                                    config_.baseUrl + "'");
    if (scheme_ == "https") {
        // Built in code, verifying the peer against the system CAs (plus ca_file): no SSLManager
        // defaults, no process-wide handler installed from inside a plugin.
        tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", config_.caFile,
                                      Poco::Net::Context::VERIFY_RELAXED, 9, true, "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
    }
}

RestClient::~RestClient() = default;

std::int64_t RestClient::nowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string RestClient::encode(const Params& params) {
    std::string out;
    for (const auto& [k, v] : params) {
        if (!out.empty()) out += '&';
        out += formEncode(k) + "=" + formEncode(v);
    }
    return out;
}

std::unique_ptr<PooledSession> RestClient::borrow() {
    for (;;) {
        std::unique_ptr<PooledSession> idle;
        {
            std::lock_guard<std::mutex> lock(poolMutex_);
            if (idle_.empty()) break;
            idle = std::move(idle_.back());
            idle_.pop_back();
        }
        if (idle->reusable() && !closedByPeer(*idle)) return idle;
        // Stale or closed: a new session, rather than letting Poco reconnect inside sendRequest().
    }
    std::unique_ptr<PooledSession> s;
    if (tls_)
        s = std::make_unique<PooledSessionOf<Poco::Net::HTTPSClientSession>>(host_, port_, tls_);
    else
        s = std::make_unique<PooledSessionOf<HTTPClientSession>>(host_, port_);
    HTTPClientSession& http = s->http();
    // Over TLS, Poco 1.11 waits the receive timeout twice (the socket's SO_RCVTIMEO, then its
    // own poll after SSL_read wants more data): measured 2.0 s for a 1 s setting. Halve it so
    // request_timeout_ms bounds the wait as documented.
    const std::int64_t receiveMs =
        tls_ ? std::max<std::int64_t>(1, config_.requestTimeoutMs / 2) : config_.requestTimeoutMs;
    http.setTimeout(Poco::Timespan(config_.connectTimeoutMs * 1000), Poco::Timespan(config_.requestTimeoutMs * 1000),
                    Poco::Timespan(receiveMs * 1000));
    http.setKeepAlive(true);
    // Reconnect rather than reuse a connection the server may have closed while idle: a request
    // written into a dead connection is an order whose fate is unknown. Poco counts the time from
    // the session's creation until the first request, so the keep-alive time also outlasts the
    // connect timeout: a slow connect must not make sendRequest() connect a second time.
    http.setKeepAliveTimeout(Poco::Timespan(std::max<std::int64_t>(4000, config_.connectTimeoutMs + 1000) * 1000));
    return s;
}

void RestClient::giveBack(std::unique_ptr<PooledSession> session) {
    std::lock_guard<std::mutex> lock(poolMutex_);
    if (idle_.size() < 8) idle_.push_back(std::move(session));
}

std::optional<RestClient::Hold> RestClient::heldBack(bool weighted, bool orderWeighted) {
    const std::int64_t now = nowMs() + offsetMs_;
    std::lock_guard<std::mutex> lock(limitsMutex_);
    if (now < bannedUntilMs_) {
        const std::int64_t left = bannedUntilMs_ - now;
        return Hold{"rate limited by the venue: no request until " + seconds(left) + " from now", left};
    }
    // Slow down before the limit rather than earn a 429 (and then a 418 ban).
    if (weighted && usedWeightMinute_ == now / kWeightWindowMs &&
        usedWeight_ * 100 >= config_.weightLimitPerMinute * 95) {
        return Hold{"request weight " + std::to_string(usedWeight_) + " of " +
                        std::to_string(config_.weightLimitPerMinute) +
                        " used this minute; holding back until the next minute",
                    kWeightWindowMs - now % kWeightWindowMs};
    }
    if (orderWeighted) {
        if (now < ordersHeldUntilMs_) {
            const std::int64_t left = ordersHeldUntilMs_ - now;
            return Hold{
                "the venue refused new orders (-1015 too many orders): none until " + seconds(left) + " from now",
                left};
        }
        const std::int64_t window = now / kOrderWindowMs;
        if (orderCountWindow_ != window) {
            orderCountWindow_ = window;
            orderCount10s_ = 0;
        }
        if (orderCount10s_ * 100 >= config_.orderLimitPer10s * 95) {
            return Hold{"order count " + std::to_string(orderCount10s_) + " of " +
                            std::to_string(config_.orderLimitPer10s) +
                            " used in this 10 s window; holding back until it rolls",
                        kOrderWindowMs - now % kOrderWindowMs};
        }
        ++orderCount10s_;  // this order's place, until the venue's header says the count
    }
    return std::nullopt;
}

std::int64_t RestClient::readLimits(const Poco::Net::HTTPResponse& response, const std::string& body) {
    const std::int64_t now = nowMs() + offsetMs_;
    const int status = static_cast<int>(response.getStatus());
    std::lock_guard<std::mutex> lock(limitsMutex_);
    if (const auto weight = headerInt(response, "X-MBX-USED-WEIGHT-1M")) {
        usedWeight_ = *weight;
        usedWeightMinute_ = now / kWeightWindowMs;
        metrics_.set("used_weight_1m", usedWeight_);
    }
    if (const auto count = headerInt(response, "X-MBX-ORDER-COUNT-10S")) {
        const std::int64_t window = now / kOrderWindowMs;
        // Answers overtake each other: within a window, never count down below what was sent.
        orderCount10s_ = orderCountWindow_ == window ? std::max(orderCount10s_, *count) : *count;
        orderCountWindow_ = window;
        metrics_.set("order_count_10s", *count);
    }
    if (const auto count = headerInt(response, "X-MBX-ORDER-COUNT-1M")) metrics_.set("order_count_1m", *count);
    if (status != 429 && status != 418) return 0;

    const std::optional<std::int64_t> retryAfterS = headerInt(response, "Retry-After");
    const auto error = parseApiError(body);
    if (error && error->code == -1015) {
        // The account's order budget, not the IP's weight: only new orders wait, queries go on.
        // Without Retry-After, until the window the message names rolls over.
        const std::int64_t windowMs = error->msg.find("MINUTE") != std::string::npos ? kWeightWindowMs : kOrderWindowMs;
        const std::int64_t waitMs = retryAfterS ? *retryAfterS * 1000 : windowMs - now % windowMs;
        ordersHeldUntilMs_ = std::max(ordersHeldUntilMs_, now + waitMs);
        metrics_.add("order_limit_hits", 1);
        logger_.warning("HTTP " + std::to_string(status) + " -1015 from the venue: no new order for " +
                        seconds(waitMs));
        return waitMs;
    }
    // 418 "bans start at 2 minutes"; a 429 without Retry-After waits for the weight minute.
    const std::int64_t waitMs = retryAfterS     ? *retryAfterS * 1000
                                : status == 418 ? 120000
                                                : kWeightWindowMs - now % kWeightWindowMs;
    bannedUntilMs_ = std::max(bannedUntilMs_, now + waitMs);
    metrics_.set("banned_until_ms", bannedUntilMs_);
    metrics_.add("rate_limit_hits", 1);
    logger_.warning("HTTP " + std::to_string(status) + " from the venue: no request for " + seconds(waitMs));
    return waitMs;
}

HttpAnswer RestClient::call(const std::string& method, const std::string& path, Params params, Security security,
                            const std::string& tag, bool orderWeighted) {
    HttpAnswer answer;
    const bool weighted = !orderWeighted;  // new orders cost 0 IP weight; everything else costs some
    if (const auto hold = heldBack(weighted, orderWeighted)) {
        answer.transport = HttpAnswer::Transport::NotSent;
        answer.reason = hold->reason;
        answer.retryAfterMs = hold->retryAfterMs;
        metrics_.add("requests_held_back", 1);
        return answer;
    }
    if (security == Security::Signed) {
        const std::int64_t local = nowMs();
        if (local - lastSyncMs_ > config_.clockSyncIntervalS * 1000 &&
            local - lastSyncAttemptMs_ > kClockResyncRetryMs) {
            try {
                syncClock();
            } catch (const std::exception& e) {
                metrics_.add("clock_sync_failures", 1);
                logger_.warning(std::string("clock sync failed, keeping the old offset: ") + e.what());
            }
        }
        params.emplace_back("recvWindow", std::to_string(config_.recvWindowMs));
        params.emplace_back("timestamp", std::to_string(nowMs() + offsetMs_));
    }
    std::string text = encode(params);
    if (security == Security::Signed) {
        // The signature is the last parameter, over exactly the bytes sent.
        text += (text.empty() ? "" : "&") + std::string("signature=") + hmacSha256Hex(config_.apiSecret, text);
    }
    const bool inBody = method == "POST" || method == "PUT";
    Poco::Net::HTTPRequest request(method, inBody || text.empty() ? path : path + "?" + text,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    if (security != Security::None) request.set("X-MBX-APIKEY", config_.apiKey);
    if (inBody) {
        request.setContentType("application/x-www-form-urlencoded");
        request.setContentLength(static_cast<std::streamsize>(text.size()));
    }

    const auto started = std::chrono::steady_clock::now();
    auto session = borrow();
    const bool fresh = !session->http().connected();
    bool connected = false;
    try {
        session->connectNow();
        connected = true;
        if (fresh) metrics_.add("connections_opened", 1);
    } catch (const Poco::Net::ConnectionRefusedException& e) {
        answer.reason = "connection refused: " + e.displayText();
    } catch (const Poco::Net::DNSException& e) {
        answer.reason = "host not found: " + e.displayText();
    } catch (const Poco::Net::SSLException& e) {
        answer.reason = "TLS handshake failed: " + e.displayText();
    } catch (const Poco::TimeoutException& e) {
        answer.reason = "connect timeout: " + e.displayText();
    } catch (const Poco::Exception& e) {
        answer.reason = "cannot connect: " + e.displayText();
    } catch (const std::exception& e) {
        answer.reason = std::string("cannot connect: ") + e.what();
    }
    if (!connected) {
        // Nothing of this request was written.
        answer.transport = HttpAnswer::Transport::NotSent;
        metrics_.add("connect_failures", 1);
    } else {
        HTTPClientSession& http = session->http();
        try {
            std::ostream& out = http.sendRequest(request);
            if (inBody) out << text;
            Poco::Net::HTTPResponse response;
            std::istream& in = http.receiveResponse(response);
            Poco::StreamCopier::copyToString(in, answer.body);
            answer.transport = HttpAnswer::Transport::Answered;
            answer.status = static_cast<int>(response.getStatus());
            answer.retryAfterMs = readLimits(response, answer.body);
            giveBack(std::move(session));
        } catch (const Poco::TimeoutException& e) {
            answer.transport = HttpAnswer::Transport::NoAnswer;
            answer.reason = "timeout: " + e.displayText();
        } catch (const Poco::Exception& e) {
            answer.transport = HttpAnswer::Transport::NoAnswer;
            answer.reason = e.displayText();
        } catch (const std::exception& e) {
            answer.transport = HttpAnswer::Transport::NoAnswer;
            answer.reason = e.what();
        }
    }
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (logger_.enabled(LogLevel::Debug)) {
        logger_.debug(
            method + " " + path + (tag.empty() ? "" : " id=" + tag) + " -> " +
            (answer.transport == HttpAnswer::Transport::Answered ? std::to_string(answer.status) : answer.reason) +
            " (" + std::to_string(ms) + " ms)");
    }
    return answer;
}

void RestClient::syncClock() {
    const std::int64_t before = nowMs();
    lastSyncAttemptMs_ = before;
    const HttpAnswer a = call("GET", "/fapi/v1/time", {}, Security::None);
    const std::int64_t after = nowMs();
    if (a.transport != HttpAnswer::Transport::Answered || a.status != 200)
        throw std::runtime_error("GET /fapi/v1/time failed: " + (a.transport == HttpAnswer::Transport::Answered
                                                                     ? "HTTP " + std::to_string(a.status)
                                                                     : a.reason));
    offsetMs_ = parseServerTime(a.body) - (before + after) / 2;
    lastSyncMs_ = after;
    metrics_.set("clock_offset_ms", offsetMs_);
}

}  // namespace tradehost::binance
