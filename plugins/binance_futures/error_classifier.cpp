// Decides, once, what a Binance answer to an order request means: rejected, deferred, unknown, or exists.
#include "error_classifier.h"

namespace tradehost::binance {
namespace {

OrderVerdict verdict(OrderErrorClass kind) { return OrderVerdict{kind, 0}; }
OrderVerdict deferred(std::int64_t askedMs, std::int64_t fallbackMs) {
    return OrderVerdict{OrderErrorClass::Deferred, askedMs > 0 ? askedMs : fallbackMs};
}
bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

}  // namespace

const char* toString(OrderErrorClass c) {
    switch (c) {
        case OrderErrorClass::Rejected:
            return "rejected";
        case OrderErrorClass::Deferred:
            return "deferred";
        case OrderErrorClass::Unknown:
            return "unknown";
        case OrderErrorClass::Exists:
            return "exists";
    }
    return "?";
}

OrderVerdict classifyOrderError(int httpStatus, std::optional<int> code, const std::string& message,
                                std::int64_t retryAfterMs) {
    // A7 HTTP 429 "a rate limit was broken (-1003)", 418 "the IP is auto-banned", and -1015 "too
    // many new orders" (which the venue also answers with 429): refused at the limiter, before
    // the matching engine. Certain, and the same order may go once the wait is over.
    if (httpStatus == 429) return deferred(retryAfterMs, kTooManyRequestsRetryMs);
    if (httpStatus == 418) return deferred(retryAfterMs, kBannedRetryMs);
    if (httpStatus == 503) {
        // A7 503: "the message decides" (before the code: Binance's edge puts -1000 on both).
        // (A) "Unknown error, please check your request or try again later.": sent, no answer,
        //     execution status UNKNOWN.
        if (contains(message, "Unknown error")) return verdict(OrderErrorClass::Unknown);
        // (B) "Service Unavailable.": a certain failure; retry with backoff.
        if (contains(message, "Service Unavailable")) return deferred(retryAfterMs, kOverloadRetryMs);
        // (C) -1008 "Request throttled by system-level protection": a certain failure.
        if (code && *code == -1008) return deferred(retryAfterMs, kOverloadRetryMs);
        // Any other 503 says nothing definite.
        return verdict(OrderErrorClass::Unknown);
    }
    if (code) {
        switch (*code) {
            // -4116 DUPLICATED_CLIENT_ORDER_ID: an open order has this id. Query and adopt it.
            case -4116:
                return verdict(OrderErrorClass::Exists);
            // -1000 UNKNOWN "unknown error while processing" (conservative), -1006 UNEXPECTED_RESP
            // "Execution status unknown.", -1007 TIMEOUT "Send status unknown; execution status
            // unknown.": the order may have been placed.
            case -1000:
            case -1006:
            case -1007:
                return verdict(OrderErrorClass::Unknown);
            // -1001 DISCONNECTED "Internal error; please try again": documented as resendable, but
            // reconciling first costs one query and rules out a double.
            case -1001:
                return verdict(OrderErrorClass::Unknown);
            // -1003 TOO_MANY_REQUESTS ("REJECTED. Back off"), -1015 TOO_MANY_ORDERS (REJECTED), under
            // a status other than 429/418: refused at the limiter all the same.
            case -1003:
            case -1015:
                return deferred(retryAfterMs, kTooManyRequestsRetryMs);
            // -1008 throttled / overloaded: "a 100% failure per the docs. Retry with backoff."
            case -1008:
                return deferred(retryAfterMs, kOverloadRetryMs);
            // -1021 INVALID_TIMESTAMP: A7 "REJECTED. Re-sync the clock." The server processes a
            // request only inside the window, so nothing was placed; the venue re-syncs and
            // resends once itself, and a -1021 that survives that (a request delayed past
            // recvWindow, a clock that jumped) may pass on the next try.
            case -1021:
                return deferred(retryAfterMs, kRetryLaterMs);
            // -4117 STOP_ORDER_TRIGGERING: "REJECTED for now; retry later."
            case -4117:
                return deferred(retryAfterMs, kRetryLaterMs);
            default:
                break;
        }
    }
    // A7 "(transport) … 408, generic 5XX … UNKNOWN": Binance-side errors and gateway timeouts say
    // nothing definite about the order.
    if (httpStatus >= 500 || httpStatus == 408) return verdict(OrderErrorClass::Unknown);
    // Every other 4xx is a definite refusal that resending cannot cure: the request was malformed
    // (-1102, -1106, -1111, -1116, -1121), unauthorised (-2015, -1022), against a filter (-4003..
    // -4164, -1111), against the account (-2019 margin, -2022 reduce-only, -2025/-2027, -4061),
    // unfillable as asked (-5021 FOK, -5022 GTX), -5028 (A7: REJECTED, inferred from the message;
    // kept a refusal rather than a retry until that is confirmed), or a 4xx without a body we
    // understand (a WAF 403): the matching engine never placed the order.
    if (httpStatus >= 400) return verdict(OrderErrorClass::Rejected);
    // A 2xx that is not an order, or a 3xx: nothing proves the order absent.
    return verdict(OrderErrorClass::Unknown);
}

OrderVerdict classifyNotAnswered(bool requestMayHaveLeft, std::int64_t retryAfterMs) {
    // A7 "(transport) Client timeout, connection reset after send → UNKNOWN".
    if (requestMayHaveLeft) return verdict(OrderErrorClass::Unknown);
    // Not connected, or held back by the client's own limits: no byte of the order left.
    return deferred(retryAfterMs, kNotConnectedRetryMs);
}

}  // namespace tradehost::binance
