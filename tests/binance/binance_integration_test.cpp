// The Binance plugin against the emulator over loopback HTTPS: every outcome class, every fault.
// Run through with_emulator.sh, which starts the emulator and exports its URL, CA and credentials.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "config/deployment.h"
#include "emulator_server.h"
#include "error_classifier.h"
#include "fake_context.h"
#include "plugins/instance_set.h"
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
        for (std::size_t i = 0; faults && i < faults->size(); ++i)
            fired += faults->getObject(static_cast<unsigned>(i))->getValue<int>("fired");
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
        const std::string yaml =
            "venues:\n  - name: bn\n    type: binance_futures\n    settings:\n"
            "      base_url: \"" +
            ::env("BINANCE_EMULATOR_URL") +
            "\"\n"
            "      api_key: \"${BINANCE_API_KEY}\"\n      api_secret: \"${BINANCE_API_SECRET}\"\n"
            "      ca_file: \"" +
            ::env("BINANCE_EMULATOR_CA") +
            "\"\n"
            "      request_timeout_ms: 2000\n" +
            extraSettings;
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
        const auto a = client.call("POST", "/fapi/v1/positionSide/dual", {{"dualSidePosition", "true"}},
                                   binance::Security::Signed);
        REQUIRE(a.status == 200);
    }
    static std::string freshId() {
        return "it" + std::to_string(std::time(nullptr) % 100000) + ":bn:" + std::to_string(++counter) + ":0";
    }
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
        if (const auto* d = std::get_if<Deferred>(&v))
            INFO("Deferred: " << d->reason << " (" << d->retryAfterMs << " ms)");
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
    CHECK(expect<Found>(e.venue().queryOrder(id, "BTCUSDT"), "query").order.exchangeOrderId ==
          accepted.order.exchangeOrderId);
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
    // One caller at a time: every request above went over the one kept-alive TLS connection
    // (an idle connection is only dropped when the server closed it, or after its keep-alive).
    CHECK(e.metrics.snapshot().at("bn.connections_opened") == 1);
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
    const std::string fault =
        GENERATE(std::string("{\"mode\":\"reset\",\"count\":1,\"path\":\"POST /fapi/v1/order\"}"),
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
    e.control.fault("{\"mode\":\"" + mode +
                    "\",\"count\":1,\"retry_after_s\":2,\"path\":\"GET /fapi/v2/positionRisk\"}");
    const auto first = expect<Unknown>(e.venue().positions(), "positions under the fault");
    CHECK(e.control.faultsFired() == 1);
    const auto held = expect<Unknown>(e.venue().positions(), "positions while backing off");
    CHECK_THAT(held.reason, Contains("no request until"));
    const std::string id = Emulated::freshId();
    const auto held2 = expect<Deferred>(e.venue().placeOrder(e.market(id)), "order while backing off");
    CHECK_THAT(held2.reason, Contains("no request until"));
    CHECK(held2.retryAfterMs > 0);
    CHECK(held2.retryAfterMs <= 2000);
    CHECK(e.control.ledgerCount(id) == 0);
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
    CHECK(expect<Rejected>(e.venue().placeOrder(e.market(Emulated::freshId(), "0.02")), "over max qty").code ==
          "RISK_MAX_QUANTITY");
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
    const std::string yaml =
        "venues:\n  - name: bn\n    type: binance_futures\n    settings:\n"
        "      base_url: \"" +
        ::env("BINANCE_EMULATOR_URL") +
        "\"\n"
        "      api_key: \"${BINANCE_API_KEY}\"\n      api_secret: \"${BINANCE_API_SECRET}\"\n"
        "      ca_file: \"" +
        ::env("BINANCE_EMULATOR_CA") + "\"\n";
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

// ---- Deferred: nothing reached the venue, and the same order may go later ----------------------

TEST_CASE("a 429 or 418 answer to the order itself is Deferred for Retry-After; nothing is placed until it passes") {
    const auto [mode, retryAfterS] = GENERATE(table<std::string, int>({{"http_429", 2}, {"http_418", 3}}));
    Emulated e;
    e.control.fault("{\"mode\":\"" + mode + "\",\"count\":1,\"retry_after_s\":" + std::to_string(retryAfterS) +
                    ",\"path\":\"POST /fapi/v1/order\"}");
    const std::string id = Emulated::freshId();
    INFO(mode);
    const auto deferred = expect<Deferred>(e.venue().placeOrder(e.market(id)), "placeOrder under the fault");
    CHECK(deferred.retryAfterMs == retryAfterS * 1000);
    CHECK_THAT(deferred.reason, Contains("HTTP " + mode.substr(5)));
    CHECK(e.control.faultsFired() == 1);
    CHECK(e.control.ledgerCount(id) == 0);
    // Too early: the plugin holds the same order back itself, with the time left.
    const auto early = expect<Deferred>(e.venue().placeOrder(e.market(id)), "same order too early");
    CHECK(early.retryAfterMs > 0);
    CHECK(early.retryAfterMs <= retryAfterS * 1000);
    CHECK(e.control.ledgerCount(id) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(early.retryAfterMs + 100));
    expect<Accepted>(e.venue().placeOrder(e.market(id)), "same order after Retry-After");
    CHECK(e.control.ledgerCount(id) == 1);
}

TEST_CASE("503 'Service Unavailable.' (A7 variant B) is Deferred, 503 'Unknown error' (variant A) stays Unknown") {
    Emulated e;
    e.control.fault(R"({"mode":"http_5xx","status":503,"count":1,"path":"POST /fapi/v1/order"})");
    const std::string id = Emulated::freshId();
    const auto deferred = expect<Deferred>(e.venue().placeOrder(e.market(id)), "503 Service Unavailable");
    CHECK(deferred.retryAfterMs == binance::kOverloadRetryMs);
    CHECK(e.control.faultsFired() == 1);
    CHECK(e.control.ledgerCount(id) == 0);
    expect<Accepted>(e.venue().placeOrder(e.market(id)), "the same order afterwards");
    CHECK(e.control.ledgerCount(id) == 1);

    e.control.fault(R"({"mode":"unknown_503_after_execute","count":1})");
    const std::string other = Emulated::freshId();
    expect<Unknown>(e.venue().placeOrder(e.market(other)), "503 Unknown error");
    CHECK(e.control.ledgerCount(other) == 1);
}

TEST_CASE("the plugin's own order budget: Deferred until the 10 s window rolls, then the same id goes once") {
    Emulated e("      order_limit_per_10s: 2\n");
    std::optional<Deferred> held;
    std::string heldId;
    for (int i = 0; i < 5 && !held; ++i) {
        const std::string id = Emulated::freshId();
        const auto r = e.venue().placeOrder(e.market(id));
        if (const auto* d = std::get_if<Deferred>(&r)) {
            held = *d;
            heldId = id;
        } else {
            expect<Accepted>(r, "an order within the budget");
        }
    }
    REQUIRE(held);
    CHECK_THAT(held->reason, Contains("holding back"));
    CHECK(held->retryAfterMs > 0);
    CHECK(held->retryAfterMs <= 10000);
    CHECK(e.control.ledgerCount(heldId) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(held->retryAfterMs + 100));
    expect<Accepted>(e.venue().placeOrder(e.market(heldId)), "the same id once the window rolled");
    CHECK(e.control.ledgerCount(heldId) == 1);
}

TEST_CASE(
    "the venue's order budget (-1015): Deferred until its window rolls, queries go on, then the same id goes once") {
    Emulated e;
    e.control.call("POST", "/control/limits", R"({"orders_per_10s":1,"reset_usage":true})");
    std::optional<Deferred> refused;
    std::string refusedId;
    for (int i = 0; i < 4 && !refused; ++i) {
        const std::string id = Emulated::freshId();
        const auto r = e.venue().placeOrder(e.market(id));
        if (const auto* d = std::get_if<Deferred>(&r)) {
            refused = *d;
            refusedId = id;
        } else {
            expect<Accepted>(r, "the order the window allows");
        }
    }
    REQUIRE(refused);
    CHECK_THAT(refused->reason, Contains("-1015"));
    CHECK(refused->retryAfterMs > 0);
    CHECK(refused->retryAfterMs <= 10000);
    CHECK(e.control.ledgerCount(refusedId) == 0);
    // Only new orders wait: the account can still be asked.
    expect<Positions>(e.venue().positions(), "positions during the order hold");
    const auto early = expect<Deferred>(e.venue().placeOrder(e.market(refusedId)), "same id too early");
    CHECK_THAT(early.reason, Contains("none until"));
    // The plugin's window and the venue's are the same calendar window on nearly the same clock.
    std::this_thread::sleep_for(std::chrono::milliseconds(early.retryAfterMs + 300));
    expect<Accepted>(e.venue().placeOrder(e.market(refusedId)), "the same id in the next window");
    CHECK(e.control.ledgerCount(refusedId) == 1);
}

TEST_CASE("-1021 with a clock that cannot be re-synced is Deferred; the next try re-syncs and goes once") {
    Emulated e;
    e.control.call("POST", "/control/clock", R"({"skew_ms":20000})");
    e.control.fault(R"({"mode":"http_5xx","status":502,"count":1,"path":"GET /fapi/v1/time"})");
    const std::string id = Emulated::freshId();
    const auto deferred = expect<Deferred>(e.venue().placeOrder(e.market(id)), "order with a skewed clock");
    CHECK_THAT(deferred.reason, Contains("could not be re-synced"));
    CHECK(e.control.faultsFired() == 1);
    CHECK(e.control.ledgerCount(id) == 0);
    expect<Accepted>(e.venue().placeOrder(e.market(id)), "the same order, clock re-synced");
    CHECK(e.control.ledgerCount(id) == 1);
}

TEST_CASE("what the plugin must read before sending, but cannot, defers the order") {
    SECTION("symbol rules of a symbol new to the plugin, with exchangeInfo failing") {
        Emulated e;
        e.control.fault(R"({"mode":"http_5xx","status":502,"count":1,"path":"GET /fapi/v1/exchangeInfo"})");
        auto intent = e.market(Emulated::freshId());
        intent.symbol = "NEWUSDT";
        CHECK_THAT(expect<Deferred>(e.venue().placeOrder(intent), "rules not loadable").reason,
                   Contains("could not be loaded"));
        CHECK(expect<Rejected>(e.venue().placeOrder(intent), "rules loaded: not listed").code == "UNKNOWN_SYMBOL");
    }
    SECTION("the price a market order's max_order_notional needs") {
        Emulated e("      max_order_notional: \"500\"\n");
        e.control.fault(R"({"mode":"http_5xx","status":502,"count":1,"path":"GET /fapi/v1/ticker/price"})");
        const std::string id = Emulated::freshId();
        CHECK_THAT(expect<Deferred>(e.venue().placeOrder(e.market(id)), "no price").reason,
                   Contains("could not be read"));
        CHECK(e.control.ledgerCount(id) == 0);
        expect<Accepted>(e.venue().placeOrder(e.market(id)), "price readable again");
    }
}

TEST_CASE("a venue that refuses connections defers the order; once it is back, the same id is placed once") {
    namespace emu = tradehost::binance_emulator;
    emu::EmulatorConfig config;
    config.credentials.push_back({::env("BINANCE_API_KEY"), ::env("BINANCE_API_SECRET")});
    config.threads = 8;
    auto server = std::make_unique<emu::EmulatorServer>(config);
    server->start();
    config.port = server->port();

    host::Environment environment;
    host::ConfigErrors errors;
    host::MetricsRegistry metrics;
    host::PluginRegistry registry{{TRADEHOST_PLUGIN_DIR}};
    const std::string yaml =
        "venues:\n  - name: bn\n    type: binance_futures\n    settings:\n"
        "      base_url: \"" +
        server->baseUrl() +
        "\"\n"
        "      api_key: \"${BINANCE_API_KEY}\"\n      api_secret: \"${BINANCE_API_SECRET}\"\n";
    auto deployment = host::parseDeployment(yaml, "it.yaml", environment, errors);
    auto instances = host::buildInstances(deployment, registry, environment, metrics, errors);
    if (errors.empty()) instances.startAll("it.yaml", errors);
    REQUIRE(errors.toString().empty());
    auto& venue = *instances.venues.front();
    OrderIntent intent;
    intent.symbol = "BTCUSDT";
    intent.side = Side::Buy;
    intent.quantity = Decimal::of("0.002");
    intent.clientOrderId = Emulated::freshId();
    expect<Accepted>(venue.placeOrder(intent), "an order while the venue is up");  // leaves a kept-alive connection

    server->stop();  // closes that connection too: it must not be written into
    server.reset();
    intent.clientOrderId = Emulated::freshId();
    const auto deferred = expect<Deferred>(venue.placeOrder(intent), "an order while nothing listens");
    CHECK_THAT(deferred.reason, Contains("connection refused"));
    CHECK(deferred.retryAfterMs == binance::kNotConnectedRetryMs);

    server = std::make_unique<emu::EmulatorServer>(config);  // the same port, a fresh exchange
    server->start();
    expect<Accepted>(venue.placeOrder(intent), "the same order once the venue is back");
    int placed = 0;
    for (const auto& entry : server->state().exchange.ledger()) placed += entry.clientOrderId == intent.clientOrderId;
    CHECK(placed == 1);
    instances.venues.front()->stop();  // before the server it talks to goes away
}

// ---- hedge mode and one-way mode agree with venue.h ------------------------------------------

TEST_CASE("one-way mode: an intent naming LONG or SHORT is refused before sending") {
    Emulated e;
    const auto side = GENERATE(PositionSide::Long, PositionSide::Short);
    auto intent = e.market(Emulated::freshId());
    intent.positionSide = side;
    CHECK(expect<Rejected>(e.venue().placeOrder(intent), "LONG/SHORT on a one-way account").code ==
          "INVALID_POSITION_SIDE");
    CHECK(e.control.ledgerCount(intent.clientOrderId) == 0);
}

TEST_CASE(
    "hedge mode: the order state says which book the venue used; a reduce-only order that would open is refused") {
    Emulated e("      hedge_mode: true\n", true);
    auto openLong = e.market(Emulated::freshId());
    CHECK(expect<Accepted>(e.venue().placeOrder(openLong), "BUY, Both").order.positionSide == PositionSide::Long);
    auto closeLong = e.market(Emulated::freshId());
    closeLong.side = Side::Sell;
    closeLong.positionSide = PositionSide::Long;  // SELL+LONG closes, reduce-only or not
    CHECK(expect<Accepted>(e.venue().placeOrder(closeLong), "SELL, LONG").order.positionSide == PositionSide::Long);
    auto openShort = e.market(Emulated::freshId());
    openShort.positionSide = PositionSide::Short;
    openShort.side = Side::Sell;
    CHECK(expect<Accepted>(e.venue().placeOrder(openShort), "SELL, SHORT").order.positionSide == PositionSide::Short);
    auto closeShort = e.market(Emulated::freshId());
    closeShort.reduceOnly = true;  // BUY, Both, reduce-only -> closes SHORT
    CHECK(expect<Accepted>(e.venue().placeOrder(closeShort), "BUY, Both, reduce-only").order.positionSide ==
          PositionSide::Short);
    CHECK(expect<Positions>(e.venue().positions(), "flat again").positions.empty());

    auto opening = e.market(Emulated::freshId());
    opening.positionSide = PositionSide::Long;
    opening.reduceOnly = true;  // BUY+LONG opens: cannot be reduce-only
    CHECK(expect<Rejected>(e.venue().placeOrder(opening), "reduce-only BUY on LONG").code == "REDUCE_ONLY");
    CHECK(e.control.ledgerCount(opening.clientOrderId) == 0);
}

TEST_CASE("a TLS handshake that fails on a fresh connection sends nothing: not sent, so the order path defers") {
    Emulated e;
    test::FakeLogger log;
    test::FakeMetrics metrics;
    binance::RestConfig config;
    config.baseUrl = ::env("BINANCE_EMULATOR_URL");
    config.apiKey = ::env("BINANCE_API_KEY");
    config.apiSecret = ::env("BINANCE_API_SECRET");  // no ca_file: the emulator's certificate is not trusted
    binance::RestClient client(config, log, metrics);
    const std::string id = Emulated::freshId();
    const auto a = client.call(
        "POST", "/fapi/v1/order",
        {{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.002"}, {"newClientOrderId", id}},
        binance::Security::Signed, id, true);
    CHECK(a.transport == binance::HttpAnswer::Transport::NotSent);
    CHECK_THAT(a.reason, Contains("TLS handshake failed"));
    CHECK(binance::classifyNotAnswered(a.transport != binance::HttpAnswer::Transport::NotSent, a.retryAfterMs).kind ==
          binance::OrderErrorClass::Deferred);
    CHECK(e.control.ledgerCount(id) == 0);
}
