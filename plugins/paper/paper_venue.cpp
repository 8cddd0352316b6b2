// The "paper" venue: order fitting, immediate fills, resting limits and positions, kept in its state file.
#include "paper_venue.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "tradehost/order_fit.h"
#include "tradehost/plugin.h"

namespace tradehost::paper {

namespace {

// Binance's REST rule for newClientOrderId: ^[.A-Z:/a-z0-9_-]{1,36}$.
constexpr std::size_t kClientOrderIdMaxLength = 36;
constexpr const char* kClientOrderIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/_-";
// A plugin call must never block forever; a minute of simulated latency is already absurd.
constexpr std::int64_t kMaxLatencyMs = 60'000;
// Finished orders kept for queries by default, and at most (about 2 GB of order states).
constexpr std::int64_t kDefaultMaxFinishedOrders = 10'000;
constexpr std::int64_t kMaxMaxFinishedOrders = 10'000'000;
// Entry prices are averages and rarely exact: keep this many decimals beyond the tick's, capped
// so the long division stays within Decimal's 30 decimals.
constexpr int kEntryPriceExtraDecimals = 8;
constexpr int kEntryPriceMaxDecimals = 20;
// In the instance's data directory.
constexpr const char* kStateFileName = "paper_state.log";
// The state file is rewritten from a snapshot once this many changes, plus two per order kept,
// were appended since the last rewrite: the file stays within a few times the snapshot, and
// rewriting costs about one order's worth of writing per change.
constexpr std::size_t kCompactAfterChanges = 1024;
// A call that could not write the state file changed nothing; it may succeed in a moment.
constexpr std::int64_t kStateRetryMs = 1000;

bool isValidClientOrderId(const std::string& id) {
    if (id.empty() || id.size() > kClientOrderIdMaxLength) return false;
    return id.find_first_not_of(kClientOrderIdAlphabet) == std::string::npos;
}

Decimal settingAtLeast(const Settings& settings, const std::string& name, bool allowZero) {
    const Decimal& value = settings.decimal(name);
    if (value.isNegative() || (!allowZero && value.isZero())) {
        throw std::invalid_argument("paper: setting '" + name + "' must be " +
                                    (allowZero ? "zero or positive" : "positive") + ", got " + value.toString());
    }
    return value;
}

std::size_t maxFinishedOrdersSetting(const Settings& settings) {
    const std::int64_t n = settings.integer("max_finished_orders");
    if (n < 0 || n > kMaxMaxFinishedOrders) {
        throw std::invalid_argument("paper: setting 'max_finished_orders' must be between 0 and " +
                                    std::to_string(kMaxMaxFinishedOrders) + ", got " + std::to_string(n));
    }
    return static_cast<std::size_t>(n);
}

std::chrono::milliseconds latencySetting(const Settings& settings) {
    const std::int64_t ms = settings.integer("latency_ms");
    if (ms < 0 || ms > kMaxLatencyMs) {
        throw std::invalid_argument("paper: setting 'latency_ms' must be between 0 and " +
                                    std::to_string(kMaxLatencyMs) + ", got " + std::to_string(ms));
    }
    return std::chrono::milliseconds(ms);
}

void requireTradablePrice(const std::string& symbol, const Decimal& price, const Decimal& tick) {
    // A last price off the tick grid cannot happen on a real venue and would make every
    // crossing LIMIT fill at a price no order could carry.
    if (!price.isPositive() || !price.isMultipleOf(tick)) {
        throw std::invalid_argument("paper: price of symbol '" + symbol +
                                    "' must be a positive multiple of tick_size " + tick.toString() + ", got '" +
                                    price.toString() + "'");
    }
}

std::map<std::string, Decimal> pricesSetting(const Settings& settings, const Decimal& tick) {
    std::map<std::string, Decimal> prices;
    for (const auto& [symbol, text] : settings.map("prices")) {
        if (symbol.empty()) throw std::invalid_argument("paper: 'prices' has an empty symbol name");
        const std::optional<Decimal> price = Decimal::parse(text);
        if (!price) {
            throw std::invalid_argument("paper: price of symbol '" + symbol + "' must be a positive decimal, got '" +
                                        text + "'");
        }
        requireTradablePrice(symbol, *price, tick);
        prices.emplace(symbol, *price);
    }
    return prices;
}

// Decimal deliberately has no division (most quotients are not exact); the entry price is the one
// average this venue reports, so it is computed by long division and rounded half-up to
// `decimals` places. Both arguments are positive.
Decimal divideRounded(const Decimal& numerator, const Decimal& denominator, int decimals) {
    const Decimal ten = Decimal::fromInt(10);
    const Decimal tenth = Decimal::of("0.1");
    Decimal place = Decimal::fromInt(1);
    while (denominator * place * ten <= numerator) place = place * ten;
    Decimal last = Decimal::fromInt(1);
    for (int i = 0; i <= decimals; ++i) last = last * tenth;  // one digit beyond, to round on

    Decimal quotient;
    Decimal remainder = numerator;
    for (;;) {
        const Decimal chunk = denominator * place;
        int digit = 0;
        Decimal taken;
        while (digit < 9 && taken + chunk <= remainder) {
            taken += chunk;
            ++digit;
        }
        quotient += place * Decimal::fromInt(digit);
        remainder -= taken;
        if (place == last || remainder.isZero()) break;
        place = place * tenth;
    }
    return quotient.roundToStep(last * ten, Rounding::HalfUp);
}

Decimal signedQuantity(Side side, const Decimal& quantity) { return side == Side::Buy ? quantity : -quantity; }

std::string describe(const OrderState& o) {
    std::string text =
        std::string(toString(o.side)) + " " + toString(o.type) + " " + o.quantity.toString() + " " + o.symbol;
    if (o.positionSide != PositionSide::Both) text += std::string(" ") + toString(o.positionSide);
    if (o.price) text += " @ " + o.price->toString();
    if (o.reduceOnly) text += " reduce-only";
    text += " -> " + std::string(toString(o.status));
    if (o.filledQuantity.isPositive()) text += " " + o.filledQuantity.toString() + " @ " + o.averagePrice.toString();
    return text + " (exchange id " + o.exchangeOrderId + ")";
}

Rejected reject(std::string code, std::string message) { return Rejected{std::move(code), std::move(message)}; }

}  // namespace

PaperVenue::PaperVenue(const Settings& settings, PluginContext& context)
    : context_(context),
      tickSize_(settingAtLeast(settings, "tick_size", false)),
      stepSize_(settingAtLeast(settings, "step_size", false)),
      minNotional_(settingAtLeast(settings, "min_notional", true)),
      latency_(latencySetting(settings)),
      hedgeMode_(settings.boolean("hedge_mode")),
      maxFinishedOrders_(maxFinishedOrdersSetting(settings)),
      configuredPrices_(pricesSetting(settings, tickSize_)),
      stateFile_(context.dataDir().empty() ? std::string() : context.dataDir() + "/" + kStateFileName),
      prices_(configuredPrices_) {}

SettingsSchema PaperVenue::settingsSchema() {
    return {
        SettingSpec("prices", SettingType::StringMap)
            .byDefault(std::map<std::string, std::string>{})
            .describe("symbol -> last price (a positive multiple of tick_size), e.g. {BTCUSDT: \"65000\"}; orders for "
                      "other symbols are rejected"),
        SettingSpec("tick_size", SettingType::Decimal)
            .byDefault(Decimal::of("0.01"))
            .describe("price grid of every symbol: a LIMIT price is rounded to it on the passive side (BUY down, "
                      "SELL up), as the Binance plugin does; prices in 'prices' and setPrice must be on it"),
        SettingSpec("step_size", SettingType::Decimal)
            .byDefault(Decimal::of("0.001"))
            .describe("quantity step of every symbol: a quantity is floored to a multiple of it (never rounded up), "
                      "as the Binance plugin does, and the answer says so"),
        SettingSpec("min_notional", SettingType::Decimal)
            .byDefault(Decimal::of("5"))
            .describe("smallest price x quantity of an order that is not reduce-only: a LIMIT at its price, a MARKET "
                      "at the last price"),
        SettingSpec("latency_ms", SettingType::Integer)
            .byDefault(std::int64_t{0})
            .describe("simulated delay of every venue call, in milliseconds (0 to 60000)"),
        SettingSpec("hedge_mode", SettingType::Boolean)
            .byDefault(false)
            .describe("keep LONG and SHORT positions apart; an order with position side BOTH is read as BUY opens "
                      "LONG, SELL opens SHORT, and reduce-only SELL closes LONG, BUY closes SHORT. Off: only BOTH "
                      "is accepted"),
        SettingSpec("max_finished_orders", SettingType::Integer)
            .byDefault(std::int64_t{kDefaultMaxFinishedOrders})
            .describe("finished (filled, cancelled, expired) orders kept for queryOrder, 0 to 10000000; beyond it "
                      "the one that finished first is forgotten and a query for it answers NotFound, as Binance "
                      "does past its retention. Open orders are always kept. The host only queries orders it has "
                      "just sent, so the newest are the ones that matter. They are kept across restarts too"),
    };
}

void PaperVenue::start() {
    if (stateFile_.path().empty()) throw std::runtime_error("paper: the host lent this instance no data directory");
    // The host makes it before construction (context.h); without it no change could be kept.
    std::error_code error;
    if (!std::filesystem::is_directory(context_.dataDir(), error))
        throw std::runtime_error("paper: the data directory " + context_.dataDir() + " is not a directory" +
                                 (error ? " (" + error.message() + ")" : std::string()));
    std::string resumed;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const PaperStateFile::LoadReport report =
            stateFile_.load([this](const StateChange& change) { applyLocked(change, true); });
        // Replayed in the order orders finished, not the order they were placed: queries want the
        // newest of an id last.
        for (auto& [id, exchangeIds] : ordersByClientId_) std::sort(exchangeIds.begin(), exchangeIds.end());
        checkResumedLocked();
        context_.metrics().set("open_orders", static_cast<std::int64_t>(open_.size()));
        if (!report.found) {
            resumed = "no state in " + stateFile_.path() + " yet: starting flat";
        } else {
            std::size_t positions = 0;
            for (const auto& [key, book] : books_) positions += book.quantity.isZero() ? 0 : 1;
            resumed = "resumed from " + stateFile_.path() + ": " + std::to_string(positions) + " position(s), " +
                      std::to_string(open_.size()) + " open order(s), " + std::to_string(finished_.size()) +
                      " finished order(s), next exchange id " + std::to_string(nextExchangeId_);
        }
        if (report.droppedTail) {
            // Not an error: the process died while writing that change, so its call never answered.
            context_.logger().warning("the last change in " + stateFile_.path() +
                                      " was cut short (the process stopped while writing it); it was dropped, as "
                                      "the call that made it never answered");
        }
    }
    context_.logger().info("paper venue ready: " + std::to_string(prices_.size()) + " symbol(s), " +
                           (hedgeMode_ ? "hedge" : "one-way") + " mode; " + resumed);
}

void PaperVenue::checkResumedLocked() const {
    const auto refuse = [this](const std::string& why) {
        throw std::runtime_error("paper: the state file " + stateFile_.path() + " " + why);
    };
    for (const auto& [symbol, price] : prices_) {
        if (!price.isPositive() || !price.isMultipleOf(tickSize_))
            refuse("holds the price " + price.toString() + " for " + symbol + ", which is not a positive multiple " +
                   "of tick_size " + tickSize_.toString() +
                   "; set tick_size back, or move the file away to start flat");
    }
    // As Binance refuses to change the position mode while positions or open orders exist.
    const auto wrongBook = [this](PositionSide side) { return hedgeMode_ == (side == PositionSide::Both); };
    const std::string fix = std::string("; set hedge_mode back to ") + (hedgeMode_ ? "false" : "true") +
                            ", close them, and change it then (or move the file away to start flat)";
    for (const auto& [key, book] : books_) {
        if (!book.quantity.isZero() && wrongBook(key.second))
            refuse("holds a " + std::string(toString(key.second)) + " position of " + key.first +
                   ", but hedge_mode is " + (hedgeMode_ ? "true" : "false") + fix);
    }
    for (const std::uint64_t exchangeId : open_) {
        const OrderState& order = orders_.at(exchangeId);
        if (wrongBook(order.positionSide))
            refuse("holds the open " + std::string(toString(order.positionSide)) + " order " + order.clientOrderId +
                   ", but hedge_mode is " + (hedgeMode_ ? "true" : "false") + fix);
    }
}

StateChange PaperVenue::snapshotLocked() const {
    StateChange snapshot;
    for (const auto& [symbol, price] : prices_) {
        const auto configured = configuredPrices_.find(symbol);
        snapshot.prices.push_back(
            {symbol, price,
             configured == configuredPrices_.end() ? std::nullopt : std::optional<Decimal>(configured->second)});
    }
    // Finished ones in the order they finished, so that a replay forgets the same ones first.
    for (const std::uint64_t exchangeId : finished_) snapshot.orders.push_back(orders_.at(exchangeId));
    for (const std::uint64_t exchangeId : open_) snapshot.orders.push_back(orders_.at(exchangeId));
    for (const auto& [key, book] : books_)
        snapshot.books.push_back({key.first, key.second, book.quantity, book.openQuantity, book.openCost});
    snapshot.nextExchangeId = nextExchangeId_;
    return snapshot;
}

std::string PaperVenue::persistLocked(const StateChange& change) {
    // The first change after start() (or after a write that could not be undone) rewrites the
    // file from what is in memory: that also drops a change cut short by a kill.
    if (!stateFile_.writable()) {
        const std::string why = stateFile_.rewrite(snapshotLocked());
        if (!why.empty()) {
            context_.metrics().add("state_write_failures", 1);
            return why;
        }
    }
    const std::string why = stateFile_.append(change);
    if (!why.empty()) context_.metrics().add("state_write_failures", 1);
    return why;
}

void PaperVenue::compactIfDueLocked() {
    if (stateFile_.appendsSinceRewrite() < kCompactAfterChanges + 2 * orders_.size()) return;
    const std::string why = stateFile_.rewrite(snapshotLocked());
    if (why.empty()) {
        compactionFailing_ = false;
        return;
    }
    // Harmless for now (changes are still appended), but the file grows: say so once.
    context_.metrics().add("state_compaction_failures", 1);
    if (!compactionFailing_) context_.logger().warning("could not rewrite the state file: " + why);
    compactionFailing_ = true;
}

void PaperVenue::applyLocked(const StateChange& change, bool replaying) {
    for (const SavedPrice& saved : change.prices) {
        if (replaying) {
            // A price the deployment changed since it was kept: the deployment wins.
            const auto configured = configuredPrices_.find(saved.symbol);
            const std::optional<Decimal> now =
                configured == configuredPrices_.end() ? std::nullopt : std::optional<Decimal>(configured->second);
            if (now != saved.configured) continue;
        }
        prices_[saved.symbol] = saved.price;
    }
    for (const OrderState& order : change.orders) applyOrderLocked(order, replaying);
    for (const SavedBook& saved : change.books) {
        const BookKey key(saved.symbol, saved.positionSide);
        if (saved.quantity.isZero()) {
            books_.erase(key);
        } else {
            books_[key] = Book{saved.quantity, saved.openQuantity, saved.openCost};
        }
    }
    if (change.nextExchangeId) nextExchangeId_ = std::max(nextExchangeId_, *change.nextExchangeId);
}

void PaperVenue::applyOrderLocked(const OrderState& order, bool replaying) {
    const std::uint64_t exchangeId = std::stoull(order.exchangeOrderId);
    nextExchangeId_ = std::max(nextExchangeId_, exchangeId + 1);
    const auto it = orders_.find(exchangeId);
    if (it == orders_.end()) {
        orders_.emplace(exchangeId, order);
        ordersByClientId_[order.clientOrderId].push_back(exchangeId);
        if (isOpen(order.status)) {
            open_.insert(exchangeId);
        } else {
            finishLocked(exchangeId, !replaying);
        }
        return;
    }
    const bool wasOpen = open_.count(exchangeId) != 0;
    it->second = order;
    if (wasOpen && !isOpen(order.status)) finishLocked(exchangeId, !replaying);
}

void PaperVenue::stop() noexcept {
    std::unique_lock<std::mutex> lock(sinkMutex_);
    stopped_ = true;
    sink_ = nullptr;
    // A push that started before stop() finishes before stop() returns; none starts after.
    sinkIdle_.wait(lock, [this] { return pushing_ == 0; });
}

bool PaperVenue::watchOrders(OrderUpdateSink& sink) {
    std::lock_guard<std::mutex> lock(sinkMutex_);
    if (stopped_) return false;
    sink_ = &sink;
    return true;
}

void PaperVenue::pushUpdates(const std::vector<OrderState>& updates) {
    if (updates.empty()) return;
    OrderUpdateSink* sink = nullptr;
    {
        std::lock_guard<std::mutex> lock(sinkMutex_);
        if (sink_ == nullptr) return;
        sink = sink_;
        ++pushing_;
    }
    for (const OrderState& order : updates) {
        try {
            sink->orderUpdated(order);
        } catch (...) {
            // The host's sink does not throw; if one did, the next update still goes.
        }
    }
    std::lock_guard<std::mutex> lock(sinkMutex_);
    if (--pushing_ == 0) sinkIdle_.notify_all();
}

ClientOrderIdRules PaperVenue::clientOrderIdRules() const {
    ClientOrderIdRules rules;
    rules.maxLength = kClientOrderIdMaxLength;
    rules.alphabet = kClientOrderIdAlphabet;
    rules.uniqueAmongOpenOrdersOnly = true;
    return rules;
}

void PaperVenue::simulateLatency() const {
    // Outside the lock, so concurrent calls overlap their delays as they would on the wire.
    if (latency_.count() > 0) std::this_thread::sleep_for(latency_);
}

std::optional<std::uint64_t> PaperVenue::findOpen(const std::string& clientOrderId, const std::string& symbol) const {
    const auto it = ordersByClientId_.find(clientOrderId);
    if (it == ordersByClientId_.end()) return std::nullopt;
    for (const std::uint64_t id : it->second) {
        if (open_.count(id) != 0 && orders_.at(id).symbol == symbol) return id;
    }
    return std::nullopt;
}

bool PaperVenue::reducesOnly(const OrderState& order) const {
    if (order.reduceOnly) return true;
    // In hedge mode a SELL on LONG (or BUY on SHORT) closes; it can never open the other way.
    return hedgeMode_ && ((order.positionSide == PositionSide::Long && order.side == Side::Sell) ||
                          (order.positionSide == PositionSide::Short && order.side == Side::Buy));
}

Decimal PaperVenue::positionLocked(const BookKey& key) const {
    const auto it = books_.find(key);
    return it == books_.end() ? Decimal() : it->second.quantity;
}

bool PaperVenue::fitsReduceOnly(const OrderState& order, const Decimal& position) {
    const Decimal delta = signedQuantity(order.side, order.quantity);
    return !position.isZero() && delta.sign() == -position.sign() && order.quantity <= position.abs();
}

PaperVenue::Book PaperVenue::afterFill(const Book& book, Side side, const Decimal& quantity, const Decimal& price) {
    const Decimal delta = signedQuantity(side, quantity);
    Book next = book;
    next.quantity = book.quantity + delta;
    if (book.quantity.isZero() || book.quantity.sign() == delta.sign()) {
        next.openQuantity += quantity;
        next.openCost += quantity * price;
    } else if (!next.quantity.isZero() && next.quantity.sign() != book.quantity.sign()) {
        // Flipped through zero: what is left over opened a new position at this fill.
        next.openQuantity = next.quantity.abs();
        next.openCost = next.quantity.abs() * price;
    }
    if (next.quantity.isZero()) next = Book{};
    return next;
}

void PaperVenue::fill(OrderState& order, const Decimal& price) const {
    order.status = OrderStatus::Filled;
    order.filledQuantity = order.quantity;
    order.averagePrice = price;
    order.updateTimeMs = context_.clock().nowMs();
}

void PaperVenue::finishLocked(std::uint64_t exchangeId, bool count) {
    open_.erase(exchangeId);
    finished_.push_back(exchangeId);
    // Bounded memory: a long run must not keep every order ever placed.
    while (finished_.size() > maxFinishedOrders_) {
        const std::uint64_t oldest = finished_.front();
        finished_.pop_front();
        const auto order = orders_.find(oldest);
        const auto ids = ordersByClientId_.find(order->second.clientOrderId);
        auto& list = ids->second;
        list.erase(std::find(list.begin(), list.end(), oldest));
        if (list.empty()) ordersByClientId_.erase(ids);
        orders_.erase(order);
        if (count) context_.metrics().add("orders_forgotten", 1);
    }
}

PlaceResult PaperVenue::placeOrder(const OrderIntent& intent) {
    try {
        simulateLatency();
        std::string logLine;
        PlaceResult result = placeLocked(intent, logLine);
        if (std::holds_alternative<Accepted>(result)) {
            context_.metrics().add("orders_accepted", 1);
            context_.logger().info(logLine);
        } else if (std::holds_alternative<Rejected>(result)) {
            // Returned to the host, which logs it with the signal; counting is enough here.
            context_.metrics().add("orders_rejected", 1);
        }
        return result;
    } catch (const std::exception& e) {
        // Should be unreachable; Unknown makes the host ask queryOrder(), which tells the truth.
        return Unknown{std::string("paper venue internal error: ") + e.what()};
    }
}

PlaceResult PaperVenue::placeLocked(const OrderIntent& intent, std::string& logLine) {
    const std::string& id = intent.clientOrderId;
    if (!isValidClientOrderId(id)) {
        return reject("INVALID_CLIENT_ORDER_ID",
                      "client order id '" + id + "' must be 1-36 characters of [.A-Z:/a-z0-9_-]");
    }

    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto existing = findOpen(id, intent.symbol)) {
        // Binance refuses a second open order under the same id; the SDK contract turns that
        // refusal into the existing order, so the host adopts it instead of sending again.
        const OrderState& held = orders_.at(*existing);
        logLine = "order " + id + ": an open order already holds this id, returned it: " + describe(held);
        return Accepted{held, "client order id already held by an open order; nothing new was placed"};
    }

    Checked checked;
    try {
        if (std::optional<Rejected> rejected = checkLocked(intent, checked)) return *rejected;
    } catch (const DecimalError& e) {
        // Only absurd numbers get here (a product beyond 38 digits); nothing was changed yet.
        return reject("OUT_OF_RANGE", std::string("order numbers out of range: ") + e.what());
    }

    // What the order becomes is worked out on a copy, written to the state file, and only then
    // applied: a change the file does not hold never happened.
    OrderState order = checked.order;
    order.exchangeOrderId = std::to_string(nextExchangeId_);
    const bool postOnly = order.type == OrderType::Limit && intent.timeInForce == TimeInForce::GTX;
    const bool immediateOnly = order.type == OrderType::Limit &&
                               (intent.timeInForce == TimeInForce::IOC || intent.timeInForce == TimeInForce::FOK);
    StateChange change;
    if (checked.crosses && !postOnly) {
        fill(order, checked.fillPrice);  // a taker gets the market price, not its limit
        change.books.push_back({order.symbol, order.positionSide, checked.next.quantity, checked.next.openQuantity,
                                checked.next.openCost});
    } else if (checked.crosses || immediateOnly) {
        // As on Binance: a post-only order that would take, or an IOC/FOK that cannot, expires.
        order.status = OrderStatus::Expired;
    }
    change.orders.push_back(order);
    if (const std::string why = persistLocked(change); !why.empty()) {
        return Deferred{"paper: the state file could not be written, nothing was placed: " + why, kStateRetryMs};
    }
    applyLocked(change, false);
    compactIfDueLocked();
    context_.metrics().set("open_orders", static_cast<std::int64_t>(open_.size()));
    logLine = "order " + id + " accepted: " + describe(order) + (checked.note.empty() ? "" : "; " + checked.note);
    return Accepted{order, checked.note};
}

SymbolRules PaperVenue::rulesFor(const std::string& symbol) const {
    SymbolRules rules;
    rules.symbol = symbol;
    rules.tickSize = tickSize_;
    rules.stepSize = stepSize_;
    rules.minNotional = minNotional_;
    return rules;
}

std::optional<Rejected> PaperVenue::checkLocked(const OrderIntent& intent, Checked& checked) const {
    const auto priceIt = prices_.find(intent.symbol);
    if (priceIt == prices_.end()) return reject("UNKNOWN_SYMBOL", "symbol '" + intent.symbol + "' is not traded here");
    const Decimal& lastPrice = priceIt->second;

    PositionSide book = intent.positionSide;
    if (!hedgeMode_ && book != PositionSide::Both) {
        return reject("INVALID_POSITION_SIDE", std::string("position side ") + toString(book) +
                                                   " needs hedge mode; this account is in one-way mode (BOTH)");
    }
    if (hedgeMode_ && book == PositionSide::Both) {
        // venue.h: buy opens LONG and sell opens SHORT; reduce-only, sell closes LONG and buy
        // closes SHORT. The order state returned names the book used.
        book = (intent.side == Side::Buy) != intent.reduceOnly ? PositionSide::Long : PositionSide::Short;
    }

    OrderState& order = checked.order;
    order.clientOrderId = intent.clientOrderId;
    order.symbol = intent.symbol;
    order.side = intent.side;
    order.type = intent.type;
    order.positionSide = book;
    order.status = OrderStatus::New;
    order.reduceOnly = intent.reduceOnly;
    order.updateTimeMs = context_.clock().nowMs();

    // The same fitting as the Binance plugin's, so a rehearsal trades what the real venue would.
    // A hedge-mode close is reduce-only in all but name: exempt from the minimum notional like one.
    const bool reduceOnly = reducesOnly(order);
    OrderIntent fitting = intent;
    fitting.reduceOnly = reduceOnly;
    const std::variant<FittedOrder, Rejected> fitted = fitOrder(fitting, rulesFor(intent.symbol));
    if (const auto* rejected = std::get_if<Rejected>(&fitted)) return *rejected;
    const FittedOrder& fit = std::get<FittedOrder>(fitted);
    order.quantity = fit.quantity;
    if (order.type == OrderType::Limit) order.price = fit.price;
    checked.note = fit.note;

    // A MARKET order's notional is the venue's to check, at its own price (Binance: -4164).
    if (!reduceOnly && order.type == OrderType::Market && order.quantity * lastPrice < minNotional_) {
        return reject("MIN_NOTIONAL", "notional " + (order.quantity * lastPrice).toString() + " at the last price " +
                                          lastPrice.toString() + " is below the minimum notional " +
                                          minNotional_.toString());
    }
    const BookKey key(order.symbol, order.positionSide);
    if (reduceOnly && !fitsReduceOnly(order, positionLocked(key))) {
        return reject("REDUCE_ONLY", "reduce-only " + std::string(toString(order.side)) + " " +
                                         order.quantity.toString() + " would increase or exceed the " +
                                         toString(order.positionSide) + " position of " + order.symbol);
    }

    checked.crosses = order.type == OrderType::Market ||
                      (order.side == Side::Buy ? *order.price >= lastPrice : *order.price <= lastPrice);
    checked.fillPrice = lastPrice;
    const auto bookIt = books_.find(key);
    checked.next = afterFill(bookIt == books_.end() ? Book{} : bookIt->second, order.side, order.quantity, lastPrice);
    return std::nullopt;
}

QueryResult PaperVenue::queryOrder(const std::string& clientOrderId, const std::string& symbol) {
    try {
        simulateLatency();
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = ordersByClientId_.find(clientOrderId);
        if (it != ordersByClientId_.end()) {
            for (auto exchangeId = it->second.rbegin(); exchangeId != it->second.rend(); ++exchangeId) {
                const OrderState& order = orders_.at(*exchangeId);
                if (order.symbol == symbol) return Found{order};
            }
        }
        // Never placed, or finished and forgotten (max_finished_orders).
        return NotFound{"no order with client order id '" + clientOrderId + "' on " + symbol};
    } catch (const std::exception& e) {
        return Unknown{std::string("paper venue internal error: ") + e.what()};
    }
}

CancelResult PaperVenue::cancelOrder(const std::string& clientOrderId, const std::string& symbol) {
    try {
        simulateLatency();
        Canceled canceled;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            const auto exchangeId = findOpen(clientOrderId, symbol);
            if (!exchangeId) return NotOpen{"no open order with client order id '" + clientOrderId + "' on " + symbol};
            OrderState order = orders_.at(*exchangeId);
            order.status = OrderStatus::Canceled;
            order.updateTimeMs = context_.clock().nowMs();
            StateChange change;
            change.orders.push_back(order);
            if (const std::string why = persistLocked(change); !why.empty()) {
                // The venue refused the request itself: the order is as it was, still open.
                return Rejected{"STATE_NOT_WRITTEN",
                                "paper: the state file could not be written, the order is still open: " + why};
            }
            applyLocked(change, false);
            compactIfDueLocked();
            canceled.order = order;
            context_.metrics().set("open_orders", static_cast<std::int64_t>(open_.size()));
        }
        pushUpdates({canceled.order});
        return canceled;
    } catch (const std::exception& e) {
        return Unknown{std::string("paper venue internal error: ") + e.what()};
    }
}

PositionsResult PaperVenue::positions() {
    try {
        simulateLatency();
        std::lock_guard<std::mutex> lock(mutex_);
        Positions result;
        for (const auto& [key, book] : books_) {
            if (book.quantity.isZero()) continue;
            Position position;
            position.symbol = key.first;
            position.positionSide = key.second;
            position.quantity = book.quantity;
            position.entryPrice =
                divideRounded(book.openCost, book.openQuantity,
                              std::min(tickSize_.decimals() + kEntryPriceExtraDecimals, kEntryPriceMaxDecimals));
            if (const auto price = prices_.find(key.first); price != prices_.end()) position.markPrice = price->second;
            result.positions.push_back(position);
        }
        return result;
    } catch (const std::exception& e) {
        return Unknown{std::string("paper venue internal error: ") + e.what()};
    }
}

OpenOrdersResult PaperVenue::openOrders() {
    try {
        simulateLatency();
        std::lock_guard<std::mutex> lock(mutex_);
        OpenOrders result;
        for (const std::uint64_t exchangeId : open_) result.orders.push_back(orders_.at(exchangeId));
        return result;
    } catch (const std::exception& e) {
        return Unknown{std::string("paper venue internal error: ") + e.what()};
    }
}

SymbolRulesResult PaperVenue::symbolRules(const std::string& symbol) {
    try {
        simulateLatency();
        std::lock_guard<std::mutex> lock(mutex_);
        if (prices_.count(symbol) == 0) return NotFound{"symbol '" + symbol + "' is not traded here"};
        return rulesFor(symbol);
    } catch (const std::exception& e) {
        return Unknown{std::string("paper venue internal error: ") + e.what()};
    }
}

void PaperVenue::setPrice(const std::string& symbol, const Decimal& price) {
    if (symbol.empty()) throw std::invalid_argument("paper: setPrice needs a symbol");
    requireTradablePrice(symbol, price, tickSize_);
    StateChange change;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto configured = configuredPrices_.find(symbol);
        change.prices.push_back(
            {symbol, price,
             configured == configuredPrices_.end() ? std::nullopt : std::optional<Decimal>(configured->second)});
        // Worked out on copies, oldest order first, each fill seeing the position the ones before
        // it left; written to the state file; only then applied.
        std::map<BookKey, Book> touched;
        const auto bookOf = [&](const BookKey& key) {
            const auto t = touched.find(key);
            if (t != touched.end()) return t->second;
            const auto b = books_.find(key);
            return b == books_.end() ? Book{} : b->second;
        };
        for (const std::uint64_t exchangeId : open_) {
            OrderState order = orders_.at(exchangeId);
            if (order.symbol != symbol || !order.price) continue;
            const bool reached = order.side == Side::Buy ? price <= *order.price : price >= *order.price;
            if (!reached) continue;
            const BookKey key(order.symbol, order.positionSide);
            if (reducesOnly(order) && !fitsReduceOnly(order, bookOf(key).quantity)) {
                // Binance expires a resting reduce-only order once it could only grow the position.
                order.status = OrderStatus::Expired;
                order.updateTimeMs = context_.clock().nowMs();
            } else {
                // A resting maker order fills at its own limit, even when the market gapped past it.
                touched[key] = afterFill(bookOf(key), order.side, order.quantity, *order.price);
                fill(order, *order.price);
            }
            change.orders.push_back(order);
        }
        for (const auto& [key, book] : touched)
            change.books.push_back({key.first, key.second, book.quantity, book.openQuantity, book.openCost});
        if (const std::string why = persistLocked(change); !why.empty())
            throw std::runtime_error("paper: setPrice changed nothing: " + why);
        applyLocked(change, false);
        compactIfDueLocked();
        context_.metrics().set("open_orders", static_cast<std::int64_t>(open_.size()));
    }
    for (const OrderState& order : change.orders)
        context_.logger().info("order " + order.clientOrderId + " updated: " + describe(order));
    pushUpdates(change.orders);
}

}  // namespace tradehost::paper

TRADEHOST_PLUGIN(tradehost::paper::PaperVenue, "paper", "1.0.0",
                 "Simulated venue: fills at configured prices, Binance-like id and filter rules")
