// The emulated matching engine: validation, immediate and resting fills, positions, retention, late execution.
#include "exchange.h"

#include <algorithm>

#include "decimal_math.h"

namespace tradehost::binance_emulator {
namespace {

// Above 2^32 so a client that stores order ids in 32 bits breaks here rather than in production.
constexpr std::int64_t kFirstOrderId = 5000000001;
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
// Query retention (reference A4): cancelled/expired orders without a fill vanish after 3 days,
// everything after 90.
constexpr std::int64_t kUnfilledRetentionMs = 3 * kDayMs;
constexpr std::int64_t kRetentionMs = 90 * kDayMs;
constexpr int kEntryPriceDecimals = 8;

}  // namespace

Exchange::Exchange(const EmulatorClock& clock, std::vector<SymbolSpec> symbols, std::vector<Credential> credentials,
                   bool hedgeMode)
    : clock_(clock),
      symbols_(std::move(symbols)),
      credentials_(std::move(credentials)),
      initialHedgeMode_(hedgeMode),
      dualSide_(credentials_.size(), hedgeMode),
      nextOrderId_(kFirstOrderId),
      random_(std::random_device{}()) {
    for (const auto& s : symbols_) prices_[s.symbol] = s.initialPrice.value;
    lateThread_ = std::thread([this] { lateWorker(); });
}

Exchange::~Exchange() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    lateWake_.notify_all();
    if (lateThread_.joinable()) lateThread_.join();
}

const SymbolSpec* Exchange::findSymbol(const std::string& symbol) const {
    for (const auto& s : symbols_) {
        if (s.symbol == symbol) return &s;
    }
    return nullptr;
}

std::optional<std::size_t> Exchange::accountForKey(const std::string& apiKey) const {
    if (apiKey.empty()) return std::nullopt;
    for (std::size_t i = 0; i < credentials_.size(); ++i) {
        if (credentials_[i].apiKey == apiKey) return i;
    }
    return std::nullopt;
}

// ---- placement ---------------------------------------------------------------------------------

std::variant<PlaceResult, ApiError> Exchange::placeOrder(std::size_t account, const OrderRequest& request,
                                                         const RequestContext& context) {
    std::lock_guard<std::mutex> lock(mutex_);
    return placeOrderLocked(account, request, context, std::nullopt);
}

std::optional<ApiError> Exchange::checkOrder(std::size_t account, const OrderRequest& request) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return checkOrderLocked(account, request);
}

PositionSide Exchange::bookSideLocked(std::size_t account, PositionSide requested) const {
    return dualSide_[account] ? requested : PositionSide::Both;
}

bool Exchange::reducesLocked(std::size_t account, Side side, PositionSide positionSide, bool reduceOnly) const {
    if (!dualSide_[account]) return reduceOnly;
    return (side == Side::Sell && positionSide == PositionSide::Long) ||
           (side == Side::Buy && positionSide == PositionSide::Short);
}

Decimal Exchange::reducibleLocked(std::size_t account, const std::string& symbol, Side side,
                                  PositionSide positionSide) const {
    auto it = positions_.find(PositionKey{account, symbol, bookSideLocked(account, positionSide)});
    const Decimal amount = it == positions_.end() ? Decimal() : it->second.amount;
    if (side == Side::Buy) return amount.isNegative() ? -amount : Decimal();
    return amount.isPositive() ? amount : Decimal();
}

std::optional<ApiError> Exchange::checkOrderLocked(std::size_t account, const OrderRequest& r) const {
    const SymbolSpec* spec = findSymbol(r.symbol);
    if (spec == nullptr) return errors::badSymbol();
    const bool limit = r.type == OrderType::Limit;

    if (!dualSide_[account]) {
        if (r.positionSideSent && r.positionSide != PositionSide::Both) return errors::positionSideMismatch();
    } else {
        if (!r.positionSideSent || r.positionSide == PositionSide::Both) return errors::positionSideMismatch();
        // nautilus_trader#4231: any reduceOnly parameter in hedge mode is refused.
        if (r.reduceOnlySent) return errors::notRequired("reduceonly");
    }

    if (r.quantity.decimals() > spec->quantityPrecision) return errors::badPrecision();
    if (limit && r.price.decimals() > spec->pricePrecision) return errors::badPrecision();

    if (limit) {
        if (!r.price.isPositive()) return errors::priceBelowZero();
        if (r.price < spec->minPrice.value) return errors::priceBelowMin();
        if (r.price > spec->maxPrice.value) return errors::priceAboveMax();
        if (!(r.price - spec->minPrice.value).isMultipleOf(spec->tickSize.value)) return errors::priceNotTick();
    }

    const LotSize& lot = limit ? spec->lot : spec->marketLot;
    if (!r.quantity.isPositive()) return errors::qtyNotPositive();
    if (r.quantity < lot.minQty.value) return errors::qtyBelowMin();
    if (r.quantity > lot.maxQty.value) return errors::qtyAboveMax();
    if (!(r.quantity - lot.minQty.value).isMultipleOf(lot.stepSize.value)) return errors::qtyNotStep();

    const Decimal mark = prices_.at(r.symbol);
    if (limit) {
        const Decimal up = (mark * spec->multiplierUp.value).roundToStep(spec->tickSize.value, Rounding::Down);
        const Decimal down = (mark * spec->multiplierDown.value).roundToStep(spec->tickSize.value, Rounding::Up);
        if (r.price > up) return errors::limitPriceTooHigh(formatAtLeast(up, spec->pricePrecision));
        if (r.price < down) return errors::limitPriceTooLow(formatAtLeast(down, spec->pricePrecision));
    }

    const bool reducing = reducesLocked(account, r.side, r.positionSide, r.reduceOnly);
    if (reducing && reducibleLocked(account, r.symbol, r.side, r.positionSide).isZero())
        return errors::reduceOnlyRejected();

    // Which price MARKET notional uses is UNCONFIRMED (reference A6); the mark is the natural pick.
    if (!reducing && r.quantity * (limit ? r.price : mark) < spec->minNotional.value)
        return errors::minNotional(spec->minNotional.text);

    if (limit) {
        const auto sameSymbol = std::count_if(open_.begin(), open_.end(), [&](std::size_t i) {
            return orders_[i].account == account && orders_[i].symbol == r.symbol;
        });
        if (sameSymbol >= spec->maxNumOrders) return errors::maxOpenOrders();
    }

    if (!r.clientOrderId.empty() && uniqueness_ != ClientIdUniqueness::None) {
        auto it = byClientId_.find({account, r.clientOrderId});
        if (it != byClientId_.end()) {
            const bool clash =
                uniqueness_ == ClientIdUniqueness::Global ||
                std::any_of(it->second.begin(), it->second.end(), [&](std::size_t i) { return orders_[i].isOpen(); });
            if (clash) return errors::duplicatedClientOrderId();
        }
    }
    return std::nullopt;
}

std::variant<PlaceResult, ApiError> Exchange::placeOrderLocked(std::size_t account, const OrderRequest& r,
                                                               const RequestContext& context,
                                                               std::optional<std::size_t> ledgerIndex) {
    if (auto error = checkOrderLocked(account, r)) return *error;
    const Decimal mark = prices_.at(r.symbol);
    const bool limit = r.type == OrderType::Limit;
    const bool crosses = !limit || (r.side == Side::Buy ? r.price >= mark : r.price <= mark);
    // Both are refused outright and, per their messages, never recorded in the order history.
    if (limit && r.timeInForce == TimeInForce::Gtx && crosses) return errors::gtxRejected();
    if (limit && r.timeInForce == TimeInForce::Fok) {
        const bool reducing = reducesLocked(account, r.side, r.positionSide, r.reduceOnly);
        if (!crosses || (reducing && reducibleLocked(account, r.symbol, r.side, r.positionSide) < r.quantity))
            return errors::fokRejected();
    }

    const std::int64_t now = clock_.nowMs();
    Order o;
    o.orderId = nextOrderId_++;
    o.account = account;
    o.clientOrderId = r.clientOrderId.empty() ? generateClientOrderIdLocked() : r.clientOrderId;
    o.symbol = r.symbol;
    o.side = r.side;
    o.positionSide = dualSide_[account] ? r.positionSide : PositionSide::Both;
    o.type = r.type;
    o.timeInForce = limit ? r.timeInForce : TimeInForce::Gtc;
    o.origQty = r.quantity;
    o.price = limit ? r.price : Decimal();
    o.reduceOnly = r.reduceOnly;
    o.selfTradePreventionMode = r.selfTradePreventionMode;
    o.goodTillDate = r.goodTillDate;
    o.time = now;
    o.updateTime = now;

    const std::size_t index = orders_.size();
    if (ledgerIndex) {
        o.ledgerIndex = *ledgerIndex;
        LedgerEntry& e = ledger_[*ledgerIndex];
        e.pending = false;
        e.executedAt = now;
    } else {
        LedgerEntry e;
        e.seq = static_cast<std::int64_t>(ledger_.size()) + 1;
        e.account = account;
        e.clientOrderId = o.clientOrderId;
        e.symbol = o.symbol;
        e.side = o.side;
        e.positionSide = o.positionSide;
        e.type = o.type;
        e.timeInForce = o.timeInForce;
        e.quantity = o.origQty;
        e.price = o.price;
        e.reduceOnly = o.reduceOnly;
        e.acceptedAt = now;
        e.executedAt = now;
        e.context = context;
        o.ledgerIndex = ledger_.size();
        ledger_.push_back(std::move(e));
    }
    const Order ack = o;

    // A taker gets the current price, which is at least as good as its limit.
    if (crosses) {
        fillLocked(o, o.origQty, mark, now);
    } else if (o.timeInForce == TimeInForce::Ioc) {
        o.status = OrderStatus::Expired;
    }

    orders_.push_back(o);
    byOrderId_[o.orderId] = index;
    byClientId_[{account, o.clientOrderId}].push_back(index);
    if (o.isOpen()) open_.insert(index);
    syncLedgerLocked(o);
    return PlaceResult{ack, o};
}

void Exchange::fillLocked(Order& o, const Decimal& quantity, const Decimal& price, std::int64_t now) {
    Decimal fillable = quantity;
    if (reducesLocked(o.account, o.side, o.positionSide, o.reduceOnly)) {
        // A reduce-only order never flips or grows the position: what cannot reduce expires.
        const Decimal room = reducibleLocked(o.account, o.symbol, o.side, o.positionSide);
        if (room < fillable) fillable = room;
    }
    if (fillable.isPositive()) {
        applyFillToPositionLocked(o.account, o.symbol, o.positionSide, o.side == Side::Buy ? fillable : -fillable,
                                  price, now);
        o.executedQty += fillable;
        o.cumQuote += fillable * price;
        o.avgPrice = divideRounded(o.cumQuote, o.executedQty, kEntryPriceDecimals);
    }
    o.updateTime = now;
    if (o.executedQty == o.origQty) {
        o.status = OrderStatus::Filled;
        o.filledAt = now;
    } else if (fillable < quantity) {
        o.status = OrderStatus::Expired;
    } else {
        // Only a fill of part of the remainder gets here (POST /control/fill): the rest stays open.
        o.status = OrderStatus::PartiallyFilled;
    }
}

void Exchange::applyFillToPositionLocked(std::size_t account, const std::string& symbol, PositionSide side,
                                         const Decimal& signedQty, const Decimal& price, std::int64_t now) {
    Position& p = positions_[PositionKey{account, symbol, side}];
    const Decimal before = p.amount;
    const Decimal after = before + signedQty;
    if (before.isZero()) {
        p.entryPrice = price;
    } else if (before.sign() == signedQty.sign()) {
        // Adding to a position: the entry is the quantity-weighted average of the fills.
        p.entryPrice =
            divideRounded(before.abs() * p.entryPrice + signedQty.abs() * price, after.abs(), kEntryPriceDecimals);
    } else if (after.isZero()) {
        p.entryPrice = Decimal();
    } else if (after.sign() != before.sign()) {
        p.entryPrice = price;  // flipped through zero: what remains was opened at this fill
    }
    // Reducing without crossing zero leaves the entry price alone, as Binance does.
    p.amount = after;
    p.updateTime = now;
}

void Exchange::syncLedgerLocked(const Order& order) { ledger_[order.ledgerIndex].order = order; }

std::string Exchange::generateClientOrderIdLocked() {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
    std::string id;
    for (int i = 0; i < 22; ++i) id += kAlphabet[pick(random_)];
    return id;
}

void Exchange::placeLater(std::size_t account, const OrderRequest& request, const RequestContext& context,
                          std::int64_t delayMs) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const std::int64_t now = clock_.nowMs();
        LateOrder late;
        late.account = account;
        late.request = request;
        late.context = context;
        if (late.request.clientOrderId.empty()) late.request.clientOrderId = generateClientOrderIdLocked();
        LedgerEntry e;
        e.seq = static_cast<std::int64_t>(ledger_.size()) + 1;
        e.account = account;
        e.clientOrderId = late.request.clientOrderId;
        e.symbol = request.symbol;
        e.side = request.side;
        e.positionSide = bookSideLocked(account, request.positionSide);
        e.type = request.type;
        e.timeInForce = request.type == OrderType::Limit ? request.timeInForce : TimeInForce::Gtc;
        e.quantity = request.quantity;
        e.price = request.price;
        e.reduceOnly = request.reduceOnly;
        e.acceptedAt = now;
        e.pending = true;
        e.context = context;
        late.ledgerIndex = ledger_.size();
        ledger_.push_back(std::move(e));
        late_.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(delayMs), std::move(late));
    }
    lateWake_.notify_all();
}

void Exchange::lateWorker() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        if (late_.empty()) {
            lateWake_.wait(lock);
            continue;
        }
        const auto due = late_.begin()->first;
        if (std::chrono::steady_clock::now() < due) {
            lateWake_.wait_until(lock, due);
            continue;
        }
        LateOrder item = std::move(late_.begin()->second);
        late_.erase(late_.begin());
        auto result = placeOrderLocked(item.account, item.request, item.context, item.ledgerIndex);
        if (auto* error = std::get_if<ApiError>(&result)) {
            LedgerEntry& e = ledger_[item.ledgerIndex];
            e.pending = false;
            e.executedAt = clock_.nowMs();
            e.rejection = *error;
        }
    }
}

std::size_t Exchange::pendingLateOrders() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return late_.size();
}

// ---- queries -----------------------------------------------------------------------------------

bool Exchange::retainedLocked(const Order& o) const {
    const std::int64_t age = clock_.nowMs() - o.time;
    if (age > kRetentionMs) return false;
    const bool unfilledEnd =
        (o.status == OrderStatus::Canceled || o.status == OrderStatus::Expired) && o.executedQty.isZero();
    return !(unfilledEnd && age > kUnfilledRetentionMs);
}

std::optional<std::size_t> Exchange::findOrderLocked(std::size_t account, const std::string& symbol,
                                                     std::optional<std::int64_t> orderId,
                                                     const std::string& clientOrderId, bool visibleOnly) const {
    if (orderId) {
        auto it = byOrderId_.find(*orderId);
        if (it == byOrderId_.end()) return std::nullopt;
        const Order& o = orders_[it->second];
        if (o.account != account || o.symbol != symbol) return std::nullopt;
        if (visibleOnly && !retainedLocked(o)) return std::nullopt;
        return it->second;
    }
    auto it = byClientId_.find({account, clientOrderId});
    if (it == byClientId_.end()) return std::nullopt;
    // Several orders can share an id once the earlier ones closed; which one Binance returns is
    // UNCONFIRMED (reference A3), the newest visible one is the least surprising answer.
    for (auto i = it->second.rbegin(); i != it->second.rend(); ++i) {
        const Order& o = orders_[*i];
        if (o.symbol != symbol) continue;
        if (visibleOnly && !retainedLocked(o)) continue;
        return *i;
    }
    return std::nullopt;
}

std::variant<Order, ApiError> Exchange::queryOrder(std::size_t account, const std::string& symbol,
                                                   std::optional<std::int64_t> orderId,
                                                   const std::string& clientOrderId, bool openOnly) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto index = findOrderLocked(account, symbol, orderId, clientOrderId, true);
    if (!index) return errors::noSuchOrder();
    const Order& o = orders_[*index];
    if (openOnly && !o.isOpen()) return errors::noSuchOrder();
    return o;
}

std::variant<Order, ApiError> Exchange::cancelOrder(std::size_t account, const std::string& symbol,
                                                    std::optional<std::int64_t> orderId,
                                                    const std::string& clientOrderId) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<std::size_t> index;
    if (orderId) {
        index = findOrderLocked(account, symbol, orderId, clientOrderId, false);
    } else {
        // By client id, the open order holding it (at most one in the default uniqueness mode).
        auto it = byClientId_.find({account, clientOrderId});
        if (it != byClientId_.end()) {
            for (auto i = it->second.rbegin(); i != it->second.rend(); ++i) {
                if (orders_[*i].symbol == symbol && orders_[*i].isOpen()) {
                    index = *i;
                    break;
                }
            }
        }
    }
    if (!index || !orders_[*index].isOpen()) return errors::cancelRejected();
    Order& o = orders_[*index];
    o.status = OrderStatus::Canceled;
    o.updateTime = clock_.nowMs();
    open_.erase(*index);
    syncLedgerLocked(o);
    return o;
}

std::vector<Order> Exchange::openOrders(std::size_t account, const std::string& symbol) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Order> out;
    for (std::size_t i : open_) {
        const Order& o = orders_[i];
        if (o.account == account && (symbol.empty() || o.symbol == symbol)) out.push_back(o);
    }
    return out;
}

std::vector<PositionView> Exchange::positions(std::size_t account, const std::string& symbol, bool activeOnly) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<PositionView> out;
    const std::vector<PositionSide> sides = dualSide_[account]
                                                ? std::vector<PositionSide>{PositionSide::Long, PositionSide::Short}
                                                : std::vector<PositionSide>{PositionSide::Both};
    for (const auto& spec : symbols_) {
        if (!symbol.empty() && spec.symbol != symbol) continue;
        for (PositionSide side : sides) {
            PositionView v;
            v.symbol = spec.symbol;
            v.positionSide = side;
            v.markPrice = prices_.at(spec.symbol);
            auto it = positions_.find(PositionKey{account, spec.symbol, side});
            if (it != positions_.end()) v.position = it->second;
            for (std::size_t i : open_) {
                const Order& o = orders_[i];
                if (o.account != account || o.symbol != spec.symbol || o.positionSide != side) continue;
                v.hasOpenOrders = true;
                const Decimal notional = (o.origQty - o.executedQty) * o.price;
                (o.side == Side::Buy ? v.bidNotional : v.askNotional) += notional;
            }
            if (activeOnly && v.position.amount.isZero() && !v.hasOpenOrders) continue;
            out.push_back(std::move(v));
        }
    }
    return out;
}

bool Exchange::dualSidePosition(std::size_t account) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return dualSide_[account];
}

std::optional<ApiError> Exchange::setDualSidePosition(std::size_t account, bool dual) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (dualSide_[account] == dual) return errors::noNeedToChangePositionSide();
    for (std::size_t i : open_) {
        if (orders_[i].account == account) return errors::openOrdersExist();
    }
    for (const auto& [key, p] : positions_) {
        if (std::get<0>(key) == account && !p.amount.isZero()) return errors::positionExists();
    }
    for (auto it = positions_.begin(); it != positions_.end();) {
        it = std::get<0>(it->first) == account ? positions_.erase(it) : std::next(it);
    }
    dualSide_[account] = dual;
    return std::nullopt;
}

// ---- control -----------------------------------------------------------------------------------

std::vector<std::int64_t> Exchange::setPrice(const std::string& symbol, const Decimal& price) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::int64_t> filled;
    prices_[symbol] = price;
    const std::int64_t now = clock_.nowMs();
    std::vector<std::size_t> crossed;
    for (std::size_t i : open_) {
        const Order& o = orders_[i];
        if (o.symbol != symbol) continue;
        if ((o.side == Side::Buy && o.price >= price) || (o.side == Side::Sell && o.price <= price))
            crossed.push_back(i);
    }
    for (std::size_t i : crossed) {
        Order& o = orders_[i];
        // A resting order is the maker: it fills at its own limit price.
        // A partly filled order has only its remainder left to fill.
        fillLocked(o, o.origQty - o.executedQty, o.price, now);
        if (!o.isOpen()) open_.erase(i);
        syncLedgerLocked(o);
        filled.push_back(o.orderId);
    }
    return filled;
}

std::variant<Order, std::string> Exchange::fillOrder(std::size_t account, const std::string& symbol,
                                                     std::optional<std::int64_t> orderId,
                                                     const std::string& clientOrderId, const Decimal& quantity,
                                                     const std::optional<Decimal>& price) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto matches = [&](const Order& o) { return o.account == account && (symbol.empty() || o.symbol == symbol); };
    std::optional<std::size_t> index;
    if (orderId) {
        auto it = byOrderId_.find(*orderId);
        if (it != byOrderId_.end() && matches(orders_[it->second])) index = it->second;
    } else {
        // The open order holding the id; failing that the newest one, to say why it cannot fill.
        auto it = byClientId_.find({account, clientOrderId});
        if (it != byClientId_.end()) {
            for (auto i = it->second.rbegin(); i != it->second.rend(); ++i) {
                if (!matches(orders_[*i])) continue;
                if (!index) index = *i;
                if (orders_[*i].isOpen()) {
                    index = *i;
                    break;
                }
            }
        }
    }
    if (!index) {
        return "no order " + (orderId ? std::to_string(*orderId) : "with clientOrderId '" + clientOrderId + "'") +
               (symbol.empty() ? "" : " on " + symbol) + " in account " + std::to_string(account);
    }
    Order& o = orders_[*index];
    const std::string name = "order " + std::to_string(o.orderId) + " ('" + o.clientOrderId + "')";
    if (!o.isOpen())
        return name + " is " + toString(o.status) + ", not open (only NEW or PARTIALLY_FILLED orders can fill)";
    const SymbolSpec& spec = *findSymbol(o.symbol);
    const Decimal remaining = o.origQty - o.executedQty;
    const auto qtyText = [&](const Decimal& d) { return formatAtLeast(d, spec.quantityPrecision); };
    const auto priceText = [&](const Decimal& d) { return formatAtLeast(d, spec.pricePrecision); };
    if (!quantity.isPositive()) return "'quantity' must be positive, not " + quantity.toString();
    if (quantity > remaining)
        return "'quantity' " + qtyText(quantity) + " is more than the " + qtyText(remaining) + " that remains of " +
               name;
    if (!quantity.isMultipleOf(spec.lot.stepSize.value))
        return "'quantity' " + qtyText(quantity) + " is not a multiple of the " + o.symbol + " LOT_SIZE stepSize " +
               spec.lot.stepSize.text;
    const Decimal fillPrice = price.value_or(o.price);
    if (price) {
        if (!price->isPositive()) return "'price' must be positive, not " + price->toString();
        // The filter bounds also keep price x quantity far from Decimal's 38 digits.
        if (*price < spec.minPrice.value || *price > spec.maxPrice.value ||
            !(*price - spec.minPrice.value).isMultipleOf(spec.tickSize.value))
            return "'price' " + priceText(*price) + " is not allowed by the " + o.symbol + " PRICE_FILTER (minPrice " +
                   spec.minPrice.text + ", maxPrice " + spec.maxPrice.text + ", tickSize " + spec.tickSize.text + ")";
        // A resting order trades at its limit or better, never worse.
        if (o.side == Side::Buy ? *price > o.price : *price < o.price)
            return "'price' " + priceText(*price) + " is " + (o.side == Side::Buy ? "above" : "below") + " the " +
                   toString(o.side) + " limit " + priceText(o.price) + " of " + name;
    }
    fillLocked(o, quantity, fillPrice, clock_.nowMs());
    if (!o.isOpen()) open_.erase(*index);
    syncLedgerLocked(o);
    return o;
}

Decimal Exchange::price(const std::string& symbol) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return prices_.at(symbol);
}

std::optional<std::string> Exchange::setPosition(std::size_t account, const std::string& symbol, PositionSide side,
                                                 const Decimal& amount, std::optional<Decimal> entryPrice) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (findSymbol(symbol) == nullptr) return "unknown symbol " + symbol;
    if (!dualSide_[account] && side != PositionSide::Both)
        return "account is in one-way mode: positionSide must be BOTH";
    if (dualSide_[account] && side == PositionSide::Both)
        return "account is in hedge mode: positionSide must be LONG or SHORT";
    if ((side == PositionSide::Long && amount.isNegative()) || (side == PositionSide::Short && amount.isPositive()))
        return "a LONG position cannot be negative nor a SHORT one positive";
    if (entryPrice && entryPrice->isNegative()) return "entryPrice must not be negative";
    Position& p = positions_[PositionKey{account, symbol, side}];
    p.amount = amount;
    p.entryPrice = amount.isZero() ? Decimal() : entryPrice.value_or(prices_.at(symbol));
    p.updateTime = clock_.nowMs();
    return std::nullopt;
}

std::optional<std::string> Exchange::nudgePosition(std::size_t account, const std::string& symbol, PositionSide side,
                                                   const Decimal& delta) {
    Decimal amount;
    std::optional<Decimal> entry;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (findSymbol(symbol) == nullptr) return "unknown symbol " + symbol;
        auto it = positions_.find(PositionKey{account, symbol, side});
        const Position current = it == positions_.end() ? Position{} : it->second;
        amount = current.amount + delta;
        // Keep the entry while the position only shrinks or grows on the same side; a position
        // that appears or flips takes the current price, as a fill there would.
        if (!current.amount.isZero() && amount.sign() == current.amount.sign()) entry = current.entryPrice;
    }
    return setPosition(account, symbol, side, amount, entry);
}

std::vector<LedgerEntry> Exchange::ledger() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ledger_;
}

void Exchange::setUniqueness(ClientIdUniqueness mode) {
    std::lock_guard<std::mutex> lock(mutex_);
    uniqueness_ = mode;
}

ClientIdUniqueness Exchange::uniqueness() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return uniqueness_;
}

void Exchange::reset() {
    std::lock_guard<std::mutex> lock(mutex_);
    prices_.clear();
    for (const auto& s : symbols_) prices_[s.symbol] = s.initialPrice.value;
    dualSide_.assign(credentials_.size(), initialHedgeMode_);
    orders_.clear();
    byOrderId_.clear();
    byClientId_.clear();
    open_.clear();
    positions_.clear();
    ledger_.clear();
    late_.clear();
    uniqueness_ = ClientIdUniqueness::OpenOrders;
}

}  // namespace tradehost::binance_emulator
