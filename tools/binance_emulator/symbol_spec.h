// The contracts the emulator lists: exchangeInfo fields and filters, kept as Binance prints them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tradehost/decimal.h"

namespace tradehost::binance_emulator {

// A number from exchangeInfo: the exact text Binance prints ("0.10") and its value.
struct SpecNumber {
    std::string text;
    Decimal value;
    SpecNumber() = default;
    // Implicit so the catalogue reads as the literals Binance prints; a bad literal throws at startup.
    SpecNumber(const char* literal) : text(literal), value(Decimal::of(literal)) {}
};

struct LotSize {
    SpecNumber minQty;
    SpecNumber maxQty;
    SpecNumber stepSize;
};

struct SymbolSpec {
    std::string symbol;
    std::string baseAsset;
    std::string quoteAsset;
    std::string underlyingSubType;
    std::int64_t onboardDate = 0;
    // Precision is what -1111 checks; tick/step are what -4014/-4023 check. Binance publishes both
    // and the docs warn not to use the former as the latter.
    int pricePrecision = 2;
    int quantityPrecision = 3;
    SpecNumber minPrice;
    SpecNumber maxPrice;
    SpecNumber tickSize;
    LotSize lot;
    LotSize marketLot;
    SpecNumber minNotional;
    SpecNumber multiplierUp;
    SpecNumber multiplierDown;
    int maxNumOrders = 200;
    SpecNumber initialPrice;
};

// BTCUSDT and ETHUSDT with filter values taken from live exchangeInfo snapshots.
const std::vector<SymbolSpec>& builtinSymbols();

}  // namespace tradehost::binance_emulator
