// Serialisation of orders, positions, exchangeInfo and ledger entries, shaped after the docs' examples.
#include "fapi_json.h"

#include "decimal_math.h"

namespace tradehost::binance_emulator {
namespace {

constexpr int kQuoteDecimals = 5;     // "cumQuote":"650.01000" as live responses print it
constexpr int kAvgPriceDecimals = 5;  // "avgPrice":"0.00000" (docs example)
constexpr int kAccountDecimals = 8;   // markPrice, unRealizedProfit, notional, margins
// A fixed leverage: margins are reported, never enforced. Tier-1 maintenance rate for BTCUSDT.
const Decimal kInitialMarginRate = Decimal::of("0.05");  // 1 / 20x
const Decimal kMaintMarginRate = Decimal::of("0.004");

std::string price(const Decimal& d, const SymbolSpec& s) { return formatOrZero(d, s.pricePrecision); }
std::string qty(const Decimal& d, const SymbolSpec& s) { return formatOrZero(d, s.quantityPrecision); }

void writeOrderCommon(tools::JsonWriter& w, const Order& o) {
    w.field("reduceOnly", o.reduceOnly);
    w.field("closePosition", false);
    w.field("side", toString(o.side));
    w.field("positionSide", toString(o.positionSide));
    w.field("stopPrice", "0");
    w.field("workingType", "CONTRACT_PRICE");
    w.field("priceProtect", false);
    w.field("origType", toString(o.type));
    w.field("priceMatch", "NONE");
    w.field("selfTradePreventionMode", o.selfTradePreventionMode);
    w.field("goodTillDate", o.goodTillDate);
}

Decimal unrealized(const PositionView& p) { return (p.markPrice - p.position.entryPrice) * p.position.amount; }

}  // namespace

void writeNewOrderResponse(tools::JsonWriter& w, const Order& o, const SymbolSpec& s) {
    w.beginObject();
    w.field("orderId", o.orderId);
    w.field("symbol", o.symbol);
    w.field("status", toString(o.status));
    w.field("clientOrderId", o.clientOrderId);
    w.field("price", price(o.price, s));
    w.field("avgPrice", formatAtLeast(o.avgPrice, kAvgPriceDecimals));
    w.field("origQty", qty(o.origQty, s));
    w.field("executedQty", qty(o.executedQty, s));
    w.field("cumQty", qty(o.executedQty, s));
    w.field("cumQuote", formatOrZero(o.cumQuote, kQuoteDecimals));
    w.field("timeInForce", toString(o.timeInForce));
    w.field("type", toString(o.type));
    writeOrderCommon(w, o);
    w.field("updateTime", o.updateTime);
    w.endObject();
}

void writeQueryOrder(tools::JsonWriter& w, const Order& o, const SymbolSpec& s) {
    w.beginObject();
    w.field("avgPrice", formatAtLeast(o.avgPrice, kAvgPriceDecimals));
    w.field("clientOrderId", o.clientOrderId);
    w.field("cumQuote", formatOrZero(o.cumQuote, kQuoteDecimals));
    w.field("executedQty", qty(o.executedQty, s));
    w.field("orderId", o.orderId);
    w.field("origQty", qty(o.origQty, s));
    w.field("origType", toString(o.type));
    w.field("price", price(o.price, s));
    w.field("reduceOnly", o.reduceOnly);
    w.field("side", toString(o.side));
    w.field("positionSide", toString(o.positionSide));
    w.field("status", toString(o.status));
    w.field("stopPrice", "0");
    w.field("closePosition", false);
    w.field("symbol", o.symbol);
    w.field("time", o.time);
    w.field("timeInForce", toString(o.timeInForce));
    w.field("type", toString(o.type));
    w.field("updateTime", o.updateTime);
    w.field("workingType", "CONTRACT_PRICE");
    w.field("priceProtect", false);
    w.field("priceMatch", "NONE");
    w.field("selfTradePreventionMode", o.selfTradePreventionMode);
    w.field("goodTillDate", o.goodTillDate);
    w.endObject();
}

void writePositionRiskV2(tools::JsonWriter& w, const PositionView& p, const SymbolSpec& s) {
    const Decimal notional = p.position.amount * p.markPrice;
    w.beginObject();
    w.field("symbol", p.symbol);
    w.field("positionAmt", formatAtLeast(p.position.amount, s.quantityPrecision));
    w.field("entryPrice", formatAtLeast(p.position.entryPrice, 1));
    w.field("breakEvenPrice", formatAtLeast(p.position.entryPrice, 1));  // no fees are charged here
    w.field("markPrice", formatAtLeast(p.markPrice, kAccountDecimals));
    w.field("unRealizedProfit", formatAtLeast(unrealized(p), kAccountDecimals));
    w.field("liquidationPrice", "0");
    w.field("leverage", "20");
    w.field("maxNotionalValue", "25000000");
    w.field("marginType", "cross");
    w.field("isolatedMargin", "0.00000000");
    w.field("isAutoAddMargin", "false");
    w.field("positionSide", toString(p.positionSide));
    w.field("notional", formatAtLeast(notional, kAccountDecimals));
    w.field("isolatedWallet", "0");
    w.field("updateTime", p.position.updateTime);
    w.endObject();
}

void writePositionRiskV3(tools::JsonWriter& w, const PositionView& p, const SymbolSpec& s) {
    const Decimal notional = p.position.amount * p.markPrice;
    const Decimal positionMargin = notional.abs() * kInitialMarginRate;
    const Decimal orderMargin = (p.bidNotional + p.askNotional) * kInitialMarginRate;
    w.beginObject();
    w.field("symbol", p.symbol);
    w.field("positionSide", toString(p.positionSide));
    w.field("positionAmt", formatAtLeast(p.position.amount, s.quantityPrecision));
    w.field("entryPrice", formatAtLeast(p.position.entryPrice, 1));
    w.field("breakEvenPrice", formatAtLeast(p.position.entryPrice, 1));
    w.field("markPrice", formatAtLeast(p.markPrice, kAccountDecimals));
    w.field("unRealizedProfit", formatAtLeast(unrealized(p), kAccountDecimals));
    w.field("liquidationPrice", "0");
    w.field("isolatedMargin", "0");
    w.field("notional", formatAtLeast(notional, kAccountDecimals));
    w.field("marginAsset", s.quoteAsset);
    w.field("isolatedWallet", "0");
    w.field("initialMargin", formatAtLeast(positionMargin + orderMargin, kAccountDecimals));
    w.field("maintMargin", formatAtLeast(notional.abs() * kMaintMarginRate, kAccountDecimals));
    w.field("positionInitialMargin", formatAtLeast(positionMargin, kAccountDecimals));
    w.field("openOrderInitialMargin", formatAtLeast(orderMargin, kAccountDecimals));
    w.field("adl", 0);
    w.field("bidNotional", formatAtLeast(p.bidNotional, 1));
    w.field("askNotional", formatAtLeast(p.askNotional, 1));
    w.field("updateTime", p.position.updateTime);
    w.endObject();
}

std::string exchangeInfoJson(const std::vector<SymbolSpec>& symbols, const RateLimits& limits,
                             std::int64_t serverTime) {
    tools::JsonWriter w;
    w.beginObject();
    w.field("timezone", "UTC");
    w.field("serverTime", serverTime);
    w.field("futuresType", "U_MARGINED");
    w.key("rateLimits").beginArray();
    w.beginObject()
        .field("rateLimitType", "REQUEST_WEIGHT")
        .field("interval", "MINUTE")
        .field("intervalNum", 1)
        .field("limit", limits.weightPerMinute)
        .endObject();
    w.beginObject()
        .field("rateLimitType", "ORDERS")
        .field("interval", "MINUTE")
        .field("intervalNum", 1)
        .field("limit", limits.ordersPerMinute)
        .endObject();
    w.beginObject()
        .field("rateLimitType", "ORDERS")
        .field("interval", "SECOND")
        .field("intervalNum", 10)
        .field("limit", limits.ordersPer10s)
        .endObject();
    w.endArray();
    w.key("exchangeFilters").beginArray().endArray();
    w.key("assets").beginArray();
    w.beginObject()
        .field("asset", "USDT")
        .field("marginAvailable", true)
        .field("autoAssetExchange", "-10000")
        .endObject();
    w.endArray();
    w.key("symbols").beginArray();
    for (const auto& s : symbols) {
        w.beginObject();
        w.field("symbol", s.symbol);
        w.field("pair", s.symbol);
        w.field("contractType", "PERPETUAL");
        w.field("deliveryDate", static_cast<std::int64_t>(4133404800000));
        w.field("onboardDate", s.onboardDate);
        w.field("status", "TRADING");
        w.field("maintMarginPercent", "2.5000");
        w.field("requiredMarginPercent", "5.0000");
        w.field("baseAsset", s.baseAsset);
        w.field("quoteAsset", s.quoteAsset);
        w.field("marginAsset", s.quoteAsset);
        w.field("pricePrecision", s.pricePrecision);
        w.field("quantityPrecision", s.quantityPrecision);
        w.field("baseAssetPrecision", 8);
        w.field("quotePrecision", 8);
        w.field("underlyingType", "COIN");
        w.key("underlyingSubType").beginArray().value(s.underlyingSubType).endArray();
        w.field("settlePlan", 0);
        w.field("triggerProtect", "0.0500");
        w.field("liquidationFee", "0.012500");
        w.field("marketTakeBound", "0.05");
        w.field("maxMoveOrderLimit", 10000);
        w.key("filters").beginArray();
        w.beginObject()
            .field("minPrice", s.minPrice.text)
            .field("maxPrice", s.maxPrice.text)
            .field("filterType", "PRICE_FILTER")
            .field("tickSize", s.tickSize.text)
            .endObject();
        w.beginObject()
            .field("maxQty", s.lot.maxQty.text)
            .field("minQty", s.lot.minQty.text)
            .field("stepSize", s.lot.stepSize.text)
            .field("filterType", "LOT_SIZE")
            .endObject();
        w.beginObject()
            .field("filterType", "MARKET_LOT_SIZE")
            .field("maxQty", s.marketLot.maxQty.text)
            .field("minQty", s.marketLot.minQty.text)
            .field("stepSize", s.marketLot.stepSize.text)
            .endObject();
        w.beginObject().field("filterType", "MAX_NUM_ORDERS").field("limit", s.maxNumOrders).endObject();
        w.beginObject().field("notional", s.minNotional.text).field("filterType", "MIN_NOTIONAL").endObject();
        w.beginObject()
            .field("multiplierDown", s.multiplierDown.text)
            .field("multiplierUp", s.multiplierUp.text)
            .field("multiplierDecimal", "4")
            .field("filterType", "PERCENT_PRICE")
            .endObject();
        w.endArray();
        // The conditional types are still listed although POST /fapi/v1/order now answers -4120
        // for them (reference A0: "The SDK enum still lists them").
        w.key("orderTypes").beginArray();
        for (const char* t :
             {"LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"})
            w.value(t);
        w.endArray();
        w.key("timeInForce").beginArray();
        for (const char* t : {"GTC", "IOC", "FOK", "GTX", "GTD"}) w.value(t);
        w.endArray();
        w.endObject();
    }
    w.endArray();
    w.endObject();
    return w.str();
}

void writeLedgerEntry(tools::JsonWriter& w, const LedgerEntry& e, const SymbolSpec& s) {
    w.beginObject();
    w.field("seq", e.seq);
    w.field("account", static_cast<std::int64_t>(e.account));
    w.field("clientOrderId", e.clientOrderId);
    if (e.order) {
        w.field("orderId", e.order->orderId);
    } else {
        w.nullField("orderId");
    }
    w.field("symbol", e.symbol);
    w.field("side", toString(e.side));
    w.field("positionSide", toString(e.positionSide));
    w.field("type", toString(e.type));
    w.field("timeInForce", toString(e.timeInForce));
    w.field("quantity", formatAtLeast(e.quantity, s.quantityPrecision));
    w.field("price", price(e.price, s));
    w.field("reduceOnly", e.reduceOnly);
    if (e.order) {
        w.field("status", toString(e.order->status));
        w.field("executedQty", qty(e.order->executedQty, s));
        w.field("avgPrice", formatAtLeast(e.order->avgPrice, kAvgPriceDecimals));
    } else {
        w.field("status", e.pending ? "PENDING" : "REJECTED");
        w.field("executedQty", "0");
        w.field("avgPrice", formatAtLeast(Decimal(), kAvgPriceDecimals));
    }
    w.field("acceptedAt", e.acceptedAt);
    w.field("acceptedAtUs", e.context.receivedAtUs);
    if (e.pending) {
        w.nullField("executedAt");
    } else {
        w.field("executedAt", e.executedAt);
    }
    if (e.order && e.order->filledAt != 0) {
        w.field("filledAt", e.order->filledAt);
    } else {
        w.nullField("filledAt");
    }
    w.field("signatureValid", e.context.signatureValid);
    if (e.context.fault.empty()) {
        w.nullField("fault");
    } else {
        w.field("fault", e.context.fault);
    }
    if (e.rejection) {
        w.key("rejection").beginObject().field("code", e.rejection->code).field("msg", e.rejection->msg).endObject();
    } else {
        w.nullField("rejection");
    }
    w.endObject();
}

std::string errorJson(int code, const std::string& msg) {
    tools::JsonWriter w;
    w.beginObject().field("code", code).field("msg", msg).endObject();
    return w.str();
}

}  // namespace tradehost::binance_emulator
