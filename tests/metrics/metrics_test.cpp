// The metrics library and the host's metrics: the text format (HELP/TYPE, escaping, buckets), exact
// totals under concurrency, and what each instrumented component counts.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "alerts/alert_policy.h"
#include "app/host.h"
#include "config/deployment.h"
#include "exposition_parser.h"
#include "gate/gate.h"
#include "intake/signal/signal_parser.h"
#include "intake/webhook_server.h"
#include "journal/journal.h"
#include "log/metrics_registry.h"
#include "metrics/host_metrics.h"
#include "metrics/prometheus_registry.h"
#include "metrics/prometheus_text.h"
#include "plugins/venue_instance.h"
#include "temp_dir.h"

using namespace tradehost;
using namespace tradehost::host;
using tradehost::test::parseExposition;
using tradehost::test::TempDir;

namespace {

Signal signalOf(const std::string& id) {
    auto parsed =
        parseSignal(R"({"signal_id":")" + id +
                    R"(","legs":[{"venue":"bn","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"}]})");
    REQUIRE(std::holds_alternative<Parsed>(parsed));
    return std::get<Parsed>(parsed).signal;
}

AdmissionRequest admission(const Signal& s, std::uint64_t seq) {
    AdmissionRequest r;
    r.journalSeq = seq;
    r.receivedMs = 1000;
    r.signal = s;
    r.legs.push_back({s.signalId + ":bn:0:0", ""});
    return r;
}

// A venue that answers at once (what is timed is the call through the instance, not the venue).
class QuietVenue final : public Venue {
public:
    void start() override {}
    void stop() noexcept override {}
    ClientOrderIdRules clientOrderIdRules() const override { return {}; }
    PlaceResult placeOrder(const OrderIntent&) override { return Unknown{"quiet"}; }
    QueryResult queryOrder(const std::string&, const std::string&) override { return NotFound{}; }
    CancelResult cancelOrder(const std::string&, const std::string&) override { return Unknown{"quiet"}; }
    PositionsResult positions() override { return Positions{}; }
    OpenOrdersResult openOrders() override { return OpenOrders{}; }
    SymbolRulesResult symbolRules(const std::string&) override { return NotFound{}; }
};

// Polls the host's text until `done` holds for it (the pipeline runs on its own threads), 10 s at most.
template <class Done>
tradehost::test::Exposition waitForMetrics(const HostMetrics& m, Done done) {
    auto e = parseExposition(m.prometheusText());
    for (int i = 0; i < 200 && !done(e); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        e = parseExposition(m.prometheusText());
    }
    return e;
}

int post(unsigned short port, const std::string& path, const std::string& body) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    Poco::Net::HTTPRequest request(body.empty() ? Poco::Net::HTTPRequest::HTTP_GET : Poco::Net::HTTPRequest::HTTP_POST,
                                   path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!body.empty()) {
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string ignored;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), ignored);
    return static_cast<int>(response.getStatus());
}

}  // namespace

TEST_CASE("a registry renders HELP, TYPE and samples in a stable order", "[metrics]") {
    PrometheusRegistry r;
    r.gauge("b_level", "A level").set(2.5);
    Counter& c = r.counter("a_things_total", "Things, by colour", {{"colour", "red"}});
    r.counter("a_things_total", "Things, by colour", {{"colour", "blue"}});
    c.inc(3);
    r.histogram("c_seconds", "Time", {0.5, 1}).observe(0.25);
    CHECK(r.render() ==
          "# HELP a_things_total Things, by colour\n"
          "# TYPE a_things_total counter\n"
          "a_things_total{colour=\"blue\"} 0\n"
          "a_things_total{colour=\"red\"} 3\n"
          "# HELP b_level A level\n"
          "# TYPE b_level gauge\n"
          "b_level 2.5\n"
          "# HELP c_seconds Time\n"
          "# TYPE c_seconds histogram\n"
          "c_seconds_bucket{le=\"0.5\"} 1\n"
          "c_seconds_bucket{le=\"1\"} 1\n"
          "c_seconds_bucket{le=\"+Inf\"} 1\n"
          "c_seconds_sum 0.25\n"
          "c_seconds_count 1\n");
    // The same series asked for again is the same object.
    CHECK(&r.counter("a_things_total", "Things, by colour", {{"colour", "red"}}) == &c);
}

TEST_CASE("label values and help text are escaped, and read back unchanged", "[metrics]") {
    PrometheusRegistry r;
    const std::string hostile = "back\\slash \"quoted\"\nnew line {x=\"y\"} # é";
    r.gauge("odd_values", "Help with a \\ and a\nline feed", {{"what", hostile}}).set(-1);
    const std::string text = r.render();
    CHECK(text.find("# HELP odd_values Help with a \\\\ and a\\nline feed\n") != std::string::npos);
    CHECK(text.find("odd_values{what=\"back\\\\slash \\\"quoted\\\"\\nnew line {x=\\\"y\\\"} # é\"} -1\n") !=
          std::string::npos);
    const auto parsed = parseExposition(text);
    CHECK(parsed.value("odd_values", {{"what", hostile}}) == -1);
}

TEST_CASE("histogram buckets are cumulative and end in +Inf, equal to _count", "[metrics]") {
    PrometheusRegistry r;
    Histogram& h = r.histogram("latency_seconds", "Latency", {0.001, 0.01, 0.1}, {{"call", "place"}});
    for (const double v : {0.0005, 0.001, 0.002, 0.05, 0.1, 7.0}) h.observe(v);
    h.observe(std::nan(""));  // not a measurement: ignored
    const auto e = parseExposition(r.render());
    auto bucket = [&](const std::string& le) {
        return e.value("latency_seconds_bucket", {{"call", "place"}, {"le", le}});
    };
    CHECK(bucket("0.001") == 2);  // le: a value on the bound counts in it
    CHECK(bucket("0.01") == 3);
    CHECK(bucket("0.1") == 5);
    CHECK(bucket("+Inf") == 6);
    CHECK(e.value("latency_seconds_count", {{"call", "place"}}) == 6);
    CHECK(e.value("latency_seconds_sum", {{"call", "place"}}) == Approx(7.1535));
}

TEST_CASE("numbers are printed the way Prometheus reads them", "[metrics]") {
    CHECK(formatValue(0) == "0");
    CHECK(formatValue(-0.0) == "0");
    CHECK(formatValue(42) == "42");
    CHECK(formatValue(1e15) == "1000000000000000");
    CHECK(formatValue(0.005) == "0.005");
    CHECK(formatValue(2.5e-05) == "0.000025");
    CHECK(formatValue(0.0001) == "0.0001");
    CHECK(formatValue(1e-9) == "1e-09");
    CHECK(formatValue(1.5e20) == "1.5e+20");
    CHECK(formatValue(-1234.5) == "-1234.5");
    CHECK(formatValue(1.0 / 0.0) == "+Inf");
    CHECK(formatValue(-1.0 / 0.0) == "-Inf");
    CHECK(formatValue(std::nan("")) == "NaN");
    CHECK(std::stod(formatValue(0.1 + 0.2)) == 0.1 + 0.2);
}

TEST_CASE("misuse is refused when the metric is declared, not at a scrape", "[metrics]") {
    PrometheusRegistry r;
    CHECK_THROWS_AS(r.counter("things", "no _total"), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("9lives", "bad name"), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("ok_name", "bad label", {{"bad-label", "x"}}), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("ok_name", "reserved label", {{"__name", "x"}}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h_seconds", "le is the histogram's", {1}, {{"le", "x"}}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h_seconds", "not ascending", {1, 1}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h_seconds", "empty", {}), std::invalid_argument);
    r.gauge("level", "A level", {{"venue", "bn"}});
    CHECK_THROWS_AS(r.gauge("level", "Another help", {{"venue", "bn"}}), std::logic_error);
    CHECK_THROWS_AS(r.gauge("level", "A level", {{"sink", "bn"}}), std::logic_error);
    CHECK_THROWS_AS(r.histogram("level", "A level", {1}, {{"venue", "bn"}}), std::logic_error);
    r.histogram("h_seconds", "Time", {1, 2});
    CHECK_THROWS_AS(r.histogram("h_seconds", "Time", {1, 3}), std::logic_error);
    CHECK(parseExposition(r.render()).types.size() == 2);
}

TEST_CASE("concurrent observers lose nothing, and a render meanwhile is always well formed", "[metrics]") {
    PrometheusRegistry r;
    Counter& c = r.counter("events_total", "Events");
    Gauge& g = r.gauge("level", "Level");
    Histogram& h = r.histogram("work_seconds", "Work", Histogram::fastSecondsBuckets());
    constexpr int kThreads = 8, kEach = 50'000;
    // Catch2's assertions are for the main thread: the reader keeps what went wrong.
    std::atomic<bool> done{false};
    std::string readerError;
    int renders = 0;
    std::thread reader([&] {
        do {
            try {
                const auto e = parseExposition(r.render());
                if (e.value("work_seconds_count") > double(kThreads) * kEach) throw std::runtime_error("too many");
                ++renders;
            } catch (const std::exception& ex) {
                readerError = ex.what();
                return;
            }
        } while (!done);
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                c.inc();
                g.add(t % 2 ? 1 : -1);
                h.observe(i % 2 ? 0.0001 : 1.0);
            }
        });
    for (auto& t : threads) t.join();
    done = true;
    reader.join();
    CHECK(readerError.empty());
    CHECK(renders > 0);
    const auto e = parseExposition(r.render());
    CHECK(e.value("events_total") == double(kThreads) * kEach);
    CHECK(e.value("level") == 0);
    CHECK(e.value("work_seconds_count") == double(kThreads) * kEach);
    CHECK(e.value("work_seconds_bucket", {{"le", "0.0001"}}) == double(kThreads) * kEach / 2);
    CHECK(e.value("work_seconds_sum") == Approx(double(kThreads) * kEach / 2 * 1.0001));
}

TEST_CASE("the host's series exist at 0 from the start, with bounded labels", "[metrics]") {
    HostMetrics m({"bn", "paper"}, {"tg"});
    const auto e = parseExposition(m.prometheusText());
    CHECK(e.value("tradehost_build_info", {{"version", TRADEHOST_VERSION}}) == 1);
    CHECK(e.value("tradehost_start_time_seconds") > 1.7e9);
    for (const char* o : {"accepted", "duplicate", "conflict", "bad_request", "unauthorized", "forbidden", "too_large",
                          "timeout", "over_capacity", "unavailable", "error"})
        CHECK(e.value("tradehost_signals_total", {{"outcome", o}}) == 0);
    for (const char* v : {"bn", "paper"}) {
        for (const char* call : {"place", "query", "cancel", "positions", "open_orders", "symbol_rules"})
            CHECK(e.value("tradehost_venue_call_seconds_count", {{"venue", v}, {"call", call}}) == 0);
        for (const auto& s : HostMetrics::legStates())
            CHECK(e.value("tradehost_legs", {{"venue", v}, {"state", s}}) == 0);
        for (const auto& o : HostMetrics::legOutcomes())
            CHECK(e.value("tradehost_leg_outcomes_total", {{"venue", v}, {"outcome", o}}) == 0);
        CHECK(e.value("tradehost_drift_positions", {{"venue", v}}) == 0);
        CHECK(e.value("tradehost_venue_reachable", {{"venue", v}}) == 0);
        CHECK(e.value("tradehost_reconcile_last_success_timestamp_seconds", {{"venue", v}}) == 0);
    }
    for (const char* o : {"sent", "retried", "failed"})
        CHECK(e.value("tradehost_alerts_total", {{"sink", "tg"}, {"outcome", o}}) == 0);
    CHECK(e.value("tradehost_alerts_suppressed_total", {{"reason", "deduplicated"}}) == 0);
    CHECK(e.value("tradehost_intake_ack_seconds_count") == 0);
    CHECK(e.value("tradehost_journal_fdatasync_seconds_count") == 0);
    CHECK(e.value("tradehost_journal_group_commit_records_count") == 0);
    // Counters end in _total; every family has a help text; no label is named `instance`.
    for (const auto& [name, type] : e.types) {
        CHECK(name.rfind("tradehost_", 0) == 0);
        CHECK(!e.helps.at(name).empty());
        if (type == "counter") CHECK(name.size() > 6);
        if (type == "counter") CHECK(name.substr(name.size() - 6) == "_total");
    }
    for (const auto& s : e.samples) CHECK(s.labels.count("instance") == 0);
    // Handles for names the deployment lacks count nothing.
    CHECK(m.venueCalls("nope").of(VenueCall::Place) == nullptr);
    CHECK(m.reconciler("nope").driftPositions == nullptr);
    CHECK(m.alertDelivery("nope").sent == nullptr);
}

TEST_CASE("the host's collectors: legs from the gate, the plugins' own metrics, leg outcomes", "[metrics]") {
    HostMetrics m({"bn"}, {"tg"});
    auto gate = makeMemoryGate();
    gate->admit({admission(signalOf("s1"), 1), admission(signalOf("s2"), 2)}, "local", 0, 1000);
    gate->admit({admission(signalOf("other-owner"), 3)}, "elsewhere", 0, 1000);
    m.watchLegs(*gate, "local");
    MetricsRegistry plugins;
    plugins.set("bn.used_weight_1m", 1200);
    plugins.set("bn.order_count_10s", 7);
    plugins.set("bn.order_count_1m", 40);
    plugins.add("tg.messages_sent", 3);
    plugins.add("tg.used_weight_1m", 5);  // a sink's metric is never a venue's rate limit
    m.watchPluginMetrics(plugins);
    m.legOutcome("bn", "filled");
    m.legOutcome("bn", "filled");
    m.legOutcome("bn", "blocked");
    m.legOutcome("gone", "filled");  // a venue the deployment no longer has: not a new series
    m.legOutcome("bn", "made_up");

    auto e = parseExposition(m.prometheusText());
    CHECK(e.value("tradehost_legs", {{"venue", "bn"}, {"state", "pending"}}) == 2);
    CHECK(e.value("tradehost_legs", {{"venue", "bn"}, {"state", "working"}}) == 0);
    CHECK(e.value("tradehost_venue_used_weight", {{"venue", "bn"}}) == 1200);
    CHECK(e.value("tradehost_venue_window_orders", {{"venue", "bn"}, {"window", "10s"}}) == 7);
    CHECK(e.value("tradehost_venue_window_orders", {{"venue", "bn"}, {"window", "1m"}}) == 40);
    CHECK(!e.has("tradehost_venue_used_weight", {{"venue", "tg"}}));
    CHECK(e.value("tradehost_plugin_metric", {{"plugin_instance", "tg"}, {"metric", "messages_sent"}}) == 3);
    CHECK(e.value("tradehost_leg_outcomes_total", {{"venue", "bn"}, {"outcome", "filled"}}) == 2);
    CHECK(e.value("tradehost_leg_outcomes_total", {{"venue", "bn"}, {"outcome", "blocked"}}) == 1);
    CHECK(!e.has("tradehost_leg_outcomes_total", {{"venue", "gone"}, {"outcome", "filled"}}));

    // The gauges follow the gate at each scrape.
    const auto leg = gate->leg({"s1", 0});
    REQUIRE(leg);
    LegChange c{*leg, *leg, {}};
    c.after.state = LegState::Working;
    gate->apply({c}, 2000);
    plugins.set("bn.used_weight_1m", 30);
    e = parseExposition(m.prometheusText());
    CHECK(e.value("tradehost_legs", {{"venue", "bn"}, {"state", "pending"}}) == 1);
    CHECK(e.value("tradehost_legs", {{"venue", "bn"}, {"state", "working"}}) == 1);
    CHECK(e.value("tradehost_venue_used_weight", {{"venue", "bn"}}) == 30);
}

TEST_CASE("the journal counts each fdatasync and the records it made durable", "[metrics]") {
    TempDir dir;
    HostMetrics m({}, {});
    auto journal = Journal::open({dir.file("journal")});
    journal->setMetrics(m.journal());
    journal->appendAll({"{\"a\":1}", "{\"a\":2}", "{\"a\":3}"});
    journal->append("{\"a\":4}");
    const auto e = parseExposition(m.prometheusText());
    CHECK(e.value("tradehost_journal_fdatasync_seconds_count") == 2);
    CHECK(e.value("tradehost_journal_group_commit_records_count") == 2);
    CHECK(e.value("tradehost_journal_group_commit_records_sum") == 4);
    CHECK(e.value("tradehost_journal_group_commit_records_bucket", {{"le", "1"}}) == 1);
    CHECK(e.value("tradehost_journal_group_commit_records_bucket", {{"le", "4"}}) == 2);
}

TEST_CASE("every call into a venue plugin is timed, per call", "[metrics]") {
    TempDir dir;
    HostMetrics m({"bn"}, {});
    MetricsRegistry registry;
    LoadedPlugin plugin;
    plugin.typeName = "quiet";
    createInstanceDataDir(dir.path() / "bn");
    VenueInstance venue(plugin,
                        std::make_unique<InstanceContext>("bn", "venue.bn", SystemClock::instance(), registry,
                                                          (dir.path() / "bn").string()),
                        std::make_unique<QuietVenue>());
    venue.setMetrics(m.venueCalls("bn"));
    venue.positions();  // not running: refused without reaching the plugin, not timed
    venue.start();
    venue.placeOrder(OrderIntent{});
    venue.queryOrder("x", "BTCUSDT");
    venue.queryOrder("y", "BTCUSDT");
    venue.positions();
    venue.openOrders();
    venue.symbolRules("BTCUSDT");
    venue.stop();
    const auto e = parseExposition(m.prometheusText());
    CHECK(e.value("tradehost_venue_call_seconds_count", {{"venue", "bn"}, {"call", "place"}}) == 1);
    CHECK(e.value("tradehost_venue_call_seconds_count", {{"venue", "bn"}, {"call", "query"}}) == 2);
    CHECK(e.value("tradehost_venue_call_seconds_count", {{"venue", "bn"}, {"call", "cancel"}}) == 0);
    CHECK(e.value("tradehost_venue_call_seconds_count", {{"venue", "bn"}, {"call", "positions"}}) == 1);
    CHECK(e.value("tradehost_venue_call_seconds_count", {{"venue", "bn"}, {"call", "open_orders"}}) == 1);
    CHECK(e.value("tradehost_venue_call_seconds_count", {{"venue", "bn"}, {"call", "symbol_rules"}}) == 1);
}

TEST_CASE("the alert policy counts what it holds back and what it mutes", "[metrics]") {
    HostMetrics m({"bn"}, {"tg"});
    AlertPolicy policy;
    policy.setMetrics(m.alertPolicy());
    RaisedAlert a{"trade_failed", "bn", "BTCUSDT", Severity::Warning, "failed", "text", {}, false, true};
    CHECK(policy.raise(a, 1000).verdict == AlertPolicy::Verdict::Send);
    CHECK(policy.raise(a, 2000).verdict == AlertPolicy::Verdict::Suppress);
    CHECK(policy.raise(a, 3000).verdict == AlertPolicy::Verdict::Suppress);
    policy.setUnreachable("bn", true);
    CHECK(policy.raise(a, 4000).verdict == AlertPolicy::Verdict::Mute);
    const auto e = parseExposition(m.prometheusText());
    CHECK(e.value("tradehost_alerts_suppressed_total", {{"reason", "deduplicated"}}) == 2);
    CHECK(e.value("tradehost_alerts_suppressed_total", {{"reason", "inhibited"}}) == 1);
}

TEST_CASE("the webhook counts each answer by outcome and times journaled ones", "[metrics]") {
    TempDir dir;
    HostMetrics m({"bn"}, {});
    auto journal = Journal::open({dir.file("journal")});
    journal->setMetrics(m.journal());
    auto gate = makeMemoryGate();
    IntakeOptions o;
    o.listen = "127.0.0.1:0";
    o.secret = "metrics-test-secret";
    o.venues = {"bn"};
    o.defaultVenue = "bn";
    WebhookServer server(
        o, journal.get(), gate.get(), nullptr, [] { return std::int64_t(1'000'000); }, m.intake());
    server.start();
    server.setReady(true);
    const std::string signal =
        R"({"secret":"metrics-test-secret","signal_id":"m1","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"})";
    CHECK(post(server.port(), "/webhook", signal) == 202);
    CHECK(post(server.port(), "/webhook", signal) == 200);
    std::string other = signal;
    other.replace(other.find("0.002"), 5, "0.003");
    CHECK(post(server.port(), "/webhook", other) == 422);
    std::string wrong = signal;
    wrong.replace(wrong.find("metrics-test-secret"), 19, "not-the-secret-at-al");
    CHECK(post(server.port(), "/webhook", wrong) == 401);
    CHECK(post(server.port(), "/webhook", "{\"secret\":\"metrics-test-secret\",\"signal_id\":\"m2\"}") == 400);
    CHECK(post(server.port(), "/healthz", "") == 200);  // probes are not signals
    CHECK(post(server.port(), "/readyz", "") == 200);
    server.stop();
    const auto e = parseExposition(m.prometheusText());
    CHECK(e.value("tradehost_signals_total", {{"outcome", "accepted"}}) == 1);
    CHECK(e.value("tradehost_signals_total", {{"outcome", "duplicate"}}) == 1);
    CHECK(e.value("tradehost_signals_total", {{"outcome", "conflict"}}) == 1);
    CHECK(e.value("tradehost_signals_total", {{"outcome", "unauthorized"}}) == 1);
    CHECK(e.value("tradehost_signals_total", {{"outcome", "bad_request"}}) == 1);
    double total = 0;
    for (const auto& s : e.samples)
        if (s.name == "tradehost_signals_total") total += s.value;
    CHECK(total == 5);
    // The accepted signal and the journaled conflict went through the journal; they are timed.
    CHECK(e.value("tradehost_intake_ack_seconds_count") == 2);
    CHECK(e.value("tradehost_journal_group_commit_records_sum") == 2);
}

TEST_CASE("a whole host counts what its signals did: intake, journal, venue calls, legs, reconciler, alerts",
          "[metrics][host]") {
    TempDir dir;
    Environment env;
    ConfigErrors errors;
    MetricsRegistry plugins;
    PluginRegistry registry{{TRADEHOST_PLUGIN_DIR}};
    const std::string yaml =
        "storage: {dir: \"" + dir.file("var") +
        "\"}\n"
        "venues:\n  - name: paper\n    type: paper\n    settings: {prices: {BTCUSDT: '65000', ETHUSDT: '3200'}}\n"
        "    risk: {symbols: [BTCUSDT]}\n"
        "alerts:\n  - {name: local, type: file_alerts, settings: {path: \"" +
        dir.file("alerts.jsonl") + "\"}}\n";
    const Deployment deployment = parseDeployment(yaml, "metrics.yaml", env, errors);
    InstanceSet instances = buildInstances(deployment, registry, env, plugins, errors);
    REQUIRE(errors.toString().empty());
    HostSettings settings;
    settings.file = "metrics.yaml";
    settings.storageDir = dir.path() / "var";
    settings.intake.listen = "127.0.0.1:0";
    settings.intake.secret = "metrics-host-secret";
    settings.intake.venues = {"paper"};
    settings.intake.defaultVenue = "paper";
    settings.pipeline.defaultVenue = "paper";
    settings.alertRoutes = {{"local", {Severity::Info, Severity::Warning, Severity::Critical}}};
    settings.reconcileIntervalMs = 200;
    host::Host host(std::move(settings), std::move(instances), SystemClock::instance());
    host.open();
    host.start();
    const unsigned short port = host.webhook().port();
    const std::string signal = R"({"secret":"metrics-host-secret","signal_id":"h1","symbol":"BTCUSDT","side":"buy",)"
                               R"("type":"market","quantity":"0.002"})";
    CHECK(post(port, "/webhook", signal) == 202);
    CHECK(post(port, "/webhook", signal) == 200);
    // Outside the venue's risk symbols: blocked, never sent, and alerted.
    CHECK(post(port, "/webhook",
               R"({"secret":"metrics-host-secret","signal_id":"h2","symbol":"ETHUSDT","side":"buy",)"
               R"("type":"market","quantity":"0.1"})") == 202);
    const auto e = waitForMetrics(host.metrics(), [](const tradehost::test::Exposition& x) {
        return x.value("tradehost_leg_outcomes_total", {{"venue", "paper"}, {"outcome", "filled"}}) >= 1 &&
               x.value("tradehost_leg_outcomes_total", {{"venue", "paper"}, {"outcome", "blocked"}}) >= 1 &&
               x.value("tradehost_alerts_total", {{"sink", "local"}, {"outcome", "sent"}}) >= 1;
    });
    // metrics.promtool lints this text too: what a real host serves.
    if (const char* out = std::getenv("TRADEHOST_METRICS_OUT")) std::ofstream(out) << host.metrics().prometheusText();
    host.stop();
    CHECK(e.value("tradehost_signals_total", {{"outcome", "accepted"}}) == 2);
    CHECK(e.value("tradehost_signals_total", {{"outcome", "duplicate"}}) == 1);
    CHECK(e.value("tradehost_intake_ack_seconds_count") == 2);
    CHECK(e.value("tradehost_journal_fdatasync_seconds_count") >= 2);
    CHECK(e.value("tradehost_venue_call_seconds_count", {{"venue", "paper"}, {"call", "place"}}) == 1);
    CHECK(e.value("tradehost_venue_call_seconds_count", {{"venue", "paper"}, {"call", "positions"}}) >= 1);
    CHECK(e.value("tradehost_leg_outcomes_total", {{"venue", "paper"}, {"outcome", "filled"}}) == 1);
    CHECK(e.value("tradehost_leg_outcomes_total", {{"venue", "paper"}, {"outcome", "blocked"}}) == 1);
    CHECK(e.value("tradehost_legs", {{"venue", "paper"}, {"state", "pending"}}) == 0);
    CHECK(e.value("tradehost_venue_reachable", {{"venue", "paper"}}) == 1);
    CHECK(e.value("tradehost_reconcile_last_success_timestamp_seconds", {{"venue", "paper"}}) > 1.7e9);
    CHECK(e.value("tradehost_drift_positions", {{"venue", "paper"}}) == 0);
    CHECK(e.value("tradehost_alerts_total", {{"sink", "local"}, {"outcome", "sent"}}) >= 1);
    CHECK(e.value("tradehost_alerts_total", {{"sink", "local"}, {"outcome", "failed"}}) == 0);
    CHECK(e.value("tradehost_plugin_metric", {{"plugin_instance", "paper"}, {"metric", "orders_accepted"}}) == 1);
}
