// The built-in contract catalogue (values as seen in live fapi exchangeInfo responses).
#include "symbol_spec.h"

namespace tradehost::binance_emulator {
namespace {

SymbolSpec btcusdt() {
    SymbolSpec s;
    s.symbol = "BTCUSDT";
    s.baseAsset = "BTC";
    s.quoteAsset = "USDT";
    s.underlyingSubType = "PoW";
    s.onboardDate = 1569398400000;
    s.pricePrecision = 2;
    s.quantityPrecision = 3;
    s.minPrice = "556.80";
    s.maxPrice = "4529764";
    s.tickSize = "0.10";
    s.lot = LotSize{"0.001", "1000", "0.001"};
    s.marketLot = LotSize{"0.001", "120", "0.001"};
    s.minNotional = "100";
    s.multiplierUp = "1.0500";
    s.multiplierDown = "0.9500";
    s.maxNumOrders = 200;
    s.initialPrice = "65000.00";
    return s;
}

SymbolSpec ethusdt() {
    SymbolSpec s;
    s.symbol = "ETHUSDT";
    s.baseAsset = "ETH";
    s.quoteAsset = "USDT";
    s.underlyingSubType = "Layer-1";
    s.onboardDate = 1569398400000;
    s.pricePrecision = 2;
    s.quantityPrecision = 3;
    s.minPrice = "39.86";
    s.maxPrice = "306177";
    s.tickSize = "0.01";
    s.lot = LotSize{"0.001", "10000", "0.001"};
    s.marketLot = LotSize{"0.001", "2000", "0.001"};
    s.minNotional = "20";
    s.multiplierUp = "1.0500";
    s.multiplierDown = "0.9500";
    s.maxNumOrders = 200;
    s.initialPrice = "3500.00";
    return s;
}

}  // namespace

const std::vector<SymbolSpec>& builtinSymbols() {
    static const std::vector<SymbolSpec> kSymbols = {btcusdt(), ethusdt()};
    return kSymbols;
}

}  // namespace tradehost::binance_emulator
