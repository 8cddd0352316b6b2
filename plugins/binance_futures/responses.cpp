// Parses fapi answers (orders, positions, errors, server time) into SDK values.
#include "responses.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <stdexcept>

namespace tradehost::binance {
namespace {

using Poco::JSON::Object;

Poco::Dynamic::Var parse(const std::string& body) {
    Poco::JSON::Parser parser;
    return parser.parse(body);
}

std::string stringField(const Object::Ptr& o, const std::string& key, bool required = true) {
    if (!o->has(key) || o->isNull(key)) {
        if (required) throw std::runtime_error("field '" + key + "' missing");
        return "";
    }
    return o->get(key).toString();
}

Decimal decimalField(const Object::Ptr& o, const std::string& key, bool required = true) {
    const std::string s = stringField(o, key, required);
    if (s.empty() && !required) return Decimal();
    auto d = Decimal::parse(s);
    if (!d) throw std::runtime_error("field '" + key + "' is not a decimal: '" + s + "'");
    return *d;
}

OrderStatus statusOf(const std::string& s) {
    if (s == "NEW" || s == "NEW_INSURANCE" || s == "NEW_ADL") return OrderStatus::New;
    if (s == "PARTIALLY_FILLED") return OrderStatus::PartiallyFilled;
    if (s == "FILLED") return OrderStatus::Filled;
    if (s == "CANCELED") return OrderStatus::Canceled;
    if (s == "EXPIRED" || s == "EXPIRED_IN_MATCH") return OrderStatus::Expired;
    if (s == "REJECTED") return OrderStatus::Rejected;
    throw std::runtime_error("unknown order status '" + s + "'");
}

PositionSide positionSideOf(const std::string& s) {
    if (s == "LONG") return PositionSide::Long;
    if (s == "SHORT") return PositionSide::Short;
    return PositionSide::Both;
}

OrderState orderFrom(const Object::Ptr& o) {
    OrderState st;
    st.clientOrderId = stringField(o, "clientOrderId");
    st.exchangeOrderId = stringField(o, "orderId");
    st.symbol = stringField(o, "symbol");
    st.side = stringField(o, "side") == "SELL" ? Side::Sell : Side::Buy;
    const std::string type = stringField(o, "type");
    st.type = type == "LIMIT" ? OrderType::Limit : OrderType::Market;
    st.positionSide = positionSideOf(stringField(o, "positionSide", false));
    st.status = statusOf(stringField(o, "status"));
    st.quantity = decimalField(o, "origQty");
    st.filledQuantity = decimalField(o, "executedQty");
    // avgPrice is in the doc example but not in the SDK model: parse defensively.
    st.averagePrice = decimalField(o, "avgPrice", false);
    const Decimal price = decimalField(o, "price", false);
    if (price.isPositive()) st.price = price;
    st.reduceOnly = stringField(o, "reduceOnly", false) == "true";
    const std::string update = stringField(o, "updateTime", false);
    st.updateTimeMs = update.empty() ? 0 : std::stoll(update);
    return st;
}

}  // namespace

std::optional<ApiError> parseApiError(const std::string& body) {
    try {
        const auto v = parse(body);
        if (v.type() != typeid(Object::Ptr)) return std::nullopt;
        const auto o = v.extract<Object::Ptr>();
        if (!o->has("code")) return std::nullopt;
        ApiError e;
        e.code = o->getValue<int>("code");
        e.msg = o->optValue<std::string>("msg", "");
        return e;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

OrderState parseOrder(const std::string& body) {
    const auto v = parse(body);
    if (v.type() != typeid(Object::Ptr)) throw std::runtime_error("order answer is not a JSON object");
    return orderFrom(v.extract<Object::Ptr>());
}

std::vector<OrderState> parseOrderList(const std::string& body) {
    const auto v = parse(body);
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) throw std::runtime_error("order list is not a JSON array");
    const auto a = v.extract<Poco::JSON::Array::Ptr>();
    std::vector<OrderState> out;
    for (std::size_t i = 0; i < a->size(); ++i) out.push_back(orderFrom(a->getObject(static_cast<unsigned>(i))));
    return out;
}

std::vector<Position> parsePositions(const std::string& body) {
    const auto v = parse(body);
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) throw std::runtime_error("positionRisk is not a JSON array");
    const auto a = v.extract<Poco::JSON::Array::Ptr>();
    std::vector<Position> out;
    for (std::size_t i = 0; i < a->size(); ++i) {
        const auto o = a->getObject(static_cast<unsigned>(i));
        if (!o) throw std::runtime_error("positionRisk item is not an object");
        Position p;
        p.symbol = stringField(o, "symbol");
        p.positionSide = positionSideOf(stringField(o, "positionSide", false));
        p.quantity = decimalField(o, "positionAmt");
        p.entryPrice = decimalField(o, "entryPrice", false);
        if (o->has("markPrice")) p.markPrice = decimalField(o, "markPrice");
        if (!p.quantity.isZero()) out.push_back(p);
    }
    return out;
}

std::int64_t parseServerTime(const std::string& body) {
    const auto o = parse(body).extract<Object::Ptr>();
    return o->getValue<std::int64_t>("serverTime");
}

bool parseDualSidePosition(const std::string& body) {
    const auto o = parse(body).extract<Object::Ptr>();
    return o->getValue<bool>("dualSidePosition");
}

}  // namespace tradehost::binance
