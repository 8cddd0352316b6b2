// Parses fapi answers (orders, positions, errors, server time) into SDK values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tradehost/venue.h>

namespace tradehost::binance {

// {"code": -2013, "msg": "Order does not exist."}; nullopt when the body is not that envelope.
struct ApiError {
    int code = 0;
    std::string msg;
};
std::optional<ApiError> parseApiError(const std::string& body);

// One order object (new-order RESULT/ACK, query, cancel, openOrders items). Decimals may come as
// strings or numbers, orderId as a number; unknown fields are ignored. Throws std::runtime_error
// when a field the host relies on is missing or malformed.
OrderState parseOrder(const std::string& body);
std::vector<OrderState> parseOrderList(const std::string& body);

// GET /fapi/v2/positionRisk or /fapi/v3/positionRisk: positions with a non-zero amount.
std::vector<Position> parsePositions(const std::string& body);

// GET /fapi/v1/time -> serverTime in ms.
std::int64_t parseServerTime(const std::string& body);

// GET /fapi/v1/positionSide/dual -> true in hedge mode.
bool parseDualSidePosition(const std::string& body);

}  // namespace tradehost::binance
