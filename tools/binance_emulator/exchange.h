// The emulated exchange: accounts, prices, orders, matching, positions and the ledger of every accepted order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

#include "api_error.h"
#include "emulator_clock.h"
#include "order.h"
#include "order_request.h"
#include "symbol_spec.h"

namespace tradehost::binance_emulator {

struct Credential {
    std::string apiKey;
    std::string apiSecret;
};

// Binance rejects a reused newClientOrderId only while the first order is open; the other two
// modes exist so the host can be shown to be safe whatever the venue does (reliability D2).
enum class ClientIdUniqueness { OpenOrders, Global, None };

struct Position {
    Decimal amount;      // signed: negative is short
    Decimal entryPrice;  // average, rounded half-up to 8 decimals when positions are added to
    std::int64_t updateTime = 0;
};

struct PositionView {
    std::string symbol;
    PositionSide positionSide = PositionSide::Both;
    Position position;
    Decimal markPrice;
    Decimal bidNotional;  // open BUY orders, price x remaining quantity
    Decimal askNotional;
    bool hasOpenOrders = false;
};

// What the request looked like on the wire, recorded next to the order it produced.
struct RequestContext {
    bool signatureValid = true;
    std::string fault;  // the fault that fired on this request, if any
    // Wall-clock Unix microseconds when the handler got the request, before any check: a
    // benchmark on the same machine subtracts its send time from it (ledger "acceptedAtUs").
    std::int64_t receivedAtUs = 0;
};

struct LedgerEntry {
    std::int64_t seq = 0;
    std::size_t account = 0;
    std::string clientOrderId;
    std::optional<Order> order;  // absent while a late order waits, or if it was refused at execution
    std::string symbol;
    Side side = Side::Buy;
    PositionSide positionSide = PositionSide::Both;
    OrderType type = OrderType::Market;
    TimeInForce timeInForce = TimeInForce::Gtc;
    Decimal quantity;
    Decimal price;
    bool reduceOnly = false;
    std::int64_t acceptedAt = 0;
    std::int64_t executedAt = 0;  // when it entered the book; 0 while pending
    bool pending = false;
    std::optional<ApiError> rejection;  // a late order the book refused when its time came
    RequestContext context;
};

struct PlaceResult {
    Order ack;     // the order as it was accepted: NEW, nothing executed
    Order result;  // the order after immediate matching
};

class Exchange {
public:
    Exchange(const EmulatorClock& clock, std::vector<SymbolSpec> symbols, std::vector<Credential> credentials,
             bool hedgeMode);
    ~Exchange();
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    // Immutable after construction: safe without the lock.
    const std::vector<SymbolSpec>& symbols() const { return symbols_; }
    const SymbolSpec* findSymbol(const std::string& symbol) const;
    std::optional<std::size_t> accountForKey(const std::string& apiKey) const;
    const std::string& secretOf(std::size_t account) const { return credentials_.at(account).apiSecret; }
    std::size_t accountCount() const { return credentials_.size(); }

    std::variant<PlaceResult, ApiError> placeOrder(std::size_t account, const OrderRequest& request,
                                                   const RequestContext& context);
    // Every check placeOrder makes before creating the order, without creating it.
    std::optional<ApiError> checkOrder(std::size_t account, const OrderRequest& request) const;
    // Records the order as accepted but keeps it out of the book (queries say -2013) until
    // `delayMs` of real time has passed; then places it, re-running every check.
    void placeLater(std::size_t account, const OrderRequest& request, const RequestContext& context,
                    std::int64_t delayMs);

    // orderId wins over clientOrderId when both are given (documented rule).
    std::variant<Order, ApiError> queryOrder(std::size_t account, const std::string& symbol,
                                             std::optional<std::int64_t> orderId, const std::string& clientOrderId,
                                             bool openOnly) const;
    std::variant<Order, ApiError> cancelOrder(std::size_t account, const std::string& symbol,
                                              std::optional<std::int64_t> orderId, const std::string& clientOrderId);
    std::vector<Order> openOrders(std::size_t account, const std::string& symbol) const;
    // activeOnly: only non-zero positions or sides with open orders (positionRisk v3).
    std::vector<PositionView> positions(std::size_t account, const std::string& symbol, bool activeOnly) const;
    bool dualSidePosition(std::size_t account) const;
    std::optional<ApiError> setDualSidePosition(std::size_t account, bool dual);

    // ---- control ------------------------------------------------------------------------
    // Sets the last/mark price and fills resting limit orders it crosses; returns their ids.
    std::vector<std::int64_t> setPrice(const std::string& symbol, const Decimal& price);
    // Fills `quantity` of an open order as the maker, at `price` (default: its limit price), as a
    // counterparty's order would: the only way to get PARTIALLY_FILLED, since there is no book.
    // The order is found by orderId, else as the open order holding clientOrderId; `symbol` may be
    // empty. Returns the order after the fill, or why it cannot be filled.
    std::variant<Order, std::string> fillOrder(std::size_t account, const std::string& symbol,
                                               std::optional<std::int64_t> orderId, const std::string& clientOrderId,
                                               const Decimal& quantity, const std::optional<Decimal>& price);
    Decimal price(const std::string& symbol) const;
    // Both return an error text, or nullopt on success.
    std::optional<std::string> setPosition(std::size_t account, const std::string& symbol, PositionSide side,
                                           const Decimal& amount, std::optional<Decimal> entryPrice);
    std::optional<std::string> nudgePosition(std::size_t account, const std::string& symbol, PositionSide side,
                                             const Decimal& delta);
    std::vector<LedgerEntry> ledger() const;
    std::size_t pendingLateOrders() const;
    void setUniqueness(ClientIdUniqueness mode);
    ClientIdUniqueness uniqueness() const;
    // Back to the state at construction; order ids keep counting so none is ever reused.
    void reset();

private:
    using PositionKey = std::tuple<std::size_t, std::string, PositionSide>;
    struct LateOrder {
        std::size_t account = 0;
        OrderRequest request;
        RequestContext context;
        std::size_t ledgerIndex = 0;
    };

    std::optional<ApiError> checkOrderLocked(std::size_t account, const OrderRequest& request) const;
    std::variant<PlaceResult, ApiError> placeOrderLocked(std::size_t account, const OrderRequest& request,
                                                         const RequestContext& context,
                                                         std::optional<std::size_t> ledgerIndex);
    std::optional<std::size_t> findOrderLocked(std::size_t account, const std::string& symbol,
                                               std::optional<std::int64_t> orderId, const std::string& clientOrderId,
                                               bool visibleOnly) const;
    bool retainedLocked(const Order& order) const;
    // Reduce-only in one-way mode, or a close (SELL+LONG, BUY+SHORT) in hedge mode.
    bool reducesLocked(std::size_t account, Side side, PositionSide positionSide, bool reduceOnly) const;
    Decimal reducibleLocked(std::size_t account, const std::string& symbol, Side side, PositionSide positionSide) const;
    PositionSide bookSideLocked(std::size_t account, PositionSide requested) const;
    void fillLocked(Order& order, const Decimal& quantity, const Decimal& price, std::int64_t now);
    void applyFillToPositionLocked(std::size_t account, const std::string& symbol, PositionSide side,
                                   const Decimal& signedQty, const Decimal& price, std::int64_t now);
    void syncLedgerLocked(const Order& order);
    std::string generateClientOrderIdLocked();
    void lateWorker();

    const EmulatorClock& clock_;
    const std::vector<SymbolSpec> symbols_;
    const std::vector<Credential> credentials_;
    const bool initialHedgeMode_;

    mutable std::mutex mutex_;
    std::map<std::string, Decimal> prices_;
    std::vector<bool> dualSide_;
    std::deque<Order> orders_;
    std::map<std::int64_t, std::size_t> byOrderId_;
    std::map<std::pair<std::size_t, std::string>, std::vector<std::size_t>> byClientId_;
    std::set<std::size_t> open_;  // indices into orders_, in creation order
    std::map<PositionKey, Position> positions_;
    std::vector<LedgerEntry> ledger_;
    std::int64_t nextOrderId_;
    ClientIdUniqueness uniqueness_ = ClientIdUniqueness::OpenOrders;
    std::mt19937_64 random_;

    std::multimap<std::chrono::steady_clock::time_point, LateOrder> late_;
    std::condition_variable lateWake_;
    bool stopping_ = false;
    std::thread lateThread_;
};

}  // namespace tradehost::binance_emulator
