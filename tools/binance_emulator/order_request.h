// A new-order request after syntactic validation: what POST /fapi/v1/order asked for, typed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api_error.h"
#include "order.h"
#include "request_params.h"
#include "symbol_spec.h"

namespace tradehost::binance_emulator {

struct OrderRequest {
    std::string symbol;
    Side side = Side::Buy;
    PositionSide positionSide = PositionSide::Both;
    bool positionSideSent = false;
    OrderType type = OrderType::Market;
    TimeInForce timeInForce = TimeInForce::Gtc;
    Decimal quantity;
    Decimal price;  // zero for MARKET
    bool reduceOnly = false;
    bool reduceOnlySent = false;
    std::string clientOrderId;  // empty: the exchange generates one
    RespType respType = RespType::Ack;
    std::string selfTradePreventionMode = "EXPIRE_MAKER";
    std::int64_t goodTillDate = 0;
};

// Checks what needs no account state: presence (-1102), enums (-1116/-4120/-1117/-1115/-1130),
// the client id regex (-4015), the symbol (-1121), number syntax (-1100), and parameters that a
// MARKET order must not carry (-1106). Filters and position rules are the exchange's job.
std::variant<OrderRequest, ApiError> parseOrderRequest(const RequestParams& params,
                                                       const std::vector<SymbolSpec>& symbols);

// ^[.A-Z:/a-z0-9_-]{1,36}$, the documented newClientOrderId rule.
bool isValidClientOrderId(const std::string& id);

// ^([0-9]{1,20})(\.[0-9]{1,20})?$, the syntax Binance accepts for quantities and prices.
std::optional<Decimal> parsePlainDecimal(const std::string& text);

}  // namespace tradehost::binance_emulator
