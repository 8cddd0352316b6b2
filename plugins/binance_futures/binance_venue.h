// The Binance USDⓈ-M Futures venue: orders, queries, cancels and positions over the fapi REST API.
#pragma once

#include <tradehost/plugin.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>

#include "rest_client.h"
#include "symbol_filters.h"

namespace tradehost::binance {

class BinanceVenue final : public Venue {
public:
    static SettingsSchema settingsSchema();
    BinanceVenue(const Settings& settings, PluginContext& context);
    ~BinanceVenue() override;

    void start() override;
    void stop() noexcept override;
    ClientOrderIdRules clientOrderIdRules() const override;
    PlaceResult placeOrder(const OrderIntent& intent) override;
    QueryResult queryOrder(const std::string& clientOrderId, const std::string& symbol) override;
    CancelResult cancelOrder(const std::string& clientOrderId, const std::string& symbol) override;
    PositionsResult positions() override;
    OpenOrdersResult openOrders() override;
    SymbolRulesResult symbolRules(const std::string& symbol) override;

private:
    // Why exchangeInfo could not be read, and when asking again may help.
    struct LoadFailure {
        std::string reason;
        std::int64_t retryAfterMs = 0;
    };
    // The symbol's filters; refreshes exchangeInfo once if the symbol is new to us. nullopt with
    // `failure` set when the venue could not be asked; nullopt alone when it does not list it.
    std::optional<SymbolFilters> filtersFor(const std::string& symbol, std::optional<LoadFailure>& failure);
    std::optional<LoadFailure> loadExchangeInfo();
    // The position side rules of venue.h, checked before anything is sent; a Rejected if broken.
    std::optional<Rejected> checkPositionSide(const OrderIntent& intent) const;
    // Risk caps configured on this instance: a Rejected when the order breaks one, a Deferred
    // when a cap cannot be checked now (a market order's price could not be read).
    std::optional<PlaceResult> checkRiskCaps(const OrderIntent& intent, const FittedOrder& fitted);
    PlaceResult sendOrder(const OrderIntent& intent, const FittedOrder& fitted);

    PluginContext& context_;
    RestConfig rest_;
    bool hedgeMode_ = false;
    std::set<std::string> allowedSymbols_;  // empty: any symbol
    std::optional<Decimal> maxQuantity_;
    std::optional<Decimal> maxOrderNotional_;
    std::unique_ptr<RestClient> client_;

    std::shared_mutex filtersMutex_;
    std::map<std::string, SymbolFilters> filters_;
};

}  // namespace tradehost::binance
