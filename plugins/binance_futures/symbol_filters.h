// exchangeInfo filters per symbol, and fitting an order to them in exact decimals before sending.
#pragma once

#include <tradehost/order_fit.h>
#include <tradehost/venue.h>

#include <map>
#include <optional>
#include <string>
#include <variant>

namespace tradehost::binance {

struct LotRule {
    Decimal minQty, maxQty, stepSize;  // zero means "no such rule"
};

struct SymbolFilters {
    std::string symbol;
    std::string status;                    // "TRADING" when orders are accepted
    Decimal minPrice, maxPrice, tickSize;  // PRICE_FILTER; zero disables that part
    LotRule lot;                           // LOT_SIZE: LIMIT quantities
    std::optional<LotRule> marketLot;      // MARKET_LOT_SIZE: MARKET quantities (else LOT_SIZE)
    Decimal minNotional;                   // MIN_NOTIONAL "notional"; reduce-only is exempt
};

// Parses the body of GET /fapi/v1/exchangeInfo. Unknown filters and fields are ignored; numbers
// may be strings or JSON numbers. Throws std::runtime_error for a body that is not exchangeInfo.
std::map<std::string, SymbolFilters> parseExchangeInfo(const std::string& body);

// The SDK's SymbolRules for these filters: what symbolRules() reports and what fitOrder() applies
// (zero fields become absent; MARKET_LOT_SIZE becomes marketQuantity).
SymbolRules rulesOf(const SymbolFilters& filters);

// Refuses a symbol that is not TRADING (SYMBOL_NOT_TRADING), then fits the order to the filters
// with the SDK's tradehost::fitOrder (tradehost/order_fit.h): the quantity floored to the step,
// a limit price rounded to the tick on the passive side, ranges and the minimum notional checked,
// the adjustment noted, and the numbers printed with the step's and tick's decimals.
std::variant<FittedOrder, Rejected> fitOrder(const OrderIntent& intent, const SymbolFilters& filters);

}  // namespace tradehost::binance
