// The admin API's order ticket, retry-resolution and cancel-order over real HTTP on loopback: the
// routes' checks against a gate in memory, and the ticket end to end through a whole host (intake,
// journal, gate, paper venue), where a resend is a duplicate and never a second order.
#include "admin/admin_actions.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "admin/admin_server.h"
#include "app/host.h"
#include "config/deployment.h"
#include "exposition_parser.h"
#include "gate/gate.h"
#include "intake/signal/signal_parser.h"
#include "intake/webhook_server.h"
#include "journal/journal.h"
#include "log/metrics_registry.h"
#include "pipeline/journal_record.h"
#include "plugins/instance_set.h"
#include "temp_dir.h"

using namespace tradehost;
using namespace tradehost::host;
using tradehost::test::TempDir;

namespace {

const std::string kOperator = "operator-token-0123456789abcdef";
const std::string kViewer = "viewer-token-0123456789abcdef";

struct Answer {
    int status = 0;
    std::string body;
    Poco::JSON::Object::Ptr json() const {
        Poco::JSON::Parser parser;
        return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    }
    std::string field(const std::string& key) const {
        const auto o = json();
        return o->has(key) ? o->getValue<std::string>(key) : "";
    }
};

Answer call(std::uint16_t port, const std::string& token, const std::string& path, const std::string& body) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + token);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    Answer a;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), a.body);
    a.status = static_cast<int>(response.getStatus());
    return a;
}

// A ticket's body, with `extra` members (already JSON) appended.
std::string ticket(const std::string& id, const std::string& venue, const std::string& quantity,
                   const std::string& extra = "") {
    return R"({"signal_id":")" + id + R"(","venue":")" + venue +
           R"(","symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":")" + quantity +
           R"(","why":"manual hedge")" + extra + "}";
}

// The admin routes on their own: a gate in memory, intake replaced by a recorder that accepts.
struct Admin {
    std::unique_ptr<Gate> gate = makeMemoryGate();
    std::mutex mutex;
    std::vector<std::pair<std::string, SignalOrigin>> submitted;
    std::vector<std::pair<LegRecord, Actor>> resolveAsked;
    OperatorActions actions{*gate, *gate, *gate, "local", 15, [this](const LegRecord& leg, const Actor& by) {
                                std::lock_guard<std::mutex> lock(mutex);
                                resolveAsked.emplace_back(leg, by);
                                return true;
                            }};
    AdminAuth auth{authOptions()};
    AdminServer server{serverOptions(), auth, routes(), SystemClock::instance()};
    Admin() { server.start(); }

    static AdminAuthOptions authOptions() {
        AdminAuthOptions o;
        o.operatorToken = kOperator;
        o.viewerToken = kViewer;
        return o;
    }
    static AdminServerOptions serverOptions() {
        AdminServerOptions o;
        o.listen = "127.0.0.1:0";
        return o;
    }

    std::vector<AdminRoute> routes() {
        AdminActionSources s{actions, {"bn", "paper"}};
        s.venueTypes = {{"bn", "binance_futures"}, {"paper", "paper"}};
        s.submitSignal = [this](std::string signal, SignalOrigin origin) {
            std::promise<IntakeAnswer> answer;
            const std::string id = std::get<Parsed>(parseSignal(signal)).signal.signalId;
            {
                std::lock_guard<std::mutex> lock(mutex);
                submitted.emplace_back(std::move(signal), std::move(origin));
            }
            answer.set_value({202, R"({"status":"accepted","signal_id":")" + id + R"(","journal_seq":7})", false, 0});
            return answer.get_future();
        };
        return adminActionRoutes(std::move(s), SystemClock::instance());
    }
    Answer post(const std::string& path, const std::string& body, const std::string& token = kOperator) {
        return call(server.port(), token, path, body);
    }

    // A leg of signal `id` on venue bn, put in `state`; returns its client order id.
    std::string leg(const std::string& id, LegState state) {
        auto parsed = parseSignal(R"({"signal_id":")" + id +
                                  R"(","venue":"bn","symbol":"BTCUSDT","side":"buy","type":"limit",)"
                                  R"("price":"60000","quantity":"0.002"})");
        AdmissionRequest r;
        r.journalSeq = ++seq_;
        r.receivedMs = 1000;
        r.signal = std::get<Parsed>(parsed).signal;
        r.legs.push_back({id + ":bn:0:0", ""});
        const LegRecord admitted = gate->admit({r}, "local", 0, 1000).front().legs.front();
        LegChange c{admitted, admitted, {}};
        c.after.state = state;
        if (state == LegState::Unknown) c.after.unknownSinceMs = 1000;
        REQUIRE(gate->apply(c, 1000) == ChangeResult::Applied);
        return admitted.clientOrderId;
    }

private:
    std::uint64_t seq_ = 0;
};

}  // namespace

TEST_CASE("each new action refuses a viewer and needs a why", "[admin][actions]") {
    Admin a;
    const std::string open = a.leg("w1", LegState::Working);
    const std::map<std::string, std::string> bodies = {
        {"/api/actions/order", ticket("t-viewer", "paper", "0.002")},
        {"/api/actions/retry-resolution", R"({"client_order_id":")" + open + R"(","why":"x"})"},
        {"/api/actions/cancel-order", R"({"client_order_id":")" + open + R"(","why":"x"})"}};
    for (const auto& [path, body] : bodies) {
        INFO(path);
        CHECK(a.post(path, body, kViewer).status == 403);
        CHECK(a.post(path, R"({"client_order_id":")" + open + R"("})").status == 400);  // no why
    }
    CHECK(a.submitted.empty());
    CHECK(a.resolveAsked.empty());
    CHECK(a.gate->openCancelRequests("bn").empty());
}

TEST_CASE("an order ticket names the wrong field with 400, before anything reaches intake", "[admin][actions]") {
    Admin a;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"venue":"paper","symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"1","why":"x"})", "signal_id"},
        {ticket(std::string(129, 'x'), "paper", "0.002"), "signal_id"},
        {ticket("t1", "paper", "0"), "quantity"},
        {ticket("t1", "paper", "1e-3"), "quantity"},
        {ticket("t1", "paper", "abc"), "quantity"},
        {R"({"signal_id":"t1","venue":"paper","symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":0.1,)"
         R"("why":"x"})",
         "quantity"},  // a JSON number would go through a double: a decimal string is required
        {R"({"signal_id":"t1","venue":"paper","symbol":"BTCUSDT","side":"LONG","type":"MARKET","quantity":"1",)"
         R"("why":"x"})",
         "side"},
        {ticket("t1", "paper", "0.002", R"(,"price":"65000")"), "price"},  // a market order has none
        {R"({"signal_id":"t1","venue":"paper","symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":"1",)"
         R"("why":"x"})",
         "price"},
        {ticket("t1", "paper", "0.002", R"(,"quantiy":"1")"), "quantiy"},
        {ticket("t1", "paper", "0.002", R"(,"reduce_only":"maybe")"), "reduce_only"},
        {ticket("t1", "nope", "0.002"), "venue"},
    };
    for (const auto& [body, field] : cases) {
        INFO(body);
        const Answer r = a.post("/api/actions/order", body);
        CHECK(r.status == 400);
        CHECK(r.field("field") == field);
        CHECK_FALSE(r.field("error").empty());
    }
    CHECK(a.submitted.empty());
}

TEST_CASE("a ticket for a live venue must be confirmed by typing its name; paper needs no confirmation",
          "[admin][actions]") {
    Admin a;
    for (const std::string& confirm :
         {std::string(), std::string(R"(,"confirm":"paper")"), std::string(R"(,"confirm":"BN")")}) {
        INFO(confirm);
        const Answer r = a.post("/api/actions/order", ticket("t-live", "bn", "0.002", confirm));
        CHECK(r.status == 400);
        CHECK(r.field("field") == "confirm");
        CHECK(r.field("error") == "type the venue's name (bn) to confirm an order on a live venue");
    }
    CHECK(a.submitted.empty());

    const Answer live = a.post("/api/actions/order", ticket("t-live", "bn", "0.002", R"(,"confirm":"bn")"));
    CHECK(live.status == 202);
    CHECK(live.field("outcome") == "accepted");
    CHECK(live.field("signal_id") == "t-live");
    CHECK(live.json()->getValue<int>("journal_seq") == 7);
    const Answer paper = a.post("/api/actions/order", ticket("t-paper", "paper", "0.002"));
    CHECK(paper.status == 202);

    // What intake was handed: the webhook's own shape, without why or confirm, and who and why
    // beside it.
    REQUIRE(a.submitted.size() == 2);
    const auto& [signal, origin] = a.submitted.front();
    const auto parsed = parseSignal(signal);
    REQUIRE(std::holds_alternative<Parsed>(parsed));
    const Signal& s = std::get<Parsed>(parsed).signal;
    CHECK(s.signalId == "t-live");
    REQUIRE(s.legs.size() == 1);
    CHECK(s.legs[0].venue == "bn");
    CHECK(s.legs[0].quantity.toString() == "0.002");
    CHECK(signal.find("confirm") == std::string::npos);
    CHECK(signal.find("why") == std::string::npos);
    CHECK(origin.source == "admin");
    CHECK(origin.by.find("operator") != std::string::npos);
    CHECK(origin.why == "manual hedge");
}

TEST_CASE("retry-resolution asks the resolver only for this host's UNKNOWN legs", "[admin][actions]") {
    Admin a;
    const std::string unknown = a.leg("u1", LegState::Unknown);
    const std::string working = a.leg("w1", LegState::Working);
    const auto retry = [&](const std::string& id) {
        return a.post("/api/actions/retry-resolution", R"({"client_order_id":")" + id + R"(","why":"venue is back"})");
    };
    const Answer notUnknown = retry(working);
    CHECK(notUnknown.status == 409);
    CHECK(notUnknown.field("outcome") == "refused");
    CHECK(notUnknown.field("message").find("WORKING, not UNKNOWN") != std::string::npos);
    CHECK(retry("nobody:bn:0:0").status == 404);
    CHECK(a.post("/api/actions/retry-resolution", R"({"why":"x"})").status == 400);
    CHECK(a.resolveAsked.empty());

    const Answer asked = retry(unknown);
    CHECK(asked.status == 200);
    CHECK(asked.field("outcome") == "done");
    REQUIRE(a.resolveAsked.size() == 1);
    CHECK(a.resolveAsked[0].first.clientOrderId == unknown);
    CHECK(a.resolveAsked[0].second.why == "venue is back");
    CHECK(a.resolveAsked[0].second.who.find("operator") != std::string::npos);

    // Another host's leg is not ours to query (a gate shared by several hosts, later).
    OperatorActions other(*a.gate, *a.gate, *a.gate, "other-host", 15,
                          [](const LegRecord&, const Actor&) { return true; });
    const ActionResult foreign = other.retryResolution(unknown, {"test", "x"});
    CHECK(foreign.code == ActionResult::Code::Refused);
    CHECK(foreign.message.find("worked by host 'local'") != std::string::npos);
    // Without a running host (the command line) nothing can query it.
    OperatorActions offline(*a.gate, *a.gate, *a.gate, "local", 15);
    CHECK(offline.retryResolution(unknown, {"test", "x"}).code == ActionResult::Code::Refused);
}

TEST_CASE("cancel-order requests the cancel of a WORKING order once, and refuses any other leg", "[admin][actions]") {
    Admin a;
    const std::string working = a.leg("w1", LegState::Working);
    const std::string unknown = a.leg("u1", LegState::Unknown);
    const auto cancel = [&](const std::string& id) {
        return a.post("/api/actions/cancel-order", R"({"client_order_id":")" + id + R"(","why":"price moved"})");
    };
    const Answer refused = cancel(unknown);
    CHECK(refused.status == 409);
    CHECK(refused.field("message").find("UNKNOWN, not WORKING") != std::string::npos);
    CHECK(cancel("nobody:bn:0:0").status == 404);
    CHECK(a.gate->openCancelRequests("bn").empty());

    const Answer done = cancel(working);
    CHECK(done.status == 200);
    CHECK(done.field("outcome") == "done");
    const auto requests = a.gate->openCancelRequests("bn");
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].leg == LegKey{"w1", 0});
    CHECK(requests[0].by.why == "price moved");
    CHECK(requests[0].by.who.find("operator") != std::string::npos);
    // A second click while the first request is open records nothing more.
    const Answer again = cancel(working);
    CHECK(again.status == 200);
    CHECK(again.field("outcome") == "unchanged");
    CHECK(a.gate->openCancelRequests("bn").size() == 1);
}

TEST_CASE("the way in: a submitted signal is journaled by the webhook's loop before 202, and refused once it stops",
          "[admin][actions][intake]") {
    TempDir dir;
    auto journal = Journal::open({dir.file("journal")});
    auto gate = makeMemoryGate();
    IntakeOptions o;
    o.listen = "127.0.0.1:0";
    o.venues = {"paper"};  // no authentication method: a webhook would get 401
    WebhookServer server(o, journal.get(), gate.get(), nullptr, [] { return SystemClock::instance().nowMs(); });
    server.start();
    server.setReady(true);
    const std::string signal =
        R"({"signal_id":"w-1","venue":"paper","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"})";
    const SignalOrigin origin{"admin", "admin bearer (operator) from 127.0.0.1", "manual hedge"};
    auto first = server.submit(signal, origin);
    REQUIRE(first.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    const IntakeAnswer accepted = first.get();
    CHECK(accepted.status == 202);
    // Durable when answered: the record is in the journal, the origin beside the signal.
    REQUIRE(journal->lastSequence() == 1);
    std::string record;
    journal->readAfter(0, [&](std::uint64_t, const std::string& payload) { record = payload; });
    const auto decoded = decodeSignalRecord(record);
    REQUIRE(decoded);
    REQUIRE(decoded->origin);
    CHECK(decoded->origin->by == origin.by);
    CHECK(decoded->origin->why == "manual hedge");
    CHECK(decoded->canonical.find("manual hedge") == std::string::npos);  // not part of the payload

    // Again, even with another why: the same order, a duplicate, nothing journaled.
    auto again = server.submit(signal, {"admin", "someone else", "clicked twice"});
    REQUIRE(again.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    CHECK(again.get().status == 200);
    CHECK(journal->lastSequence() == 1);

    server.stop();
    auto late = server.submit(signal, origin);
    REQUIRE(late.wait_for(std::chrono::seconds(1)) == std::future_status::ready);
    CHECK(late.get().status == 503);
    CHECK(journal->lastSequence() == 1);
}

namespace {

// The events of the host's log (one JSON object a line) named `event`, for `signalId`.
std::vector<Poco::JSON::Object::Ptr> eventsOf(const std::filesystem::path& file, const std::string& event,
                                              const std::string& signalId) {
    std::vector<Poco::JSON::Object::Ptr> out;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        Poco::JSON::Parser parser;
        const auto o = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
        if (o->getValue<std::string>("event") == event && o->has("signal_id") &&
            o->getValue<std::string>("signal_id") == signalId)
            out.push_back(o);
    }
    return out;
}

// Polls until `done` holds (the pipeline runs on its own threads), 10 s at most.
bool waitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 200; ++i) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
}

}  // namespace

TEST_CASE("a whole host: a ticket is journaled like a webhook, fills at the paper venue once, and says who and why",
          "[admin][actions][host]") {
    TempDir dir;
    Environment env;
    ConfigErrors errors;
    MetricsRegistry plugins;
    PluginRegistry registry{{TRADEHOST_PLUGIN_DIR}};
    const std::string yaml = "storage: {dir: \"" + dir.file("var") +
                             "\"}\n"
                             "venues:\n  - {name: paper, type: paper, settings: {prices: {BTCUSDT: '65000'}}}\n";
    const Deployment deployment = parseDeployment(yaml, "actions.yaml", env, errors);
    InstanceSet instances = buildInstances(deployment, registry, env, plugins, errors);
    REQUIRE(errors.toString().empty());
    HostSettings settings;
    settings.file = "actions.yaml";
    settings.storageDir = dir.path() / "var";
    settings.intake.listen = "127.0.0.1:0";
    settings.intake.secret = "actions-host-secret";
    settings.intake.venues = {"paper"};
    AdminSettings admin;
    admin.listen = "127.0.0.1:0";
    admin.token = kOperator;
    admin.viewerToken = kViewer;
    settings.admin = admin;
    host::Host host(std::move(settings), std::move(instances), SystemClock::instance());
    host.open();
    host.start();
    const auto post = [&](const std::string& path, const std::string& body) {
        return call(host.adminPort(), kOperator, path, body);
    };
    const auto events = [&](const std::string& event) { return eventsOf(host.eventsFile(), event, "ticket-1"); };
    // What the paper venue itself counts, whatever the host recorded.
    const auto ordersAtVenue = [&] {
        return tradehost::test::parseExposition(host.metrics().prometheusText())
            .value("tradehost_plugin_metric", {{"plugin_instance", "paper"}, {"metric", "orders_accepted"}});
    };

    const Answer accepted = post("/api/actions/order", ticket("ticket-1", "paper", "0.002"));
    REQUIRE(accepted.status == 202);
    CHECK(accepted.field("outcome") == "accepted");
    CHECK(accepted.field("signal_id") == "ticket-1");
    // 202 means journaled: the record is there, with who and why beside the signal.
    CHECK(host.journal().lastSequence() >= 1);
    REQUIRE(waitFor([&] { return !events("order_fill").empty(); }));
    const auto fill = events("order_fill").front();
    CHECK(fill->getValue<std::string>("client_order_id") == "ticket-1:paper:0:0");
    CHECK(fill->getObject("data")->getValue<std::string>("filled") == "0.002");
    CHECK(ordersAtVenue() == 1);

    // A double click, a resend: the same ticket is a duplicate; another payload under its id is refused.
    const Answer again = post("/api/actions/order", ticket("ticket-1", "paper", "0.002"));
    CHECK(again.status == 200);
    CHECK(again.field("outcome") == "duplicate");
    const Answer other = post("/api/actions/order", ticket("ticket-1", "paper", "0.003"));
    CHECK(other.status == 422);
    CHECK(other.field("outcome") == "conflict");
    CHECK(other.field("field") == "signal_id");
    REQUIRE(waitFor([&] { return !events("signal_rejected").empty(); }));

    // The filled leg is neither UNKNOWN nor WORKING.
    const std::string leg = R"({"client_order_id":"ticket-1:paper:0:0","why":"check"})";
    CHECK(post("/api/actions/retry-resolution", leg).status == 409);
    CHECK(post("/api/actions/cancel-order", leg).status == 409);
    host.stop();

    // Exactly one order for the ticket, and its signal_received says who sent it and why.
    CHECK(events("order_submitted").size() == 1);
    CHECK(events("order_fill").size() == 1);
    CHECK(ordersAtVenue() == 1);
    const auto received = events("signal_received");
    REQUIRE(received.size() == 1);
    const auto data = received.front()->getObject("data");
    CHECK(data->getValue<std::string>("source") == "admin");
    CHECK(data->getValue<std::string>("by").find("operator") != std::string::npos);
    CHECK(data->getValue<std::string>("why") == "manual hedge");
}
