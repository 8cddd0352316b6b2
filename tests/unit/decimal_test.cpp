// Unit tests for tradehost::Decimal: parsing, formatting, comparison, arithmetic and rounding to a step.
#include "tradehost/decimal.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <tuple>

using tradehost::Decimal;
using tradehost::DecimalError;
using tradehost::Rounding;

namespace Catch {
template <>
struct StringMaker<Decimal> {
    static std::string convert(const Decimal& d) { return d.toString(); }
};
template <>
struct StringMaker<Rounding> {
    static std::string convert(Rounding r) {
        switch (r) {
            case Rounding::Down:
                return "Down";
            case Rounding::Up:
                return "Up";
            case Rounding::TowardZero:
                return "TowardZero";
            case Rounding::HalfUp:
                return "HalfUp";
        }
        return "?";
    }
};
}  // namespace Catch

namespace {

Decimal d(const char* text) { return Decimal::of(text); }

const std::string k38Digits = "12345678901234567890123456789012345678";
const std::string k39Digits = "123456789012345678901234567890123456789";
const std::string kMax = "99999999999999999999999999999999999999";  // 38 nines

}  // namespace

TEST_CASE("parse accepts plain decimal notation and normalises it", "[decimal][parse]") {
    const auto [text, canonical] = GENERATE(table<std::string, std::string>({
        {"0", "0"},
        {"12", "12"},
        {"-12", "-12"},
        {"+12", "12"},
        {"-0", "0"},
        {"+0", "0"},
        {"-0.000", "0"},
        {"007", "7"},
        {"0.10", "0.1"},
        {"1.0", "1"},
        {"-0.5", "-0.5"},
        {".5", "0.5"},
        {"+.25", "0.25"},
        {"-.25", "-0.25"},
        {"5.", "5"},
        {"65000.10", "65000.1"},
        {"1.5e-3", "0.0015"},
        {"1.5E3", "1500"},
        {"1e+2", "100"},
        {"2e0", "2"},
        {"-2.5e-1", "-0.25"},
        {"123.456e1", "1234.56"},
        {"0e5", "0"},
        {"0.00000000000000000000000000000000000000000001e40", "0.0001"},  // leading zeros are free
        {"1e-30", "0.000000000000000000000000000001"},
        {"0.000000000000000000000000000001", "0.000000000000000000000000000001"},
        {"1e37", "10000000000000000000000000000000000000"},
        {"1.000000000000000000000000000000000", "1"},
        {k38Digits, k38Digits},
        {"-" + kMax, "-" + kMax},
        {"1234567890123456789012345678.9012345678", "1234567890123456789012345678.9012345678"},
    }));
    CAPTURE(text);
    const auto parsed = Decimal::parse(text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->toString() == canonical);
    CHECK(*parsed == Decimal::of(canonical));
}

TEST_CASE("parse rejects everything else", "[decimal][parse]") {
    const std::string text =
        GENERATE(as<std::string>{}, "", " 1", "1 ", "\t1", "1\n", "--1", "+-1", "-+1", "1.2.3", "..1", "1e", "1e+",
                 "1e-", "1.2e", "e5", ".e5", ".", "-", "+", "-.", "nan", "NaN", "inf", "-inf", "Infinity", "0x10",
                 "1,5", "1_000", "12a", "1e5.5", "1e2e3", "\xD9\xA1" /* Arabic-Indic digit one */, "1e1001", "1e-1000",
                 "1e-31", "0.0000000000000000000000000000001" /* 31 decimals */, "1e38" /* 39 digits */, k39Digits,
                 "-" + k39Digits, "0." + k39Digits, k39Digits.substr(0, 20) + "." + k39Digits.substr(20));
    CAPTURE(text);
    CHECK_FALSE(Decimal::parse(text).has_value());
}

TEST_CASE("of() throws DecimalError naming the text", "[decimal][parse]") {
    CHECK_THROWS_AS(Decimal::of("1.2.3"), DecimalError);
    CHECK_THROWS_WITH(Decimal::of("abc"), Catch::Contains("'abc'"));
    CHECK_NOTHROW(Decimal::of("1.5"));
}

TEST_CASE("equal numbers have equal representations", "[decimal][normalise]") {
    CHECK(d("0.10") == d("0.1"));
    CHECK(d("1.000") == d("1"));
    CHECK(d("100") == d("1e2"));
    CHECK(d("-0") == Decimal());
    CHECK(d("-0").toString() == "0");
    CHECK_FALSE(d("-0").isNegative());
    CHECK(d("-0").sign() == 0);
    CHECK(d("0.10").decimals() == 1);
    CHECK(d("0.1") != d("0.11"));
    CHECK(Decimal().isZero());
    CHECK(Decimal().toString() == "0");
    CHECK(Decimal::fromInt(0) == Decimal());
}

TEST_CASE("decimals() counts significant fraction digits", "[decimal]") {
    const auto [text, decimals] = GENERATE(table<const char*, int>({
        {"12", 0},
        {"100", 0},
        {"0", 0},
        {"0.001", 3},
        {"0.0010", 3},
        {"-0.05", 2},
        {"65000.10", 1},
        {"1e-8", 8},
        {"1e20", 0},
        {"0.000000000000000000000000000001", 30},
    }));
    CAPTURE(text);
    CHECK(d(text).decimals() == decimals);
}

TEST_CASE("toString is exact plain notation, never scientific", "[decimal][format]") {
    CHECK(d("1e-8").toString() == "0.00000001");
    CHECK(d("-1e-8").toString() == "-0.00000001");
    CHECK(d("1e20").toString() == "100000000000000000000");
    CHECK(d("-1.5e3").toString() == "-1500");
    CHECK(d("0.00001").toString() == "0.00001");
    CHECK(d("65000").toString() == "65000");
    CHECK(Decimal::fromInt(std::numeric_limits<std::int64_t>::min()).toString() == "-9223372036854775808");
    CHECK(Decimal::fromInt(std::numeric_limits<std::int64_t>::max()).toString() == "9223372036854775807");
    CHECK(Decimal::fromInt(-42).toString() == "-42");
    CHECK(d(kMax.c_str()).toString() == kMax);
}

TEST_CASE("toFixed pads to exactly the asked decimals", "[decimal][format]") {
    const auto [text, decimals, expected] = GENERATE(table<const char*, int, const char*>({
        {"0.002", 4, "0.0020"},
        {"0.002", 3, "0.002"},
        {"12", 2, "12.00"},
        {"12", 0, "12"},
        {"-1.5", 3, "-1.500"},
        {"0", 2, "0.00"},
        {"0", 0, "0"},
        {"65000.1", 2, "65000.10"},
        {"-0.05", 2, "-0.05"},
        {"-0.05", 4, "-0.0500"},
        {"0.5", 1, "0.5"},
        {"1e-8", 8, "0.00000001"},
        {"1e-8", 10, "0.0000000100"},
    }));
    CAPTURE(text, decimals);
    CHECK(d(text).toFixed(decimals) == expected);
}

TEST_CASE("toFixed refuses to drop digits", "[decimal][format]") {
    const auto [text, decimals] = GENERATE(table<const char*, int>({
        {"0.005", 2},
        {"1.25", 1},
        {"-1.25", 1},
        {"0.001", 0},
        {"1", -1},
        {"0", -1},
    }));
    CAPTURE(text, decimals);
    CHECK_THROWS_AS(d(text).toFixed(decimals), DecimalError);
}

TEST_CASE("toFixed's error names the value", "[decimal][format]") {
    CHECK_THROWS_WITH(d("0.005").toFixed(2), Catch::Contains("0.005"));
    CHECK_THROWS_AS(d("1").toFixed(100), DecimalError);
}

TEST_CASE("compare orders across scales and signs", "[decimal][compare]") {
    const auto [a, b, expected] = GENERATE(table<std::string, std::string, int>({
        {"1", "1.0", 0},
        {"1.5", "1.25", 1},
        {"1.25", "1.5", -1},
        {"-1.5", "-1.25", -1},
        {"-1.25", "-1.5", 1},
        {"-0.1", "0.1", -1},
        {"0", "-0.0001", 1},
        {"0", "0.0001", -1},
        {"0", "0", 0},
        {"100", "99.999", 1},
        {"-100", "-99.999", -1},
        {"-2.5", "-1.9", -1},
        {"0.000000000000000000000000000002", "0.000000000000000000000000000001", 1},
        {k38Digits, k38Digits.substr(0, 37) + "7", 1},
        // Far apart in scale: widening both to 30 decimals would overflow; compare must not.
        {"1e37", "0.000000000000000000000000000001", 1},
        {"-" + k38Digits, "-0.1", -1},
        {"1234567.000000000000000000000000000001", "1234567", 1},
        {"-1234567.000000000000000000000000000001", "-1234567", -1},
    }));
    CAPTURE(a, b);
    const Decimal x = Decimal::of(a);
    const Decimal y = Decimal::of(b);
    CHECK(compare(x, y) == expected);
    CHECK(compare(y, x) == -expected);
    CHECK((x == y) == (expected == 0));
    CHECK((x != y) == (expected != 0));
    CHECK((x < y) == (expected < 0));
    CHECK((x <= y) == (expected <= 0));
    CHECK((x > y) == (expected > 0));
    CHECK((x >= y) == (expected >= 0));
}

TEST_CASE("addition, subtraction and multiplication are exact", "[decimal][arithmetic]") {
    CHECK(d("0.1") + d("0.2") == d("0.3"));
    CHECK((d("0.1") + d("0.2")).toString() == "0.3");
    CHECK(d("0.3") - d("0.1") == d("0.2"));
    CHECK(d("0.3") - d("0.3") == Decimal());
    CHECK(d("1") - d("1.001") == d("-0.001"));
    CHECK(d("65000.10") * d("0.002") == d("130.0002"));
    CHECK(d("1.5") * d("-2") == d("-3"));
    CHECK(d("-0.5") * d("-0.5") == d("0.25"));
    CHECK(d("0") * d("123.456") == Decimal());
    CHECK(d("0.5") * d("0.2") == d("0.1"));
    CHECK(d("1e-15") * d("1e-15") == d("1e-30"));
    CHECK(d("-1.5").abs() == d("1.5"));
    CHECK(d("1.5").abs() == d("1.5"));
    CHECK(-d("1.5") == d("-1.5"));
    CHECK(-Decimal() == Decimal());

    Decimal sum;
    for (int i = 0; i < 10; ++i) sum += d("0.1");
    CHECK(sum == d("1"));
    sum -= d("0.25");
    CHECK(sum == d("0.75"));
    CHECK(Decimal::fromInt(3) * d("0.001") == d("0.003"));
}

TEST_CASE("results that do not fit throw DecimalError", "[decimal][arithmetic]") {
    const Decimal max = Decimal::of(kMax);
    SECTION("sum beyond 38 digits") {
        CHECK_THROWS_AS(max + d("1"), DecimalError);
        CHECK_THROWS_AS(-max - d("1"), DecimalError);
        CHECK_THROWS_AS(d("5e37") + d("5e37"), DecimalError);
        CHECK_NOTHROW(max - d("1"));
    }
    SECTION("sum needing more than 38 digits of precision") { CHECK_THROWS_AS(d("1e37") + d("1e-30"), DecimalError); }
    SECTION("product beyond 38 digits") {
        CHECK_THROWS_AS(max * d("10"), DecimalError);
        CHECK_THROWS_AS(max * max, DecimalError);
        CHECK_THROWS_AS(d("1e20") * d("1e18"), DecimalError);
        CHECK_NOTHROW(d("1e20") * d("1e17"));
    }
    SECTION("product needing more than 30 decimals") { CHECK_THROWS_AS(d("1e-16") * d("1e-15"), DecimalError); }
    SECTION("every value that exists prints and parses back") {
        const Decimal big = d("5e37") + d("4e37");
        CHECK(Decimal::parse(big.toString()) == big);
    }
}

TEST_CASE("roundToStep in every mode", "[decimal][round]") {
    const auto [value, step, down, up, towardZero, halfUp] =
        GENERATE(table<const char*, const char*, const char*, const char*, const char*, const char*>({
            {"1.234", "0.01", "1.23", "1.24", "1.23", "1.23"},
            {"1.235", "0.01", "1.23", "1.24", "1.23", "1.24"},
            {"1.236", "0.01", "1.23", "1.24", "1.23", "1.24"},
            {"-1.234", "0.01", "-1.24", "-1.23", "-1.23", "-1.23"},
            {"-1.235", "0.01", "-1.24", "-1.23", "-1.23", "-1.24"},
            {"-1.236", "0.01", "-1.24", "-1.23", "-1.23", "-1.24"},
            {"1.23", "0.01", "1.23", "1.23", "1.23", "1.23"},
            {"-1.23", "0.01", "-1.23", "-1.23", "-1.23", "-1.23"},
            {"0", "0.01", "0", "0", "0", "0"},
            {"1.3", "0.5", "1", "1.5", "1", "1.5"},
            {"1.25", "0.5", "1", "1.5", "1", "1.5"},
            {"1.2", "0.5", "1", "1.5", "1", "1"},
            {"12.5", "5", "10", "15", "10", "15"},
            {"-12.5", "5", "-15", "-10", "-10", "-15"},
            {"15", "5", "15", "15", "15", "15"},
            {"0.0004", "0.001", "0", "0.001", "0", "0"},
            {"0.0005", "0.001", "0", "0.001", "0", "0.001"},
            {"-0.0004", "0.001", "-0.001", "0", "0", "0"},
            {"-0.0005", "0.001", "-0.001", "0", "0", "-0.001"},
            {"1.1", "0.25", "1", "1.25", "1", "1"},
            {"1.125", "0.25", "1", "1.25", "1", "1.25"},
            {"0.0123", "0.001", "0.012", "0.013", "0.012", "0.012"},
            {"65000.125", "0.1", "65000.1", "65000.2", "65000.1", "65000.1"},
            {"7", "0.001", "7", "7", "7", "7"},
        }));
    CAPTURE(value, step);
    const Decimal v = d(value);
    const Decimal s = d(step);
    CHECK(v.roundToStep(s, Rounding::Down) == d(down));
    CHECK(v.roundToStep(s, Rounding::Up) == d(up));
    CHECK(v.roundToStep(s, Rounding::TowardZero) == d(towardZero));
    CHECK(v.roundToStep(s, Rounding::HalfUp) == d(halfUp));
}

TEST_CASE("roundToStep and isMultipleOf need a positive step", "[decimal][round]") {
    const char* step = GENERATE("0", "-0.01", "-1");
    CAPTURE(step);
    CHECK_THROWS_AS(d("1.5").roundToStep(d(step), Rounding::Down), DecimalError);
    CHECK_THROWS_AS(d("1.5").isMultipleOf(d(step)), DecimalError);
}

TEST_CASE("isMultipleOf", "[decimal][round]") {
    const auto [value, step, expected] = GENERATE(table<const char*, const char*, bool>({
        {"0.003", "0.001", true},
        {"0.0015", "0.001", false},
        {"0", "0.001", true},
        {"-0.002", "0.001", true},
        {"-0.0025", "0.001", false},
        {"1.5", "0.5", true},
        {"1.25", "0.5", false},
        {"100", "5", true},
        {"101", "5", false},
        {"0.1", "0.25", false},
        {"0.75", "0.25", true},
        {"65000.1", "0.01", true},
        {"65000.123", "0.01", false},
    }));
    CAPTURE(value, step);
    CHECK(d(value).isMultipleOf(d(step)) == expected);
}

TEST_CASE("random values keep the algebraic properties", "[decimal][property]") {
    std::mt19937_64 random(20261124);  // fixed: a failure must reproduce
    std::uniform_int_distribution<std::int64_t> mantissa(-1'000'000'000'000'000, 1'000'000'000'000'000);
    std::uniform_int_distribution<int> scale(0, 12);
    std::uniform_int_distribution<std::int64_t> stepUnits(1, 1000);
    std::uniform_int_distribution<int> stepScale(0, 8);
    const auto tenToMinus = [](int n) { return Decimal::of("1e-" + std::to_string(n)); };
    const auto randomValue = [&] { return Decimal::fromInt(mantissa(random)) * tenToMinus(scale(random)); };

    constexpr int kCases = 4000;
    for (int i = 0; i < kCases; ++i) {
        const Decimal a = randomValue();
        const Decimal b = randomValue();
        const Decimal step = Decimal::fromInt(stepUnits(random)) * tenToMinus(stepScale(random));
        CAPTURE(i, a, b, step);

        REQUIRE(Decimal::parse(a.toString()) == a);
        REQUIRE(Decimal::parse(a.toFixed(a.decimals() + 3)) == a);
        REQUIRE((a + b) - b == a);
        REQUIRE(a + b == b + a);
        REQUIRE(a - a == Decimal());
        REQUIRE(a * Decimal::fromInt(1) == a);
        REQUIRE(compare(a, b) == (a - b).sign());

        for (const Rounding mode : {Rounding::Down, Rounding::Up, Rounding::TowardZero, Rounding::HalfUp}) {
            CAPTURE(mode);
            const Decimal r = a.roundToStep(step, mode);
            REQUIRE(r.isMultipleOf(step));
            REQUIRE((r - a).abs() < step);
            switch (mode) {
                case Rounding::Down:
                    REQUIRE(r <= a);
                    break;
                case Rounding::Up:
                    REQUIRE(r >= a);
                    break;
                case Rounding::TowardZero:
                    REQUIRE(r.abs() <= a.abs());
                    REQUIRE(r.sign() * a.sign() >= 0);
                    break;
                case Rounding::HalfUp:
                    REQUIRE((r - a).abs() * Decimal::fromInt(2) <= step);
                    break;
            }
            if (a.isMultipleOf(step)) REQUIRE(r == a);
        }
    }
}
