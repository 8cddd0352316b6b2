// Signed fapi REST calls over kept-alive HTTPS connections, with clock sync and rate-limit state.
#include "rest_client.h"

#include <algorithm>
#include <stdexcept>

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "responses.h"
#include "signer.h"

namespace tradehost::binance {

using Poco::Net::HTTPClientSession;

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
                                      Poco::Net::Context::VERIFY_RELAXED, 9, true,
                                      "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
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

std::unique_ptr<HTTPClientSession> RestClient::borrow() {
    {
        std::lock_guard<std::mutex> lock(poolMutex_);
        if (!idle_.empty()) {
            auto s = std::move(idle_.back());
            idle_.pop_back();
            return s;
        }
    }
    std::unique_ptr<HTTPClientSession> s;
    if (tls_) s = std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, tls_);
    else s = std::make_unique<HTTPClientSession>(host_, port_);
    // Over TLS, Poco 1.11 waits the receive timeout twice (the socket's SO_RCVTIMEO, then its
    // own poll after SSL_read wants more data): measured 2.0 s for a 1 s setting. Halve it so
    // request_timeout_ms bounds the wait as documented.
    const std::int64_t receiveMs = tls_ ? std::max<std::int64_t>(1, config_.requestTimeoutMs / 2) : config_.requestTimeoutMs;
    s->setTimeout(Poco::Timespan(config_.connectTimeoutMs * 1000), Poco::Timespan(config_.requestTimeoutMs * 1000),
                  Poco::Timespan(receiveMs * 1000));
    s->setKeepAlive(true);
    // Reconnect rather than reuse a connection the server may have closed while idle: a request
    // written into a dead connection is an order whose fate is unknown.
    s->setKeepAliveTimeout(Poco::Timespan(4, 0));
    return s;
}

void RestClient::giveBack(std::unique_ptr<HTTPClientSession> session) {
    std::lock_guard<std::mutex> lock(poolMutex_);
    if (idle_.size() < 8) idle_.push_back(std::move(session));
}

std::string RestClient::heldBack(bool weighted, bool orderWeighted) {
    const std::int64_t now = nowMs() + offsetMs_;
    if (now < bannedUntilMs_)
        return "rate limited by the venue: no request until " + std::to_string((bannedUntilMs_ - now + 999) / 1000) + " s from now";
    // Slow down before the limit rather than earn a 429 (and then a 418 ban).
    if (weighted && usedWeightMinute_ == now / 60000 && usedWeight_ * 100 >= config_.weightLimitPerMinute * 95)
        return "request weight " + std::to_string(usedWeight_) + " of " + std::to_string(config_.weightLimitPerMinute) +
               " used this minute; holding back until the next minute";
    if (orderWeighted && orderCountWindow_ == now / 10000 && orderCount10s_ * 100 >= config_.orderLimitPer10s * 95)
        return "order count " + std::to_string(orderCount10s_) + " of " + std::to_string(config_.orderLimitPer10s) +
               " used in this 10 s window; holding back";
    return "";
}

void RestClient::readLimits(const Poco::Net::HTTPResponse& response) {
    const std::int64_t now = nowMs() + offsetMs_;
    if (response.has("X-MBX-USED-WEIGHT-1M")) {
        usedWeight_ = std::stoll(response.get("X-MBX-USED-WEIGHT-1M"));
        usedWeightMinute_ = now / 60000;
        metrics_.set("used_weight_1m", usedWeight_);
    }
    if (response.has("X-MBX-ORDER-COUNT-10S")) {
        orderCount10s_ = std::stoll(response.get("X-MBX-ORDER-COUNT-10S"));
        orderCountWindow_ = now / 10000;
        metrics_.set("order_count_10s", orderCount10s_);
    }
    if (response.has("X-MBX-ORDER-COUNT-1M")) metrics_.set("order_count_1m", std::stoll(response.get("X-MBX-ORDER-COUNT-1M")));
    const int status = static_cast<int>(response.getStatus());
    if (status == 429 || status == 418) {
        std::int64_t retryAfterS = status == 418 ? 120 : 60;  // bans start at 2 minutes
        if (response.has("Retry-After")) {
            try {
                retryAfterS = std::stoll(response.get("Retry-After"));
            } catch (const std::exception&) {
            }
        }
        bannedUntilMs_ = now + retryAfterS * 1000;
        metrics_.set("banned_until_ms", bannedUntilMs_);
        metrics_.add("rate_limit_hits", 1);
        logger_.warning("HTTP " + std::to_string(status) + " from the venue: no request for " + std::to_string(retryAfterS) + " s");
    }
}

HttpAnswer RestClient::call(const std::string& method, const std::string& path, Params params, Security security,
                            const std::string& tag, bool orderWeighted) {
    HttpAnswer answer;
    const bool weighted = !orderWeighted;  // new orders cost 0 IP weight; everything else costs some
    if (std::string why = heldBack(weighted, orderWeighted); !why.empty()) {
        answer.transport = HttpAnswer::Transport::NotSent;
        answer.reason = why;
        metrics_.add("requests_held_back", 1);
        return answer;
    }
    if (security == Security::Signed) {
        if (nowMs() - lastSyncMs_ > config_.clockSyncIntervalS * 1000) {
            try {
                syncClock();
            } catch (const std::exception& e) {
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
    const bool fresh = !session->connected();
    bool written = false;
    try {
        std::ostream& out = session->sendRequest(request);
        if (inBody) out << text;
        written = true;
        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        Poco::StreamCopier::copyToString(in, answer.body);
        answer.transport = HttpAnswer::Transport::Answered;
        answer.status = static_cast<int>(response.getStatus());
        readLimits(response);
        giveBack(std::move(session));
    } catch (const Poco::Net::ConnectionRefusedException& e) {
        answer.transport = HttpAnswer::Transport::NotSent;
        answer.reason = "connection refused: " + e.displayText();
    } catch (const Poco::Net::HostNotFoundException& e) {
        answer.transport = HttpAnswer::Transport::NotSent;
        answer.reason = "host not found: " + e.displayText();
    } catch (const Poco::Net::SSLException& e) {
        // A failed handshake on a new connection happens before any request byte is written.
        answer.transport = fresh && !written ? HttpAnswer::Transport::NotSent : HttpAnswer::Transport::NoAnswer;
        answer.reason = "TLS: " + e.displayText();
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
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (logger_.enabled(LogLevel::Debug)) {
        logger_.debug(method + " " + path + (tag.empty() ? "" : " id=" + tag) + " -> " +
                      (answer.transport == HttpAnswer::Transport::Answered ? std::to_string(answer.status) : answer.reason) +
                      " (" + std::to_string(ms) + " ms)");
    }
    return answer;
}

void RestClient::syncClock() {
    const std::int64_t before = nowMs();
    const HttpAnswer a = call("GET", "/fapi/v1/time", {}, Security::None);
    const std::int64_t after = nowMs();
    if (a.transport != HttpAnswer::Transport::Answered || a.status != 200)
        throw std::runtime_error("GET /fapi/v1/time failed: " +
                                 (a.transport == HttpAnswer::Transport::Answered ? "HTTP " + std::to_string(a.status) : a.reason));
    offsetMs_ = parseServerTime(a.body) - (before + after) / 2;
    lastSyncMs_ = after;
    metrics_.set("clock_offset_ms", offsetMs_);
}

}  // namespace tradehost::binance
