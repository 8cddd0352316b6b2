// JSON bodies of the fapi endpoints in Binance's field order: decimals as strings, ids and times as integers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exchange.h"
#include "json_writer.h"
#include "rate_limiter.h"
#include "symbol_spec.h"

namespace tradehost::binance_emulator {

// POST /fapi/v1/order (ACK and RESULT) and DELETE /fapi/v1/order.
void writeNewOrderResponse(tools::JsonWriter& w, const Order& order, const SymbolSpec& spec);
// GET /fapi/v1/order, /fapi/v1/openOrder and the elements of /fapi/v1/openOrders.
void writeQueryOrder(tools::JsonWriter& w, const Order& order, const SymbolSpec& spec);
void writePositionRiskV2(tools::JsonWriter& w, const PositionView& p, const SymbolSpec& spec);
void writePositionRiskV3(tools::JsonWriter& w, const PositionView& p, const SymbolSpec& spec);
std::string exchangeInfoJson(const std::vector<SymbolSpec>& symbols, const RateLimits& limits, std::int64_t serverTime);
// One entry of GET /control/ledger.
void writeLedgerEntry(tools::JsonWriter& w, const LedgerEntry& e, const SymbolSpec& spec);
std::string errorJson(int code, const std::string& msg);

}  // namespace tradehost::binance_emulator
