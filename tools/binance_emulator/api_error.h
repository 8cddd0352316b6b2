// The fapi error envelope {"code":-NNNN,"msg":"..."} with its HTTP status, and one factory per code we emit.
#pragma once

#include <string>

namespace tradehost::binance_emulator {

struct ApiError {
    int httpStatus = 400;
    int code = -1000;
    std::string msg;
};

// Messages are the ones Binance sends (error-code page, or observed where noted); clients must
// key on the code, but tests of log output are easier when the text is the real one.
namespace errors {

inline ApiError make(int code, std::string msg, int status = 400) { return ApiError{status, code, std::move(msg)}; }

inline ApiError unknown(std::string msg) { return make(-1000, std::move(msg)); }
inline ApiError duplicateParameter() { return make(-1101, "Duplicate values for a parameter detected."); }
inline ApiError mandatory(const std::string& param) {
    return make(-1102, "Mandatory parameter '" + param + "' was not sent, was empty/null, or malformed.");
}
inline ApiError orderIdOrClientIdMissing() {
    return make(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
}
inline ApiError illegalNumber(const std::string& param) {
    return make(-1100, "Illegal characters found in parameter '" + param +
                           "'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.");
}
inline ApiError illegalCharacters() { return make(-1100, "Illegal characters found in a parameter."); }
// The reference quotes the lower-case parameter name for reduceOnly ("reduceonly").
inline ApiError notRequired(const std::string& param) {
    return make(-1106, "Parameter '" + param + "' sent when not required.");
}
inline ApiError badPrecision() { return make(-1111, "Precision is over the maximum defined for this asset."); }
inline ApiError invalidTimeInForce() { return make(-1115, "Invalid timeInForce."); }
inline ApiError invalidOrderType() { return make(-1116, "Invalid orderType."); }
inline ApiError invalidSide() { return make(-1117, "Invalid side."); }
inline ApiError badSymbol() { return make(-1121, "Invalid symbol."); }
inline ApiError invalidValue(const std::string& param) {
    return make(-1130, "Data sent for parameter '" + param + "' is not valid.");
}
inline ApiError timestampBehind() { return make(-1021, "Timestamp for this request is outside of the recvWindow."); }
inline ApiError timestampAhead() {
    return make(-1021, "Timestamp for this request was 1000ms ahead of the server's time.");
}
inline ApiError badSignature() { return make(-1022, "Signature for this request is not valid."); }
inline ApiError badApiKey(const std::string& ip) {
    return make(-2015, "Invalid API-key, IP, or permissions for action, request ip: " + ip, 401);
}
inline ApiError cancelRejected() { return make(-2011, "Unknown order sent."); }
inline ApiError noSuchOrder() { return make(-2013, "Order does not exist."); }
inline ApiError reduceOnlyRejected() { return make(-2022, "ReduceOnly Order is rejected."); }
inline ApiError maxOpenOrders() { return make(-2025, "Reach max open order limit."); }
inline ApiError priceBelowZero() { return make(-4001, "Price less than 0."); }
inline ApiError priceAboveMax() { return make(-4002, "Price greater than max price."); }
inline ApiError qtyNotPositive() { return make(-4003, "Quantity less than or equal to zero."); }
inline ApiError qtyBelowMin() { return make(-4004, "Quantity less than min quantity."); }
inline ApiError qtyAboveMax() { return make(-4005, "Quantity greater than max quantity."); }
inline ApiError priceBelowMin() { return make(-4013, "Price less than min price."); }
inline ApiError priceNotTick() { return make(-4014, "Price not increased by tick size."); }
inline ApiError badClientOrderId() { return make(-4015, "Client order id length should not be more than 36 chars"); }
inline ApiError limitPriceTooHigh(const std::string& bound) {
    return make(-4016, "Limit price can't be higher than " + bound + ".");
}
inline ApiError qtyNotStep() { return make(-4023, "Quantity not increased by step size."); }
inline ApiError limitPriceTooLow(const std::string& bound) {
    return make(-4024, "Limit price can't be lower than " + bound + ".");
}
inline ApiError noNeedToChangePositionSide() { return make(-4059, "No need to change position side."); }
inline ApiError positionSideMismatch() { return make(-4061, "Order's position side does not match user's setting."); }
inline ApiError openOrdersExist() {
    return make(-4067, "Position side cannot be changed if there exists open orders.");
}
inline ApiError positionExists() { return make(-4068, "Position side cannot be changed if there exists position."); }
inline ApiError duplicatedClientOrderId() { return make(-4116, "ClientOrderId is duplicated."); }
inline ApiError conditionalTypeMoved() {
    return make(-4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.");
}
inline ApiError minNotional(const std::string& notional) {
    return make(-4164, "Order's notional must be no smaller than " + notional + " (unless you choose reduce only).");
}
inline ApiError fokRejected() {
    return make(-5021,
                "Due to the order could not be filled immediately, the FOK order has been rejected. "
                "The order will not be recorded in the order history");
}
inline ApiError gtxRejected() {
    return make(-5022,
                "Due to the order could not be executed as maker, the Post Only order will be rejected. "
                "The order will not be recorded in the order history");
}
// Messages of the -1003 family as the error-code page gives them; status 429 or 418.
inline ApiError tooMuchWeight(int limit, int status = 429) {
    return make(-1003,
                "Too much request weight used; current limit is " + std::to_string(limit) +
                    " request weight per 1 MINUTE. Please use the websocket for live updates to avoid polling the API.",
                status);
}
inline ApiError ipBanned(long long untilMs) {
    return make(-1003,
                "Way too much request weight used; IP banned until " + std::to_string(untilMs) +
                    ". Please use the websocket for live updates to avoid bans.",
                418);
}
inline ApiError tooManyOrders(int limit, const std::string& interval) {
    return make(
        -1015, "Too many new orders; current limit is " + std::to_string(limit) + " orders per " + interval + ".", 429);
}

}  // namespace errors
}  // namespace tradehost::binance_emulator
