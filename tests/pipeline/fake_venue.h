// A scripted Venue for the pipeline's unit tests: answers from what the test queued, records every call.
#pragma once

#include <tradehost/venue.h>

#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace tradehost::test {

// The order a venue would report for `intent`: `status`, with `filled` of it filled at `avgPrice`,
// on the book `side` (the intent's own when not given).
inline OrderState orderFor(const OrderIntent& intent, OrderStatus status, const std::string& filled = "0",
                           const std::string& avgPrice = "0", std::optional<PositionSide> side = std::nullopt) {
    OrderState o;
    o.clientOrderId = intent.clientOrderId;
    o.exchangeOrderId = "ex-" + intent.clientOrderId;
    o.symbol = intent.symbol;
    o.side = intent.side;
    o.type = intent.type;
    o.positionSide = side ? *side : intent.positionSide;
    o.status = status;
    o.quantity = intent.quantity;
    o.filledQuantity = Decimal::of(filled);
    o.averagePrice = Decimal::of(avgPrice);
    o.price = intent.price;
    o.reduceOnly = intent.reduceOnly;
    return o;
}

using PlaceScript = std::function<PlaceResult(const OrderIntent&)>;
using QueryScript = std::function<QueryResult(const std::string& clientOrderId, const std::string& symbol)>;

// placeOrder answers, built from the intent the host sends.
inline PlaceScript fills(const std::string& avgPrice = "65000", std::optional<PositionSide> side = std::nullopt) {
    return [=](const OrderIntent& i) {
        return PlaceResult{Accepted{orderFor(i, OrderStatus::Filled, i.quantity.toString(), avgPrice, side), ""}};
    };
}
inline PlaceScript rests() {
    return [](const OrderIntent& i) { return PlaceResult{Accepted{orderFor(i, OrderStatus::New), ""}}; };
}
inline PlaceScript rejects(std::string code, std::string message) {
    return [=](const OrderIntent&) { return PlaceResult{Rejected{code, message}}; };
}
inline PlaceScript unknownOutcome(std::string reason) {
    return [=](const OrderIntent&) { return PlaceResult{Unknown{reason}}; };
}
inline PlaceScript defers(std::string reason, std::int64_t retryAfterMs) {
    return [=](const OrderIntent&) { return PlaceResult{Deferred{reason, retryAfterMs}}; };
}

// Single-threaded (the tests call runOnce by hand): every answer comes from a queue the test
// filled, or from a standing answer; a call with neither fails the test and answers Unknown.
class FakeVenue final : public Venue {
public:
    struct Place {
        OrderIntent intent;
        std::int64_t atMs = 0;
    };
    struct Ask {
        std::string clientOrderId;
        std::string symbol;
    };

    explicit FakeVenue(const Clock& clock) : clock_(clock) {}

    // Answers, one per call, in order.
    void willPlace(PlaceScript s) { places_.push_back(std::move(s)); }
    void willQuery(QueryResult r) {
        queries_.push_back([r](const std::string&, const std::string&) { return r; });
    }
    void willQuery(QueryScript s) { queries_.push_back(std::move(s)); }
    void willCancel(CancelResult r) { cancels_.push_back(std::move(r)); }
    // Answers for when the queue is empty.
    PlaceScript placeAlways;
    QueryScript queryAlways;
    // Runs inside placeOrder before it answers: what the host committed before calling is visible here.
    std::function<void(const OrderIntent&)> duringPlace;
    // watchOrders() says so and keeps the sink.
    bool pushes = false;

    // What the host asked, in order.
    std::vector<Place> placed;
    std::vector<Ask> queried;
    std::vector<Ask> cancelled;

    std::vector<std::string> placedIds() const {
        std::vector<std::string> out;
        for (const auto& p : placed) out.push_back(p.intent.clientOrderId);
        return out;
    }
    std::vector<std::string> queriedIds() const {
        std::vector<std::string> out;
        for (const auto& q : queried) out.push_back(q.clientOrderId);
        return out;
    }
    std::size_t scriptedLeft() const { return places_.size() + queries_.size() + cancels_.size(); }

    // A pushed update, as a user-data stream would deliver it.
    void push(const OrderState& order) {
        REQUIRE(sink_);
        sink_->orderUpdated(order);
    }

    // ---- Venue ----
    void start() override {}
    void stop() noexcept override {}
    ClientOrderIdRules clientOrderIdRules() const override { return {}; }

    PlaceResult placeOrder(const OrderIntent& intent) override {
        placed.push_back({intent, clock_.nowMs()});
        if (duringPlace) duringPlace(intent);
        if (!places_.empty()) {
            auto s = std::move(places_.front());
            places_.pop_front();
            return s(intent);
        }
        if (placeAlways) return placeAlways(intent);
        FAIL_CHECK("fake venue: placeOrder(" << intent.clientOrderId << ") with nothing scripted");
        return Unknown{"unscripted"};
    }

    QueryResult queryOrder(const std::string& clientOrderId, const std::string& symbol) override {
        queried.push_back({clientOrderId, symbol});
        if (!queries_.empty()) {
            auto s = std::move(queries_.front());
            queries_.pop_front();
            return s(clientOrderId, symbol);
        }
        if (queryAlways) return queryAlways(clientOrderId, symbol);
        FAIL_CHECK("fake venue: queryOrder(" << clientOrderId << ") with nothing scripted");
        return Unknown{"unscripted"};
    }

    CancelResult cancelOrder(const std::string& clientOrderId, const std::string& symbol) override {
        cancelled.push_back({clientOrderId, symbol});
        if (!cancels_.empty()) {
            auto r = std::move(cancels_.front());
            cancels_.pop_front();
            return r;
        }
        FAIL_CHECK("fake venue: cancelOrder(" << clientOrderId << ") with nothing scripted");
        return Unknown{"unscripted"};
    }

    // What positions() and openOrders() answer (the reconciler's tests set them).
    PositionsResult positionsAnswer = Unknown{"not scripted"};
    OpenOrdersResult openOrdersAnswer = Unknown{"not scripted"};
    std::optional<Decimal> stepSize;  // symbolRules' step (none by default)

    PositionsResult positions() override { return positionsAnswer; }
    OpenOrdersResult openOrders() override { return openOrdersAnswer; }
    SymbolRulesResult symbolRules(const std::string& symbol) override {
        SymbolRules rules;  // no tick or minimum
        rules.symbol = symbol;
        rules.stepSize = stepSize;
        return rules;
    }

    bool watchOrders(OrderUpdateSink& sink) override {
        if (!pushes) return false;
        sink_ = &sink;
        return true;
    }

private:
    const Clock& clock_;
    std::deque<PlaceScript> places_;
    std::deque<QueryScript> queries_;
    std::deque<CancelResult> cancels_;
    OrderUpdateSink* sink_ = nullptr;
};

}  // namespace tradehost::test
