// hello_venue: a tiny in-memory venue plugin, the starting point for writing your own (see sdk/README.md).
//
// The "exchange" lives in this object's memory: MARKET orders fill completely, at once, at the
// configured `price`; LIMIT orders rest until cancelled (nothing ever moves the market here);
// positions are the sum of the fills. It keeps the one rule of real exchanges that matters most
// to the host: a client order id is unique among *open* orders only, so a filled order frees its
// id (the same rule as Binance). It also pretends to need `connect_after_ms` to connect after
// start(), to show the fourth outcome: an order placed before that is Deferred ("not connected
// yet"), and the host sends it again later under the same id. Replace the bodies with calls to
// your exchange's API and keep the shape: every expected failure is a returned value, never an
// exception.
//
// Build it out of tree against the SDK alone:
//   cmake -S sdk/examples/hello_venue -B /tmp/hello-build -Dtradehost-sdk_DIR=$PWD/sdk/cmake
//   cmake --build /tmp/hello-build

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

// The whole SDK: Venue, AlertSink, Decimal, settings, context, and the TRADEHOST_PLUGIN macro.
#include <tradehost/plugin.h>

namespace hello {

using tradehost::Decimal;
using tradehost::OrderState;
using tradehost::OrderStatus;
using tradehost::OrderType;
using tradehost::Side;

namespace {

// The ids this venue accepts. The host sizes the ids it builds (and limits the length of venue
// instance names) from these rules, so declare what your exchange really accepts. These are
// Binance's: ^[.A-Z:/a-z0-9_-]{1,36}$.
constexpr std::size_t kClientOrderIdMaxLength = 36;
constexpr const char* kClientOrderIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/_-";

bool isValidClientOrderId(const std::string& id) {
    return !id.empty() && id.size() <= kClientOrderIdMaxLength &&
           id.find_first_not_of(kClientOrderIdAlphabet) == std::string::npos;
}

Decimal signedQuantity(Side side, const Decimal& quantity) { return side == Side::Buy ? quantity : -quantity; }

// One line for the log: "BUY MARKET 0.01 BTCUSDT -> FILLED 0.01 @ 100 (exchange id 1)".
std::string describe(const OrderState& o) {
    std::string text =
        std::string(toString(o.side)) + " " + toString(o.type) + " " + o.quantity.toString() + " " + o.symbol;
    if (o.price) text += " @ " + o.price->toString();
    if (o.reduceOnly) text += " reduce-only";
    text += std::string(" -> ") + toString(o.status);
    if (o.filledQuantity.isPositive()) text += " " + o.filledQuantity.toString() + " @ " + o.averagePrice.toString();
    return text + " (exchange id " + o.exchangeOrderId + ")";
}

}  // namespace

// One object per `venues:` entry of type `hello` in a deployment. Several instances of the same
// plugin are normal; they share nothing, so all state is in members, never in globals.
class HelloVenue final : public tradehost::Venue {
public:
    // The settings table. The host validates the deployment against it *before* constructing
    // the venue (unknown keys, wrong types, missing required keys are config errors naming
    // file:line, instance and key), fills in defaults, and prints it for --describe-plugins.
    static tradehost::SettingsSchema settingsSchema() {
        using tradehost::SettingSpec;
        using tradehost::SettingType;
        return {
            SettingSpec("price", SettingType::Decimal).isRequired().describe("price every market order fills at"),
            SettingSpec("symbols", SettingType::StringList)
                .byDefault(std::vector<std::string>{"BTCUSDT"})
                .describe("symbols this venue trades; orders for others are rejected"),
            // A default has the declared type: std::string for String, Decimal::of("...") for
            // Decimal, std::int64_t{...} for Integer.
            SettingSpec("greeting", SettingType::String)
                .byDefault(std::string("hello"))
                .describe("word the venue greets with in its start-up log line"),
            SettingSpec("connect_after_ms", SettingType::Integer)
                .byDefault(std::int64_t{0})
                .describe("pretend connecting takes this long after start(); orders sooner are Deferred"),
        };
    }

    // Construction must be cheap and do no I/O (the host also constructs instances for
    // --check-config). A setting that is well-typed but unusable is a configuration error:
    // throw a std::exception saying which setting and why; the host shows it with file:line.
    HelloVenue(const tradehost::Settings& settings, tradehost::PluginContext& context)
        : context_(context),
          price_(settings.decimal("price")),
          symbols_(settings.list("symbols").begin(), settings.list("symbols").end()),
          greeting_(settings.string("greeting")),
          connectAfter_(std::chrono::milliseconds(settings.integer("connect_after_ms"))) {
        if (!price_.isPositive())
            throw std::invalid_argument("setting 'price' must be positive, got " + price_.toString());
        if (connectAfter_.count() < 0 || connectAfter_ > std::chrono::minutes(10)) {
            throw std::invalid_argument("setting 'connect_after_ms' must be between 0 and 600000");
        }
    }

    // Where a real plugin opens connections, loads symbol rules and checks its keys. Throw a
    // std::exception naming the cause if the instance cannot work at all.
    void start() override {
        // The context's clock, not std::chrono's: tests can control time.
        connectedAt_ = context_.clock().monotonic() + connectAfter_;
        context_.logger().info(greeting_ + "! market orders fill at " + price_.toString());
    }

    // Idempotent and noexcept; a real plugin joins its threads here. The host may call it after
    // a start() that threw, so it must cope with a half-started object. Nothing to do here.
    void stop() noexcept override {}

    // Constant for the instance's life; the host asks once, right after construction.
    tradehost::ClientOrderIdRules clientOrderIdRules() const override {
        tradehost::ClientOrderIdRules rules;
        rules.maxLength = kClientOrderIdMaxLength;
        rules.alphabet = kClientOrderIdAlphabet;
        rules.uniqueAmongOpenOrdersOnly = true;  // a filled order frees its id, as on Binance
        return rules;
    }

    // Sends one order, once. The four outcomes, by what reached the venue:
    //   Accepted  the venue holds the order (filled or open);
    //   Rejected  the venue, or a local check, refused it for good: no order exists, and sending
    //             the same order again cannot help (a bad symbol, a zero quantity);
    //   Deferred  nothing left, and a later try may get through (not connected yet, a rate-limit
    //             hold): no order exists, and the host sends the same order again after
    //             retryAfterMs, under the same client order id;
    //   Unknown   a byte may have left and the answer is missing: the host asks queryOrder().
    // The host logs the result, so only accepted orders are logged here (with their id).
    tradehost::PlaceResult placeOrder(const tradehost::OrderIntent& intent) override {
        // Before anything else: an order that cannot be sent yet is not the venue's to judge.
        const auto waitMs =
            std::chrono::duration_cast<std::chrono::milliseconds>(connectedAt_ - context_.clock().monotonic());
        if (waitMs.count() > 0) return tradehost::Deferred{"not connected yet", waitMs.count()};
        try {
            std::string logLine;
            tradehost::PlaceResult result = placeLocked(intent, logLine);
            if (std::holds_alternative<tradehost::Accepted>(result)) {
                // Outside the lock: the logger and metrics are the host's, and may take time.
                context_.logger().info(logLine);
                context_.metrics().add("orders_accepted", 1);
            }
            return result;
        } catch (const std::exception& e) {
            // Only out-of-memory or a Decimal overflow can get here. Whether the order was stored
            // is not certain, so Unknown: the host then asks queryOrder(), which tells the truth.
            // Never Rejected for "not sure".
            return tradehost::Unknown{std::string("hello venue internal error: ") + e.what()};
        }
    }

    // Found / NotFound: this in-memory venue always knows the answer. A real plugin returns
    // NotFound only when the exchange *answered* "no such order"; a timeout is Unknown.
    tradehost::QueryResult queryOrder(const std::string& clientOrderId, const std::string& symbol) override {
        try {
            std::lock_guard<std::mutex> lock(mutex_);
            // Newest first: a filled order frees its id, so one id may name several orders.
            for (auto it = orders_.rbegin(); it != orders_.rend(); ++it) {
                if (it->clientOrderId == clientOrderId && it->symbol == symbol) return tradehost::Found{*it};
            }
            return tradehost::NotFound{"no order with client order id '" + clientOrderId + "' on " + symbol};
        } catch (const std::exception& e) {
            return tradehost::Unknown{std::string("hello venue internal error: ") + e.what()};
        }
    }

    // Canceled when an open order was cancelled by this call; NotOpen when there is no open
    // order with this id (filled, already cancelled, or never placed).
    tradehost::CancelResult cancelOrder(const std::string& clientOrderId, const std::string& symbol) override {
        try {
            std::lock_guard<std::mutex> lock(mutex_);
            OrderState* order = findOpen(clientOrderId, symbol);
            if (order == nullptr) {
                return tradehost::NotOpen{"no open order with client order id '" + clientOrderId + "' on " + symbol};
            }
            order->status = OrderStatus::Canceled;
            order->updateTimeMs = context_.clock().nowMs();
            return tradehost::Canceled{*order};
        } catch (const std::exception& e) {
            return tradehost::Unknown{std::string("hello venue internal error: ") + e.what()};
        }
    }

    // The account's positions. A real plugin returns Unknown when the exchange could not be
    // asked: the host never reads that as "flat".
    tradehost::PositionsResult positions() override {
        try {
            std::lock_guard<std::mutex> lock(mutex_);
            tradehost::Positions result;
            for (const auto& [symbol, quantity] : positions_) {
                if (quantity.isZero()) continue;  // symbols with no position may be omitted
                tradehost::Position position;
                position.symbol = symbol;
                position.quantity = quantity;
                position.entryPrice = price_;  // every fill here is at `price`
                result.positions.push_back(std::move(position));
            }
            return result;
        } catch (const std::exception& e) {
            return tradehost::Unknown{std::string("hello venue internal error: ") + e.what()};
        }
    }

    // Every open order of the account, including ones the host did not place.
    tradehost::OpenOrdersResult openOrders() override {
        try {
            std::lock_guard<std::mutex> lock(mutex_);
            tradehost::OpenOrders result;
            for (const OrderState& order : orders_) {
                if (isOpen(order.status)) result.orders.push_back(order);
            }
            return result;
        } catch (const std::exception& e) {
            return tradehost::Unknown{std::string("hello venue internal error: ") + e.what()};
        }
    }

    // This venue has no tick, step or minimum notional: a symbol it trades gets rules with no
    // fields set; NotFound means "not traded here".
    tradehost::SymbolRulesResult symbolRules(const std::string& symbol) override {
        try {
            if (symbols_.count(symbol)) {
                tradehost::SymbolRules rules;
                rules.symbol = symbol;
                return rules;
            }
            return tradehost::NotFound{"hello venue does not trade '" + symbol + "'"};
        } catch (const std::exception& e) {
            return tradehost::Unknown{std::string("hello venue internal error: ") + e.what()};
        }
    }

    // watchOrders() is not overridden: nothing here changes after placeOrder() answers (nothing
    // fills a resting order), so there is nothing to push. The default returns false and the host
    // follows open orders by polling queryOrder(). A venue with a user-data stream overrides it.

private:
    // The newest open order with this id on this symbol, or nullptr. Caller holds mutex_.
    OrderState* findOpen(const std::string& clientOrderId, const std::string& symbol) {
        for (auto it = orders_.rbegin(); it != orders_.rend(); ++it) {
            if (it->clientOrderId == clientOrderId && it->symbol == symbol && isOpen(it->status)) return &*it;
        }
        return nullptr;
    }

    tradehost::PlaceResult placeLocked(const tradehost::OrderIntent& intent, std::string& logLine) {
        using tradehost::Rejected;
        const std::string& id = intent.clientOrderId;
        if (!isValidClientOrderId(id)) {
            return Rejected{"INVALID_CLIENT_ORDER_ID",
                            "client order id '" + id + "' does not fit ^[.A-Z:/a-z0-9_-]{1,36}$"};
        }

        std::lock_guard<std::mutex> lock(mutex_);
        // The venue.h contract: when an open order already holds this id, the answer is that
        // order, as Accepted, never a second order. The host only reuses an id to send the same
        // order again (after a crash, say), so the existing order is the one it meant.
        if (const OrderState* held = findOpen(id, intent.symbol)) {
            logLine = "order " + id + ": an open order already holds this id, returned it: " + describe(*held);
            return tradehost::Accepted{*held, "client order id already held by an open order; nothing new was placed"};
        }

        // Checks that fail leave nothing behind, so they are definite rejections.
        if (!symbols_.count(intent.symbol))
            return Rejected{"UNKNOWN_SYMBOL", "this venue does not trade '" + intent.symbol + "'"};
        if (intent.positionSide != tradehost::PositionSide::Both) {
            return Rejected{"INVALID_POSITION_SIDE", "this is a one-way account: position side must be BOTH, got " +
                                                         std::string(toString(intent.positionSide))};
        }
        if (!intent.quantity.isPositive()) {
            return Rejected{"INVALID_QUANTITY", "quantity must be positive, got " + intent.quantity.toString()};
        }
        if (intent.type == OrderType::Limit && !(intent.price && intent.price->isPositive())) {
            return Rejected{"INVALID_PRICE", "a LIMIT order needs a positive price"};
        }
        const auto found = positions_.find(intent.symbol);
        const Decimal position = found == positions_.end() ? Decimal() : found->second;
        if (intent.reduceOnly) {
            // Reduce-only may shrink a position toward zero, never open, grow or flip one.
            const Decimal delta = signedQuantity(intent.side, intent.quantity);
            if (position.isZero() || delta.sign() == position.sign() || intent.quantity > position.abs()) {
                return Rejected{"REDUCE_ONLY", "reduce-only " + std::string(toString(intent.side)) + " " +
                                                   intent.quantity.toString() + " would not reduce the " +
                                                   intent.symbol + " position of " + position.toString()};
            }
        }

        OrderState order;
        order.clientOrderId = id;
        order.exchangeOrderId = std::to_string(orders_.size() + 1);
        order.symbol = intent.symbol;
        order.side = intent.side;
        order.type = intent.type;
        order.quantity = intent.quantity;
        order.reduceOnly = intent.reduceOnly;
        order.updateTimeMs = context_.clock().nowMs();
        if (intent.type == OrderType::Market) {
            order.status = OrderStatus::Filled;
            order.filledQuantity = intent.quantity;
            order.averagePrice = price_;
        } else {
            order.price = intent.price;
            // Nothing ever trades against a resting order here, so an order that must fill at
            // once (IOC, FOK) expires at once, as it would on an exchange with no match.
            const bool immediateOnly =
                intent.timeInForce == tradehost::TimeInForce::IOC || intent.timeInForce == tradehost::TimeInForce::FOK;
            order.status = immediateOnly ? OrderStatus::Expired : OrderStatus::New;
        }

        // Everything that can throw (arithmetic, allocation) comes before the order is stored,
        // so a failure leaves no half-recorded order behind.
        const Decimal newPosition = position + signedQuantity(order.side, order.filledQuantity);
        logLine = "order " + id + " accepted: " + describe(order);
        Decimal& slot = positions_[intent.symbol];
        orders_.push_back(order);
        slot = newPosition;  // unchanged unless the order filled
        return tradehost::Accepted{std::move(order), ""};
    }

    tradehost::PluginContext& context_;  // lent by the host; valid until after destruction
    const Decimal price_;
    const std::set<std::string> symbols_;
    const std::string greeting_;
    const std::chrono::milliseconds connectAfter_;
    std::chrono::steady_clock::time_point connectedAt_;  // set by start(); read-only afterwards

    // Every host thread may call at the same time (start() and stop() excepted): one lock
    // guards all the state below.
    std::mutex mutex_;
    std::vector<OrderState> orders_;            // every order ever placed, oldest first
    std::map<std::string, Decimal> positions_;  // symbol -> signed quantity (negative = short)
};

}  // namespace hello

// Exports the ABI stamp and the factory. Once per library, at namespace scope. The type name
// must match the file name: the host finds type "hello" by looking for tradehost_hello.so.
TRADEHOST_PLUGIN(hello::HelloVenue, "hello", "1.0.0", "Example in-memory venue: market orders fill at one fixed price")
