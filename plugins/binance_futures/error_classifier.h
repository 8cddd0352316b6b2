// Decides, once, what a Binance answer to an order request means: rejected, deferred, unknown, or exists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tradehost::binance {

enum class OrderErrorClass {
    Rejected,  // the order certainly does not exist, and sending it again cannot help
    Deferred,  // the order certainly does not exist, and the same order may go later (a limit, a hold,
               // a certain failure before the matching engine): the host keeps it queued
    Unknown,   // it may exist: reconcile by querying before anything else
    Exists,    // -4116: an open order already holds this client order id; query and adopt it
};

// The class, and for Deferred the wait before the host may try again.
struct OrderVerdict {
    OrderErrorClass kind = OrderErrorClass::Unknown;
    std::int64_t retryAfterMs = 0;  // Deferred only
};

// Waits for the Deferred rows that carry no wait of their own.
// Not connected (refused, DNS, TLS handshake): long enough not to hammer a venue that is down,
// short enough that a restart costs a second.
constexpr std::int64_t kNotConnectedRetryMs = 1000;
// A7 503 "Service Unavailable." and -1008: "retry with backoff (e.g. 200 -> 400 -> 800 ms)"; the
// host owns the retries, so one short step.
constexpr std::int64_t kOverloadRetryMs = 500;
// -1021 after the clock re-sync, -4117: a later try may pass; once a second.
constexpr std::int64_t kRetryLaterMs = 1000;
// A 429 without Retry-After (the weight window is a minute; the client derives the real wait) and
// a 418 without it ("bans start at 2 minutes").
constexpr std::int64_t kTooManyRequestsRetryMs = 1000;
constexpr std::int64_t kBannedRetryMs = 120000;

// What the order-placement path concludes from an answer that is not 200 (HTTP status, and the
// Binance error code and message when the body had them). `retryAfterMs` is the wait the answer
// asked for, as the REST client read it (Retry-After, or the end of the window a -1015 names);
// 0 when none. The table is external-apis.md §A7.
OrderVerdict classifyOrderError(int httpStatus, std::optional<int> code, const std::string& message,
                                std::int64_t retryAfterMs = 0);

// No answer came back. `requestMayHaveLeft` is false only when no byte of the request can have
// reached the venue: the connection could not be made (refused, host not found, TLS handshake
// failed, connect timeout), or the client held the request back itself (`retryAfterMs`: the time
// its hold has left). That is Deferred; anything else is Unknown.
OrderVerdict classifyNotAnswered(bool requestMayHaveLeft, std::int64_t retryAfterMs = 0);

const char* toString(OrderErrorClass c);

}  // namespace tradehost::binance
