// The Binance USDⓈ-M Futures venue: orders, queries, cancels and positions over the fapi REST API.
#include "binance_venue.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <stdexcept>

#include "error_classifier.h"
#include "responses.h"

namespace tradehost::binance {
namespace {

using T = SettingType;
using Transport = HttpAnswer::Transport;

constexpr std::size_t kMaxClientOrderIdLength = 36;
constexpr const char* kClientOrderIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:/_-";

std::int64_t bounded(const Settings& s, const std::string& key, std::int64_t lo, std::int64_t hi) {
    const std::int64_t v = s.integer(key);
    if (v < lo || v > hi)
        throw std::invalid_argument("setting '" + key + "' must be between " + std::to_string(lo) + " and " +
                                    std::to_string(hi) + ", got " + std::to_string(v));
    return v;
}

std::optional<Decimal> positiveDecimal(const Settings& s, const std::string& key) {
    if (!s.has(key)) return std::nullopt;
    const Decimal d = s.decimal(key);
    if (!d.isPositive()) throw std::invalid_argument("setting '" + key + "' must be positive, got " + d.toString());
    return d;
}

// "HTTP 503 -1000 Unknown error..." for logs and outcome messages (never a key or signature).
std::string describe(const HttpAnswer& a) {
    if (a.transport != Transport::Answered) return a.reason;
    std::string s = "HTTP " + std::to_string(a.status);
    if (auto e = parseApiError(a.body)) s += " " + std::to_string(e->code) + " " + e->msg;
    return s;
}

// In hedge mode the position side says which book the order opens or closes. Both is read as
// venue.h says: buy opens LONG and sell opens SHORT; with reduceOnly, sell closes LONG and buy
// closes SHORT.
PositionSide hedgeSide(const OrderIntent& i) {
    if (i.positionSide != PositionSide::Both) return i.positionSide;
    const bool buy = i.side == Side::Buy;
    return buy != i.reduceOnly ? PositionSide::Long : PositionSide::Short;
}

// In hedge mode SELL+LONG and BUY+SHORT close (A3's direction table): they reduce that book and
// can never open the other way.
bool closesHedgeBook(Side side, PositionSide book) {
    return (book == PositionSide::Long && side == Side::Sell) || (book == PositionSide::Short && side == Side::Buy);
}

// What waiting for a failed exchangeInfo or ticker read should take.
std::int64_t retryOf(const HttpAnswer& a) { return a.retryAfterMs > 0 ? a.retryAfterMs : kNotConnectedRetryMs; }

}  // namespace

SettingsSchema BinanceVenue::settingsSchema() {
    return {
        SettingSpec("base_url", T::String)
            .isRequired()
            .describe("https://fapi.binance.com, https://demo-fapi.binance.com (testnet), or a local emulator"),
        SettingSpec("api_key", T::String).isRequired().isSecret().describe("API key (X-MBX-APIKEY)"),
        SettingSpec("api_secret", T::String).isRequired().isSecret().describe("API secret for HMAC-SHA256 signing"),
        SettingSpec("recv_window_ms", T::Integer)
            .byDefault(std::int64_t{5000})
            .describe("recvWindow of signed requests (1..60000)"),
        SettingSpec("connect_timeout_ms", T::Integer).byDefault(std::int64_t{3000}).describe("TCP+TLS connect timeout"),
        SettingSpec("request_timeout_ms", T::Integer)
            .byDefault(std::int64_t{10000})
            .describe("send/receive timeout; an order without an answer by then is Unknown"),
        SettingSpec("ca_file", T::String)
            .byDefault(std::string())
            .describe("PEM file of an extra CA to trust (a test emulator's self-signed certificate)"),
        SettingSpec("hedge_mode", T::Boolean)
            .byDefault(false)
            .describe("the account is in hedge mode (LONG/SHORT books); checked against the venue at start"),
        SettingSpec("symbols", T::StringList)
            .byDefault(std::vector<std::string>{})
            .describe("risk cap: symbols this instance may trade; empty allows any"),
        SettingSpec("max_quantity", T::Decimal).describe("risk cap: largest quantity of one order"),
        SettingSpec("max_order_notional", T::Decimal).describe("risk cap: largest price x quantity of one order"),
        SettingSpec("weight_limit_per_minute", T::Integer)
            .byDefault(std::int64_t{2400})
            .describe("request weight budget per minute (per IP); at 95 % requests are held back until the minute "
                      "rolls (an order is then Deferred)"),
        SettingSpec("order_limit_per_10s", T::Integer)
            .byDefault(std::int64_t{300})
            .describe("order budget per 10 s (per account); at 95 % new orders are Deferred until the 10 s window "
                      "rolls"),
    };
}

BinanceVenue::BinanceVenue(const Settings& s, PluginContext& context) : context_(context) {
    rest_.baseUrl = s.string("base_url");
    while (!rest_.baseUrl.empty() && rest_.baseUrl.back() == '/') rest_.baseUrl.pop_back();
    rest_.apiKey = s.string("api_key");
    rest_.apiSecret = s.string("api_secret");
    if (rest_.apiKey.empty() || rest_.apiSecret.empty())
        throw std::invalid_argument("api_key and api_secret must not be empty");
    rest_.recvWindowMs = bounded(s, "recv_window_ms", 1, 60000);
    rest_.connectTimeoutMs = bounded(s, "connect_timeout_ms", 100, 60000);
    rest_.requestTimeoutMs = bounded(s, "request_timeout_ms", 100, 120000);
    rest_.caFile = s.string("ca_file");
    rest_.weightLimitPerMinute = bounded(s, "weight_limit_per_minute", 1, 1000000);
    rest_.orderLimitPer10s = bounded(s, "order_limit_per_10s", 1, 1000000);
    hedgeMode_ = s.boolean("hedge_mode");
    for (const auto& sym : s.list("symbols")) allowedSymbols_.insert(sym);
    maxQuantity_ = positiveDecimal(s, "max_quantity");
    maxOrderNotional_ = positiveDecimal(s, "max_order_notional");
    // Validates base_url; opens nothing yet.
    client_ = std::make_unique<RestClient>(rest_, context_.logger(), context_.metrics());
}

BinanceVenue::~BinanceVenue() = default;

void BinanceVenue::start() {
    client_->syncClock();
    if (const auto failure = loadExchangeInfo()) throw std::runtime_error(failure->reason);
    const HttpAnswer mode = client_->call("GET", "/fapi/v1/positionSide/dual", {}, Security::Signed);
    if (mode.transport != Transport::Answered || mode.status != 200)
        throw std::runtime_error("cannot read the account's position mode: " + describe(mode));
    const bool dual = parseDualSidePosition(mode.body);
    if (dual != hedgeMode_)
        throw std::runtime_error(std::string("the account is in ") + (dual ? "hedge" : "one-way") +
                                 " mode, but hedge_mode is " + (hedgeMode_ ? "true" : "false"));
    context_.logger().info("connected to " + rest_.baseUrl + ": " + std::to_string(filters_.size()) + " symbols, " +
                           (hedgeMode_ ? "hedge" : "one-way") + " mode, clock offset " +
                           std::to_string(client_->clockOffsetMs()) + " ms");
}

void BinanceVenue::stop() noexcept {}

ClientOrderIdRules BinanceVenue::clientOrderIdRules() const {
    ClientOrderIdRules rules;
    rules.maxLength = kMaxClientOrderIdLength;
    rules.alphabet = kClientOrderIdAlphabet;
    rules.uniqueAmongOpenOrdersOnly = true;  // -4116 only while the first order is open
    return rules;
}

std::optional<BinanceVenue::LoadFailure> BinanceVenue::loadExchangeInfo() {
    const HttpAnswer a = client_->call("GET", "/fapi/v1/exchangeInfo", {}, Security::None);
    if (a.transport != Transport::Answered || a.status != 200)
        return LoadFailure{"GET /fapi/v1/exchangeInfo failed: " + describe(a), retryOf(a)};
    try {
        auto parsed = parseExchangeInfo(a.body);
        std::unique_lock<std::shared_mutex> lock(filtersMutex_);
        filters_ = std::move(parsed);
        return std::nullopt;
    } catch (const std::exception& e) {
        return LoadFailure{std::string("GET /fapi/v1/exchangeInfo: unreadable answer: ") + e.what(),
                           kNotConnectedRetryMs};
    }
}

std::optional<SymbolFilters> BinanceVenue::filtersFor(const std::string& symbol, std::optional<LoadFailure>& failure) {
    failure.reset();
    {
        std::shared_lock<std::shared_mutex> lock(filtersMutex_);
        auto it = filters_.find(symbol);
        if (it != filters_.end()) return it->second;
    }
    failure = loadExchangeInfo();
    if (failure) return std::nullopt;
    std::shared_lock<std::shared_mutex> lock(filtersMutex_);
    auto it = filters_.find(symbol);
    if (it == filters_.end()) return std::nullopt;
    return it->second;
}

std::optional<Rejected> BinanceVenue::checkPositionSide(const OrderIntent& intent) const {
    if (!hedgeMode_) {
        // The venue would answer -4061; refusing here spends no request (and no order budget).
        if (intent.positionSide == PositionSide::Both) return std::nullopt;
        return Rejected{"INVALID_POSITION_SIDE", std::string("position side ") + toString(intent.positionSide) +
                                                     " needs a hedge-mode account; this one is in one-way mode "
                                                     "(BOTH), hedge_mode is false"};
    }
    // Hedge mode cannot send reduceOnly (-1106): the side and book say it. A reduce-only order
    // that would open its book (BUY+LONG, SELL+SHORT) would be sent as an opening order, so it is
    // refused instead. Both is always inferred as a close when reduce-only.
    const PositionSide book = hedgeSide(intent);
    if (intent.reduceOnly && !closesHedgeBook(intent.side, book)) {
        return Rejected{"REDUCE_ONLY", std::string("reduce-only ") + toString(intent.side) + " on " + toString(book) +
                                           " would open that book, not reduce it; in hedge mode SELL closes LONG "
                                           "and BUY closes SHORT"};
    }
    return std::nullopt;
}

std::optional<PlaceResult> BinanceVenue::checkRiskCaps(const OrderIntent& intent, const FittedOrder& fitted) {
    if (!allowedSymbols_.empty() && !allowedSymbols_.count(intent.symbol))
        return Rejected{"RISK_SYMBOL", intent.symbol + " is not in this instance's symbols allowlist"};
    if (maxQuantity_ && fitted.quantity > *maxQuantity_)
        return Rejected{"RISK_MAX_QUANTITY", "quantity " + fitted.quantity.toString() + " is above max_quantity " +
                                                 maxQuantity_->toString()};
    if (maxOrderNotional_) {
        std::optional<Decimal> price = fitted.price;
        if (!price) {
            // A market order's notional needs the current price; without it the cap cannot hold,
            // and nothing was sent: a later try may read it.
            const HttpAnswer a =
                client_->call("GET", "/fapi/v1/ticker/price", {{"symbol", intent.symbol}}, Security::None);
            if (a.transport == Transport::Answered && a.status == 200) {
                try {
                    Poco::JSON::Parser parser;
                    const auto o = parser.parse(a.body).extract<Poco::JSON::Object::Ptr>();
                    price = Decimal::parse(o->get("price").toString());
                } catch (const std::exception&) {
                }
            }
            if (!price)
                return Deferred{"max_order_notional is set and the price of " + intent.symbol +
                                    " could not be read: " + describe(a),
                                retryOf(a)};
        }
        const Decimal notional = *price * fitted.quantity;
        if (notional > *maxOrderNotional_)
            return Rejected{"RISK_MAX_NOTIONAL", "notional " + notional.toString() + " is above max_order_notional " +
                                                     maxOrderNotional_->toString()};
    }
    return std::nullopt;
}

PlaceResult BinanceVenue::placeOrder(const OrderIntent& intent) {
    // Nothing is sent before sendOrder(): every early exit is a Rejected (a local check that
    // trying again cannot cure) or a Deferred (the venue could not be asked yet).
    if (auto r = checkPositionSide(intent)) return *r;
    std::optional<LoadFailure> failure;
    const auto filters = filtersFor(intent.symbol, failure);
    if (failure)
        return Deferred{"symbol rules of " + intent.symbol + " could not be loaded: " + failure->reason,
                        failure->retryAfterMs};
    if (!filters) return Rejected{"UNKNOWN_SYMBOL", intent.symbol + " is not listed on this venue"};
    // A hedge-mode close is reduce-only in all but name: exempt from MIN_NOTIONAL like one.
    OrderIntent fitting = intent;
    if (hedgeMode_) fitting.reduceOnly = closesHedgeBook(intent.side, hedgeSide(intent));
    auto fitted = fitOrder(fitting, *filters);
    if (auto* r = std::get_if<Rejected>(&fitted)) return *r;
    const FittedOrder& order = std::get<FittedOrder>(fitted);
    if (auto r = checkRiskCaps(intent, order)) return *r;
    return sendOrder(intent, order);
}

PlaceResult BinanceVenue::sendOrder(const OrderIntent& intent, const FittedOrder& fitted) {
    Params p = {{"symbol", intent.symbol},
                {"side", toString(intent.side)},
                {"type", toString(intent.type)},
                {"quantity", fitted.quantityText}};
    if (intent.type == OrderType::Limit) {
        p.emplace_back("price", fitted.priceText);
        p.emplace_back("timeInForce", toString(intent.timeInForce));
    }
    if (hedgeMode_) {
        // reduceOnly cannot be sent in hedge mode (-1106): the position side says it instead.
        p.emplace_back("positionSide", toString(hedgeSide(intent)));
    } else if (intent.reduceOnly) {
        p.emplace_back("reduceOnly", "true");
    }
    p.emplace_back("newClientOrderId", intent.clientOrderId);
    p.emplace_back("newOrderRespType", "RESULT");

    HttpAnswer a = client_->call("POST", "/fapi/v1/order", p, Security::Signed, intent.clientOrderId, true);
    auto error = a.transport == Transport::Answered && a.status != 200 ? parseApiError(a.body) : std::nullopt;
    if (error && error->code == -1021) {
        // -1021 proves the order was not processed, so this is the one resend that is safe.
        context_.logger().warning("order " + intent.clientOrderId +
                                  ": -1021 timestamp outside recvWindow; re-syncing the clock");
        try {
            client_->syncClock();
        } catch (const std::exception& e) {
            return Deferred{
                "-1021 timestamp outside recvWindow, and the clock could not be re-synced: " + std::string(e.what()),
                kNotConnectedRetryMs};
        }
        a = client_->call("POST", "/fapi/v1/order", p, Security::Signed, intent.clientOrderId, true);
        error = a.transport == Transport::Answered && a.status != 200 ? parseApiError(a.body) : std::nullopt;
    }

    if (a.transport != Transport::Answered) {
        const OrderVerdict v = classifyNotAnswered(a.transport == Transport::NoAnswer, a.retryAfterMs);
        if (v.kind == OrderErrorClass::Deferred) return Deferred{"not sent: " + a.reason, v.retryAfterMs};
        return Unknown{"no answer to POST /fapi/v1/order: " + a.reason};
    }
    if (a.status == 200) {
        try {
            // The venue's own answer, positionSide included: the side it actually used.
            return Accepted{parseOrder(a.body), fitted.note};
        } catch (const std::exception& e) {
            return Unknown{std::string("HTTP 200 with an unreadable order: ") + e.what()};
        }
    }
    const std::string message = error ? error->msg : a.body.substr(0, 200);
    const OrderVerdict v =
        classifyOrderError(a.status, error ? std::optional<int>(error->code) : std::nullopt, message, a.retryAfterMs);
    switch (v.kind) {
        case OrderErrorClass::Exists: {
            // An open order holds this id: it is the order the host meant. Adopt it.
            const QueryResult q = queryOrder(intent.clientOrderId, intent.symbol);
            if (auto* f = std::get_if<Found>(&q))
                return Accepted{f->order, "client order id already held by an open order; adopted it"};
            return Unknown{"-4116 duplicate client order id, but the order could not be read back"};
        }
        case OrderErrorClass::Rejected:
            return Rejected{error ? std::to_string(error->code) : "HTTP " + std::to_string(a.status), message};
        case OrderErrorClass::Deferred:
            return Deferred{describe(a), v.retryAfterMs};
        case OrderErrorClass::Unknown:
            return Unknown{describe(a)};
    }
    return Unknown{describe(a)};
}

QueryResult BinanceVenue::queryOrder(const std::string& clientOrderId, const std::string& symbol) {
    const HttpAnswer a =
        client_->call("GET", "/fapi/v1/order", {{"symbol", symbol}, {"origClientOrderId", clientOrderId}},
                      Security::Signed, clientOrderId);
    if (a.transport != Transport::Answered) return Unknown{a.reason};
    if (a.status == 200) {
        try {
            return Found{parseOrder(a.body)};
        } catch (const std::exception& e) {
            return Unknown{std::string("unreadable order: ") + e.what()};
        }
    }
    const auto error = parseApiError(a.body);
    // -2013: never accepted, or past the 3-day / 90-day retention; the host's settle window is
    // far shorter than either.
    if (error && error->code == -2013) return NotFound{error->msg};
    return Unknown{describe(a)};
}

CancelResult BinanceVenue::cancelOrder(const std::string& clientOrderId, const std::string& symbol) {
    const HttpAnswer a =
        client_->call("DELETE", "/fapi/v1/order", {{"symbol", symbol}, {"origClientOrderId", clientOrderId}},
                      Security::Signed, clientOrderId);
    if (a.transport == Transport::NotSent) return Rejected{"NOT_SENT", a.reason};
    if (a.transport == Transport::NoAnswer) return Unknown{a.reason};
    if (a.status == 200) {
        try {
            return Canceled{parseOrder(a.body)};
        } catch (const std::exception& e) {
            return Unknown{std::string("unreadable order: ") + e.what()};
        }
    }
    const auto error = parseApiError(a.body);
    if (error && error->code == -2011) return NotOpen{error->msg};
    if (a.status >= 400 && a.status < 500 && a.status != 408)
        return Rejected{error ? std::to_string(error->code) : "HTTP " + std::to_string(a.status), describe(a)};
    return Unknown{describe(a)};
}

PositionsResult BinanceVenue::positions() {
    const HttpAnswer a = client_->call("GET", "/fapi/v2/positionRisk", {}, Security::Signed);
    if (a.transport != Transport::Answered || a.status != 200) return Unknown{"positionRisk: " + describe(a)};
    try {
        return Positions{parsePositions(a.body)};
    } catch (const std::exception& e) {
        return Unknown{std::string("positionRisk: unreadable answer: ") + e.what()};
    }
}

OpenOrdersResult BinanceVenue::openOrders() {
    const HttpAnswer a = client_->call("GET", "/fapi/v1/openOrders", {}, Security::Signed);
    if (a.transport != Transport::Answered || a.status != 200) return Unknown{"openOrders: " + describe(a)};
    try {
        return OpenOrders{parseOrderList(a.body)};
    } catch (const std::exception& e) {
        return Unknown{std::string("openOrders: unreadable answer: ") + e.what()};
    }
}

SymbolRulesResult BinanceVenue::symbolRules(const std::string& symbol) {
    std::optional<LoadFailure> failure;
    const auto f = filtersFor(symbol, failure);
    if (failure) return Unknown{failure->reason};
    if (!f) return NotFound{symbol + " is not listed on this venue"};
    return rulesOf(*f);
}

}  // namespace tradehost::binance

TRADEHOST_PLUGIN(tradehost::binance::BinanceVenue, "binance_futures", "1.0.0",
                 "Binance USD-M Futures (fapi REST): HMAC-signed orders, filters, rate limits")
