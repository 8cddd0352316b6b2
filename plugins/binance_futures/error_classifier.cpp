// Decides, once, what a Binance answer to an order request means: rejected, unknown, or exists.
#include "error_classifier.h"

namespace tradehost::binance {

const char* toString(OrderErrorClass c) {
    switch (c) {
        case OrderErrorClass::Rejected: return "rejected";
        case OrderErrorClass::Unknown: return "unknown";
        case OrderErrorClass::Exists: return "exists";
    }
    return "?";
}

OrderErrorClass classifyOrderError(int httpStatus, std::optional<int> code, const std::string& message) {
    if (code) {
        switch (*code) {
            case -4116: return OrderErrorClass::Exists;
            // "Unknown error", "Execution status unknown", "Send status unknown; execution
            // status unknown": the order may have been placed.
            case -1000:
            case -1006:
            case -1007:
                return OrderErrorClass::Unknown;
            // "Internal error; please try again": documented as resendable, but reconciling first
            // costs one query and rules out a double.
            case -1001: return OrderErrorClass::Unknown;
            default: break;
        }
    }
    if (httpStatus == 503) {
        // Variant (A) means sent without an answer; (B) "Service Unavailable." and (C) -1008
        // throttling are certain failures.
        if (message.find("Unknown error") != std::string::npos) return OrderErrorClass::Unknown;
        if (message.find("Service Unavailable") != std::string::npos) return OrderErrorClass::Rejected;
        if (code && *code == -1008) return OrderErrorClass::Rejected;
        return OrderErrorClass::Unknown;
    }
    // Binance-side errors and gateway timeouts say nothing definite about the order.
    if (httpStatus >= 500 || httpStatus == 408) return OrderErrorClass::Unknown;
    // Every other answer with a Binance error code is a definite refusal (4xx: the request was
    // malformed, unauthorised, over a limit or against a filter), and so is a 4xx without a body
    // we understand (a WAF 403, a 429/418 ban): the matching engine never saw the order.
    if (httpStatus >= 400) return OrderErrorClass::Rejected;
    // A 2xx that is not an order, or a 3xx: nothing proves the order absent.
    return OrderErrorClass::Unknown;
}

}  // namespace tradehost::binance
