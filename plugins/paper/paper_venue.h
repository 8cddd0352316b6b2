// The "paper" venue: a simulated exchange account that fills orders at configured prices.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "paper_state_file.h"
#include "tradehost/context.h"
#include "tradehost/decimal.h"
#include "tradehost/settings.h"
#include "tradehost/venue.h"

namespace tradehost::paper {

// Behaves like a Binance USDⓈ-M futures account where it matters to the host: client order ids
// are unique among *open* orders only (a filled order frees its id, so resending creates a second
// order), orders are fitted to the step, tick and minimum notional exactly as the Binance plugin
// fits them (tradehost::fitOrder: the quantity floored, a limit price rounded on the passive side,
// the adjustment noted), reduce-only orders never grow a position, hedge mode keeps LONG and SHORT
// apart (reading Both as venue.h says), and finished orders are forgotten after a while (queries
// then say NotFound, as past Binance's retention). Fills are immediate and complete; there is no
// order book. It never returns Deferred unless its state file cannot be written.
//
// The account outlives the process, as an exchange account does: positions, open and finished
// orders (up to max_finished_orders), the next exchange id and the prices setPrice() moved are
// kept in <dataDir>/paper_state.log and resumed by start(). Each change is written before the call
// that made it returns, so a restart after kill -9 resumes exactly what the host was told. It is
// not fsync'ed: a power loss may lose the latest changes (see paper_state_file.h).
class PaperVenue final : public Venue {
public:
    PaperVenue(const Settings& settings, PluginContext& context);

    static SettingsSchema settingsSchema();

    // Resumes the account from the state file. Throws std::runtime_error naming the file and the
    // problem when it cannot be read, is corrupt, or does not fit the settings (hedge mode
    // changed with positions or orders on the other kind of book): never starts flat instead.
    void start() override;
    void stop() noexcept override;
    ClientOrderIdRules clientOrderIdRules() const override;
    PlaceResult placeOrder(const OrderIntent& intent) override;
    QueryResult queryOrder(const std::string& clientOrderId, const std::string& symbol) override;
    CancelResult cancelOrder(const std::string& clientOrderId, const std::string& symbol) override;
    PositionsResult positions() override;
    OpenOrdersResult openOrders() override;
    SymbolRulesResult symbolRules(const std::string& symbol) override;
    // Pushes what changes after placeOrder() answered: resting orders that setPrice() fills or
    // expires, and cancelled orders. Pushed from the thread that made the change, after the
    // venue's own lock is released; never after stop() returned.
    bool watchOrders(OrderUpdateSink& sink) override;

    // Moves the simulated market (demos and tests). Adds the symbol if it is new. Resting limit
    // orders the new price reaches fill at their own limit price, oldest first. Throws
    // std::invalid_argument for a price that is not positive or not a multiple of the tick, and
    // std::runtime_error (changing nothing) when the state file cannot be written.
    void setPrice(const std::string& symbol, const Decimal& price);

    // The file the account is kept in: <dataDir>/paper_state.log.
    const std::string& stateFilePath() const { return stateFile_.path(); }

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
        std::string note;  // what fitting changed
        bool crosses = false;
        Decimal fillPrice;
        Book next;
    };

    static Book afterFill(const Book& book, Side side, const Decimal& quantity, const Decimal& price);
    static bool fitsReduceOnly(const OrderState& order, const Decimal& position);
    bool reducesOnly(const OrderState& order) const;
    Decimal positionLocked(const BookKey& key) const;
    SymbolRules rulesFor(const std::string& symbol) const;
    std::optional<std::uint64_t> findOpen(const std::string& clientOrderId, const std::string& symbol) const;
    PlaceResult placeLocked(const OrderIntent& intent, std::string& logLine);
    std::optional<Rejected> checkLocked(const OrderIntent& intent, Checked& checked) const;
    void fill(OrderState& order, const Decimal& price) const;
    // Writes `change` to the state file; only then may it be applied. Empty, or why it could not.
    std::string persistLocked(const StateChange& change);
    // The one way state changes, live and when the state file is replayed by start().
    void applyLocked(const StateChange& change, bool replaying);
    void applyOrderLocked(const OrderState& order, bool replaying);
    StateChange snapshotLocked() const;
    void compactIfDueLocked();
    // Checks what start() resumed against the settings; throws naming the state file.
    void checkResumedLocked() const;
    // The order is no longer open: it joins the finished ones, and the oldest of those beyond
    // max_finished_orders are forgotten.
    void finishLocked(std::uint64_t exchangeId, bool count);
    void pushUpdates(const std::vector<OrderState>& updates);
    void simulateLatency() const;

    PluginContext& context_;
    const Decimal tickSize_;
    const Decimal stepSize_;
    const Decimal minNotional_;
    const std::chrono::milliseconds latency_;
    const bool hedgeMode_;
    const std::size_t maxFinishedOrders_;
    const std::map<std::string, Decimal> configuredPrices_;  // from the settings

    mutable std::mutex mutex_;
    PaperStateFile stateFile_;
    bool compactionFailing_ = false;
    std::map<std::string, Decimal> prices_;
    // Every open order and the newest finished ones, by exchange id. Ids count up from 1 and are
    // never reused, so ascending is also time priority.
    std::unordered_map<std::uint64_t, OrderState> orders_;
    std::uint64_t nextExchangeId_ = 1;
    std::unordered_map<std::string, std::vector<std::uint64_t>> ordersByClientId_;  // oldest first
    std::set<std::uint64_t> open_;
    std::deque<std::uint64_t> finished_;  // in the order they finished; the front is forgotten first
    std::map<BookKey, Book> books_;

    // The push hook. Apart from mutex_, so a sink is never called with the venue locked; stop()
    // waits for pushes in flight and clears the sink.
    std::mutex sinkMutex_;
    std::condition_variable sinkIdle_;
    OrderUpdateSink* sink_ = nullptr;
    int pushing_ = 0;
    bool stopped_ = false;
};

}  // namespace tradehost::paper
