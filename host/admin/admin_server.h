// The admin listener (Poco HTTP): a table of routes, each with the access it needs, behind one
// gate that authenticates (bearer token or session cookie), checks the role and the CSRF token,
// bounds the body and sets the security headers on every answer.
#pragma once

#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <tradehost/context.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "admin/admin_auth.h"

namespace Poco::JSON {
class Object;
}

namespace tradehost::host {

class AdminConnectionWatch;

enum class AdminAccess {
    Public,    // /healthz, /readyz, the login page and its assets
    Viewer,    // reads: pages, /api/ reads, the live stream, /metrics
    Operator,  // actions
};

struct AdminRequest {
    std::string method;
    std::string path;                          // without the query
    std::map<std::string, std::string> query;  // decoded; a repeated key keeps its last value
    std::string body;
    std::string clientAddress;
    AdminRole role = AdminRole::None;
    std::string csrf;         // the session's CSRF token (empty for a bearer token)
    std::string sessionId;    // the session's id (empty for a bearer token)
    std::string actor;        // who, for events: "admin operator session from 127.0.0.1", "admin bearer (viewer)"
    std::string lastEventId;  // Last-Event-ID: where a reconnecting live stream left off
};

struct AdminResponse {
    int status = 200;
    std::string contentType = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    // A streamed answer (server-sent events): written after the head, chunked, until it returns;
    // `stopping` turns true when the server stops (the writer returns within about a second).
    std::function<void(std::ostream& out, const std::function<bool()>& stopping)> stream;

    static AdminResponse json(int status, std::string body);
    static AdminResponse error(int status, const std::string& message);  // {"error": message}
};

using AdminHandler = std::function<AdminResponse(const AdminRequest&)>;

struct AdminRoute {
    std::string method;  // GET, POST
    std::string path;    // exact
    AdminAccess access = AdminAccess::Viewer;
    AdminHandler handler;
};

struct AdminServerOptions {
    std::string listen = "127.0.0.1:8081";
    std::size_t maxBodyBytes = 64 * 1024;
    int threads = 16;
    // A request's head and body must arrive within this long of the connection being accepted, or
    // of its previous answer (idle keep-alive connections go after it too); when every thread is
    // taken, the connection that has waited longest for its request (over a second) is cut for a
    // newcomer. So slow or idle clients cannot hold the listener (each connection holds a thread).
    std::int64_t requestTimeoutMs = 5000;
    // Streamed answers at once (each holds a thread); one more is answered 503.
    int maxStreams = 8;
    // PEM files: HTTPS (TLS 1.2 or newer) when both are set; the session cookie is then Secure.
    std::string tlsCertFile;
    std::string tlsKeyFile;
};

class AdminServer {
public:
    // Adds its own routes (POST /login, POST /logout, GET /api/session) to `routes`. Throws
    // std::runtime_error naming the address when it cannot listen.
    AdminServer(AdminServerOptions options, AdminAuth& auth, std::vector<AdminRoute> routes, const Clock& clock);
    ~AdminServer();

    void start();
    void stop() noexcept;
    std::uint16_t port() const { return port_; }
    bool tls() const { return !options_.tlsCertFile.empty(); }
    // Every registered route, the server's own included (tests prove each one's access).
    const std::vector<AdminRoute>& routes() const { return routes_; }
    bool stopping() const { return stopping_; }
    // A stream may start (false: the server is at maxStreams); every true needs streamEnded().
    bool streamStarted();
    void streamEnded() { --streams_; }
    // Every request in a handler is counted, so stop() can wait for the last one to leave.
    void handlerEntered() { ++handlers_; }
    void handlerLeft() { --handlers_; }
    AdminConnectionWatch* watch() { return watch_.get(); }

    // What a request gets, without the network (the Poco handler calls this too).
    AdminResponse handle(const std::string& method, const std::string& target,
                         const std::function<std::string(const std::string&)>& header, const std::string& body,
                         const std::string& clientAddress);

private:
    AdminResponse login(const AdminRequest& r);

    const AdminServerOptions options_;
    AdminAuth& auth_;
    std::vector<AdminRoute> routes_;
    const Clock& clock_;
    std::uint16_t port_ = 0;
    std::unique_ptr<AdminConnectionWatch> watch_;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::TCPServer> server_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> streams_{0};
    std::atomic<int> handlers_{0};
};

// A JSON object's text, as the admin API answers it.
std::string jsonText(const Poco::JSON::Object& object);

// The session cookie's name.
constexpr const char* kAdminSessionCookie = "th_session";

}  // namespace tradehost::host
