// Decides, once, what a Binance answer to an order request means: rejected, unknown, or exists.
#pragma once

#include <optional>
#include <string>

namespace tradehost::binance {

enum class OrderErrorClass {
    Rejected,  // the order certainly does not exist because of this request
    Unknown,   // it may exist: reconcile by querying before anything else
    Exists,    // -4116: an open order already holds this client order id; query and adopt it
};

// What the order-placement path concludes from a failed answer (HTTP status, and the Binance
// error code and message when the body had them). The table is external-apis.md §A7.
OrderErrorClass classifyOrderError(int httpStatus, std::optional<int> code, const std::string& message);

// A transport failure: `requestSent` is false only when no byte of the request can have reached
// the venue (connect refused, TLS handshake failed), which is the one transport failure that is
// a definite Rejected.
inline OrderErrorClass classifyTransportFailure(bool requestSent) {
    return requestSent ? OrderErrorClass::Unknown : OrderErrorClass::Rejected;
}

const char* toString(OrderErrorClass c);

}  // namespace tradehost::binance
