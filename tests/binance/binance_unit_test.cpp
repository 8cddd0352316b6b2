// Binance plugin's pure parts: signing, error classification, filter fitting, response parsing.
#include <catch2/catch.hpp>

#include "error_classifier.h"
#include "responses.h"
#include "rest_client.h"
#include "signer.h"
#include "symbol_filters.h"

using namespace tradehost;
using namespace tradehost::binance;
using Catch::Matchers::Contains;

TEST_CASE("the documented signature test vector is reproduced exactly") {
    const std::string secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
    const std::string payload =
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp="
        "1591702613943";
    CHECK(hmacSha256Hex(secret, payload) == "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9");
}

TEST_CASE("parameters are form-encoded exactly as they are signed") {
    CHECK(RestClient::encode({{"symbol", "BTCUSDT"}, {"newClientOrderId", "sig:bn:0:1"}}) ==
          "symbol=BTCUSDT&newClientOrderId=sig%3Abn%3A0%3A1");
    CHECK(formEncode("a b/ü") == "a%20b%2F%C3%BC");
    CHECK(constantTimeEquals("abc", "abc"));
    CHECK_FALSE(constantTimeEquals("abc", "abd"));
    CHECK_FALSE(constantTimeEquals("abc", "abcd"));
}

TEST_CASE("every code in the reference's error table maps to its class") {
    using C = OrderErrorClass;
    struct Row {
        int http;
        int code;
        const char* msg;
        C expected;
        std::int64_t retryAfterMs;  // Deferred only; the answer asked for nothing (0) unless noted
    };
    // external-apis.md §A7, row by row. Deferred: certain failure, the same order may go later.
    const Row rows[] = {
        {500, -1000, "An unknown error occurred while processing the request.", C::Unknown, 0},
        {500, -1001, "Internal error; unable to process your request. Please try again.", C::Unknown, 0},
        {429, -1003, "Too many requests", C::Deferred, kTooManyRequestsRetryMs},
        {418, -1003, "Way too many requests; IP banned", C::Deferred, kBannedRetryMs},
        {400, -1003, "Too many requests", C::Deferred, kTooManyRequestsRetryMs},
        {500, -1006, "An unexpected response was received from the message bus. Execution status unknown.", C::Unknown,
         0},
        {408, -1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
         C::Unknown, 0},
        {503, -1008, "Request throttled by system-level protection.", C::Deferred, kOverloadRetryMs},
        {400, -1008, "Server is currently overloaded with other requests. Please try again in a few minutes.",
         C::Deferred, kOverloadRetryMs},
        {400, -1015, "Too many new orders", C::Deferred, kTooManyRequestsRetryMs},
        {429, -1015, "Too many new orders; current limit is 300 orders per TEN_SECONDS.", C::Deferred,
         kTooManyRequestsRetryMs},
        {400, -1021, "Timestamp for this request is outside of the recvWindow.", C::Deferred, kRetryLaterMs},
        {400, -1022, "Signature for this request is not valid.", C::Rejected, 0},
        {400, -1102, "Mandatory parameter 'quantity' was not sent", C::Rejected, 0},
        {400, -1106, "Parameter 'reduceonly' sent when not required.", C::Rejected, 0},
        {400, -1111, "Precision is over the maximum defined for this asset.", C::Rejected, 0},
        {400, -1116, "Invalid orderType.", C::Rejected, 0},
        {400, -1121, "Invalid symbol.", C::Rejected, 0},
        {400, -2010, "NEW_ORDER_REJECTED", C::Rejected, 0},
        {401, -2015, "Invalid API-key, IP, or permissions for action.", C::Rejected, 0},
        {400, -2019, "Margin is insufficient.", C::Rejected, 0},
        {400, -2021, "Order would immediately trigger.", C::Rejected, 0},
        {400, -2022, "ReduceOnly Order is rejected.", C::Rejected, 0},
        {400, -2025, "Reach max open order limit.", C::Rejected, 0},
        {400, -2027, "Exceeded the maximum allowable position at current leverage.", C::Rejected, 0},
        {400, -4003, "Quantity less than or equal to zero.", C::Rejected, 0},
        {400, -4004, "Quantity less than min quantity.", C::Rejected, 0},
        {400, -4005, "Quantity greater than max quantity.", C::Rejected, 0},
        {400, -4014, "Price not increased by tick size.", C::Rejected, 0},
        {400, -4015, "Client order id length should not be more than 36 chars", C::Rejected, 0},
        {400, -4023, "Quantity not increased by step size.", C::Rejected, 0},
        {400, -4061, "Order's position side does not match user's setting.", C::Rejected, 0},
        {400, -4116, "ClientOrderId is duplicated.", C::Exists, 0},
        {400, -4117, "Stop order is triggering.", C::Deferred, kRetryLaterMs},
        {400, -4118, "ReduceOnly Order Failed.", C::Rejected, 0},
        {400, -4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
         C::Rejected, 0},
        {400, -4131, "The counterparty's best price does not meet the PERCENT_PRICE filter limit.", C::Rejected, 0},
        {400, -4164, "Order's notional must be no smaller than 5.0 (unless you choose reduce only).", C::Rejected, 0},
        {400, -5021, "Due to the order could not be filled immediately, the FOK order has been rejected.", C::Rejected,
         0},
        {400, -5022, "Due to the order could not be executed as maker, the Post Only order will be rejected.",
         C::Rejected, 0},
        {400, -5028, "Timestamp for this request is outside of the ME recvWindow.", C::Rejected, 0},
    };
    for (const auto& r : rows) {
        INFO("HTTP " << r.http << " code " << r.code);
        const OrderVerdict v = classifyOrderError(r.http, r.code, r.msg);
        CHECK(toString(v.kind) == std::string(toString(r.expected)));
        if (r.expected == C::Deferred) {
            CHECK(v.retryAfterMs == r.retryAfterMs);
        } else {
            CHECK(v.retryAfterMs == 0);
        }
    }
}

TEST_CASE("a Deferred verdict waits what the answer asked for") {
    SECTION("429 and 418 with Retry-After (as read by the REST client) wait exactly that") {
        CHECK(classifyOrderError(429, -1003, "Too much request weight used", 2000).retryAfterMs == 2000);
        CHECK(classifyOrderError(418, -1003, "IP banned until 1764000000000", 5000).retryAfterMs == 5000);
        CHECK(classifyOrderError(429, std::nullopt, "", 7000).kind == OrderErrorClass::Deferred);
    }
    SECTION("-1015: until the order window rolls") {
        const auto v = classifyOrderError(429, -1015, "Too many new orders", 3400);
        CHECK(v.kind == OrderErrorClass::Deferred);
        CHECK(v.retryAfterMs == 3400);
    }
    SECTION("a wait is never attached to anything but Deferred") {
        CHECK(classifyOrderError(400, -2019, "Margin is insufficient.", 2000).retryAfterMs == 0);
        CHECK(classifyOrderError(502, std::nullopt, "<html>", 2000).retryAfterMs == 0);
    }
}

TEST_CASE("HTTP statuses without a definite code are classified conservatively") {
    SECTION("503: the message decides, before the code") {
        CHECK(classifyOrderError(503, std::nullopt, "Unknown error, please check your request or try again later.")
                  .kind == OrderErrorClass::Unknown);
        CHECK(classifyOrderError(503, -1000, "Unknown error, please check your request or try again later.").kind ==
              OrderErrorClass::Unknown);
        // Variant (B), with and without the -1000 envelope Binance's edge (and the emulator) puts on it.
        const auto b = classifyOrderError(503, std::nullopt, "Service Unavailable.");
        CHECK(b.kind == OrderErrorClass::Deferred);
        CHECK(b.retryAfterMs == kOverloadRetryMs);
        CHECK(classifyOrderError(503, -1000, "Service Unavailable.").kind == OrderErrorClass::Deferred);
        CHECK(classifyOrderError(503, std::nullopt, "").kind == OrderErrorClass::Unknown);
        CHECK(classifyOrderError(503, -1001, "Internal error").kind == OrderErrorClass::Unknown);
    }
    SECTION("other 5xx and 408 are Unknown") {
        for (int status : {500, 502, 504, 408})
            CHECK(classifyOrderError(status, std::nullopt, "<html>gateway</html>").kind == OrderErrorClass::Unknown);
    }
    SECTION("429 and 418 without a body we understand: refused at the limiter") {
        CHECK(classifyOrderError(429, std::nullopt, "<html>").kind == OrderErrorClass::Deferred);
        CHECK(classifyOrderError(418, std::nullopt, "<html>").retryAfterMs == kBannedRetryMs);
    }
    SECTION("a 4xx without a code (WAF 403) is a refusal before the engine") {
        CHECK(classifyOrderError(403, std::nullopt, "<html>forbidden</html>").kind == OrderErrorClass::Rejected);
    }
    SECTION("a 2xx that is not an order, or a 3xx, proves nothing") {
        CHECK(classifyOrderError(202, std::nullopt, "").kind == OrderErrorClass::Unknown);
        CHECK(classifyOrderError(302, std::nullopt, "").kind == OrderErrorClass::Unknown);
    }
    SECTION("no answer: Deferred only when no byte of the request can have left") {
        const auto notConnected = classifyNotAnswered(false);
        CHECK(notConnected.kind == OrderErrorClass::Deferred);
        CHECK(notConnected.retryAfterMs == kNotConnectedRetryMs);
        const auto held = classifyNotAnswered(false, 4200);  // the client's own hold, with its time left
        CHECK(held.kind == OrderErrorClass::Deferred);
        CHECK(held.retryAfterMs == 4200);
        CHECK(classifyNotAnswered(true).kind == OrderErrorClass::Unknown);
        CHECK(classifyNotAnswered(true, 4200).retryAfterMs == 0);
    }
}

namespace {

const char* kExchangeInfo = R"({
  "timezone": "UTC", "serverTime": 1, "rateLimits": [], "assets": [],
  "symbols": [
    {"symbol": "BTCUSDT", "pair": "BTCUSDT", "contractType": "PERPETUAL", "status": "TRADING",
     "pricePrecision": 2, "quantityPrecision": 3, "orderTypes": ["LIMIT", "MARKET"], "unknownField": {"x": 1},
     "filters": [
       {"filterType": "PRICE_FILTER", "minPrice": "556.80", "maxPrice": "4529764", "tickSize": "0.10"},
       {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
       {"filterType": "MARKET_LOT_SIZE", "minQty": "0.001", "maxQty": "120", "stepSize": "0.001"},
       {"filterType": "MAX_NUM_ORDERS", "limit": 200},
       {"filterType": "MIN_NOTIONAL", "notional": "100"},
       {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": 4}]},
    {"symbol": "OLDUSDT", "status": "SETTLING", "filters": [{"filterType": "LOT_SIZE", "minQty": 1, "maxQty": 10, "stepSize": 1}]}
  ]})";

OrderIntent limitBuy(const char* qty, const char* price) {
    OrderIntent i;
    i.clientOrderId = "s:bn:0:1";
    i.symbol = "BTCUSDT";
    i.type = OrderType::Limit;
    i.side = Side::Buy;
    i.quantity = Decimal::of(qty);
    i.price = Decimal::of(price);
    return i;
}

}  // namespace

TEST_CASE("exchangeInfo filters are parsed, including numbers sent as numbers and unknown filters") {
    const auto f = parseExchangeInfo(kExchangeInfo);
    REQUIRE(f.size() == 2);
    const auto& btc = f.at("BTCUSDT");
    CHECK(btc.tickSize == Decimal::of("0.1"));
    CHECK(btc.minPrice == Decimal::of("556.8"));
    CHECK(btc.lot.stepSize == Decimal::of("0.001"));
    REQUIRE(btc.marketLot);
    CHECK(btc.marketLot->maxQty == Decimal::of("120"));
    CHECK(btc.minNotional == Decimal::of("100"));
    CHECK(f.at("OLDUSDT").lot.maxQty == Decimal::of("10"));
    CHECK_THROWS(parseExchangeInfo("{\"nope\": 1}"));
}

TEST_CASE("the filters as the SDK's SymbolRules: what symbolRules() reports is what orders are fitted to") {
    const auto btc = parseExchangeInfo(kExchangeInfo).at("BTCUSDT");
    const SymbolRules r = rulesOf(btc);
    CHECK(r.symbol == "BTCUSDT");
    CHECK(r.tickSize == Decimal::of("0.1"));
    CHECK(r.minPrice == Decimal::of("556.8"));
    CHECK(r.maxPrice == Decimal::of("4529764"));
    CHECK(r.stepSize == Decimal::of("0.001"));
    CHECK(r.minQuantity == Decimal::of("0.001"));
    CHECK(r.maxQuantity == Decimal::of("1000"));
    REQUIRE(r.marketQuantity);
    CHECK(r.marketQuantity->maxQuantity == Decimal::of("120"));
    CHECK(r.minNotional == Decimal::of("100"));
    // One implementation: the plugin's fitOrder is the SDK's on these rules.
    const auto viaPlugin = std::get<FittedOrder>(fitOrder(limitBuy("0.0129", "65000.17"), btc));
    const auto viaSdk = std::get<FittedOrder>(tradehost::fitOrder(limitBuy("0.0129", "65000.17"), r));
    CHECK(viaPlugin.quantity == viaSdk.quantity);
    CHECK(viaPlugin.price == viaSdk.price);
    CHECK(viaPlugin.note == viaSdk.note);
    // A symbol without MARKET_LOT_SIZE sizes market orders like limit ones; zero means no rule.
    const SymbolRules old = rulesOf(parseExchangeInfo(kExchangeInfo).at("OLDUSDT"));
    CHECK_FALSE(old.marketQuantity);
    CHECK_FALSE(old.tickSize);
    CHECK_FALSE(old.minNotional);
}

TEST_CASE("orders are fitted to the filters in exact decimals, and the adjustment is reported") {
    const auto btc = parseExchangeInfo(kExchangeInfo).at("BTCUSDT");
    SECTION("quantity is floored to the step and price rounded to the tick on the passive side") {
        const auto r = fitOrder(limitBuy("0.0129", "65000.17"), btc);
        REQUIRE(std::holds_alternative<FittedOrder>(r));
        const FittedOrder f = std::get<FittedOrder>(r);
        CHECK(f.quantityText == "0.012");
        CHECK(f.priceText == "65000.1");
        CHECK_THAT(f.note, Contains("quantity 0.0129 floored to step 0.001 -> 0.012"));
        CHECK_THAT(f.note, Contains("price 65000.17 rounded down to tick 0.1 -> 65000.1"));
        auto sell = limitBuy("0.002", "65000.11");
        sell.side = Side::Sell;
        CHECK(std::get<FittedOrder>(fitOrder(sell, btc)).priceText == "65000.2");
    }
    SECTION("numbers are printed with exactly the step's and tick's decimals") {
        const auto f = std::get<FittedOrder>(fitOrder(limitBuy("2", "65000"), btc));
        CHECK(f.quantityText == "2.000");
        CHECK(f.priceText == "65000.0");
        CHECK(f.note.empty());
    }
    SECTION("an order that cannot be made valid is rejected locally with the reason") {
        auto tooSmall = fitOrder(limitBuy("0.0009", "65000"), btc);
        REQUIRE(std::holds_alternative<Rejected>(tooSmall));
        CHECK_THAT(std::get<Rejected>(tooSmall).message, Contains("below the minimum quantity 0.001"));
        auto notional = fitOrder(limitBuy("0.001", "65000"), btc);
        REQUIRE(std::holds_alternative<Rejected>(notional));
        CHECK_THAT(std::get<Rejected>(notional).message, Contains("below the minimum notional 100"));
        auto reduceOnly = limitBuy("0.001", "65000");
        reduceOnly.reduceOnly = true;
        CHECK(std::holds_alternative<FittedOrder>(fitOrder(reduceOnly, btc)));
        CHECK(std::holds_alternative<Rejected>(fitOrder(limitBuy("0.002", "100"), btc)));  // below minPrice
        auto market = limitBuy("121", "0");
        market.type = OrderType::Market;
        market.price.reset();
        CHECK_THAT(std::get<Rejected>(fitOrder(market, btc)).message,
                   Contains("above the maximum MARKET order quantity 120"));
        auto settling = limitBuy("1", "1");
        settling.symbol = "OLDUSDT";
        CHECK(std::get<Rejected>(fitOrder(settling, parseExchangeInfo(kExchangeInfo).at("OLDUSDT"))).code ==
              "SYMBOL_NOT_TRADING");
    }
}

TEST_CASE("order, position, time and error answers are parsed, with strings for decimals and extra fields") {
    const std::string order =
        R"({"clientOrderId":"s:bn:0:1","cumQty":"0.002","cumQuote":"130.0002","executedQty":"0.002",
        "orderId":4611875134427365377,"avgPrice":"65000.10","origQty":"0.002","price":"0","reduceOnly":false,"side":"BUY",
        "positionSide":"BOTH","status":"FILLED","stopPrice":"0","closePosition":false,"symbol":"BTCUSDT","timeInForce":"GTC",
        "type":"MARKET","origType":"MARKET","updateTime":1764000000123,"workingType":"CONTRACT_PRICE","priceProtect":false,
        "priceMatch":"NONE","selfTradePreventionMode":"EXPIRE_MAKER","goodTillDate":0,"somethingNew":[1,2]})";
    const OrderState o = parseOrder(order);
    CHECK(o.clientOrderId == "s:bn:0:1");
    CHECK(o.exchangeOrderId == "4611875134427365377");
    CHECK(o.status == OrderStatus::Filled);
    CHECK(o.filledQuantity == Decimal::of("0.002"));
    CHECK(o.averagePrice == Decimal::of("65000.1"));
    CHECK_FALSE(o.price.has_value());
    CHECK(o.updateTimeMs == 1764000000123);
    CHECK(parseOrderList("[" + order + "," + order + "]").size() == 2);
    CHECK_THROWS(parseOrder(R"({"orderId": 1})"));
    CHECK_THROWS(parseOrder(
        R"({"clientOrderId":"x","orderId":1,"symbol":"B","side":"BUY","type":"LIMIT","status":"WEIRD","origQty":"1","executedQty":"0"})"));

    const auto positions = parsePositions(R"([
        {"symbol":"BTCUSDT","positionAmt":"-0.010","entryPrice":"65000.0","markPrice":"65100","unRealizedProfit":"-1.0",
         "liquidationPrice":"0","leverage":"20","positionSide":"BOTH","updateTime":0},
        {"symbol":"ETHUSDT","positionAmt":"0.000","entryPrice":"0.0","positionSide":"BOTH"}])");
    REQUIRE(positions.size() == 1);
    CHECK(positions[0].quantity == Decimal::of("-0.01"));

    CHECK(parseServerTime(R"({"serverTime": 1764000000000})") == 1764000000000);
    CHECK(parseDualSidePosition(R"({"dualSidePosition": true})"));
    const auto e = parseApiError(R"({"code":-2013,"msg":"Order does not exist."})");
    REQUIRE(e);
    CHECK(e->code == -2013);
    CHECK_FALSE(parseApiError("<html>502 Bad Gateway</html>"));
}
