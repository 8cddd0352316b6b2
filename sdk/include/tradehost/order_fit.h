// Fitting an order to a symbol's rules in exact decimals: the one implementation every venue plugin uses.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "tradehost/decimal.h"
#include "tradehost/venue.h"

namespace tradehost {

// An order as a venue will hold it after fitOrder(), and what was changed to get there. The texts
// are the numbers as a venue's wire wants them: exactly the decimals the step (tick) has, never
// scientific notation ("2.000" with step 0.001).
struct FittedOrder {
    Decimal quantity;  // floored to the step: never more than asked
    std::string quantityText;
    std::optional<Decimal> price;  // LIMIT orders only: on the tick grid
    std::string priceText;         // empty for a MARKET order
    std::string note;              // what was adjusted, for Accepted::note; empty when nothing was
};

namespace detail {

// A rule that is absent, zero or negative is no rule (exchanges send "0" for "none").
inline const Decimal* activeRule(const std::optional<Decimal>& rule) {
    return rule && rule->isPositive() ? &*rule : nullptr;
}

inline Rejected fitRefusal(std::string message) { return Rejected{"LOCAL_FILTER", std::move(message)}; }

// With the rule's decimals, or the value's own when it has more (no rule, or a value off the grid).
inline std::string wireText(const Decimal& value, const Decimal* rule) {
    return value.toFixed(rule && rule->decimals() > value.decimals() ? rule->decimals() : value.decimals());
}

}  // namespace detail

// Fits `intent` to `rules`, in this order:
//  - the quantity is floored to the step, never rounded up: that would trade more than was asked;
//  - a LIMIT price is rounded to the tick on the passive side (BUY down, SELL up), so that the
//    order never pays more or sells for less than asked; the grid counts from minPrice when set;
//  - then the quantity range (a MARKET order uses rules.marketQuantity when the venue has it),
//    the price range and the minimum notional are checked.
// The minimum notional is checked for LIMIT orders only, at the fitted price: a MARKET order's
// price is not known here, so the venue (or a plugin that knows its price) checks it. Reduce-only
// orders are exempt; pass reduceOnly = true for an order that can only close (a hedge-mode SELL
// on LONG, say) to exempt it too.
//
// Returns the fitted order, whose quantity the plugin reports in Accepted's OrderState (the host
// compares it with the asked quantity) and whose note goes to Accepted::note, or, when the order
// cannot be made valid, Rejected{"LOCAL_FILTER", reason}: nothing was sent, no order exists.
// Throws DecimalError only for numbers beyond 38 digits (a product of absurd operands).
inline std::variant<FittedOrder, Rejected> fitOrder(const OrderIntent& intent, const SymbolRules& rules) {
    using detail::activeRule;
    using detail::fitRefusal;
    const bool marketRules = intent.type == OrderType::Market && rules.marketQuantity.has_value();
    const Decimal* step = activeRule(marketRules ? rules.marketQuantity->stepSize : rules.stepSize);
    const Decimal* minQuantity = activeRule(marketRules ? rules.marketQuantity->minQuantity : rules.minQuantity);
    const Decimal* maxQuantity = activeRule(marketRules ? rules.marketQuantity->maxQuantity : rules.maxQuantity);
    const std::string which = marketRules ? "MARKET order " : "";

    FittedOrder out;
    if (!intent.quantity.isPositive())
        return fitRefusal("quantity must be positive, got " + intent.quantity.toString());
    out.quantity = step ? intent.quantity.roundToStep(*step, Rounding::TowardZero) : intent.quantity;
    if (out.quantity != intent.quantity)
        out.note = "quantity " + intent.quantity.toString() + " floored to step " + step->toString() + " -> " +
                   out.quantity.toString();
    if (minQuantity && out.quantity < *minQuantity)
        return fitRefusal("quantity " + intent.quantity.toString() + " is below the minimum " + which + "quantity " +
                          minQuantity->toString() + (step ? " (step " + step->toString() + ")" : std::string()));
    if (!out.quantity.isPositive())
        return fitRefusal("quantity " + intent.quantity.toString() + " is less than one " + which + "step " +
                          step->toString());
    if (maxQuantity && out.quantity > *maxQuantity)
        return fitRefusal("quantity " + out.quantity.toString() + " is above the maximum " + which + "quantity " +
                          maxQuantity->toString());
    out.quantityText = detail::wireText(out.quantity, step);

    if (intent.type != OrderType::Limit) return out;
    if (!intent.price || !intent.price->isPositive()) return fitRefusal("a LIMIT order needs a positive price");
    const Decimal* tick = activeRule(rules.tickSize);
    const Decimal* minPrice = activeRule(rules.minPrice);
    const Decimal* maxPrice = activeRule(rules.maxPrice);
    Decimal price = *intent.price;
    if (tick) {
        const Decimal origin = minPrice ? *minPrice : Decimal();
        const Rounding passive = intent.side == Side::Buy ? Rounding::Down : Rounding::Up;
        price = (price - origin).roundToStep(*tick, passive) + origin;
    }
    if (price != *intent.price) {
        if (!out.note.empty()) out.note += "; ";
        out.note += "price " + intent.price->toString() + " rounded " + (intent.side == Side::Buy ? "down" : "up") +
                    " to tick " + tick->toString() + " -> " + price.toString();
    }
    if (!price.isPositive())
        return fitRefusal("price " + intent.price->toString() + " rounds down to zero at tick " + tick->toString());
    if (minPrice && price < *minPrice)
        return fitRefusal("price " + price.toString() + " is below the minimum price " + minPrice->toString());
    if (maxPrice && price > *maxPrice)
        return fitRefusal("price " + price.toString() + " is above the maximum price " + maxPrice->toString());
    const Decimal* minNotional = activeRule(rules.minNotional);
    if (!intent.reduceOnly && minNotional && price * out.quantity < *minNotional)
        return fitRefusal("notional " + (price * out.quantity).toString() + " is below the minimum notional " +
                          minNotional->toString() + " (reduce-only orders are exempt)");
    out.price = price;
    out.priceText = detail::wireText(price, tick);
    return out;
}

}  // namespace tradehost
