// Signed fapi REST calls over kept-alive HTTPS connections, with clock sync and rate-limit state.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <tradehost/context.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tradehost::binance {

struct RestConfig {
    std::string baseUrl;  // scheme://host[:port], no path
    std::string apiKey;
    std::string apiSecret;
    std::string caFile;  // extra CA to trust (the tests' self-signed emulator); empty: system CAs only
    std::int64_t connectTimeoutMs = 3000;
    std::int64_t requestTimeoutMs = 10000;
    std::int64_t recvWindowMs = 5000;
    std::int64_t weightLimitPerMinute = 2400;
    std::int64_t orderLimitPer10s = 300;
    std::int64_t clockSyncIntervalS = 300;
};

enum class Security { None, ApiKey, Signed };

struct HttpAnswer {
    enum class Transport {
        Answered,  // an HTTP answer came back (any status)
        NotSent,   // provably nothing reached the venue: not connected, or held back by rate limits
        NoAnswer,  // the request may have reached the venue, but no answer came back
    };
    Transport transport = Transport::NoAnswer;
    int status = 0;
    std::string body;
    std::string reason;  // for NotSent / NoAnswer
    // How long before asking again can help, 0 when nothing says: for NotSent because of a hold,
    // the time the hold has left; for a 429/418 (or a -1015) answer, the wait it asked for.
    std::int64_t retryAfterMs = 0;
};

using Params = std::vector<std::pair<std::string, std::string>>;

// A pooled HTTP(S) session that can connect before a request is written (rest_client.cpp).
class PooledSession;

// Thread-safe: each call borrows a connection from a small pool (a new one when all are busy).
// Requests are never retried here; the caller decides, knowing what the request was.
class RestClient {
public:
    RestClient(RestConfig config, Logger& logger, Metrics& metrics);
    ~RestClient();

    // Sends one request. Signed requests get recvWindow, timestamp and a trailing signature.
    // `orderWeighted` marks requests counted by the per-account order limiters. `tag` (a client
    // order id) is used in logs; keys, secrets and signatures never are.
    HttpAnswer call(const std::string& method, const std::string& path, Params params, Security security,
                    const std::string& tag = "", bool orderWeighted = false);

    // Measures serverTime - local midpoint of the round trip. Throws std::runtime_error on failure.
    void syncClock();
    std::int64_t clockOffsetMs() const { return offsetMs_; }

    // Builds the exact query/body text that is signed and sent (exposed for the tests).
    static std::string encode(const Params& params);

private:
    struct Hold {
        std::string reason;
        std::int64_t retryAfterMs = 0;
    };
    // A kept-alive connection when a usable one is idle, else a new one, not yet connected.
    std::unique_ptr<PooledSession> borrow();
    void giveBack(std::unique_ptr<PooledSession> session);
    std::int64_t nowMs() const;
    // Why a request must not be sent now, if so. A new order that may go takes its place in the
    // 10 s budget at once, so concurrent senders cannot overshoot it between two answers.
    std::optional<Hold> heldBack(bool weighted, bool orderWeighted);
    // Reads the limit headers; on a 429/418 (or -1015) sets the hold and returns the wait asked for.
    std::int64_t readLimits(const Poco::Net::HTTPResponse& response, const std::string& body);

    RestConfig config_;
    Logger& logger_;
    Metrics& metrics_;
    std::string scheme_, host_;
    unsigned short port_ = 0;
    Poco::Net::Context::Ptr tls_;

    std::mutex poolMutex_;
    std::vector<std::unique_ptr<PooledSession>> idle_;

    std::atomic<std::int64_t> offsetMs_{0};
    std::atomic<std::int64_t> lastSyncMs_{0};
    std::atomic<std::int64_t> lastSyncAttemptMs_{0};

    // Rate-limit state, on the venue's clock (local + offset). One lock: the order budget is a
    // check-and-reserve, and the values are read together.
    std::mutex limitsMutex_;
    std::int64_t bannedUntilMs_ = 0;      // 429/418: no request at all before this
    std::int64_t ordersHeldUntilMs_ = 0;  // -1015: no new order before this
    std::int64_t usedWeight_ = 0;
    std::int64_t usedWeightMinute_ = 0;  // which minute usedWeight_ was read in
    std::int64_t orderCount10s_ = 0;     // the venue's count, or ours if higher (sent, not yet answered)
    std::int64_t orderCountWindow_ = 0;  // which 10 s window orderCount10s_ belongs to
};

}  // namespace tradehost::binance
