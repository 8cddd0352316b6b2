// Decimal helpers the SDK type leaves out: rounded division (entry and average prices) and venue formatting.
#pragma once

#include <string>

#include "tradehost/decimal.h"

namespace tradehost::binance_emulator {

// a / b rounded half-up to `decimals` places, by long division on Decimal itself so no digit
// ever passes through a double. b must not be zero.
inline Decimal divideRounded(Decimal a, Decimal b, int decimals) {
    if (b.isZero()) throw DecimalError("division by zero");
    const bool negative = a.sign() * b.sign() < 0;
    a = a.abs();
    b = b.abs();
    const Decimal ten = Decimal::fromInt(10);
    int top = 0;
    for (Decimal scaled = b; scaled * ten <= a; scaled = scaled * ten) ++top;
    Decimal quotient;
    Decimal rest = a;
    for (int k = top; k >= -decimals; --k) {
        const Decimal unit = Decimal::of("1e" + std::to_string(k));
        const Decimal chunk = b * unit;
        int digit = 0;
        while (rest >= chunk) {
            rest -= chunk;
            ++digit;
        }
        if (digit != 0) quotient += unit * Decimal::fromInt(digit);
    }
    const Decimal last = Decimal::of("1e-" + std::to_string(decimals));
    if (rest + rest >= b * last) quotient += last;
    return negative ? -quotient : quotient;
}

// At least `decimals` places, more if the value has them: never drops a digit, never throws.
inline std::string formatAtLeast(const Decimal& d, int decimals) {
    return d.toFixed(d.decimals() > decimals ? d.decimals() : decimals);
}

// Binance prints zero quantities and quotes as a bare "0" in order responses.
inline std::string formatOrZero(const Decimal& d, int decimals) {
    return d.isZero() ? std::string("0") : formatAtLeast(d, decimals);
}

}  // namespace tradehost::binance_emulator
