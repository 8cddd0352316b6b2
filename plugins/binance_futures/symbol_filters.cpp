// exchangeInfo filters per symbol, and fitting an order to them in exact decimals before sending.
#include "symbol_filters.h"

#include <stdexcept>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace tradehost::binance {
namespace {

// Binance sends decimals as strings; accept JSON numbers too, as their literal text.
Decimal decimalField(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o->has(key)) return Decimal();
    const auto v = o->get(key);
    auto d = Decimal::parse(v.isString() ? v.extract<std::string>() : v.toString());
    if (!d) throw std::runtime_error("exchangeInfo: field '" + key + "' is not a decimal");
    return *d;
}

std::string text(const Decimal& d, const Decimal& step) {
    return d.toFixed(step.isZero() ? d.decimals() : (step.decimals() > d.decimals() ? step.decimals() : d.decimals()));
}

}  // namespace

std::map<std::string, SymbolFilters> parseExchangeInfo(const std::string& body) {
    Poco::JSON::Parser parser;
    const auto root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    const auto symbols = root->getArray("symbols");
    if (!symbols) throw std::runtime_error("exchangeInfo: no 'symbols' array");
    std::map<std::string, SymbolFilters> out;
    for (std::size_t i = 0; i < symbols->size(); ++i) {
        const auto s = symbols->getObject(static_cast<unsigned>(i));
        if (!s) continue;
        SymbolFilters f;
        f.symbol = s->optValue<std::string>("symbol", "");
        f.status = s->optValue<std::string>("status", "");
        if (f.symbol.empty()) continue;
        const auto filters = s->getArray("filters");
        for (std::size_t j = 0; filters && j < filters->size(); ++j) {
            const auto filter = filters->getObject(static_cast<unsigned>(j));
            if (!filter) continue;
            const std::string type = filter->optValue<std::string>("filterType", "");
            if (type == "PRICE_FILTER") {
                f.minPrice = decimalField(filter, "minPrice");
                f.maxPrice = decimalField(filter, "maxPrice");
                f.tickSize = decimalField(filter, "tickSize");
            } else if (type == "LOT_SIZE") {
                f.lot = {decimalField(filter, "minQty"), decimalField(filter, "maxQty"), decimalField(filter, "stepSize")};
            } else if (type == "MARKET_LOT_SIZE") {
                f.marketLot = LotRule{decimalField(filter, "minQty"), decimalField(filter, "maxQty"),
                                      decimalField(filter, "stepSize")};
            } else if (type == "MIN_NOTIONAL") {
                f.minNotional = decimalField(filter, "notional");  // fapi names it "notional"
            }
        }
        out[f.symbol] = f;
    }
    return out;
}

std::variant<FittedOrder, Rejected> fitOrder(const OrderIntent& intent, const SymbolFilters& f) {
    if (f.status != "TRADING") return Rejected{"SYMBOL_NOT_TRADING", intent.symbol + " is " + (f.status.empty() ? "not trading" : f.status)};
    const LotRule& lot = intent.type == OrderType::Market && f.marketLot ? *f.marketLot : f.lot;
    const char* lotName = intent.type == OrderType::Market && f.marketLot ? "MARKET_LOT_SIZE" : "LOT_SIZE";
    FittedOrder out;
    std::string note;

    if (!intent.quantity.isPositive()) return Rejected{"LOCAL_FILTER", "quantity must be positive, got " + intent.quantity.toString()};
    out.quantity = lot.stepSize.isPositive() ? intent.quantity.roundToStep(lot.stepSize, Rounding::TowardZero) : intent.quantity;
    if (out.quantity != intent.quantity)
        note += "quantity " + intent.quantity.toString() + " floored to step " + lot.stepSize.toString() + " -> " +
                out.quantity.toString();
    if (!out.quantity.isPositive() || (lot.minQty.isPositive() && out.quantity < lot.minQty))
        return Rejected{"LOCAL_FILTER", "quantity " + intent.quantity.toString() + " is below " + lotName + " minQty " +
                                            lot.minQty.toString() + " (step " + lot.stepSize.toString() + ")"};
    if (lot.maxQty.isPositive() && out.quantity > lot.maxQty)
        return Rejected{"LOCAL_FILTER", "quantity " + out.quantity.toString() + " is above " + lotName + " maxQty " + lot.maxQty.toString()};
    out.quantityText = text(out.quantity, lot.stepSize);

    if (intent.type == OrderType::Limit) {
        if (!intent.price || !intent.price->isPositive()) return Rejected{"LOCAL_FILTER", "a LIMIT order needs a positive price"};
        Decimal price = *intent.price;
        if (f.tickSize.isPositive()) {
            // (price - minPrice) must be a multiple of the tick.
            const Rounding passive = intent.side == Side::Buy ? Rounding::Down : Rounding::Up;
            price = (price - f.minPrice).roundToStep(f.tickSize, passive) + f.minPrice;
        }
        if (price != *intent.price) {
            if (!note.empty()) note += "; ";
            note += "price " + intent.price->toString() + " rounded " + (intent.side == Side::Buy ? "down" : "up") +
                    " to tick " + f.tickSize.toString() + " -> " + price.toString();
        }
        if (f.minPrice.isPositive() && price < f.minPrice)
            return Rejected{"LOCAL_FILTER", "price " + price.toString() + " is below minPrice " + f.minPrice.toString()};
        if (f.maxPrice.isPositive() && price > f.maxPrice)
            return Rejected{"LOCAL_FILTER", "price " + price.toString() + " is above maxPrice " + f.maxPrice.toString()};
        if (!intent.reduceOnly && f.minNotional.isPositive() && price * out.quantity < f.minNotional)
            return Rejected{"LOCAL_FILTER", "notional " + (price * out.quantity).toString() + " is below MIN_NOTIONAL " +
                                                f.minNotional.toString() + " (reduce-only orders are exempt)"};
        out.price = price;
        out.priceText = text(price, f.tickSize);
    }
    out.note = note;
    return out;
}

}  // namespace tradehost::binance
