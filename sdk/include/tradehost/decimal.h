// Exact decimal numbers for prices and quantities: parse, format, compare, add, multiply, round to step.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tradehost/visibility.h"

namespace tradehost {

// Raised when a result does not fit (more than ~38 significant digits) or when formatting would
// have to drop digits. Both mean a bug or absurd input upstream; neither happens with venue-sized
// numbers, so it is an exception and not a value.
class TRADEHOST_SDK_API DecimalError : public std::domain_error {
public:
    using std::domain_error::domain_error;
};

// How roundToStep() picks between the two neighbouring multiples of a step.
enum class Rounding {
    Down,        // toward negative infinity (floor)
    Up,          // toward positive infinity (ceiling)
    TowardZero,  // truncate: quantities are floored this way whatever their sign
    HalfUp,      // nearest; a tie goes away from zero
};

// A signed decimal number held exactly as an integer count of 10^-scale units.
//
// Every value is kept normalised (no trailing fractional zeros), so equal numbers have equal
// representations and "0.10" == "0.1". There is deliberately no conversion from or to double.
class Decimal {
public:
    // Widest precision kept after a multiplication or a parse.
    static constexpr int kMaxScale = 30;

    Decimal() = default;  // zero
    static Decimal fromInt(std::int64_t value) { return Decimal(static_cast<Int>(value), 0); }

    // Plain decimal notation with an optional sign, optional fraction and optional exponent:
    // "12", "-0.5", "+.25", "1.5e-3", "65000.10". No spaces, no "nan"/"inf", at most 38
    // significant digits. Returns nullopt for anything else.
    static std::optional<Decimal> parse(std::string_view text);

    // Like parse(), but throws DecimalError naming the text; for literals in code and tests.
    static Decimal of(std::string_view text) {
        auto d = parse(text);
        if (!d) throw DecimalError("not a decimal number: '" + std::string(text) + "'");
        return *d;
    }

    // Shortest exact plain notation: "0", "-1.5", "65000", "0.00001". Never scientific.
    std::string toString() const;

    // Exactly `decimals` digits after the point ("0.0020" for 0.002 with 4). Throws DecimalError
    // if the value has more significant decimals than that: round first, then format.
    std::string toFixed(int decimals) const;

    // Number of significant digits after the point: 0 for "12", 3 for "0.001". The number of
    // decimals a step or tick size implies.
    int decimals() const { return scale_; }

    int sign() const { return units_ < 0 ? -1 : (units_ > 0 ? 1 : 0); }
    bool isZero() const { return units_ == 0; }
    bool isNegative() const { return units_ < 0; }
    bool isPositive() const { return units_ > 0; }
    Decimal abs() const { return units_ < 0 ? Decimal(-units_, scale_) : *this; }
    Decimal operator-() const { return Decimal(-units_, scale_); }

    friend Decimal operator+(const Decimal& a, const Decimal& b);
    friend Decimal operator-(const Decimal& a, const Decimal& b) { return a + (-b); }
    friend Decimal operator*(const Decimal& a, const Decimal& b);
    Decimal& operator+=(const Decimal& b) { return *this = *this + b; }
    Decimal& operator-=(const Decimal& b) { return *this = *this - b; }

    friend int compare(const Decimal& a, const Decimal& b);
    friend bool operator==(const Decimal& a, const Decimal& b) { return a.units_ == b.units_ && a.scale_ == b.scale_; }
    friend bool operator!=(const Decimal& a, const Decimal& b) { return !(a == b); }
    friend bool operator<(const Decimal& a, const Decimal& b) { return compare(a, b) < 0; }
    friend bool operator<=(const Decimal& a, const Decimal& b) { return compare(a, b) <= 0; }
    friend bool operator>(const Decimal& a, const Decimal& b) { return compare(a, b) > 0; }
    friend bool operator>=(const Decimal& a, const Decimal& b) { return compare(a, b) >= 0; }

    // The multiple of `step` chosen by `mode`. `step` must be positive (throws DecimalError).
    Decimal roundToStep(const Decimal& step, Rounding mode) const;

    // True when the value is a whole multiple of `step` (which must be positive).
    bool isMultipleOf(const Decimal& step) const { return roundToStep(step, Rounding::TowardZero) == *this; }

private:
    __extension__ typedef __int128 Int;  // 38 decimal digits; a GCC/Clang builtin
    static constexpr int kMaxDigits = 38;

    Decimal(Int units, int scale) : units_(units), scale_(scale) { normalise(); }

    static Int pow10(int n);
    static bool mulOverflows(Int a, Int b, Int* out) { return __builtin_mul_overflow(a, b, out); }
    static bool addOverflows(Int a, Int b, Int* out) { return __builtin_add_overflow(a, b, out); }
    // Rescales `units` from `from` to the larger scale `to`; throws on overflow.
    static Int widen(Int units, int from, int to);
    void normalise();
    // Arithmetic results are held to the 38 digits parse() accepts, so every value prints and
    // parses back, and -units_ can never overflow (the __int128 minimum has 39 digits).
    const Decimal& requireFits() const;

    Int units_ = 0;
    int scale_ = 0;
};

// ---- implementation (header-only so that a plugin needs nothing but these headers) ----------

inline Decimal::Int Decimal::pow10(int n) {
    Int r = 1;
    for (int i = 0; i < n; ++i) r *= 10;
    return r;
}

inline Decimal::Int Decimal::widen(Int units, int from, int to) {
    Int out = 0;
    if (mulOverflows(units, pow10(to - from), &out)) throw DecimalError("decimal overflow");
    return out;
}

inline void Decimal::normalise() {
    if (units_ == 0) {
        scale_ = 0;
        return;
    }
    while (scale_ > 0 && units_ % 10 == 0) {
        units_ /= 10;
        --scale_;
    }
}

inline const Decimal& Decimal::requireFits() const {
    const Int limit = pow10(kMaxDigits);
    if (units_ >= limit || units_ <= -limit) throw DecimalError("decimal overflow: more than 38 digits");
    return *this;
}

inline std::optional<Decimal> Decimal::parse(std::string_view text) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    bool negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';

    Int units = 0;
    int scale = 0;
    int digits = 0;      // digits seen in the mantissa
    int significant = 0; // digits after the leading zeros
    bool point = false;
    for (; i < n; ++i) {
        const char c = text[i];
        if (c == '.') {
            if (point) return std::nullopt;
            point = true;
            continue;
        }
        if (c < '0' || c > '9') break;
        ++digits;
        if (significant > 0 || c != '0') ++significant;
        if (significant > kMaxDigits) return std::nullopt;
        units = units * 10 + (c - '0');
        if (point) ++scale;
    }
    if (digits == 0) return std::nullopt;

    long exponent = 0;
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        bool expNegative = false;
        if (i < n && (text[i] == '+' || text[i] == '-')) expNegative = text[i++] == '-';
        const std::size_t expStart = i;
        for (; i < n && text[i] >= '0' && text[i] <= '9'; ++i) {
            exponent = exponent * 10 + (text[i] - '0');
            if (exponent > 1000) return std::nullopt;
        }
        if (i == expStart) return std::nullopt;
        if (expNegative) exponent = -exponent;
    }
    if (i != n) return std::nullopt;

    if (units == 0) return Decimal();
    long newScale = static_cast<long>(scale) - exponent;
    if (newScale < 0) {
        if (significant - newScale > kMaxDigits) return std::nullopt;
        units *= pow10(static_cast<int>(-newScale));
        newScale = 0;
    }
    if (newScale > kMaxScale + kMaxDigits) return std::nullopt;
    const Decimal d(negative ? -units : units, static_cast<int>(newScale));
    if (d.scale_ > kMaxScale) return std::nullopt;
    return d;
}

inline std::string Decimal::toString() const { return toFixed(scale_); }

inline std::string Decimal::toFixed(int decimals) const {
    if (decimals < scale_) {
        throw DecimalError("cannot format " + toString() + " with " + std::to_string(decimals) +
                           " decimals without dropping digits");
    }
    if (decimals > kMaxScale + 8) throw DecimalError("too many decimals requested");
    Int magnitude = units_ < 0 ? -units_ : units_;
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
        magnitude /= 10;
    } while (magnitude != 0);
    digits.append(static_cast<std::size_t>(decimals - scale_), '0');
    if (decimals > 0) {
        if (digits.size() <= static_cast<std::size_t>(decimals))
            digits.insert(0, static_cast<std::size_t>(decimals) - digits.size() + 1, '0');
        digits.insert(digits.size() - static_cast<std::size_t>(decimals), 1, '.');
    }
    if (units_ < 0) digits.insert(digits.begin(), '-');
    return digits;
}

inline Decimal operator+(const Decimal& a, const Decimal& b) {
    const int scale = a.scale_ > b.scale_ ? a.scale_ : b.scale_;
    Decimal::Int sum = 0;
    if (Decimal::addOverflows(Decimal::widen(a.units_, a.scale_, scale), Decimal::widen(b.units_, b.scale_, scale), &sum))
        throw DecimalError("decimal overflow");
    return Decimal(sum, scale).requireFits();
}

inline Decimal operator*(const Decimal& a, const Decimal& b) {
    Decimal::Int product = 0;
    if (Decimal::mulOverflows(a.units_, b.units_, &product)) throw DecimalError("decimal overflow");
    Decimal r(product, a.scale_ + b.scale_);
    if (r.scale_ > Decimal::kMaxScale) throw DecimalError("decimal product needs more than 30 decimals");
    return r.requireFits();
}

inline int compare(const Decimal& a, const Decimal& b) {
    if (a.sign() != b.sign()) return a.sign() < b.sign() ? -1 : 1;
    // Whole parts first: widening both whole values to the larger scale overflows for valid
    // pairs such as 1e37 and 1e-30, and a comparison has no result that could fail to fit.
    const Decimal::Int wholeA = a.units_ / Decimal::pow10(a.scale_);
    const Decimal::Int wholeB = b.units_ / Decimal::pow10(b.scale_);
    if (wholeA != wholeB) return wholeA < wholeB ? -1 : 1;
    // Same sign and same whole part: the fractions (< 10^30 once widened) decide.
    const int scale = a.scale_ > b.scale_ ? a.scale_ : b.scale_;
    const Decimal::Int x = Decimal::widen(a.units_ % Decimal::pow10(a.scale_), a.scale_, scale);
    const Decimal::Int y = Decimal::widen(b.units_ % Decimal::pow10(b.scale_), b.scale_, scale);
    return x < y ? -1 : (x > y ? 1 : 0);
}

inline Decimal Decimal::roundToStep(const Decimal& step, Rounding mode) const {
    if (!step.isPositive()) throw DecimalError("rounding step must be positive, got " + step.toString());
    const int scale = scale_ > step.scale_ ? scale_ : step.scale_;
    const Int value = widen(units_, scale_, scale);
    const Int unit = widen(step.units_, step.scale_, scale);
    Int q = value / unit;  // truncates toward zero
    const Int r = value % unit;
    if (r != 0) {
        switch (mode) {
            case Rounding::TowardZero: break;
            case Rounding::Down: if (value < 0) --q; break;
            case Rounding::Up: if (value > 0) ++q; break;
            case Rounding::HalfUp: {
                const Int twice = (r < 0 ? -r : r) * 2;
                if (twice >= unit) q += value < 0 ? -1 : 1;
                break;
            }
        }
    }
    Int out = 0;
    if (mulOverflows(q, unit, &out)) throw DecimalError("decimal overflow");
    return Decimal(out, scale).requireFits();
}

}  // namespace tradehost
