// exchangeInfo filters per symbol, and fitting an order to them in exact decimals before sending.
#include "symbol_filters.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <stdexcept>

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
                f.lot = {decimalField(filter, "minQty"), decimalField(filter, "maxQty"),
                         decimalField(filter, "stepSize")};
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

SymbolRules rulesOf(const SymbolFilters& f) {
    const auto rule = [](const Decimal& d) { return d.isPositive() ? std::optional<Decimal>(d) : std::nullopt; };
    SymbolRules r;
    r.symbol = f.symbol;
    r.tickSize = rule(f.tickSize);
    r.minPrice = rule(f.minPrice);
    r.maxPrice = rule(f.maxPrice);
    r.stepSize = rule(f.lot.stepSize);
    r.minQuantity = rule(f.lot.minQty);
    r.maxQuantity = rule(f.lot.maxQty);
    if (f.marketLot)
        r.marketQuantity =
            QuantityRules{rule(f.marketLot->stepSize), rule(f.marketLot->minQty), rule(f.marketLot->maxQty)};
    r.minNotional = rule(f.minNotional);
    return r;
}

std::variant<FittedOrder, Rejected> fitOrder(const OrderIntent& intent, const SymbolFilters& f) {
    if (f.status != "TRADING")
        return Rejected{"SYMBOL_NOT_TRADING", intent.symbol + " is " + (f.status.empty() ? "not trading" : f.status)};
    return tradehost::fitOrder(intent, rulesOf(f));
}

}  // namespace tradehost::binance
