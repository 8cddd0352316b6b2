// Syntactic validation of POST /fapi/v1/order parameters, in roughly the order Binance reports them.
#include "order_request.h"

#include <algorithm>

namespace tradehost::binance_emulator {

bool isValidClientOrderId(const std::string& id) {
    if (id.empty() || id.size() > 36) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == ':' ||
               c == '/' || c == '_' || c == '-';
    });
}

std::optional<Decimal> parsePlainDecimal(const std::string& text) {
    const std::size_t dot = text.find('.');
    const std::string whole = text.substr(0, dot);
    const std::string frac = dot == std::string::npos ? std::string() : text.substr(dot + 1);
    auto digits = [](const std::string& s) {
        return !s.empty() && s.size() <= 20 &&
               std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!digits(whole)) return std::nullopt;
    if (dot != std::string::npos && !digits(frac)) return std::nullopt;
    return Decimal::parse(text);
}

std::variant<OrderRequest, ApiError> parseOrderRequest(const RequestParams& params,
                                                       const std::vector<SymbolSpec>& symbols) {
    OrderRequest r;
    auto symbol = params.get("symbol");
    if (!symbol) return errors::mandatory("symbol");
    auto side = params.get("side");
    if (!side) return errors::mandatory("side");
    auto type = params.get("type");
    if (!type) return errors::mandatory("type");

    const bool known =
        std::any_of(symbols.begin(), symbols.end(), [&](const SymbolSpec& s) { return s.symbol == *symbol; });
    if (!known) return errors::badSymbol();
    r.symbol = *symbol;

    auto parsedSide = parseSide(*side);
    if (!parsedSide) return errors::invalidSide();
    r.side = *parsedSide;

    if (*type == "LIMIT") {
        r.type = OrderType::Limit;
    } else if (*type == "MARKET") {
        r.type = OrderType::Market;
    } else if (*type == "STOP" || *type == "STOP_MARKET" || *type == "TAKE_PROFIT" || *type == "TAKE_PROFIT_MARKET" ||
               *type == "TRAILING_STOP_MARKET") {
        // Since 2025-12-09 these live on /fapi/v1/algoOrder (reference A0).
        return errors::conditionalTypeMoved();
    } else {
        return errors::invalidOrderType();
    }

    if (auto ps = params.get("positionSide")) {
        auto parsed = parsePositionSide(*ps);
        if (!parsed) return errors::invalidValue("positionSide");
        r.positionSide = *parsed;
        r.positionSideSent = true;
    }

    if (auto id = params.get("newClientOrderId")) {
        if (!isValidClientOrderId(*id)) return errors::badClientOrderId();
        r.clientOrderId = *id;
    } else if (params.sent("newClientOrderId")) {
        return errors::badClientOrderId();
    }

    if (params.sent("reduceOnly")) {
        r.reduceOnlySent = true;
        const std::string v = params.get("reduceOnly").value_or("");
        if (v == "true" || v == "TRUE") {
            r.reduceOnly = true;
        } else if (v != "false" && v != "FALSE") {
            return errors::invalidValue("reduceOnly");
        }
    }

    if (auto rt = params.get("newOrderRespType")) {
        if (*rt == "ACK") {
            r.respType = RespType::Ack;
        } else if (*rt == "RESULT") {
            r.respType = RespType::Result;
        } else {
            return errors::invalidValue("newOrderRespType");
        }
    }

    if (auto stp = params.get("selfTradePreventionMode")) {
        if (*stp != "NONE" && *stp != "EXPIRE_TAKER" && *stp != "EXPIRE_MAKER" && *stp != "EXPIRE_BOTH")
            return errors::invalidValue("selfTradePreventionMode");
        r.selfTradePreventionMode = *stp;
    }

    if (params.has("priceMatch") && params.get("priceMatch") != std::optional<std::string>("NONE")) {
        // Not emulated: saying so beats silently ignoring a parameter that changes the price.
        return errors::invalidValue("priceMatch");
    }
    if (params.sent("closePosition")) return errors::notRequired("closePosition");

    auto quantity = params.get("quantity");
    if (r.type == OrderType::Limit) {
        auto tif = params.get("timeInForce");
        if (!tif) return errors::mandatory("timeInForce");
        if (!quantity) return errors::mandatory("quantity");
        auto price = params.get("price");
        if (!price) return errors::mandatory("price");
        auto parsedTif = parseTimeInForce(*tif);
        if (!parsedTif) return errors::invalidTimeInForce();
        r.timeInForce = *parsedTif;
        auto p = parsePlainDecimal(*price);
        if (!p) return errors::illegalNumber("price");
        r.price = *p;
        if (r.timeInForce == TimeInForce::Gtd) {
            auto gtd = params.get("goodTillDate");
            if (!gtd) return errors::mandatory("goodTillDate");
            try {
                r.goodTillDate = std::stoll(*gtd);
            } catch (const std::exception&) {
                return errors::mandatory("goodTillDate");
            }
        }
    } else {
        if (!quantity) return errors::mandatory("quantity");
        // A MARKET order carrying a limit price or a time in force is refused rather than
        // silently ignored: a client that sends them has its order types mixed up.
        // (-1106 for timeInForce on a futures MARKET order is widely reported: ccxt/binance-rs#112,
        // Binance-docs/Binance_Futures_Java#54.)
        if (params.sent("timeInForce")) return errors::notRequired("timeInForce");
        if (params.sent("price")) return errors::notRequired("price");
    }
    auto q = parsePlainDecimal(*quantity);
    if (!q) return errors::illegalNumber("quantity");
    r.quantity = *q;
    return r;
}

}  // namespace tradehost::binance_emulator
