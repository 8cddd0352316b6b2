// An order as the emulated matching engine holds it, with the fapi enums and their wire spellings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tradehost/decimal.h"

namespace tradehost::binance_emulator {

enum class Side { Buy, Sell };
enum class PositionSide { Both, Long, Short };
enum class OrderType { Limit, Market };
enum class TimeInForce { Gtc, Ioc, Fok, Gtx, Gtd };
enum class OrderStatus { New, PartiallyFilled, Filled, Canceled, Expired };
enum class RespType { Ack, Result };

const char* toString(Side s);
const char* toString(PositionSide s);
const char* toString(OrderType t);
const char* toString(TimeInForce t);
const char* toString(OrderStatus s);

std::optional<Side> parseSide(const std::string& s);
std::optional<PositionSide> parsePositionSide(const std::string& s);
std::optional<TimeInForce> parseTimeInForce(const std::string& s);

struct Order {
    std::int64_t orderId = 0;
    std::size_t account = 0;
    std::string clientOrderId;
    std::string symbol;
    Side side = Side::Buy;
    PositionSide positionSide = PositionSide::Both;
    OrderType type = OrderType::Market;
    TimeInForce timeInForce = TimeInForce::Gtc;
    Decimal origQty;
    Decimal price;  // zero for MARKET
    Decimal executedQty;
    Decimal cumQuote;
    Decimal avgPrice;
    OrderStatus status = OrderStatus::New;
    bool reduceOnly = false;
    std::string selfTradePreventionMode = "EXPIRE_MAKER";
    std::int64_t goodTillDate = 0;
    std::int64_t time = 0;
    std::int64_t updateTime = 0;
    std::int64_t filledAt = 0;  // 0 until FILLED
    std::size_t ledgerIndex = 0;

    bool isOpen() const { return status == OrderStatus::New || status == OrderStatus::PartiallyFilled; }
};

}  // namespace tradehost::binance_emulator
