// The Venue role: what an exchange plugin implements, and the outcome values it returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tradehost/decimal.h"
#include "tradehost/visibility.h"

namespace tradehost {

enum class Side { Buy, Sell };
enum class OrderType { Market, Limit };
enum class TimeInForce { GTC, IOC, FOK, GTX };
// Both = one-way mode. Long / Short = hedge mode, where a venue keeps the two sides apart.
enum class PositionSide { Both, Long, Short };
enum class OrderStatus { New, PartiallyFilled, Filled, Canceled, Expired, Rejected };

inline const char* toString(Side v) { return v == Side::Buy ? "BUY" : "SELL"; }
inline const char* toString(OrderType v) { return v == OrderType::Market ? "MARKET" : "LIMIT"; }
inline const char* toString(TimeInForce v) {
    switch (v) {
        case TimeInForce::GTC:
            return "GTC";
        case TimeInForce::IOC:
            return "IOC";
        case TimeInForce::FOK:
            return "FOK";
        case TimeInForce::GTX:
            return "GTX";
    }
    return "?";
}
inline const char* toString(PositionSide v) {
    switch (v) {
        case PositionSide::Both:
            return "BOTH";
        case PositionSide::Long:
            return "LONG";
        case PositionSide::Short:
            return "SHORT";
    }
    return "?";
}
inline const char* toString(OrderStatus v) {
    switch (v) {
        case OrderStatus::New:
            return "NEW";
        case OrderStatus::PartiallyFilled:
            return "PARTIALLY_FILLED";
        case OrderStatus::Filled:
            return "FILLED";
        case OrderStatus::Canceled:
            return "CANCELED";
        case OrderStatus::Expired:
            return "EXPIRED";
        case OrderStatus::Rejected:
            return "REJECTED";
    }
    return "?";
}
// True while an order can still fill (and, on Binance, still blocks its client order id).
inline bool isOpen(OrderStatus s) { return s == OrderStatus::New || s == OrderStatus::PartiallyFilled; }

// What the host asks a venue to do. The client order id is computed and stored by the host
// before the call; the plugin sends it unchanged.
struct OrderIntent {
    std::string clientOrderId;
    std::string symbol;
    Side side = Side::Buy;
    OrderType type = OrderType::Market;
    Decimal quantity;
    std::optional<Decimal> price;  // required for Limit, ignored for Market
    TimeInForce timeInForce = TimeInForce::GTC;
    bool reduceOnly = false;
    PositionSide positionSide = PositionSide::Both;
};

// An order as the venue reports it.
struct OrderState {
    std::string clientOrderId;
    std::string exchangeOrderId;
    std::string symbol;
    Side side = Side::Buy;
    OrderType type = OrderType::Market;
    PositionSide positionSide = PositionSide::Both;
    OrderStatus status = OrderStatus::New;
    Decimal quantity;        // as the venue holds it (after any rounding the plugin applied)
    Decimal filledQuantity;  // cumulative
    Decimal averagePrice;    // of the fills; zero while nothing filled
    std::optional<Decimal> price;
    bool reduceOnly = false;
    std::int64_t updateTimeMs = 0;
};

// ---- outcomes: expected failures are values, classified once, inside the plugin ----------

// The venue holds the order. `note` says what the plugin adjusted (e.g. "quantity 0.0123 floored
// to step 0.001 -> 0.012"); empty if nothing.
struct Accepted {
    OrderState order;
    std::string note;
};
// Definitely no order exists for this client order id as a result of the call. `code` is the
// venue's code as text ("-2019") or a plugin reason code ("LOCAL_FILTER").
struct Rejected {
    std::string code;
    std::string message;
};
// The plugin cannot tell: the order may or may not exist (timeout, reset after send, 5xx,
// "execution status unknown"). The host will ask queryOrder() before anything else.
struct Unknown {
    std::string reason;
};
// placeOrder only: nothing reached the venue, and the plugin expects a later try to get through
// (not connected, connection refused, DNS or TLS failure before the request was written, a rate
// limit hold such as Binance's 429/418 with Retry-After, the plugin's own pacing). The order
// certainly does not exist. The host keeps the leg queued under the same client order id (it was
// never used), tries again no sooner than `retryAfterMs` from now, and gives up only when the
// signal passes the deployment's maximum age. Return Rejected instead when trying again cannot
// help (a bad symbol, a filter, insufficient margin), and Unknown whenever a byte may have left.
struct Deferred {
    std::string reason;
    std::int64_t retryAfterMs = 1000;
};
// queryOrder found the order.
struct Found {
    OrderState order;
};
// The venue answered, and it has no order with this client order id.
struct NotFound {
    std::string message;
};
// cancelOrder: the order was open and is cancelled now.
struct Canceled {
    OrderState order;
};
// cancelOrder: the venue holds no open order with this id (filled, cancelled, or never existed).
struct NotOpen {
    std::string message;
};

using PlaceResult = std::variant<Accepted, Rejected, Unknown, Deferred>;
using QueryResult = std::variant<Found, NotFound, Unknown>;
using CancelResult = std::variant<Canceled, NotOpen, Rejected, Unknown>;

// A position as the venue reports it. `quantity` is signed: negative is short.
struct Position {
    std::string symbol;
    PositionSide positionSide = PositionSide::Both;
    Decimal quantity;
    Decimal entryPrice;
    std::optional<Decimal> markPrice;  // the venue's mark price, where it reports one
};
struct Positions {
    std::vector<Position> positions;  // symbols with no position may be omitted
};
struct OpenOrders {
    std::vector<OrderState> orders;
};
using PositionsResult = std::variant<Positions, Unknown>;
using OpenOrdersResult = std::variant<OpenOrders, Unknown>;

// Quantity rules of one kind of order.
struct QuantityRules {
    std::optional<Decimal> stepSize;  // quantity must be a multiple
    std::optional<Decimal> minQuantity;
    std::optional<Decimal> maxQuantity;
};

// Trading rules for one symbol. Absent fields (or zero ones) mean the venue imposes no such rule.
// tradehost/order_fit.h fits an order to them.
struct SymbolRules {
    std::string symbol;
    std::optional<Decimal> tickSize;  // price must be a multiple (counted from minPrice when set)
    std::optional<Decimal> stepSize;  // quantity must be a multiple
    std::optional<Decimal> minQuantity;
    std::optional<Decimal> maxQuantity;
    std::optional<Decimal> minNotional;  // price x quantity at least this (reduce-only exempt)
    std::optional<Decimal> minPrice;     // a LIMIT price below is refused
    std::optional<Decimal> maxPrice;     // a LIMIT price above is refused
    // MARKET orders, where the venue sizes them apart (Binance's MARKET_LOT_SIZE). Absent: the
    // step, minimum and maximum above apply to every order.
    std::optional<QuantityRules> marketQuantity;
};
using SymbolRulesResult = std::variant<SymbolRules, NotFound, Unknown>;

// Which client order ids the venue accepts. The host builds ids that fit: the instance name
// and the signal part are sized against maxLength, and only characters in `alphabet` are used.
struct ClientOrderIdRules {
    std::size_t maxLength = 36;
    std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/_-";
    // True when the venue rejects a reused id only while the first order is still open
    // (Binance). The host never relies on id uniqueness either way; this is for documentation
    // and the contract suite.
    bool uniqueAmongOpenOrdersOnly = true;
};

// Receives the order updates a venue pushes (a user-data stream), for orders of this instance.
// Lent by the host through Venue::watchOrders(); thread-safe; never blocks for long (the host
// queues the update and returns). An update may repeat or arrive late: the host books fills by
// cumulative filled quantity, so a repeated report changes nothing.
class TRADEHOST_SDK_API OrderUpdateSink {
public:
    virtual ~OrderUpdateSink() = default;
    virtual void orderUpdated(const OrderState& order) = 0;
};

// An exchange account. One object per configured instance.
//
// Lifecycle: constructed by the factory (cheap, no I/O; throw std::exception with a clear
// message for a bad configuration) -> start() -> any calls below -> stop() -> destroyed.
// The host never calls anything after stop().
//
// Threads: every method except start() and stop() may be called concurrently from several host
// threads; a plugin protects its own state. Calls block until the venue answers or the plugin's
// own timeout passes; a plugin must not block forever.
//
// Errors: a method returns a value for every expected failure and must not throw. If it throws
// anyway, the host's firewall turns that into Unknown (the order may have been sent).
class TRADEHOST_SDK_API Venue {
public:
    virtual ~Venue() = default;

    // Opens connections, loads symbol rules, syncs clocks. Throw std::exception naming the cause
    // if the instance cannot work at all (the host reports it and does not trade on it).
    virtual void start() = 0;

    // Idempotent; joins the plugin's threads; never throws.
    virtual void stop() noexcept = 0;

    // Constant for the instance's life; called before start().
    virtual ClientOrderIdRules clientOrderIdRules() const = 0;

    // Sends one order, once. Never retries a send inside the plugin: when the outcome is not
    // certain, return Unknown and let the host query; when nothing left and a later try may get
    // through, return Deferred. Accepted carries the venue's order state (status, filled
    // quantity, average price, position side) as of the answer; an order still open (a resting
    // limit order) is followed by the host until it is filled, cancelled or expired. A venue
    // error meaning "an open order already holds this client order id" must be resolved by
    // querying that order and returning it as Accepted — never by sending under another id.
    // Position side: in one-way mode only Both is valid; in hedge mode Long and Short name the
    // book, and Both is read as buy opens Long and sell opens Short, or, with reduceOnly, sell
    // closes Long and buy closes Short. The order state returned says which side the venue used.
    virtual PlaceResult placeOrder(const OrderIntent& intent) = 0;

    // Looks an order up by the client order id the host sent. NotFound only when the venue
    // answered that no such order exists; "could not ask" is Unknown, never NotFound.
    virtual QueryResult queryOrder(const std::string& clientOrderId, const std::string& symbol) = 0;

    // Cancels an open order by client order id. Canceled: it was open and is cancelled now.
    // NotOpen: the venue holds no open order with this id (filled, cancelled, or never placed).
    // Rejected: the venue refused the request itself (bad key, rate limit); the order, if any,
    // is as it was. Unknown: no answer.
    virtual CancelResult cancelOrder(const std::string& clientOrderId, const std::string& symbol) = 0;

    // Current positions of the account. Unknown if the venue could not be asked: the host never
    // reads that as "no position".
    virtual PositionsResult positions() = 0;

    // Orders currently open on the account, including ones the host did not place.
    virtual OpenOrdersResult openOrders() = 0;

    // Tick, step and minimum notional of a symbol. A symbol the venue trades without such rules
    // gets SymbolRules with those fields empty; NotFound means the venue does not trade it.
    virtual SymbolRulesResult symbolRules(const std::string& symbol) = 0;

    // Optional push channel. A venue that can push order updates (a user-data stream) keeps
    // `sink` and calls sink.orderUpdated() for every change it sees to an order of this account,
    // from any thread, until stop() returns (never after); then it returns true. The host still
    // polls queryOrder() for open orders, only less often. The default returns false: no push,
    // the host follows open orders by polling alone. Called once, after start().
    virtual bool watchOrders(OrderUpdateSink& sink) {
        static_cast<void>(sink);
        return false;
    }
};

}  // namespace tradehost
