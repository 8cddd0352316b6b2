// The admin listener as a browser and a script meet it, over real HTTP on loopback: every route
// refuses a stranger, every action refuses a viewer, sessions need the CSRF token, actions are
// recorded with who and why, and every answer carries the security headers.
#include "admin/admin_api.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>

#include "admin/admin_actions.h"
#include "admin/admin_server.h"
#include "gate/gate.h"
#include "plugins/instance_context.h"
#include "readmodel/live_feed.h"
#include "readmodel/read_model.h"
#include "temp_dir.h"

using namespace tradehost;
using namespace tradehost::host;

namespace {

const std::string kOperator = "operator-token-0123456789abcdef";
const std::string kViewer = "viewer-token-0123456789abcdef";

struct Answer {
    int status = 0;
    std::string body;
    std::multimap<std::string, std::string> headers;
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
    Poco::JSON::Object::Ptr json() const {
        Poco::JSON::Parser parser;
        return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    }
};

AdminServerOptions loopback() {
    AdminServerOptions o;
    o.listen = "127.0.0.1:0";
    return o;
}

struct Admin {
    test::TempDir dir;
    LiveFeed feed;
    ReadModel readModel{dir.file("readmodel.sqlite"), &feed};
    std::unique_ptr<Gate> gate = makeMemoryGate();
    OperatorActions actions{*gate, *gate, *gate, "local", 15};
    AdminAuth auth{{kOperator, kViewer}};
    AdminServer server{loopback(), auth, routes(), SystemClock::instance()};
    Admin() { server.start(); }

    std::vector<AdminRoute> routes() {
        auto all = adminApiRoutes(
            {*gate,
             *gate,
             *gate,
             "local",
             {"bn"},
             [] { return true; },
             [] { return std::string("# HELP tradehost_up 1\n"); },
             "test",
             0,
             &readModel,
             &feed,
             gate.get(),
             dir.file("alerts-fallback.jsonl"),
             [] {
                 return std::vector<InstanceView>{{"bn", "venue", "binance_futures", "1.0", "running", true, {}}};
             },
             [] { return std::string("venues: []\n"); },
             [] { return std::make_pair(std::uint64_t{3}, std::uint64_t{3}); }},
            SystemClock::instance());
        for (auto& r : adminActionRoutes({actions, {"bn"}}, SystemClock::instance())) all.push_back(std::move(r));
        return all;
    }

    Answer call(const std::string& method, const std::string& path, const std::string& body = "",
                const std::map<std::string, std::string>& headers = {}) {
        Poco::Net::HTTPClientSession session("127.0.0.1", server.port());
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        for (const auto& [k, v] : headers) request.set(k, v);
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        if (!body.empty()) request.setContentType("application/json");
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        Answer a;
        std::istream& in = session.receiveResponse(response);
        // The live stream never ends by itself: its head is all a caller here wants.
        if (response.getContentType() != "text/event-stream") Poco::StreamCopier::copyToString(in, a.body);
        a.status = static_cast<int>(response.getStatus());
        for (const auto& [k, v] : response) a.headers.emplace(k, v);
        return a;
    }
    Answer bearer(const std::string& token, const std::string& method, const std::string& path,
                  const std::string& body = "") {
        return call(method, path, body, {{"Authorization", "Bearer " + token}});
    }
};

}  // namespace

TEST_CASE("every route refuses a stranger; every action refuses a viewer; the operator reaches them all") {
    Admin a;
    int checked = 0;
    for (const auto& route : a.server.routes()) {
        INFO(route.method << " " << route.path);
        const std::string body =
            route.method == "POST" ? R"({"why":"access test","venue":"bn","symbol":"BTCUSDT"})" : "";
        const Answer stranger = a.call(route.method, route.path, body);
        if (route.access == AdminAccess::Public) {  // answered on its own terms, not by the gate
            CHECK(stranger.body.find("log in first") == std::string::npos);
            continue;
        }
        ++checked;
        const int refused = route.path == "/" ? 303 : 401;  // the page sends a browser to the login form
        CHECK(stranger.status == refused);
        CHECK(a.bearer("wrong-token-0123456789abcdef", route.method, route.path, body).status == refused);
        const Answer viewer = a.bearer(kViewer, route.method, route.path, body);
        if (route.access == AdminAccess::Operator)
            CHECK(viewer.status == 403);
        else if (route.path == "/api/signal")  // no such signal: answered, not refused
            CHECK(viewer.status == 404);
        else
            CHECK(viewer.status / 100 == 2);
        const Answer op = a.bearer(kOperator, route.method, route.path, body);
        CHECK(op.status != 401);
        CHECK(op.status != 403);
    }
    CHECK(checked >= 10);
    // A stranger learns nothing about which paths exist.
    CHECK(a.call("GET", "/api/no-such-thing").status == 401);
    CHECK(a.bearer(kViewer, "GET", "/api/no-such-thing").status == 404);
    const Answer root = a.call("GET", "/");
    CHECK(root.status == 303);
    CHECK(root.header("Location") == "/login");
}

TEST_CASE("a browser session: token login, HttpOnly SameSite=Strict cookie, CSRF on every action, logout") {
    Admin a;
    CHECK(a.call("POST", "/login", R"({"token":"nope"})").status == 401);
    const Answer login = a.call("POST", "/login", R"({"token":")" + kOperator + R"("})");
    REQUIRE(login.status == 200);
    const std::string cookie = login.header("Set-Cookie");
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("SameSite=Strict") != std::string::npos);
    CHECK(cookie.find("Path=/") != std::string::npos);
    const std::string session = cookie.substr(0, cookie.find(';'));
    const std::string csrf = login.json()->getValue<std::string>("csrf");
    CHECK(login.json()->getValue<std::string>("role") == "operator");

    const auto withSession = [&](const std::string& method, const std::string& path, const std::string& body,
                                 const std::string& token) {
        std::map<std::string, std::string> h{{"Cookie", session}};
        if (!token.empty()) h["X-CSRF-Token"] = token;
        return a.call(method, path, body, h);
    };
    const Answer who = withSession("GET", "/api/session", "", "");
    REQUIRE(who.status == 200);
    CHECK(who.json()->getValue<std::string>("csrf") == csrf);
    const std::string pause = R"({"why":"exchange maintenance"})";
    CHECK(withSession("POST", "/api/actions/pause", pause, "").status == 403);
    CHECK(withSession("POST", "/api/actions/pause", pause, "wrong").status == 403);
    CHECK_FALSE(a.gate->killSwitch().paused);
    const Answer paused = withSession("POST", "/api/actions/pause", pause, csrf);
    REQUIRE(paused.status == 200);
    CHECK(paused.json()->getValue<std::string>("outcome") == "done");
    const KillSwitch k = a.gate->killSwitch();
    CHECK(k.paused);
    CHECK(k.by.who == "admin session (operator) from 127.0.0.1");
    CHECK(k.by.why == "exchange maintenance");
    CHECK(withSession("POST", "/api/actions/pause", pause, csrf).json()->getValue<std::string>("outcome") ==
          "unchanged");
    // A script with the token needs no CSRF token: a browser never sends Authorization by itself.
    CHECK(a.bearer(kOperator, "POST", "/api/actions/resume", R"({"why":"done"})").status == 200);
    CHECK_FALSE(a.gate->killSwitch().paused);

    CHECK(withSession("POST", "/logout", "", csrf).status == 200);
    CHECK(withSession("GET", "/api/overview", "", "").status == 401);
}

TEST_CASE("logins are rate-limited per address, and a viewer session only reads") {
    Admin a;
    for (int i = 0; i < 5; ++i) CHECK(a.call("POST", "/login", "token=wrong-guess-" + std::to_string(i)).status == 401);
    const Answer locked = a.call("POST", "/login", R"({"token":")" + kOperator + R"("})");
    CHECK(locked.status == 429);  // even the right token, until the minute is over
    CHECK(!locked.header("Retry-After").empty());

    Admin b;
    const Answer login = b.call("POST", "/login", "token=" + kViewer);  // a form works too
    REQUIRE(login.status == 200);
    CHECK(login.json()->getValue<std::string>("role") == "viewer");
    const std::string session = login.header("Set-Cookie").substr(0, login.header("Set-Cookie").find(';'));
    const std::string csrf = login.json()->getValue<std::string>("csrf");
    CHECK(b.call("GET", "/api/overview", "", {{"Cookie", session}}).status == 200);
    CHECK(
        b.call("POST", "/api/actions/pause", R"({"why":"x"})", {{"Cookie", session}, {"X-CSRF-Token", csrf}}).status ==
        403);
    CHECK_FALSE(b.gate->killSwitch().paused);
}

TEST_CASE("actions check their input, are recorded with who and why, and refuse what is not safe now") {
    Admin a;
    const auto post = [&](const std::string& path, const std::string& body) {
        return a.bearer(kOperator, "POST", path, body);
    };
    CHECK(post("/api/actions/pause", "{}").status == 400);  // no why
    CHECK(post("/api/actions/pause", "not json").status == 400);
    CHECK(post("/api/actions/pause-symbol", R"({"why":"x","venue":"nope","symbol":"BTCUSDT"})").status == 400);
    const Answer hostile =
        post("/api/actions/pause-symbol", R"({"why":"x","venue":"bn","symbol":"<script>alert(1)</script>"})");
    CHECK(hostile.status == 400);
    CHECK(hostile.json()->getValue<std::string>("error").find("'symbol' may contain only") == 0);
    const Answer symbol =
        post("/api/actions/pause-symbol", R"({"why":"drift check","venue":"bn","symbol":"btcusdt.p"})");
    REQUIRE(symbol.status == 200);
    REQUIRE(a.gate->pausedSymbols().size() == 1);
    CHECK(a.gate->pausedSymbols()[0].symbol == "BTCUSDT");
    CHECK(a.gate->pausedSymbols()[0].by.who == "admin token (operator) from 127.0.0.1");
    CHECK(post("/api/actions/resume-symbol", R"({"why":"ok","venue":"bn","symbol":"BTCUSDT"})").status == 200);
    CHECK(a.gate->pausedSymbols().empty());
    // The venue was never read: accepting "its" position would accept nothing.
    const Answer refused = post("/api/actions/accept-baseline", R"({"why":"x","venue":"bn","symbol":"BTCUSDT"})");
    CHECK(refused.status == 409);
    CHECK(refused.json()->getValue<std::string>("outcome") == "refused");
    CHECK(post("/api/actions/accept-baseline", R"({"why":"x","venue":"bn","symbol":"BTCUSDT","position_side":"UP"})")
              .status == 400);
}

TEST_CASE("every answer carries the security headers; text is JSON-escaped; bodies are bounded") {
    Admin a;
    a.gate->setKillSwitch(true, {"ops", "</script><script>alert(1)</script>\"'&"}, 1);
    const Answer overview = a.bearer(kViewer, "GET", "/api/overview");
    REQUIRE(overview.status == 200);
    CHECK(overview.json()->getObject("kill_switch")->getValue<std::string>("why") ==
          "</script><script>alert(1)</script>\"'&");
    for (const Answer& answer : {overview, a.call("GET", "/api/overview"), a.call("GET", "/healthz")}) {
        const std::string csp = answer.header("Content-Security-Policy");
        CHECK(csp.find("script-src 'self'") != std::string::npos);
        CHECK(csp.find("unsafe-inline") == std::string::npos);
        CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
        CHECK(answer.header("X-Content-Type-Options") == "nosniff");
        CHECK(answer.header("Cache-Control") == "no-store");
    }
    CHECK(a.bearer(kOperator, "POST", "/api/actions/pause", std::string(70 * 1024, 'x')).status == 413);
    const Answer metrics = a.bearer(kViewer, "GET", "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.header("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
    CHECK(a.call("GET", "/readyz").status == 200);
}

TEST_CASE("tokens: too short, or the viewer's equal to the operator's, are refused at start") {
    CHECK_THROWS_WITH(AdminAuth({"short", ""}), Catch::Contains("at least 16"));
    CHECK_THROWS_WITH(AdminAuth({kOperator, kOperator}), Catch::Contains("must differ"));
}

TEST_CASE("the page: the login form is public, the page needs a session, and no script is inline") {
    Admin a;
    const Answer login = a.call("GET", "/login");
    REQUIRE(login.status == 200);
    CHECK(login.header("Content-Type") == "text/html; charset=utf-8");
    CHECK(login.body.find("<script src=\"/assets/login.js\"") != std::string::npos);
    CHECK(a.call("GET", "/assets/login.js").header("Content-Type") == "text/javascript; charset=utf-8");
    CHECK(a.call("GET", "/assets/admin.css").header("Content-Type") == "text/css; charset=utf-8");
    CHECK(a.call("GET", "/assets/app.js").status == 401);
    const Answer page = a.bearer(kViewer, "GET", "/");
    REQUIRE(page.status == 200);
    CHECK(page.body.find("<script src=\"/assets/app.js\"") != std::string::npos);
    // The CSP allows only scripts from files; every <script> of every page names one.
    for (const Answer& html : {login, page}) {
        std::size_t pos = 0, scripts = 0;
        while ((pos = html.body.find("<script", pos)) != std::string::npos) {
            const std::size_t close = html.body.find('>', pos);
            CHECK(html.body.substr(pos, close - pos).find(" src=") != std::string::npos);
            CHECK(html.body.compare(close + 1, 9, "</script>") == 0);  // nothing inside
            ++scripts;
            ++pos;
        }
        CHECK(scripts == 1);
        CHECK(html.body.find(" onclick") == std::string::npos);  // no inline event handlers
        CHECK(html.body.find(" onload") == std::string::npos);
    }
    // The page writes values as text, never as markup.
    const std::string app = a.bearer(kViewer, "GET", "/assets/app.js").body;
    CHECK(app.find("innerHTML") == std::string::npos);
    CHECK(app.find("textContent") != std::string::npos);
}

namespace {

struct SseMessage {
    std::string id, event, data;
};

// A live-stream reader, as a browser's EventSource reads it.
struct SseClient {
    Poco::Net::HTTPClientSession session;
    Poco::Net::HTTPResponse response;
    std::istream* in = nullptr;

    SseClient(Admin& a, const std::string& lastEventId = "") : session("127.0.0.1", a.server.port()) {
        session.setTimeout(Poco::Timespan(5, 0));
        Poco::Net::HTTPRequest request("GET", "/api/stream", Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", "Bearer " + kViewer);
        if (!lastEventId.empty()) request.set("Last-Event-ID", lastEventId);
        session.sendRequest(request);
        in = &session.receiveResponse(response);
    }
    // The next message (comments and the retry hint skipped).
    SseMessage next() {
        SseMessage m;
        for (std::string line; std::getline(*in, line);) {
            if (line.empty()) {
                if (!m.event.empty()) return m;
                continue;
            }
            if (line.rfind("id: ", 0) == 0) m.id = line.substr(4);
            if (line.rfind("event: ", 0) == 0) m.event = line.substr(7);
            if (line.rfind("data: ", 0) == 0) m.data = line.substr(6);
        }
        throw std::runtime_error("the stream ended");
    }
};

std::vector<StoredEvent> fills(std::uint64_t firstId, int n) {
    std::vector<StoredEvent> out;
    for (int i = 0; i < n; ++i)
        out.push_back({firstId + static_cast<std::uint64_t>(i), 1000, {"order_fill", "s<b>", "c", "bn", "{}"}});
    return out;
}

}  // namespace

TEST_CASE("the live stream: a snapshot, then numbered deltas; a dropped viewer resumes, or resyncs after a gap") {
    Admin a;
    a.readModel.consume(fills(1, 2));
    std::string lastId;
    {
        SseClient viewer(a);
        CHECK(viewer.response.getStatus() == 200);
        CHECK(viewer.response.getContentType() == "text/event-stream");
        const SseMessage snapshot = viewer.next();
        REQUIRE(snapshot.event == "snapshot");
        CHECK(snapshot.id == a.feed.epoch() + ":2");
        Poco::JSON::Parser parser;
        const auto s = parser.parse(snapshot.data).extract<Poco::JSON::Object::Ptr>();
        CHECK(s->getValue<std::string>("epoch") == a.feed.epoch());
        CHECK(s->getValue<int>("seq") == 2);
        CHECK(s->getArray("events")->size() == 2);
        CHECK(s->getObject("overview")->has("kill_switch"));
        // Events projected now arrive as deltas, numbered from the snapshot's on.
        a.readModel.consume(fills(3, 2));
        const SseMessage d3 = viewer.next(), d4 = viewer.next();
        CHECK(d3.event == "delta");
        CHECK(d3.id == a.feed.epoch() + ":3");
        CHECK(d4.id == a.feed.epoch() + ":4");
        const auto delta = parser.parse(d4.data).extract<Poco::JSON::Object::Ptr>();
        CHECK(delta->getValue<int>("seq") == 4);
        CHECK(delta->getObject("event")->getValue<std::string>("signal_id") == "s<b>");
        lastId = d4.id;
    }                                  // the connection drops
    a.readModel.consume(fills(5, 3));  // missed while away
    {
        SseClient viewer(a, lastId);  // EventSource reconnects with the last id it saw
        const SseMessage first = viewer.next();
        CHECK(first.event == "delta");  // no snapshot: what it missed, in order
        CHECK(first.id == a.feed.epoch() + ":5");
        CHECK(viewer.next().id == a.feed.epoch() + ":6");
        CHECK(viewer.next().id == a.feed.epoch() + ":7");
    }
    {
        SseClient viewer(a, "another-process:3");  // the host restarted since: a snapshot
        CHECK(viewer.next().event == "snapshot");
    }
    a.readModel.consume(fills(8, 4100));  // more than the feed holds
    {
        SseClient viewer(a, a.feed.epoch() + ":7");  // too far behind: a snapshot, then deltas
        const SseMessage m = viewer.next();
        CHECK(m.event == "snapshot");
        CHECK(m.id == a.feed.epoch() + ":4107");
        a.readModel.consume(fills(4108, 1));
        CHECK(viewer.next().id == a.feed.epoch() + ":4108");
    }
}

TEST_CASE("reads: signals with their chain, events, instances, alerts and the redacted config") {
    Admin a;
    a.readModel.consume(
        {{1,
          1000,
          {"signal_received", "<script>x</script>", "", "",
           R"({"legs":1,"orders":[{"leg":0,"venue":"bn","symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.002"}]})"}},
         {2,
          1001,
          {"order_blocked", "<script>x</script>", "<script>x</script>:bn:0:0", "bn",
           R"({"reason":"trading paused"})"}}});
    const Answer list = a.bearer(kViewer, "GET", "/api/signals?state=BLOCKED&venue=bn");
    REQUIRE(list.status == 200);
    CHECK(list.header("Content-Type") == "application/json");
    CHECK(list.header("X-Content-Type-Options") == "nosniff");  // never read as markup
    const auto signals = list.json()->getArray("signals");
    REQUIRE(signals->size() == 1);
    CHECK(signals->getObject(0)->getValue<std::string>("state") == "BLOCKED");
    CHECK(signals->getObject(0)->getValue<std::string>("signal_id") == "<script>x</script>");  // data, as sent
    CHECK(a.bearer(kViewer, "GET", "/api/signals?state=ACCEPTED").json()->getArray("signals")->size() == 0);
    CHECK(a.bearer(kViewer, "GET", "/api/signals?before=x").status == 400);

    const Answer one = a.bearer(kViewer, "GET", "/api/signal?id=%3Cscript%3Ex%3C%2Fscript%3E");
    REQUIRE(one.status == 200);
    const auto detail = one.json();
    CHECK(detail->getArray("events")->size() == 2);
    CHECK(detail->getArray("events")->getObject(1)->getValue<std::string>("event") == "order_blocked");
    CHECK(detail->getValue<std::string>("stopped").find("trading paused") != std::string::npos);

    CHECK(a.bearer(kViewer, "GET", "/api/events?limit=1").json()->getArray("events")->size() == 1);
    CHECK(
        a.bearer(kViewer, "GET", "/api/instances").json()->getArray("instances")->getObject(0)->getValue<bool>("live"));
    CHECK(a.bearer(kViewer, "GET", "/api/config").json()->getValue<std::string>("text") == "venues: []\n");
    CHECK(a.bearer(kViewer, "GET", "/api/alerts").json()->getArray("alerts")->size() == 0);
}

TEST_CASE("TLS: the admin page over HTTPS with a certificate made now; the session cookie is Secure") {
    test::TempDir dir;
    const std::string cert = dir.file("admin.crt"), key = dir.file("admin.key");
    const std::string make = std::string(OPENSSL_BIN) +
                             " req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext "
                             "subjectAltName=IP:127.0.0.1 -keyout " +
                             key + " -out " + cert + " 2>/dev/null";
    REQUIRE(std::system(make.c_str()) == 0);
    std::unique_ptr<Gate> gate = makeMemoryGate();
    AdminAuth auth{{kOperator, kViewer}};
    AdminServerOptions options;
    options.listen = "127.0.0.1:0";
    options.tlsCertFile = cert;
    options.tlsKeyFile = key;
    AdminServer server{options, auth, {}, SystemClock::instance()};
    server.start();

    // A client that trusts exactly this certificate, and checks the name.
    Poco::Net::Context::Params params;
    params.caLocation = cert;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.loadDefaultCAs = false;
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    Poco::Net::HTTPSClientSession session("127.0.0.1", server.port(), context);
    Poco::Net::HTTPRequest request("POST", "/login", Poco::Net::HTTPMessage::HTTP_1_1);
    const std::string body = R"({"token":")" + kOperator + R"("})";
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    request.setContentType("application/json");
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string answer;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
    CHECK(response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK);
    CHECK(response.get("Set-Cookie").find("; Secure") != std::string::npos);

    // Plain HTTP to the same port gets no answer.
    Poco::Net::HTTPClientSession plain("127.0.0.1", server.port());
    plain.setTimeout(Poco::Timespan(2, 0));
    Poco::Net::HTTPRequest probe("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
    bool answered = true;
    try {
        plain.sendRequest(probe);
        Poco::Net::HTTPResponse r;
        plain.receiveResponse(r);
    } catch (const Poco::Exception&) {
        answered = false;
    }
    CHECK_FALSE(answered);

    // A key that does not exist: refused at start, naming the files.
    options.tlsKeyFile = dir.file("missing.key");
    AdminServer broken{options, auth, {}, SystemClock::instance()};
    try {
        broken.start();
        FAIL("started without its key");
    } catch (const std::runtime_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("admin.crt") && Catch::Contains("missing.key"));
    }
}

TEST_CASE(
    "slow and idle clients cannot hold the admin listener: their connections are cut, a real request goes through") {
    Admin a;
    // More half-sent requests (a byte now and then) and idle connections than the listener has
    // threads: each holds one until the watch cuts it.
    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> slow;
    for (int i = 0; i < 40; ++i) {
        auto s = std::make_unique<Poco::Net::StreamSocket>(Poco::Net::SocketAddress("127.0.0.1", a.server.port()));
        if (i % 2 == 0) s->sendBytes("GET /healthz HTTP/1.1\r\nHo", 25);
        slow.push_back(std::move(s));
    }
    const auto started = std::chrono::steady_clock::now();
    const Answer healthy = a.call("GET", "/healthz");
    const auto waitedMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    CHECK(healthy.status == 200);
    CHECK(waitedMs < 4000);  // a second or so per round of cuts, not the slow clients' pace
    // Each slow connection was closed by the listener (read gives 0 or an error), none answered.
    int closed = 0;
    for (auto& s : slow) {
        s->setReceiveTimeout(Poco::Timespan(7, 0));
        char buffer[256];
        try {
            if (s->receiveBytes(buffer, sizeof buffer) <= 0) ++closed;
        } catch (const Poco::Exception&) {
            ++closed;
        }
    }
    CHECK(closed == 40);
}
