// Tests for the webhook signal parser: shapes, TradingView variations, canonical form, rejections, robustness.
#include "intake/signal/signal_parser.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "intake/signal/json_value.h"

using tradehost::Decimal;
using tradehost::OrderType;
using tradehost::PositionSide;
using tradehost::Side;
using tradehost::TimeInForce;
using tradehost::host::canonicalJson;
using tradehost::host::Leg;
using tradehost::host::Parsed;
using tradehost::host::ParseError;
using tradehost::host::parseSignal;
using tradehost::host::Signal;

namespace {

// A secret no test ever expects to see outside Parsed::secret.
const std::string kCanary = "CANARY-not-a-real-secret-51c7";

std::string show(const ParseError& e) { return std::to_string(e.httpStatus) + " " + e.field + ": " + e.message; }

// parse(canonical) must give the same signal again, with no secret (G1: parse -> serialize ->
// parse is stable).
void checkRoundTrip(const Signal& s) {
    INFO("canonical: " << s.canonical);
    CHECK(s.canonical == canonicalJson(s));
    auto again = parseSignal(s.canonical);
    if (const auto* e = std::get_if<ParseError>(&again)) FAIL("canonical form refused: " << show(*e));
    const auto& p = std::get<Parsed>(again);
    CHECK(p.signal.canonical == s.canonical);
    CHECK(p.signal.signalId == s.signalId);
    CHECK(p.signal.sentAtMs == s.sentAtMs);
    CHECK(p.signal.legs.size() == s.legs.size());
    CHECK_FALSE(p.secret.has_value());
}

Parsed mustParse(const std::string& body) {
    INFO("body: " << body);
    auto r = parseSignal(body);
    if (const auto* e = std::get_if<ParseError>(&r)) FAIL("refused: " << show(*e));
    auto parsed = std::get<Parsed>(std::move(r));
    checkRoundTrip(parsed.signal);
    return parsed;
}

ParseError mustFail(const std::string& body) {
    INFO("body: " << body);
    auto r = parseSignal(body);
    if (const auto* p = std::get_if<Parsed>(&r)) FAIL("accepted, canonical: " << p->signal.canonical);
    return std::get<ParseError>(std::move(r));
}

using Fields = std::vector<std::pair<std::string, std::string>>;  // key, raw JSON value

std::string objectOf(const Fields& fields) {
    std::string out = "{";
    for (const auto& [key, value] : fields) {
        if (out.size() > 1) out += ',';
        out += '"' + key + "\":" + value;
    }
    return out + "}";
}

// `fields` with `key` set to the raw JSON `value`, or removed when `value` is empty.
Fields setField(Fields fields, const std::string& key, const std::string& value) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (it->first != key) continue;
        if (value.empty()) {
            fields.erase(it);
        } else {
            it->second = value;
        }
        return fields;
    }
    if (!value.empty()) fields.emplace_back(key, value);
    return fields;
}

std::string with(const Fields& fields, const std::string& key, const std::string& value) {
    return objectOf(setField(fields, key, value));
}

const Fields kMarket = {{"secret", "\"" + kCanary + "\""},
                        {"signal_id", "\"id-1\""},
                        {"symbol", "\"BTCUSDT\""},
                        {"side", "\"buy\""},
                        {"type", "\"market\""},
                        {"quantity", "\"0.002\""}};
const Fields kLimit = {{"secret", "\"" + kCanary + "\""},
                       {"signal_id", "\"id-1\""},
                       {"symbol", "\"BTCUSDT\""},
                       {"side", "\"buy\""},
                       {"type", "\"limit\""},
                       {"quantity", "\"0.002\""},
                       {"price", "\"65000.1\""}};

std::string marketWith(const std::string& key, const std::string& value) { return with(kMarket, key, value); }
std::string limitWith(const std::string& key, const std::string& value) { return with(kLimit, key, value); }

std::string legsOf(const std::vector<std::string>& legs) {
    std::string out = R"({"signal_id":"multi-1","legs":[)";
    for (std::size_t i = 0; i < legs.size(); ++i) out += (i ? "," : "") + legs[i];
    return out + "]}";
}

const std::string kLeg = R"({"symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"})";

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> corpus() {
    std::vector<std::string> bodies;
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(TRADEHOST_SIGNAL_CORPUS_DIR))
        if (entry.path().extension() == ".json") paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());  // directory order is not stable; the seeded test must be
    for (const auto& p : paths) bodies.push_back(readFile(p));
    return bodies;
}

}  // namespace

// ---- shapes ----------------------------------------------------------------------------------

TEST_CASE("flat form: the DESIGN.md example", "[signal]") {
    const auto p = mustParse(R"({ "secret": "…", "signal_id": "ema-x-BTCUSDT-2026-11-24T10:00:00Z",
  "venue": "bn_main", "symbol": "BTCUSDT", "side": "buy", "type": "market",
  "quantity": "0.002", "price": null, "reduce_only": false })");
    REQUIRE(p.secret == std::string("…"));
    const Signal& s = p.signal;
    CHECK(s.signalId == "ema-x-BTCUSDT-2026-11-24T10:00:00Z");
    REQUIRE(s.legs.size() == 1);
    const Leg& leg = s.legs[0];
    CHECK(leg.venue == "bn_main");
    CHECK(leg.symbol == "BTCUSDT");
    CHECK(leg.side == Side::Buy);
    CHECK(leg.type == OrderType::Market);
    CHECK(leg.quantity == Decimal::of("0.002"));
    CHECK_FALSE(leg.price.has_value());
    CHECK(leg.timeInForce == TimeInForce::GTC);
    CHECK_FALSE(leg.reduceOnly);
    CHECK_FALSE(s.sentAtMs.has_value());
    CHECK(s.canonical ==
          R"({"legs":[{"price":null,"quantity":"0.002","reduce_only":false,"side":"buy","symbol":"BTCUSDT",)"
          R"("time_in_force":null,"type":"market","venue":"bn_main"}],"sent_at":null,)"
          R"("signal_id":"ema-x-BTCUSDT-2026-11-24T10:00:00Z"})");
}

TEST_CASE("flat form: limit order with every optional field", "[signal]") {
    const auto p = mustParse(
        R"({"signal_id":"brk-1","venue":"bn_alt","symbol":"SOLUSDT","side":"sell","type":"limit","quantity":"12.50",)"
        R"("price":"231.450","reduce_only":true,"time_in_force":"FOK","sent_at":1795514400000})");
    CHECK_FALSE(p.secret.has_value());
    const Leg& leg = p.signal.legs.at(0);
    CHECK(leg.side == Side::Sell);
    CHECK(leg.type == OrderType::Limit);
    CHECK(leg.quantity.toString() == "12.5");
    REQUIRE(leg.price);
    CHECK(leg.price->toString() == "231.45");
    CHECK(leg.timeInForce == TimeInForce::FOK);
    CHECK(leg.reduceOnly);
    CHECK(p.signal.sentAtMs == 1795514400000);
    CHECK(p.signal.canonical ==
          R"({"legs":[{"price":"231.45","quantity":"12.5","reduce_only":true,"side":"sell","symbol":"SOLUSDT",)"
          R"("time_in_force":"FOK","type":"limit","venue":"bn_alt"}],"sent_at":1795514400000,"signal_id":"brk-1"})");
}

TEST_CASE("multi-leg form keeps the legs in order", "[signal]") {
    const auto p = mustParse(R"({"secret":"s","signal_id":"basis-1","legs":[
        {"venue":"bn_main","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.010","price":null,"reduce_only":false},
        {"venue":"bn_hedge","symbol":"BTCUSDT.P","side":"sell","type":"limit","quantity":0.01,"price":96500.10,"tif":"gtx"},
        {"symbol":"ETHUSDT","side":"SELL","type":"Market","quantity":"1","reduce_only":"true"}]})");
    REQUIRE(p.signal.legs.size() == 3);
    const auto& legs = p.signal.legs;
    CHECK(legs[0].venue == "bn_main");
    CHECK(legs[0].side == Side::Buy);
    CHECK(legs[1].venue == "bn_hedge");
    CHECK(legs[1].symbol == "BTCUSDT");
    CHECK(legs[1].type == OrderType::Limit);
    CHECK(legs[1].price->toString() == "96500.1");
    CHECK(legs[1].timeInForce == TimeInForce::GTX);
    CHECK(legs[2].venue.empty());
    CHECK(legs[2].symbol == "ETHUSDT");
    CHECK(legs[2].reduceOnly);
    CHECK(p.signal.canonical.find(R"("legs":[{"price":null,"quantity":"0.01")") != std::string::npos);
}

TEST_CASE("the Python bot's envelope", "[signal]") {
    const auto p = mustParse(
        R"({"secret":"py","signal_id":"bot-43","payload":{"venue":"bn_main","symbol":"ETHUSDT","side":"SELL","type":"LIMIT","quantity":"0.5","price":"3550.25"}})");
    CHECK(p.secret == std::string("py"));
    const Leg& leg = p.signal.legs.at(0);
    CHECK(leg.venue == "bn_main");
    CHECK(leg.side == Side::Sell);
    CHECK(leg.price->toString() == "3550.25");
    const auto q = mustParse(
        R"({"signal_id": "bot-42", "payload": {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001", "price": null}})");
    CHECK_FALSE(q.secret.has_value());
    CHECK(q.signal.legs.at(0).type == OrderType::Market);
}

TEST_CASE("every seed corpus body is accepted", "[signal][corpus]") {
    const auto bodies = corpus();
    REQUIRE(bodies.size() >= 10);
    for (const auto& body : bodies) {
        const auto p = mustParse(body);
        if (p.secret && !p.secret->empty()) CHECK(p.signal.canonical.find(*p.secret) == std::string::npos);
    }
}

// ---- TradingView ----------------------------------------------------------------------------

TEST_CASE("TradingView strategy alerts as they arrive", "[signal][tradingview]") {
    SECTION("message box template, pretty-printed, delivered as text/plain") {
        // {{strategy.order.action}} = buy, {{ticker}} = BTCUSDT.P, {{strategy.order.contracts}} =
        // 0.002, {{time}} = 2026-11-24T10:00:00Z, {{timenow}} = 2026-11-24T10:00:03Z
        const auto p = mustParse("{\n  \"secret\": \"" + kCanary +
                                 "\",\n"
                                 "  \"signal_id\": \"ema-cross BTCUSDT.P 2026-11-24T10:00:00Z buy\",\n"
                                 "  \"symbol\": \"BTCUSDT.P\",\n  \"side\": \"buy\",\n  \"type\": \"market\",\n"
                                 "  \"quantity\": \"0.002\",\n  \"timenow\": \"2026-11-24T10:00:03Z\"\n}\n");
        CHECK(p.signal.signalId == "ema-cross BTCUSDT.P 2026-11-24T10:00:00Z buy");  // the id is kept verbatim
        CHECK(p.signal.legs.at(0).symbol == "BTCUSDT");
        CHECK(p.signal.sentAtMs == 1795514403000);
        CHECK(p.secret == kCanary);
    }
    SECTION("unquoted placeholders: numbers as JSON numbers") {
        // {{strategy.order.contracts}} = 0.35, {{strategy.order.price}} = 3521.7 substituted unquoted
        const auto p = mustParse(
            R"({"signal_id":"rsi-ETHUSDT-2026-11-24T11:15:00Z-sell","symbol":"BINANCE:ETHUSDT.P","side":"sell",)"
            R"("type":"limit","quantity":0.35,"price":3521.70,"reduce_only":true,"time":"2026-11-24T11:15:00Z"})");
        const Leg& leg = p.signal.legs.at(0);
        CHECK(leg.symbol == "ETHUSDT");
        CHECK(leg.quantity.toString() == "0.35");
        CHECK(leg.price->toString() == "3521.7");
        CHECK(p.signal.sentAtMs == 1795518900000);
    }
    SECTION("side in any case") {
        const auto [text, side] = GENERATE(table<std::string, Side>({{"buy", Side::Buy},
                                                                     {"BUY", Side::Buy},
                                                                     {"Buy", Side::Buy},
                                                                     {"sell", Side::Sell},
                                                                     {"SELL", Side::Sell},
                                                                     {"Sell", Side::Sell},
                                                                     {"sElL", Side::Sell}}));
        CHECK(mustParse(marketWith("side", "\"" + text + "\"")).signal.legs.at(0).side == side);
    }
    SECTION("type in any case") {
        CHECK(mustParse(marketWith("type", "\"MARKET\"")).signal.legs.at(0).type == OrderType::Market);
        CHECK(mustParse(limitWith("type", "\"Limit\"")).signal.legs.at(0).type == OrderType::Limit);
    }
    SECTION("symbol forms") {
        const auto [text, symbol] = GENERATE(table<std::string, std::string>({{"BTCUSDT", "BTCUSDT"},
                                                                              {"BTCUSDT.P", "BTCUSDT"},
                                                                              {"btcusdt.p", "BTCUSDT"},
                                                                              {"BINANCE:BTCUSDT", "BTCUSDT"},
                                                                              {"BINANCE:BTCUSDT.P", "BTCUSDT"},
                                                                              {"binance:btcusdt.p", "BTCUSDT"},
                                                                              {"1000PEPEUSDT.P", "1000PEPEUSDT"},
                                                                              {"BTCUSDT_260327", "BTCUSDT_260327"},
                                                                              {"BTC-USDT", "BTC-USDT"},
                                                                              {"BTC/USDT", "BTC/USDT"}}));
        CHECK(mustParse(marketWith("symbol", "\"" + text + "\"")).signal.legs.at(0).symbol == symbol);
    }
    SECTION("booleans as JSON booleans or strings") {
        const auto [text, value] = GENERATE(table<std::string, bool>({{"true", true},
                                                                      {"false", false},
                                                                      {"\"true\"", true},
                                                                      {"\"false\"", false},
                                                                      {"\"True\"", true},
                                                                      {"\"FALSE\"", false},
                                                                      {"null", false}}));
        CHECK(mustParse(marketWith("reduce_only", text)).signal.legs.at(0).reduceOnly == value);
    }
    SECTION("time in force by either name, any case") {
        const auto [key, text, tif] =
            GENERATE(table<std::string, std::string, TimeInForce>({{"time_in_force", "\"GTC\"", TimeInForce::GTC},
                                                                   {"time_in_force", "\"ioc\"", TimeInForce::IOC},
                                                                   {"tif", "\"Fok\"", TimeInForce::FOK},
                                                                   {"tif", "\"gtx\"", TimeInForce::GTX},
                                                                   {"tif", "null", TimeInForce::GTC}}));
        CHECK(mustParse(limitWith(key, text)).signal.legs.at(0).timeInForce == tif);
    }
    SECTION("timestamps") {
        const auto [key, text, ms] = GENERATE(
            table<std::string, std::string, std::int64_t>({{"time", "\"2026-11-24T10:00:00Z\"", 1795514400000},
                                                           {"timenow", "\"2026-11-24T10:00:03Z\"", 1795514403000},
                                                           {"sent_at", "\"2024-02-29T23:59:59Z\"", 1709251199000},
                                                           {"sent_at", "1795514400000", 1795514400000},
                                                           {"sent_at", "\"1795514400123\"", 1795514400123},
                                                           {"sent_at", "\"2001-09-09T01:46:40Z\"", 1000000000000},
                                                           {"time", "\"9999-12-31T23:59:59Z\"", 253402300799000}}));
        CHECK(mustParse(marketWith(key, text)).signal.sentAtMs == ms);
        CHECK_FALSE(mustParse(marketWith("time", "null")).signal.sentAtMs.has_value());
    }
}

TEST_CASE("decimals are exact: the literal text decides, never a double", "[signal]") {
    const auto [text, expected] = GENERATE(table<std::string, std::string>(
        {{"0.1", "0.1"},
         {"\"0.1\"", "0.1"},
         {"0.30000000000000004", "0.30000000000000004"},
         {"\"0.0020\"", "0.002"},
         {"12.000", "12"},
         {"100", "100"},
         {"12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
         {"\"0.000000000000000000000000000001\"", "0.000000000000000000000000000001"},
         {"\"9007199254740993\"", "9007199254740993"}}));
    const auto p = mustParse(marketWith("quantity", text));
    CHECK(p.signal.legs.at(0).quantity.toString() == expected);
    CHECK(p.signal.canonical.find("\"quantity\":\"" + expected + "\"") != std::string::npos);
}

// ---- canonical form ---------------------------------------------------------------------------

TEST_CASE("same meaning gives the same canonical bytes", "[signal][canonical]") {
    const std::string expected =
        R"({"legs":[{"price":"65000.1","quantity":"0.002","reduce_only":false,"side":"buy","symbol":"BTCUSDT",)"
        R"("time_in_force":"GTC","type":"limit","venue":null}],"sent_at":1795514400000,"signal_id":"eq-1"})";
    const auto body = GENERATE(
        as<std::string>{},
        R"({"signal_id":"eq-1","symbol":"BTCUSDT","side":"buy","type":"limit","quantity":"0.002","price":"65000.1","sent_at":1795514400000})",
        R"({"signal_id":"eq-1","symbol":"BTCUSDT","side":"buy","type":"limit","quantity":0.002,"price":65000.1,"sent_at":"1795514400000"})",
        R"({"signal_id":"eq-1","symbol":"BTCUSDT","side":"buy","type":"limit","quantity":"0.0020","price":65000.10,"time":"2026-11-24T10:00:00Z"})",
        R"({"secret":"a","signal_id":"eq-1","symbol":"BINANCE:BTCUSDT.P","side":"BUY","type":"Limit","quantity":"0.002","price":"65000.1","timenow":"2026-11-24T10:00:00Z"})",
        R"({"secret":"b","signal_id":"eq-1","symbol":"btcusdt.p","side":"Buy","type":"LIMIT","quantity":"0.002","price":"65000.1","tif":"gtc","reduce_only":"false","venue":"","sent_at":1795514400000})",
        R"({"signal_id":"eq-1","symbol":"BTCUSDT","side":"buy","type":"limit","quantity":"0.002","price":"65000.1","time_in_force":"GTC","reduce_only":false,"venue":null,"sent_at":1795514400000})",
        R"({"signal_id":"eq-1","symbol":"BTCUSDT","side":"buy","type":"limit","quantity":"0.002","price":"65000.1","tif":null,"reduce_only":null,"secret":null,"sent_at":1795514400000})",
        R"({"sent_at":1795514400000,"price":"65000.1","quantity":"0.002","type":"limit","side":"buy","symbol":"BTCUSDT","signal_id":"eq-1"})",
        R"({"signal_id":"eq-1","legs":[{"symbol":"BTCUSDT","side":"buy","type":"limit","quantity":"0.002","price":"65000.1"}],"sent_at":1795514400000})",
        R"({"signal_id":"eq-1","payload":{"symbol":"BTCUSDT","side":"buy","type":"limit","quantity":"0.002","price":"65000.1"},"sent_at":1795514400000})",
        R"({"\u0073ignal_id":"eq\u002d1","symbol":"BTC\u0055SDT","side":"buy","type":"limit","quantity":"0.002","price":"65000.1","sent_at":1795514400000})",
        " \n\t{ \"signal_id\" : \"eq-1\" ,\r\n \"symbol\" : \"BTCUSDT\" , \"side\" : \"buy\" , \"type\" : \"limit\" , "
        "\"quantity\" : 0.002 , \"price\" : \"65000.1\" , \"sent_at\" : 1795514400000 }\n ",
        R"({"legs":[{"price":"65000.1","quantity":"0.002","reduce_only":false,"side":"buy","symbol":"BTCUSDT","time_in_force":"GTC","type":"limit","venue":null}],"sent_at":1795514400000,"signal_id":"eq-1"})");
    INFO(body);
    CHECK(mustParse(body).signal.canonical == expected);
}

TEST_CASE("position_side: BOTH is the default and leaves the canonical form as before; LONG/SHORT are kept",
          "[signal][canonical]") {
    const std::string plain =
        R"({"signal_id":"ps-1","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002")";
    const std::string before =
        R"({"legs":[{"price":null,"quantity":"0.002","reduce_only":false,"side":"buy","symbol":"BTCUSDT",)"
        R"("time_in_force":null,"type":"market","venue":null}],"sent_at":null,"signal_id":"ps-1"})";
    CHECK(mustParse(plain + "}").signal.canonical == before);
    CHECK(mustParse(plain + R"(,"position_side":"both"})").signal.canonical == before);
    CHECK(mustParse(plain + R"(,"position_side":null})").signal.canonical == before);
    const auto hedged = mustParse(plain + R"(,"position_side":"Long"})").signal;
    CHECK(hedged.legs.at(0).positionSide == PositionSide::Long);
    CHECK(hedged.canonical.find(R"({"position_side":"LONG","price":null,)") != std::string::npos);
    CHECK(mustParse(plain + R"(,"position_side":"SHORT"})").signal.legs.at(0).positionSide == PositionSide::Short);
    const auto legs =
        mustParse(
            R"({"signal_id":"ps-2","legs":[{"symbol":"BTCUSDT","side":"sell","type":"market","quantity":"1","position_side":"short"},)"
            R"({"symbol":"BTCUSDT","side":"sell","type":"market","quantity":"1","reduce_only":true,"position_side":"long"}]})")
            .signal;
    CHECK(legs.legs.at(0).positionSide == PositionSide::Short);
    CHECK(legs.legs.at(1).positionSide == PositionSide::Long);
    const auto envelope = mustParse(
        R"({"signal_id":"ps-3","payload":{"symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1","position_side":"LONG"}})");
    CHECK(envelope.signal.legs.at(0).positionSide == PositionSide::Long);
    // The canonical form parses back to the same side.
    CHECK(mustParse(hedged.canonical).signal.legs.at(0).positionSide == PositionSide::Long);
}

TEST_CASE("any difference in meaning changes the canonical bytes", "[signal][canonical]") {
    const Fields base = {{"signal_id", "\"id-1\""},   {"venue", "\"bn_main\""}, {"symbol", "\"BTCUSDT\""},
                         {"side", "\"buy\""},         {"type", "\"limit\""},    {"quantity", "\"0.002\""},
                         {"price", "\"65000.1\""},    {"reduce_only", "false"}, {"time_in_force", "\"GTC\""},
                         {"sent_at", "1795514400000"}};
    const std::vector<std::string> bodies = {
        objectOf(base),
        with(base, "signal_id", "\"id-2\""),
        with(base, "signal_id", "\"ID-1\""),
        with(base, "venue", "\"bn_alt\""),
        with(base, "venue", ""),
        with(base, "symbol", "\"ETHUSDT\""),
        with(base, "side", "\"sell\""),
        objectOf(setField(setField(setField(base, "type", "\"market\""), "price", ""), "time_in_force", "")),
        with(base, "quantity", "\"0.0021\""),
        with(base, "quantity", "\"0.02\""),
        with(base, "price", "\"65000.01\""),
        with(base, "reduce_only", "true"),
        with(base, "time_in_force", "\"IOC\""),
        with(base, "sent_at", "1795514400001"),
        with(base, "sent_at", ""),
        with(base, "position_side", "\"LONG\""),
        with(base, "position_side", "\"SHORT\""),
        legsOf({kLeg, kLeg}),
        legsOf({kLeg}),
        legsOf({kLeg, R"({"symbol":"ETHUSDT","side":"buy","type":"market","quantity":"0.002"})"}),
        legsOf({R"({"symbol":"ETHUSDT","side":"buy","type":"market","quantity":"0.002"})", kLeg}),
    };
    std::set<std::string> seen;
    for (const auto& body : bodies) {
        INFO(body);
        CHECK(seen.insert(mustParse(body).signal.canonical).second);
    }
}

// ---- secret -----------------------------------------------------------------------------------

TEST_CASE("the secret is handed back and never part of the canonical form", "[signal][secret]") {
    SECTION("extracted verbatim, escapes decoded") {
        const auto p = mustParse(marketWith("secret", R"("caf\u00e9-\ud83d\ude80 \"q\"")"));
        CHECK(p.secret == std::string("caf\xC3\xA9-\xF0\x9F\x9A\x80 \"q\""));
        CHECK(p.signal.canonical.find("caf") == std::string::npos);
        CHECK(p.signal.canonical.find("secret") == std::string::npos);
    }
    SECTION("canary in every accepted shape") {
        const auto body = GENERATE(as<std::string>{}, std::string("flat"), std::string("legs"), std::string("payload"));
        std::string text;
        if (body == "flat") text = objectOf(kMarket);
        if (body == "legs") text = R"({"secret":")" + kCanary + R"(","signal_id":"x","legs":[)" + kLeg + "]}";
        if (body == "payload") text = R"({"signal_id":"x","payload":)" + kLeg + R"(,"secret":")" + kCanary + "\"}";
        const auto p = mustParse(text);
        CHECK(p.secret == kCanary);
        CHECK(p.signal.canonical.find(kCanary) == std::string::npos);
        CHECK(p.signal.canonical.find("secret") == std::string::npos);
    }
    SECTION("absent, null and empty") {
        CHECK_FALSE(mustParse(marketWith("secret", "")).secret.has_value());
        CHECK_FALSE(mustParse(marketWith("secret", "null")).secret.has_value());
        CHECK(mustParse(marketWith("secret", "\"\"")).secret == std::string());
    }
    SECTION("a secret of the wrong type is refused without showing it") {
        const auto e = mustFail(marketWith("secret", "12345678901234567890"));
        CHECK(e.field == "secret");
        CHECK(e.message.find("1234") == std::string::npos);
    }
    SECTION("a secret inside a leg is an unknown field, its value not shown") {
        const auto e = mustFail(
            R"({"signal_id":"x","payload":{"symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1","secret":")" +
            kCanary + "\"}}");
        CHECK(e.field == "payload.secret");
        CHECK(e.message.find(kCanary) == std::string::npos);
    }
    SECTION("errors never repeat a value, wherever the secret was pasted by mistake") {
        // (signal_id and symbol are left out: the canary is a valid value for both.)
        const auto key = GENERATE(as<std::string>{}, "side", "type", "quantity", "price", "venue", "reduce_only",
                                  "time_in_force", "sent_at", "time", "timenow");
        const auto e = mustFail(marketWith(key, "\"" + kCanary + "\""));
        INFO(show(e));
        CHECK(e.field.find(kCanary) == std::string::npos);
        CHECK(e.message.find(kCanary) == std::string::npos);
        CHECK(e.message.find("CANARY") == std::string::npos);
    }
}

// ---- rejections -------------------------------------------------------------------------------

namespace {
struct Refusal {
    std::string body;
    std::string field;
    std::string message;  // a part of the expected message
};
}  // namespace

TEST_CASE("malformed bodies are refused as a whole", "[signal][reject]") {
    const auto r = GENERATE(values<Refusal>({
        {"", "body", "not JSON: empty body"},
        {" \r\n", "body", "not JSON: empty body"},
        {"not JSON", "body", "not JSON: unexpected character at byte 0"},
        {"signal_id=x&side=buy", "body", "not JSON"},
        {R"({"signal_id":"x")", "body", "not JSON: unexpected end of text"},
        {R"({"signal_id":"x"} {})", "body", "not JSON: unexpected text after the JSON value"},
        {R"({"signal_id":"x",})", "body", "not JSON: expected a quoted key"},
        {R"({'signal_id':'x'})", "body", "not JSON"},
        {"[]", "body", "must be a JSON object"},
        {R"([{"signal_id":"x"}])", "body", "must be a JSON object"},
        {"\"x\"", "body", "must be a JSON object"},
        {"null", "body", "must be a JSON object"},
        {"0.002", "body", "must be a JSON object"},
        {"\xEF\xBB\xBF{}", "body", "not JSON: byte order mark is not allowed"},
        {"{\"signal_id\":\"\xC3\x28\"}", "body", "not JSON: invalid UTF-8 at byte 14"},
        {"{\"signal_id\":\"\xED\xA0\x80\"}", "body", "invalid UTF-8"},
        {"{\"signal_id\":\"\xC0\xAF\"}", "body", "invalid UTF-8"},
        {"{\"signal_id\":\"\xF4\x90\x80\x80\"}", "body", "invalid UTF-8"},
        {"{\"signal_id\":\"x\",\"symbol\":\"BTC\tUSDT\"}", "symbol", "not JSON: control character in a string"},
        {"{\"signal_id\":\"a\nb\"}", "signal_id", "control character"},
        {R"({"signal_id":"\ud800"})", "signal_id", "lone high surrogate"},
    }));
    INFO(r.body);
    const auto e = mustFail(r.body);
    INFO(show(e));
    CHECK(e.httpStatus == 400);
    CHECK(e.field == r.field);
    CHECK(e.message.find(r.message) != std::string::npos);
}

TEST_CASE("nesting depth is bounded", "[signal][reject]") {
    std::string deep = R"({"signal_id":"x","legs":)";
    deep += std::string(40, '[') + std::string(40, ']') + "}";
    const auto e = mustFail(deep);
    CHECK(e.field.rfind("legs[0]", 0) == 0);
    CHECK(e.message.find("nesting deeper than 32") != std::string::npos);
    const auto huge = mustFail(std::string(1 << 16, '['));
    CHECK(huge.message.find("nesting") != std::string::npos);
    const auto shallow = mustFail(R"({"signal_id":"x","legs":[[[]]]})");  // within the limit, wrong shape
    CHECK(shallow.field == "legs[0]");
}

TEST_CASE("duplicate keys are refused, naming the key", "[signal][reject]") {
    const auto [body, field] = GENERATE(table<std::string, std::string>({
        {R"({"signal_id":"x","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1","quantity":"100"})",
         "quantity"},
        {R"({"signal_id":"x","side":"sell","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"})", "side"},
        {R"({"secret":"a","secret":"b","signal_id":"x"})", "secret"},
        {R"({"signal_id":"x","signal_id":"y"})", "signal_id"},
        {R"({"signal_id":"x","quantity":"1","\u0071uantity":"2"})", "quantity"},
        {R"({"signal_id":"x","legs":[{"side":"buy"},{"side":"buy","side":"sell"}]})", "legs[1].side"},
        {R"({"signal_id":"x","payload":{"price":null,"price":"1"}})", "payload.price"},
    }));
    INFO(body);
    const auto e = mustFail(body);
    CHECK(e.field == field);
    CHECK(e.message.find("appears more than once") != std::string::npos);
}

TEST_CASE("unknown fields are refused, naming them", "[signal][reject]") {
    const auto [body, field] = GENERATE(table<std::string, std::string>({
        {marketWith("quantiy", "\"1\""), "quantiy"},
        {marketWith("Symbol", "\"BTCUSDT\""), "Symbol"},
        {marketWith("comment", "\"Long entry\""), "comment"},
        {marketWith("ticker", "\"BTCUSDT\""), "ticker"},
        {marketWith("strategy", "{}"), "strategy"},
        {marketWith("a\\nb", "1"), "a\\x0ab"},
        {legsOf({R"({"symbol":"BTCUSDT","side":"buy","type":"market","qty":"1"})"}), "legs[0].qty"},
        {legsOf({kLeg, R"({"symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1","signal_id":"y"})"}),
         "legs[1].signal_id"},
        {R"({"signal_id":"x","payload":{"symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1","sent_at":1795514400000}})",
         "payload.sent_at"},
    }));
    INFO(body);
    const auto e = mustFail(body);
    CHECK(e.field == field);
    CHECK(e.message.find("unknown field") != std::string::npos);
}

TEST_CASE("bad order fields are refused, naming the field", "[signal][reject]") {
    const auto r = GENERATE(values<Refusal>({
        // nothing is invented: each required field named when missing or null
        {marketWith("symbol", ""), "symbol", "is required"},
        {marketWith("symbol", "null"), "symbol", "is required"},
        {marketWith("side", ""), "side", "is required"},
        {marketWith("side", "null"), "side", "is required"},
        {marketWith("type", ""), "type", "is required"},
        {marketWith("quantity", ""), "quantity", "is required"},
        {marketWith("quantity", "null"), "quantity", "is required"},
        {R"({"signal_id":"x"})", "symbol", "is required"},
        // symbol
        {marketWith("symbol", "\"\""), "symbol", "must not be empty"},
        {marketWith("symbol", "\".P\""), "symbol", "must not be empty"},
        {marketWith("symbol", "\"BINANCE:\""), "symbol", "must not be empty"},
        {marketWith("symbol", "\"BYBIT:BTCUSDT.P\""), "symbol", "exchange prefix other than \"BINANCE:\""},
        {marketWith("symbol", "\"BTC USDT\""), "symbol", "may contain only"},
        {marketWith("symbol", "\"BTCUSDT.P.P\""), "symbol", "may contain only"},
        {marketWith("symbol", "\"BTCUSDT.PERP\""), "symbol", "may contain only"},
        {marketWith("symbol", "\"BTC\\u00c9\""), "symbol", "may contain only"},
        {marketWith("symbol", "\"" + std::string(33, 'A') + "\""), "symbol", "longer than 32"},
        {marketWith("symbol", "123"), "symbol", "must be a string"},
        // side: no "long"/"short"
        {marketWith("side", "\"long\""), "side", "must be \"buy\" or \"sell\""},
        {marketWith("side", "\"short\""), "side", "must be \"buy\" or \"sell\""},
        {marketWith("side", "\"buy \""), "side", "must be \"buy\" or \"sell\""},
        {marketWith("side", "\"{{strategy.order.action}}\""), "side", "must be \"buy\" or \"sell\""},
        {marketWith("side", "\"\""), "side", "must be \"buy\" or \"sell\""},
        {marketWith("side", "1"), "side", "must be \"buy\" or \"sell\""},
        // type
        {marketWith("type", "\"stop\""), "type", "must be \"market\" or \"limit\""},
        {marketWith("type", "\"\""), "type", "must be \"market\" or \"limit\""},
        {marketWith("type", "true"), "type", "must be \"market\" or \"limit\""},
        // quantity: JSON grammar first, then plain decimals, then the range
        {marketWith("quantity", "01"), "quantity", "not JSON: numbers must not have leading zeros"},
        {marketWith("quantity", "NaN"), "quantity", "not JSON"},
        {marketWith("quantity", "Infinity"), "quantity", "not JSON"},
        {marketWith("quantity", "-Infinity"), "quantity", "not JSON"},
        {marketWith("quantity", "+1"), "quantity", "not JSON"},
        {marketWith("quantity", ".5"), "quantity", "not JSON"},
        {marketWith("quantity", "2."), "quantity", "not JSON"},
        {marketWith("quantity", "2e-3"), "quantity", "exponent notation"},
        {marketWith("quantity", "\"2E3\""), "quantity", "exponent notation"},
        {marketWith("quantity", "\"NaN\""), "quantity", "plain decimal number"},
        {marketWith("quantity", "\"Infinity\""), "quantity", "plain decimal number"},
        {marketWith("quantity", "\"007\""), "quantity", "plain decimal number"},
        {marketWith("quantity", "\"+1\""), "quantity", "plain decimal number"},
        {marketWith("quantity", "\".5\""), "quantity", "plain decimal number"},
        {marketWith("quantity", "\" 0.002\""), "quantity", "plain decimal number"},
        {marketWith("quantity", "\"0.002 \""), "quantity", "plain decimal number"},
        {marketWith("quantity", "\"1,5\""), "quantity", "plain decimal number"},
        {marketWith("quantity", "\"\""), "quantity", "plain decimal number"},
        {marketWith("quantity", "\"{{strategy.order.contracts}}\""), "quantity", "plain decimal number"},
        {marketWith("quantity", "true"), "quantity", "must be a decimal number"},
        {marketWith("quantity", "[1]"), "quantity", "must be a decimal number"},
        {marketWith("quantity", "0"), "quantity", "greater than zero"},
        {marketWith("quantity", "\"0.000\""), "quantity", "greater than zero"},
        {marketWith("quantity", "-0"), "quantity", "greater than zero"},
        {marketWith("quantity", "-0.002"), "quantity", "greater than zero"},
        {marketWith("quantity", "\"-1\""), "quantity", "greater than zero"},
        {marketWith("quantity", "123456789012345678901234567890123456789"), "quantity",
         "more than 38 significant digits"},
        {marketWith("quantity", "\"1" + std::string(400, '0') + "\""), "quantity", "more than 38 significant digits"},
        {marketWith("quantity", "0." + std::string(30, '0') + "1"), "quantity", "more than 30 decimals"},
        // price
        {marketWith("price", "\"65000\""), "price", "must be null or left out for a market order"},
        {marketWith("price", "0"), "price", "must be null or left out for a market order"},
        {limitWith("price", ""), "price", "is required for a limit order"},
        {limitWith("price", "null"), "price", "is required for a limit order"},
        {limitWith("price", "\"0\""), "price", "greater than zero"},
        {limitWith("price", "-5"), "price", "greater than zero"},
        {limitWith("price", "6.5e4"), "price", "exponent notation"},
        {limitWith("price", "\"{{close}}\""), "price", "plain decimal number"},
        // time in force
        {marketWith("time_in_force", "\"IOC\""), "time_in_force", "limit orders only"},
        {marketWith("tif", "\"GTC\""), "tif", "limit orders only"},
        {limitWith("tif", "\"DAY\""), "tif", "must be one of"},
        {limitWith("time_in_force", "1"), "time_in_force", "must be one of"},
        {limitWith("tif", "\"GTC\"").insert(1, R"("time_in_force":null,)"), "tif", "only one of time_in_force and tif"},
        // reduce_only
        {marketWith("reduce_only", "\"yes\""), "reduce_only", "must be true or false"},
        {marketWith("reduce_only", "1"), "reduce_only", "must be true or false"},
        {marketWith("reduce_only", "\"1\""), "reduce_only", "must be true or false"},
        // position side
        {marketWith("position_side", "\"HEDGE\""), "position_side", "must be one of"},
        {marketWith("position_side", "1"), "position_side", "must be one of"},
        {marketWith("position_side", "\"\""), "position_side", "must be one of"},
        // venue
        {marketWith("venue", "\"BN_MAIN\""), "venue", "is not a venue instance name"},
        {marketWith("venue", "\"bn-main\""), "venue", "is not a venue instance name"},
        {marketWith("venue", "\"1bn\""), "venue", "is not a venue instance name"},
        {marketWith("venue", "\"_bn\""), "venue", "is not a venue instance name"},
        {marketWith("venue", "\"" + std::string(65, 'b') + "\""), "venue", "is not a venue instance name"},
        {marketWith("venue", "5"), "venue", "must be a string"},
    }));
    INFO(r.body);
    const auto e = mustFail(r.body);
    INFO(show(e));
    CHECK(e.httpStatus == 400);
    CHECK(e.field == r.field);
    CHECK(e.message.find(r.message) != std::string::npos);
}

TEST_CASE("bad signal ids are refused", "[signal][reject]") {
    const auto r = GENERATE(values<Refusal>({
        {marketWith("signal_id", ""), "signal_id", "is required"},
        {marketWith("signal_id", "null"), "signal_id", "is required"},
        {marketWith("signal_id", "\"\""), "signal_id", "must not be empty"},
        {marketWith("signal_id", "42"), "signal_id", "must be a string"},
        {marketWith("signal_id", "\"" + std::string(129, 'x') + "\""), "signal_id", "longer than 128"},
        {marketWith("signal_id", "\"a\\u0007b\""), "signal_id", "printable ASCII"},
        {marketWith("signal_id", "\"a\\u0000b\""), "signal_id", "printable ASCII"},
        {marketWith("signal_id", "\"a\\u007fb\""), "signal_id", "printable ASCII"},
        {marketWith("signal_id", "\"caf\\u00e9\""), "signal_id", "printable ASCII"},
        {marketWith("signal_id", "\"caf\xC3\xA9\""), "signal_id", "printable ASCII"},
        {marketWith("signal_id", "\" lead\""), "signal_id", "must not start or end with a space"},
        {marketWith("signal_id", "\"trail \""), "signal_id", "must not start or end with a space"},
        {marketWith("signal_id", "\" \""), "signal_id", "must not start or end with a space"},
    }));
    INFO(r.body);
    const auto e = mustFail(r.body);
    INFO(show(e));
    CHECK(e.field == r.field);
    CHECK(e.message.find(r.message) != std::string::npos);
}

TEST_CASE("signal id limits that are accepted", "[signal]") {
    CHECK(mustParse(marketWith("signal_id", "\"" + std::string(128, 'x') + "\"")).signal.signalId.size() == 128);
    CHECK(mustParse(marketWith("signal_id", "\"x\"")).signal.signalId == "x");
    const auto all = mustParse(marketWith("signal_id", R"("x !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~")"));
    CHECK(all.signal.signalId == "x !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~");
}

TEST_CASE("leg lists and shapes are checked", "[signal][reject]") {
    std::vector<std::string> sixteen(16, kLeg), seventeen(17, kLeg);
    CHECK(mustParse(legsOf(sixteen)).signal.legs.size() == 16);
    const auto r = GENERATE_COPY(values<Refusal>({
        {legsOf(seventeen), "legs", "more than 16 legs"},
        {legsOf({}), "legs", "at least one leg"},
        {R"({"signal_id":"x","legs":{}})", "legs", "must be an array"},
        {R"({"signal_id":"x","legs":null})", "legs", "must be an array"},
        {R"({"signal_id":"x","legs":"[]"})", "legs", "must be an array"},
        {legsOf({"1"}), "legs[0]", "must be an object"},
        {legsOf({kLeg, "null"}), "legs[1]", "must be an object"},
        {legsOf({kLeg, R"({"symbol":"BTCUSDT","side":"buy","type":"market"})"}), "legs[1].quantity", "is required"},
        {legsOf({kLeg, kLeg, R"({"symbol":"BTCUSDT","side":"buy","type":"limit","quantity":"1"})"}), "legs[2].price",
         "is required for a limit order"},
        {legsOf({R"({"symbol":"BTCUSDT","side":"hold","type":"market","quantity":"1"})"}), "legs[0].side", "must be"},
        {R"({"signal_id":"x","symbol":"BTCUSDT","legs":[)" + kLeg + "]}", "symbol", "not allowed next to \"legs\""},
        {R"({"signal_id":"x","legs":[)" + kLeg + R"(],"price":null})", "price", "not allowed next to \"legs\""},
        {R"({"signal_id":"x","legs":[)" + kLeg + R"(],"venue":"bn_main"})", "venue", "not allowed next to \"legs\""},
        {R"({"signal_id":"x","legs":[)" + kLeg + R"(],"payload":)" + kLeg + "}", "payload",
         "either \"legs\" or \"payload\""},
        {R"({"signal_id":"x","payload":[]})", "payload", "must be an object"},
        {R"({"signal_id":"x","payload":null})", "payload", "must be an object"},
        {R"({"signal_id":"x","side":"buy","payload":)" + kLeg + "}", "side", "not allowed next to \"payload\""},
        {R"({"signal_id":"x","payload":{"symbol":"BTCUSDT","side":"buy","type":"market"}})", "payload.quantity",
         "is required"},
        {R"({"legs":[)" + kLeg + "]}", "signal_id", "is required"},
    }));
    INFO(r.body);
    const auto e = mustFail(r.body);
    INFO(show(e));
    CHECK(e.field == r.field);
    CHECK(e.message.find(r.message) != std::string::npos);
}

TEST_CASE("bad timestamps are refused", "[signal][reject]") {
    const auto r = GENERATE(values<Refusal>({
        {marketWith("time", "\"2026-11-24 10:00:00\""), "time", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("time", "\"2026-11-24T10:00:00\""), "time", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("time", "\"2026-11-24T10:00:00.000Z\""), "time", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("time", "\"2026-11-24T10:00:00+00:00\""), "time", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("time", "\"2026-02-29T10:00:00Z\""), "time", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("time", "\"2026-13-01T10:00:00Z\""), "time", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("time", "\"2026-04-31T10:00:00Z\""), "time", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("timenow", "\"2026-11-24T24:00:00Z\""), "timenow", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("timenow", "\"2026-11-24T23:60:00Z\""), "timenow", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("timenow", "\"2026-11-24T23:59:60Z\""), "timenow", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("timenow", "\"+026-11-24T23:59:59Z\""), "timenow", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("timenow", "\"{{timenow}}\""), "timenow", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("sent_at", "\"\""), "sent_at", "yyyy-MM-ddTHH:mm:ssZ"},
        {marketWith("sent_at", "1795514400000.5"), "sent_at", "epoch milliseconds"},
        {marketWith("sent_at", "1.7955144e12"), "sent_at", "epoch milliseconds"},
        {marketWith("sent_at", "-1795514400000"), "sent_at", "epoch milliseconds"},
        {marketWith("sent_at", "true"), "sent_at", "epoch milliseconds"},
        {marketWith("sent_at", "1795514400"), "sent_at", "not seconds"},
        {marketWith("sent_at", "\"1795514400\""), "sent_at", "not seconds"},
        {marketWith("sent_at", "999999999999999"), "sent_at", "out of range"},
        {marketWith("sent_at", "9999999999999999999999"), "sent_at", "epoch milliseconds"},
        {marketWith("time", "\"2000-01-01T00:00:00Z\""), "time", "out of range"},
        {marketWith("time", "\"1970-01-01T00:00:00Z\""), "time", "out of range"},
        {marketWith("time", "\"2026-11-24T10:00:00Z\"").insert(1, R"("timenow":"2026-11-24T10:00:03Z",)"), "time",
         "only one of sent_at, timenow and time"},
        {marketWith("sent_at", "null").insert(1, R"("time":null,)"), "sent_at", "only one of"},
    }));
    INFO(r.body);
    const auto e = mustFail(r.body);
    INFO(show(e));
    CHECK(e.field == r.field);
    CHECK(e.message.find(r.message) != std::string::npos);
}

TEST_CASE("unknown fields are named before missing ones", "[signal][reject]") {
    // A typo must be pointed at, not reported as "quantity is required".
    const auto e = mustFail(R"({"signal_id":"x","symbol":"BTCUSDT","side":"buy","type":"market","quantiy":"1"})");
    CHECK(e.field == "quantiy");
}

TEST_CASE("an oversized body is refused with 413 before parsing", "[signal][reject]") {
    const std::string body = marketWith("signal_id", "\"x\"") + std::string(tradehost::host::kMaxSignalBodyBytes, ' ');
    const auto e = mustFail(body);
    CHECK(e.httpStatus == 413);
    CHECK(e.field == "body");
    // Just under the cap, trailing whitespace is fine.
    const std::string fits = marketWith("signal_id", "\"x\"");
    CHECK(std::holds_alternative<Parsed>(
        parseSignal(fits + std::string(tradehost::host::kMaxSignalBodyBytes - fits.size(), ' '))));
}

// ---- properties -------------------------------------------------------------------------------

namespace {

// A random valid signal, written with random but meaning-preserving representation choices; returns
// the body and the canonical form it must produce.
std::pair<std::string, std::string> randomSignal(std::mt19937& rng) {
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    auto coin = [&] { return rng() % 2 == 0; };
    auto digits = [&](std::size_t n, bool leadingNonZero) {
        std::string s;
        for (std::size_t i = 0; i < n; ++i)
            s += static_cast<char>('0' + (i == 0 && leadingNonZero ? 1 + pick(9) : pick(10)));
        return s;
    };
    auto decimal = [&] {
        std::string whole = coin() ? "0" : digits(1 + pick(8), true);
        std::string frac = coin() ? "" : digits(1 + pick(10), false);
        if (whole == "0" && frac.find_first_not_of('0') == std::string::npos) frac = "5";
        return frac.empty() ? whole : whole + "." + frac;
    };
    auto mixCase = [&](std::string s) {
        for (char& c : s)
            if (coin() && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        return s;
    };
    auto asNumberOrString = [&](const std::string& d) {
        const std::string padded = d.find('.') != std::string::npos && coin() ? d + "00" : d;  // trailing zeros
        return coin() ? padded : "\"" + padded + "\"";
    };

    Signal s;
    // One random draw per statement: the order operands are evaluated in is unspecified, and
    // the seeded sequence must be the same with every compiler.
    s.signalId = "sig-" + std::to_string(rng());
    if (coin()) s.signalId += " with space";
    if (coin()) s.sentAtMs = 1700000000000 + static_cast<std::int64_t>(rng() % 100000000) * 1000;
    const std::size_t legCount = 1 + pick(4);
    std::vector<std::string> legBodies;
    static const char* const kSymbols[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT", "1000PEPEUSDT"};
    static const char* const kTifs[] = {"GTC", "IOC", "FOK", "GTX"};
    for (std::size_t i = 0; i < legCount; ++i) {
        Leg leg;
        Fields f;
        if (coin()) {
            leg.venue = coin() ? "bn_main" : "bn_alt2";
            f.emplace_back("venue", "\"" + leg.venue + "\"");
        }
        leg.symbol = kSymbols[pick(4)];
        std::string sym = leg.symbol;
        if (coin()) sym += ".P";
        if (coin()) sym = "BINANCE:" + sym;
        f.emplace_back("symbol", "\"" + mixCase(sym) + "\"");
        leg.side = coin() ? Side::Buy : Side::Sell;
        f.emplace_back("side", "\"" + mixCase(leg.side == Side::Buy ? "buy" : "sell") + "\"");
        leg.type = coin() ? OrderType::Market : OrderType::Limit;
        f.emplace_back("type", "\"" + mixCase(leg.type == OrderType::Market ? "market" : "limit") + "\"");
        const std::string q = decimal();
        leg.quantity = Decimal::of(q);
        f.emplace_back("quantity", asNumberOrString(q));
        if (leg.type == OrderType::Limit) {
            const std::string p = decimal();
            leg.price = Decimal::of(p);
            f.emplace_back("price", asNumberOrString(p));
            if (coin()) {
                leg.timeInForce = static_cast<TimeInForce>(pick(4));
                const std::string key = coin() ? "tif" : "time_in_force";
                f.emplace_back(key, "\"" + mixCase(kTifs[static_cast<int>(leg.timeInForce)]) + "\"");
            }
        } else if (coin()) {
            f.emplace_back("price", "null");
        }
        if (coin()) {
            leg.reduceOnly = coin();
            f.emplace_back("reduce_only",
                           coin() ? (leg.reduceOnly ? "true" : "false") : (leg.reduceOnly ? "\"True\"" : "\"false\""));
        }
        if (coin()) {
            static const char* const kSides[] = {"both", "long", "short"};
            const std::size_t side = pick(3);
            leg.positionSide = static_cast<PositionSide>(side);
            f.emplace_back("position_side", "\"" + mixCase(kSides[side]) + "\"");
        }
        std::shuffle(f.begin(), f.end(), rng);
        legBodies.push_back(objectOf(f));
        s.legs.push_back(leg);
    }

    Fields top;
    top.emplace_back("signal_id", "\"" + s.signalId + "\"");
    if (coin()) top.emplace_back("secret", "\"" + kCanary + "\"");
    if (s.sentAtMs)
        top.emplace_back("sent_at", coin() ? std::to_string(*s.sentAtMs) : "\"" + std::to_string(*s.sentAtMs) + "\"");
    std::string body;
    if (legCount == 1 && coin()) {
        const std::string leg = legBodies[0];
        if (coin()) {
            top.emplace_back("payload", leg);
            std::shuffle(top.begin(), top.end(), rng);
            body = objectOf(top);
        } else {  // flat: splice the leg's fields into the top level
            std::shuffle(top.begin(), top.end(), rng);
            body = objectOf(top);
            body = body.substr(0, body.size() - 1) + "," + leg.substr(1);
        }
    } else {
        std::string list = "[";
        for (std::size_t i = 0; i < legBodies.size(); ++i) list += (i ? "," : "") + legBodies[i];
        top.emplace_back("legs", list + "]");
        std::shuffle(top.begin(), top.end(), rng);
        body = objectOf(top);
    }
    return {body, canonicalJson(s)};
}

const char* const kTokens[] = {"{",
                               "}",
                               "[",
                               "]",
                               ",",
                               ":",
                               "\"",
                               "\\",
                               "\\u",
                               "\\ud83d",
                               "null",
                               "true",
                               "false",
                               "0",
                               "-",
                               ".",
                               "e",
                               "1e999",
                               "\"legs\":[",
                               "\"payload\":{",
                               "\"quantity\":",
                               "\"side\":\"sell\"",
                               "\"secret\":",
                               "\"signal_id\":\"x\"",
                               "\xC3",
                               "\xFF",
                               "\xED\xA0\x80",
                               "\x00",
                               "\t",
                               "\"time\":\"2026-11-24T10:00:00Z\"",
                               "99999999999999999999999999999999999999999",
                               ".P",
                               "BINANCE:",
                               "\"type\":\"limit\""};

std::string mutate(std::string s, std::mt19937& rng) {
    auto pick = [&](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n); };
    const std::size_t rounds = 1 + pick(4);
    for (std::size_t r = 0; r < rounds; ++r) {
        const std::size_t at = pick(s.size() + 1);
        switch (pick(8)) {
            case 0:  // flip a bit
                if (!s.empty()) {
                    const std::size_t i = pick(s.size());
                    s[i] = static_cast<char>(s[i] ^ (1 << pick(8)));
                }
                break;
            case 1:  // any byte
                if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
                break;
            case 2:  // insert a byte
                s.insert(at, 1, static_cast<char>(pick(256)));
                break;
            case 3:  // delete a range
                s.erase(at, pick(8));
                break;
            case 4: {  // duplicate a range
                const std::string piece = s.substr(at, pick(24));
                s.insert(pick(s.size() + 1), piece);
                break;
            }
            case 5: {  // insert a token
                const std::string token = kTokens[pick(sizeof kTokens / sizeof kTokens[0])];
                s.insert(at, token.empty() ? std::string(1, '\0') : token);
                break;
            }
            case 6:  // truncate
                s.resize(at);
                break;
            default:  // change a digit
                for (std::size_t i = 0; i < s.size(); ++i) {
                    const std::size_t j = (at + i) % s.size();
                    if (s[j] >= '0' && s[j] <= '9') {
                        s[j] = static_cast<char>('0' + pick(10));
                        break;
                    }
                }
        }
    }
    return s;
}

}  // namespace

TEST_CASE("random valid signals in random representations give their canonical form", "[signal][property]") {
    std::mt19937 rng(20261124);
    for (int i = 0; i < 3000; ++i) {
        const auto [body, expected] = randomSignal(rng);
        INFO(body);
        const auto p = mustParse(body);
        REQUIRE(p.signal.canonical == expected);
        if (p.secret) CHECK(p.signal.canonical.find(kCanary) == std::string::npos);
    }
}

TEST_CASE("20,000 random and mutated bodies never crash and always get an answer", "[signal][robustness]") {
    std::mt19937 rng(4242);
    const auto seeds = corpus();
    REQUIRE_FALSE(seeds.empty());
    int parsed = 0, refused = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string body;
        if (i % 4 == 0) {  // raw bytes, biased towards JSON's alphabet
            static const std::string kAlphabet = "{}[]\":,.-+0123456789eEtrufalsn \\/u\n\t";
            const std::size_t n = rng() % 200;
            for (std::size_t k = 0; k < n; ++k)
                body += rng() % 3 ? kAlphabet[rng() % kAlphabet.size()] : static_cast<char>(rng() % 256);
        } else if (i % 4 == 1) {
            body = mutate(randomSignal(rng).first, rng);
        } else {
            body = mutate(seeds[rng() % seeds.size()], rng);
        }
        auto r = parseSignal(body);
        if (const auto* p = std::get_if<Parsed>(&r)) {
            ++parsed;
            INFO("body: " << body);
            checkRoundTrip(p->signal);
            if (p->secret && p->secret->size() >= 8) {
                const bool leaked = p->signal.canonical.find("\"" + *p->secret + "\"") != std::string::npos &&
                                    p->signal.signalId != *p->secret;
                CHECK_FALSE(leaked);
            }
        } else {
            ++refused;
            const auto& e = std::get<ParseError>(r);
            if (e.httpStatus != 400 || e.field.empty() || e.message.empty() ||
                e.message.find(kCanary) != std::string::npos) {
                FAIL("bad error for body [" << body << "]: " << show(e));
            }
        }
    }
    INFO("parsed " << parsed << ", refused " << refused);
    CHECK(parsed > 500);  // the mutations keep many bodies valid, so acceptance paths are exercised
    CHECK(refused > 5000);
}
