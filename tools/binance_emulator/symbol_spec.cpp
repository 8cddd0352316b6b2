// The built-in contract catalogue (values as seen in live fapi exchangeInfo responses).
#include "symbol_spec.h"

namespace tradehost::binance_emulator {

const std::vector<SymbolSpec>& builtinSymbols() {
    static const std::vector<SymbolSpec> kSymbols = {
        SymbolSpec{"BTCUSDT", "BTC", "USDT", "PoW", 1569398400000, 2, 3,
                   "556.80", "4529764", "0.10",
                   LotSize{"0.001", "1000", "0.001"},
                   LotSize{"0.001", "120", "0.001"},
                   "100", "1.0500", "0.9500", 200, "65000.00"},
        SymbolSpec{"ETHUSDT", "ETH", "USDT", "Layer-1", 1569398400000, 2, 3,
                   "39.86", "306177", "0.01",
                   LotSize{"0.001", "10000", "0.001"},
                   LotSize{"0.001", "2000", "0.001"},
                   "20", "1.0500", "0.9500", 200, "3500.00"},
    };
    return kSymbols;
}

}  // namespace tradehost::binance_emulator
