// What the venue's word does to a leg: one place that turns an order state into the leg's next
// state, its fills and its events, for the executor, the resolver and the tracker alike.
#include "pipeline/leg_outcomes.h"

#include <algorithm>

#include "events/json_text.h"

namespace tradehost::host {
namespace {

// Members gathered as std::string (brace lists of temporaries pick this overload unambiguously).
using Members = std::vector<std::pair<std::string, std::string>>;
std::string objectOf(const Members& members) { return jsonObject(members); }

}  // namespace

EventRecord legEvent(const char* name, const LegRecord& leg, std::string dataJson) {
    return {name, leg.signalId, leg.clientOrderId, leg.intent.venue, std::move(dataJson)};
}

OrderIntent intentOf(const LegRecord& leg) {
    OrderIntent i;
    i.clientOrderId = leg.clientOrderId;
    i.symbol = leg.intent.symbol;
    i.side = leg.intent.side;
    i.type = leg.intent.type;
    i.quantity = leg.intent.quantity;
    i.price = leg.intent.price;
    i.timeInForce = leg.intent.timeInForce;
    i.reduceOnly = leg.intent.reduceOnly;
    i.positionSide = leg.intent.positionSide;
    return i;
}

bool reachedVenue(const Rejected& rejected) {
    const std::string& code = rejected.code;
    if (code.rfind("HTTP ", 0) == 0) return true;
    const std::size_t digits = !code.empty() && code[0] == '-' ? 1 : 0;
    return code.size() > digits && std::all_of(code.begin() + static_cast<std::ptrdiff_t>(digits), code.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
}

LegState stateFor(OrderStatus status) {
    switch (status) {
        case OrderStatus::New:
        case OrderStatus::PartiallyFilled:
            return LegState::Working;
        case OrderStatus::Filled:
            return LegState::Accepted;
        case OrderStatus::Canceled:
            return LegState::Cancelled;
        case OrderStatus::Expired:
            return LegState::Expired;
        case OrderStatus::Rejected:
            return LegState::Rejected;
    }
    return LegState::Working;
}

std::optional<LegChange> adoptOrder(const LegRecord& before, const OrderState& order, const char* headline,
                                    const std::vector<std::pair<std::string, std::string>>& headlineData) {
    LegChange c{before, before, {}};
    LegRecord& after = c.after;
    after.state = stateFor(order.status);
    if (!order.exchangeOrderId.empty()) after.exchangeOrderId = order.exchangeOrderId;
    // Fills only grow: a venue that reports less than was booked (a stale replica) changes nothing.
    if (order.filledQuantity > before.filledQuantity) {
        after.filledQuantity = order.filledQuantity;
        after.averagePrice = order.averagePrice;
    }
    // The book the fills belong to: the one the signal named, or in hedge mode with BOTH, the
    // side the venue says it used.
    // A later report that names no side (BOTH) never moves fills booked on a side already learnt.
    if (before.intent.positionSide != PositionSide::Both)
        after.bookSide = before.intent.positionSide;
    else if (order.positionSide != PositionSide::Both)
        after.bookSide = order.positionSide;
    after.unknownSinceMs = 0;
    after.nextCheckMs = 0;
    after.notFoundCount = 0;
    if (isFinal(after.state) && after.state != LegState::Accepted)
        after.reason = std::string("the venue ended the order: ") + toString(order.status);
    else if (after.state == LegState::Accepted || after.state == LegState::Working)
        after.reason.clear();

    const bool filled = after.filledQuantity > before.filledQuantity;
    const bool stateChanged = after.state != before.state;
    if (!filled && !stateChanged && after.exchangeOrderId == before.exchangeOrderId &&
        after.bookSide == before.bookSide)
        return std::nullopt;

    const std::string status = toString(order.status);
    if (headline) {
        auto data = headlineData;
        data.emplace_back("exchange_order_id", after.exchangeOrderId);
        data.emplace_back("status", status);
        data.emplace_back("filled", after.filledQuantity.toString());
        data.emplace_back("avg_price", after.averagePrice.toString());
        // A venue that reports no quantity (zero) says nothing about an adjustment.
        if (order.quantity.isPositive() && compare(order.quantity, before.intent.quantity) != 0) {
            data.emplace_back("quantity_asked", before.intent.quantity.toString());
            data.emplace_back("quantity_sent", order.quantity.toString());
        }
        if (after.bookSide != PositionSide::Both) data.emplace_back("position_side", toString(after.bookSide));
        c.events.push_back(legEvent(headline, after, objectOf(data)));
    }
    if (filled)
        c.events.push_back(legEvent("order_fill", after,
                                    objectOf({{"fill_qty", (after.filledQuantity - before.filledQuantity).toString()},
                                              {"filled", after.filledQuantity.toString()},
                                              {"quantity", before.intent.quantity.toString()},
                                              {"avg_price", after.averagePrice.toString()},
                                              {"position_side", toString(after.bookSide)},
                                              {"status", status}})));
    if (before.state == LegState::Working && isFinal(after.state))
        c.events.push_back(legEvent("order_closed", after,
                                    objectOf({{"status", status},
                                              {"state", toString(after.state)},
                                              {"filled", after.filledQuantity.toString()},
                                              {"avg_price", after.averagePrice.toString()}})));
    return c;
}

LegChange endWithoutOrder(const LegRecord& before, LegState state, const char* event, std::string reason,
                          const std::vector<std::pair<std::string, std::string>>& extraData) {
    LegChange c{before, before, {}};
    c.after.state = state;
    c.after.reason = std::move(reason);
    auto data = extraData;
    data.emplace_back("reason", c.after.reason);
    c.events.push_back(legEvent(event, c.after, objectOf(data)));
    c.events.push_back(legEvent(
        "trade_fail", c.after,
        objectOf({{"reason", c.after.reason}, {"symbol", c.after.intent.symbol}, {"state", toString(c.after.state)}})));
    return c;
}

}  // namespace tradehost::host
