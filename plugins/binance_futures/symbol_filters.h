// exchangeInfo filters per symbol, and fitting an order to them in exact decimals before sending.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>

#include <tradehost/venue.h>

namespace tradehost::binance {

struct LotRule {
    Decimal minQty, maxQty, stepSize;  // zero means "no such rule"
};

struct SymbolFilters {
    std::string symbol;
    std::string status;  // "TRADING" when orders are accepted
    Decimal minPrice, maxPrice, tickSize;  // PRICE_FILTER; zero disables that part
    LotRule lot;                           // LOT_SIZE: LIMIT quantities
    std::optional<LotRule> marketLot;      // MARKET_LOT_SIZE: MARKET quantities (else LOT_SIZE)
    Decimal minNotional;                   // MIN_NOTIONAL "notional"; reduce-only is exempt
};

// Parses the body of GET /fapi/v1/exchangeInfo. Unknown filters and fields are ignored; numbers
// may be strings or JSON numbers. Throws std::runtime_error for a body that is not exchangeInfo.
std::map<std::string, SymbolFilters> parseExchangeInfo(const std::string& body);

// The order as it will be sent: quantity and price printed with exactly the decimals their step
// and tick have, and what was changed to get there.
struct FittedOrder {
    Decimal quantity;
    std::string quantityText;
    std::optional<Decimal> price;
    std::string priceText;
    std::string note;  // empty when nothing was adjusted
};

// Floors the quantity to the step (never rounds it up: that would trade more than asked), rounds
// a limit price to the tick on the passive side (BUY down, SELL up), then checks ranges and the
// minimum notional (limit orders only: a market order's price is not known here, and the venue
// checks it). An order that cannot be made valid is a Rejected with the reason.
std::variant<FittedOrder, Rejected> fitOrder(const OrderIntent& intent, const SymbolFilters& filters);

}  // namespace tradehost::binance
