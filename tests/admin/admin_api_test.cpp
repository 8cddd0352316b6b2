// The admin listener as a browser and a script meet it, over real HTTP on loopback: every route
// refuses a stranger, every action refuses a viewer, sessions need the CSRF token, actions are
// recorded with who and why, and every answer carries the security headers.
#include "admin/admin_api.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "admin/admin_actions.h"
#include "admin/admin_server.h"
#include "gate/gate.h"
#include "plugins/instance_context.h"

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

struct Admin {
    std::unique_ptr<Gate> gate = makeMemoryGate();
    OperatorActions actions{*gate, *gate, *gate, "local", 15};
    AdminAuth auth{{kOperator, kViewer}};
    AdminServer server{{"127.0.0.1:0"}, auth, routes(), SystemClock::instance()};
    Admin() { server.start(); }

    std::vector<AdminRoute> routes() {
        auto all = adminApiRoutes({*gate,
                                   *gate,
                                   *gate,
                                   "local",
                                   {"bn"},
                                   [] { return true; },
                                   [] { return std::string("# HELP tradehost_up 1\n"); },
                                   "test",
                                   0},
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
        Poco::StreamCopier::copyToString(session.receiveResponse(response), a.body);
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
