// The Binance plugin against the emulator over loopback HTTPS: every outcome class, every fault.
// Run through with_emulator.sh, which starts the emulator and exports its URL, CA and credentials.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "config/deployment.h"
#include "plugins/instance_set.h"
#include "fake_context.h"
#include "rest_client.h"
#include "temp_dir.h"

using namespace tradehost;
using Catch::Matchers::Contains;

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    if (!v) throw std::runtime_error(std::string("run through with_emulator.sh: ") + name + " is not set");
    return v;
}

// The emulator's test control API (/control/...), over the same HTTPS.
class Control {
public:
    Control() : uri_(env("BINANCE_EMULATOR_URL")) {
        ctx_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", env("BINANCE_EMULATOR_CA"),
                                      Poco::Net::Context::VERIFY_RELAXED, 9, false);
    }
    Poco::JSON::Object::Ptr call(const std::string& method, const std::string& path, const std::string& body = "") {
        Poco::Net::HTTPSClientSession s(uri_.getHost(), uri_.getPort(), ctx_);
        Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        s.sendRequest(req) << body;
        Poco::Net::HTTPResponse res;
        std::string text;
        Poco::StreamCopier::copyToString(s.receiveResponse(res), text);
        INFO(method << " " << path << " " << body << " -> " << text);
        REQUIRE(res.getStatus() == Poco::Net::HTTPResponse::HTTP_OK);
        Poco::JSON::Parser parser;
        return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    }
    void fault(const std::string& json) { call("POST", "/control/faults", json); }
    // How often the installed faults actually fired (a test that injected nothing proves nothing).
    int faultsFired() {
        const auto faults = call("GET", "/control/faults")->getArray("faults");
        int fired = 0;
        for (std::size_t i = 0; faults && i < faults->size(); ++i) fired += faults->getObject(static_cast<unsigned>(i))->getValue<int>("fired");
        return fired;
    }
    int ledgerCount(const std::string& clientOrderId) {
        return call("GET", "/control/ledger?clientOrderId=" + clientOrderId)->getValue<int>("count");
    }

private:
    Poco::URI uri_;
    Poco::Net::Context::Ptr ctx_;
};

struct Emulated {
    Control control;
    host::Environment env;
    host::ConfigErrors errors;
    host::MetricsRegistry metrics;
    host::PluginRegistry registry{{TRADEHOST_PLUGIN_DIR}};
    host::Deployment deployment;
    host::InstanceSet instances;
    test::TempDir dir;
    static inline int counter = 0;

    explicit Emulated(const std::string& extraSettings = "", bool hedgeAccount = false) {
        control.call("POST", "/control/reset");
        if (hedgeAccount) switchToHedgeMode();
        const std::string yaml = "venues:\n  - name: bn\n    type: binance_futures\n    settings:\n"
                                 "      base_url: \"" + ::env("BINANCE_EMULATOR_URL") + "\"\n"
                                 "      api_key: \"${BINANCE_API_KEY}\"\n      api_secret: \"${BINANCE_API_SECRET}\"\n"
                                 "      ca_file: \"" + ::env("BINANCE_EMULATOR_CA") + "\"\n"
                                 "      request_timeout_ms: 2000\n" + extraSettings;
        deployment = host::parseDeployment(yaml, "it.yaml", env, errors);
        instances = host::buildInstances(deployment, registry, env, metrics, errors);
        if (errors.empty()) instances.startAll("it.yaml", errors);
        if (!errors.empty()) FAIL(errors.toString());
    }
    host::VenueInstance& venue() { return *instances.venues.front(); }

    // The account's position mode is the venue's, changed with a signed fapi call as a user would.
    static void switchToHedgeMode() {
        test::FakeLogger log;
        test::FakeMetrics metrics;
        binance::RestConfig config;
        config.baseUrl = ::env("BINANCE_EMULATOR_URL");
        config.caFile = ::env("BINANCE_EMULATOR_CA");
        config.apiKey = ::env("BINANCE_API_KEY");
        config.apiSecret = ::env("BINANCE_API_SECRET");
        binance::RestClient client(config, log, metrics);
        const auto a = client.call("POST", "/fapi/v1/positionSide/dual", {{"dualSidePosition", "true"}}, binance::Security::Signed);
        REQUIRE(a.status == 200);
    }
    static std::string freshId() { return "it" + std::to_string(std::time(nullptr) % 100000) + ":bn:" + std::to_string(++counter) + ":0"; }
    OrderIntent market(const std::string& id, const char* qty = "0.002") {
        OrderIntent i;
        i.clientOrderId = id;
        i.symbol = "BTCUSDT";
        i.side = Side::Buy;
        i.type = OrderType::Market;
        i.quantity = Decimal::of(qty);
        return i;
    }
    OrderIntent restingLimit(const std::string& id) {
        OrderIntent i = market(id);
        i.type = OrderType::Limit;
        i.price = Decimal::of("62000");
        return i;
    }
};

template <class T, class V>
T expect(const V& v, const char* what) {
    INFO(what);
    INFO("got alternative " << v.index());
    if (const auto* u = std::get_if<Unknown>(&v)) INFO("Unknown: " << u->reason);
    if constexpr (std::is_same_v<V, PlaceResult>) {
        if (const auto* r = std::get_if<Rejected>(&v)) INFO("Rejected: " << r->code << " " << r->message);
    }
    REQUIRE(std::holds_alternative<T>(v));
    return std::get<T>(v);
}

}  // namespace

TEST_CASE("place, query, cancel and positions over HTTPS") {
    Emulated e;
    const std::string id = Emulated::freshId();
    const auto accepted = expect<Accepted>(e.venue().placeOrder(e.market(id)), "market order");
    CHECK(accepted.order.status == OrderStatus::Filled);  // RESULT, not ACK
    CHECK(accepted.order.filledQuantity == Decimal::of("0.002"));
    CHECK(accepted.order.averagePrice.isPositive());
    CHECK(expect<Found>(e.venue().queryOrder(id, "BTCUSDT"), "query").order.exchangeOrderId == accepted.order.exchangeOrderId);
    CHECK(e.control.ledgerCount(id) == 1);

    const auto positions = expect<Positions>(e.venue().positions(), "positions");
    REQUIRE(positions.positions.size() == 1);
    CHECK(positions.positions[0].quantity == Decimal::of("0.002"));

    const std::string limitId = Emulated::freshId();
    CHECK(expect<Accepted>(e.venue().placeOrder(e.restingLimit(limitId)), "limit").order.status == OrderStatus::New);
    CHECK(expect<OpenOrders>(e.venue().openOrders(), "open orders").orders.size() == 1);
    expect<Canceled>(e.venue().cancelOrder(limitId, "BTCUSDT"), "cancel");
    expect<NotOpen>(e.venue().cancelOrder(limitId, "BTCUSDT"), "second cancel");
    expect<NotFound>(e.venue().queryOrder(Emulated::freshId(), "BTCUSDT"), "never used");

    const auto rules = expect<SymbolRules>(e.venue().symbolRules("BTCUSDT"), "rules");
    CHECK(rules.stepSize == Decimal::of("0.001"));
    expect<NotFound>(e.venue().symbolRules("NOPEUSDT"), "unknown symbol");
    // Weight headers are read and reported.
    CHECK(e.metrics.snapshot().count("bn.used_weight_1m") == 1);
}

TEST_CASE("an order that cannot fit the filters is rejected locally and never sent") {
    Emulated e;
    const std::string id = Emulated::freshId();
    const auto r = expect<Rejected>(e.venue().placeOrder(e.market(id, "0.0004")), "below minQty");
    CHECK(r.code == "LOCAL_FILTER");
    CHECK(e.control.ledgerCount(id) == 0);
    const auto floored = expect<Accepted>(e.venue().placeOrder(e.market(Emulated::freshId(), "0.0025")), "floored");
    CHECK(floored.order.quantity == Decimal::of("0.002"));
    CHECK_THAT(floored.note, Contains("floored to step 0.001"));
}

TEST_CASE("an executed order whose answer was lost is Unknown, and a later query finds it") {
    const std::string mode = GENERATE(std::string("drop_after_execute"), std::string("unknown_503_after_execute"),
                                      std::string("timeout_1007_after_execute"));
    Emulated e;
    e.control.fault("{\"mode\":\"" + mode + "\",\"count\":1}");
    const std::string id = Emulated::freshId();
    INFO("fault " << mode);
    expect<Unknown>(e.venue().placeOrder(e.market(id)), "placeOrder under the fault");
    CHECK(e.control.faultsFired() == 1);
    CHECK(expect<Found>(e.venue().queryOrder(id, "BTCUSDT"), "query after").order.status == OrderStatus::Filled);
    CHECK(e.control.ledgerCount(id) == 1);
}

TEST_CASE("an answer slower than request_timeout_ms is Unknown; the order is found afterwards") {
    Emulated e;  // request_timeout_ms: 2000
    e.control.fault("{\"mode\":\"delay\",\"delay_ms\":3000,\"count\":1,\"path\":\"POST /fapi/v1/order\"}");
    const std::string id = Emulated::freshId();
    CHECK_THAT(expect<Unknown>(e.venue().placeOrder(e.market(id)), "placeOrder").reason, Contains("timeout"));
    CHECK(e.control.faultsFired() == 1);
    expect<Found>(e.venue().queryOrder(id, "BTCUSDT"), "query after the timeout");
    CHECK(e.control.ledgerCount(id) == 1);
}

TEST_CASE("an order executed late is Unknown, queries say NotFound until it lands, then Found") {
    Emulated e;
    e.control.fault("{\"mode\":\"late_execute\",\"delay_ms\":1500,\"count\":1}");
    const std::string id = Emulated::freshId();
    expect<Unknown>(e.venue().placeOrder(e.market(id)), "placeOrder");
    expect<NotFound>(e.venue().queryOrder(id, "BTCUSDT"), "query before it executes");
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    expect<Found>(e.venue().queryOrder(id, "BTCUSDT"), "query after it executes");
    CHECK(e.control.ledgerCount(id) == 1);
    CHECK(e.control.faultsFired() == 1);
}

TEST_CASE("a reset connection or a 5xx before execution is Unknown, and the query then proves absence") {
    const std::string fault = GENERATE(std::string("{\"mode\":\"reset\",\"count\":1,\"path\":\"POST /fapi/v1/order\"}"),
                                       std::string("{\"mode\":\"http_5xx\",\"status\":502,\"count\":1,\"path\":\"POST /fapi/v1/order\"}"));
    Emulated e;
    e.control.fault(fault);
    const std::string id = Emulated::freshId();
    INFO(fault);
    expect<Unknown>(e.venue().placeOrder(e.market(id)), "placeOrder");
    CHECK(e.control.faultsFired() == 1);
    expect<NotFound>(e.venue().queryOrder(id, "BTCUSDT"), "query");
    CHECK(e.control.ledgerCount(id) == 0);
}

TEST_CASE("-4116: an id held by an open order is adopted, never placed twice") {
    Emulated e;
    const std::string id = Emulated::freshId();
    const auto first = expect<Accepted>(e.venue().placeOrder(e.restingLimit(id)), "first");
    const auto again = expect<Accepted>(e.venue().placeOrder(e.restingLimit(id)), "again while open");
    CHECK(again.order.exchangeOrderId == first.order.exchangeOrderId);
    CHECK_THAT(again.note, Contains("adopted"));
    CHECK(e.control.ledgerCount(id) == 1);
}

TEST_CASE("the trap: a filled order frees its id, so resending it makes a second order") {
    // This is why the host must query before any resend; the plugin cannot prevent it alone.
    Emulated e;
    const std::string id = Emulated::freshId();
    const auto first = expect<Accepted>(e.venue().placeOrder(e.market(id)), "first");
    const auto second = expect<Accepted>(e.venue().placeOrder(e.market(id)), "resend after fill");
    CHECK(second.order.exchangeOrderId != first.order.exchangeOrderId);
    CHECK(e.control.ledgerCount(id) == 2);
}

TEST_CASE("429 and 418: no request reaches the venue until Retry-After has passed") {
    const std::string mode = GENERATE(std::string("http_429"), std::string("http_418"));
    Emulated e;
    e.control.fault("{\"mode\":\"" + mode + "\",\"count\":1,\"retry_after_s\":2,\"path\":\"GET /fapi/v2/positionRisk\"}");
    const auto first = expect<Unknown>(e.venue().positions(), "positions under the fault");
    CHECK(e.control.faultsFired() == 1);
    const auto held = expect<Unknown>(e.venue().positions(), "positions while backing off");
    CHECK_THAT(held.reason, Contains("no request until"));
    const auto notSent = expect<Rejected>(e.venue().placeOrder(e.market(Emulated::freshId())), "order while backing off");
    CHECK(notSent.code == "NOT_SENT");
    CHECK(e.metrics.snapshot().at("bn.rate_limit_hits") == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2300));
    expect<Positions>(e.venue().positions(), "positions after Retry-After");
}

TEST_CASE("slowing down before the weight limit: requests are held back instead of earning a 429") {
    Emulated e("      weight_limit_per_minute: 40\n");
    // positionRisk weighs 5: a handful of calls nears 95 % of 40 within the minute.
    int held = 0;
    for (int i = 0; i < 12 && held == 0; ++i) {
        const auto r = e.venue().positions();
        if (const auto* u = std::get_if<Unknown>(&r)) {
            CHECK_THAT(u->reason, Contains("holding back"));
            ++held;
        }
    }
    CHECK(held == 1);
    CHECK(e.metrics.snapshot().count("bn.rate_limit_hits") == 0);
}

TEST_CASE("risk caps hold inside the plugin, and a market order's notional uses the venue's price") {
    Emulated e("      max_order_notional: \"200\"\n      max_quantity: \"0.01\"\n      symbols: [BTCUSDT]\n");
    const std::string id = Emulated::freshId();
    // 0.004 x 65000 = 260 > 200: refused before sending.
    const auto r = expect<Rejected>(e.venue().placeOrder(e.market(id, "0.004")), "over max notional");
    CHECK(r.code == "RISK_MAX_NOTIONAL");
    CHECK(expect<Rejected>(e.venue().placeOrder(e.market(Emulated::freshId(), "0.02")), "over max qty").code == "RISK_MAX_QUANTITY");
    auto eth = e.market(Emulated::freshId());
    eth.symbol = "ETHUSDT";
    CHECK(expect<Rejected>(e.venue().placeOrder(eth), "not allowlisted").code == "RISK_SYMBOL");
    CHECK(e.control.ledgerCount(id) == 0);
    expect<Accepted>(e.venue().placeOrder(e.market(Emulated::freshId(), "0.002")), "within the caps");
}

TEST_CASE("hedge mode: orders name their position side, and LONG and SHORT are separate books") {
    Emulated e("      hedge_mode: true\n", true);
    expect<Accepted>(e.venue().placeOrder(e.market(Emulated::freshId())), "open long");  // BUY -> LONG
    auto openShort = e.market(Emulated::freshId());
    openShort.side = Side::Sell;  // SELL, not reduce-only -> SHORT
    expect<Accepted>(e.venue().placeOrder(openShort), "open short");
    auto closeLong = e.market(Emulated::freshId());
    closeLong.side = Side::Sell;
    closeLong.reduceOnly = true;  // SELL reduce-only -> closes LONG (reduceOnly itself is not sent: -1106)
    expect<Accepted>(e.venue().placeOrder(closeLong), "close long");
    const auto positions = expect<Positions>(e.venue().positions(), "positions");
    REQUIRE(positions.positions.size() == 1);
    CHECK(positions.positions[0].positionSide == PositionSide::Short);
    CHECK(positions.positions[0].quantity == Decimal::of("-0.002"));
}

TEST_CASE("a hedge_mode setting that contradicts the account refuses to start, saying so") {
    Control().call("POST", "/control/reset");
    Emulated::switchToHedgeMode();
    test::TempDir dir;
    host::Environment environment;
    host::ConfigErrors errors;
    host::MetricsRegistry metrics;
    host::PluginRegistry registry{{TRADEHOST_PLUGIN_DIR}};
    const std::string yaml = "venues:\n  - name: bn\n    type: binance_futures\n    settings:\n"
                             "      base_url: \"" + ::env("BINANCE_EMULATOR_URL") + "\"\n"
                             "      api_key: \"${BINANCE_API_KEY}\"\n      api_secret: \"${BINANCE_API_SECRET}\"\n"
                             "      ca_file: \"" + ::env("BINANCE_EMULATOR_CA") + "\"\n";
    auto deployment = host::parseDeployment(yaml, "it.yaml", environment, errors);
    auto instances = host::buildInstances(deployment, registry, environment, metrics, errors);
    REQUIRE(errors.empty());
    instances.startAll("it.yaml", errors);
    CHECK_THAT(errors.toString(), Contains("the account is in hedge mode, but hedge_mode is false"));
}

TEST_CASE("clock skew: -1021 re-syncs the clock and the order goes through once") {
    Emulated e;
    e.control.call("POST", "/control/clock", "{\"skew_ms\":20000}");  // the venue's clock jumps ahead
    const std::string id = Emulated::freshId();
    expect<Accepted>(e.venue().placeOrder(e.market(id)), "order after the skew");
    CHECK(e.control.ledgerCount(id) == 1);
    CHECK(e.metrics.snapshot().at("bn.clock_offset_ms") > 15000);
}
