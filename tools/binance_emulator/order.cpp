// Wire spellings of the fapi order enums.
#include "order.h"

namespace tradehost::binance_emulator {

const char* toString(Side s) { return s == Side::Buy ? "BUY" : "SELL"; }

const char* toString(PositionSide s) {
    switch (s) {
        case PositionSide::Long:
            return "LONG";
        case PositionSide::Short:
            return "SHORT";
        case PositionSide::Both:
            break;
    }
    return "BOTH";
}

const char* toString(OrderType t) { return t == OrderType::Limit ? "LIMIT" : "MARKET"; }

const char* toString(TimeInForce t) {
    switch (t) {
        case TimeInForce::Ioc:
            return "IOC";
        case TimeInForce::Fok:
            return "FOK";
        case TimeInForce::Gtx:
            return "GTX";
        case TimeInForce::Gtd:
            return "GTD";
        case TimeInForce::Gtc:
            break;
    }
    return "GTC";
}

const char* toString(OrderStatus s) {
    switch (s) {
        case OrderStatus::PartiallyFilled:
            return "PARTIALLY_FILLED";
        case OrderStatus::Filled:
            return "FILLED";
        case OrderStatus::Canceled:
            return "CANCELED";
        case OrderStatus::Expired:
            return "EXPIRED";
        case OrderStatus::New:
            break;
    }
    return "NEW";
}

std::optional<Side> parseSide(const std::string& s) {
    if (s == "BUY") return Side::Buy;
    if (s == "SELL") return Side::Sell;
    return std::nullopt;
}

std::optional<PositionSide> parsePositionSide(const std::string& s) {
    if (s == "BOTH") return PositionSide::Both;
    if (s == "LONG") return PositionSide::Long;
    if (s == "SHORT") return PositionSide::Short;
    return std::nullopt;
}

std::optional<TimeInForce> parseTimeInForce(const std::string& s) {
    if (s == "GTC") return TimeInForce::Gtc;
    if (s == "IOC") return TimeInForce::Ioc;
    if (s == "FOK") return TimeInForce::Fok;
    if (s == "GTX") return TimeInForce::Gtx;
    if (s == "GTD") return TimeInForce::Gtd;
    return std::nullopt;
}

}  // namespace tradehost::binance_emulator
