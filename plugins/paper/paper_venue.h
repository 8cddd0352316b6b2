// The "paper" venue: a simulated exchange account that fills orders at configured prices.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tradehost/context.h"
#include "tradehost/decimal.h"
#include "tradehost/settings.h"
#include "tradehost/venue.h"

namespace tradehost::paper {

// Behaves like a Binance USDⓈ-M futures account where it matters to the host: client order ids
// are unique among *open* orders only (a filled order frees its id, so resending creates a second
// order), filters reject instead of rounding, reduce-only orders never grow a position, and hedge
// mode keeps LONG and SHORT apart. Fills are immediate and complete; there is no order book.
class PaperVenue final : public Venue {
public:
    PaperVenue(const Settings& settings, PluginContext& context);

    static SettingsSchema settingsSchema();

    void start() override;
    void stop() noexcept override;
    ClientOrderIdRules clientOrderIdRules() const override;
    PlaceResult placeOrder(const OrderIntent& intent) override;
    QueryResult queryOrder(const std::string& clientOrderId, const std::string& symbol) override;
    CancelResult cancelOrder(const std::string& clientOrderId, const std::string& symbol) override;
    PositionsResult positions() override;
    OpenOrdersResult openOrders() override;
    SymbolRulesResult symbolRules(const std::string& symbol) override;

    // Moves the simulated market (demos and tests). Adds the symbol if it is new. Resting limit
    // orders the new price reaches fill at their own limit price, oldest first. Throws
    // std::invalid_argument for a price that is not positive or not a multiple of the tick.
    void setPrice(const std::string& symbol, const Decimal& price);

private:
    // Position of one (symbol, position side). The entry price is the average of the fills that
    // opened it since it was last flat, so those are kept apart from the current quantity.
    struct Book {
        Decimal quantity;      // signed; negative is short
        Decimal openQuantity;  // sum of opening fill quantities since flat
        Decimal openCost;      // sum of opening fill quantity x price since flat
    };
    using BookKey = std::pair<std::string, PositionSide>;
    // An order that passed every check, with what filling it now would do.
    struct Checked {
        OrderState order;
        bool crosses = false;
        Decimal fillPrice;
        Book next;
    };

    static Book afterFill(const Book& book, Side side, const Decimal& quantity, const Decimal& price);
    bool reducesOnly(const OrderState& order) const;
    bool fitsReduceOnly(const OrderState& order) const;
    std::optional<std::size_t> findOpen(const std::string& clientOrderId, const std::string& symbol) const;
    PlaceResult placeLocked(const OrderIntent& intent, std::string& logLine);
    std::optional<Rejected> checkLocked(const OrderIntent& intent, Checked& checked) const;
    void fillLocked(std::size_t index, const Decimal& price, const Book& next);
    void simulateLatency() const;

    PluginContext& context_;
    const Decimal tickSize_;
    const Decimal stepSize_;
    const Decimal minNotional_;
    const std::chrono::milliseconds latency_;
    const bool hedgeMode_;

    mutable std::mutex mutex_;
    std::map<std::string, Decimal> prices_;
    std::vector<OrderState> orders_;  // every order ever placed; index + 1 is the exchange id
    std::unordered_map<std::string, std::vector<std::size_t>> ordersByClientId_;  // oldest first
    std::set<std::size_t> open_;  // indices of open orders; ascending is time priority
    std::map<BookKey, Book> books_;
};

}  // namespace tradehost::paper
