// The admin listener: routes behind one authenticating gate.
#include "admin/admin_server.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "events/json_text.h"

namespace tradehost::host {
namespace {

Poco::Logger& log() { return Poco::Logger::get("admin"); }

std::string jsonString(const std::string& s) {
    std::string out;
    appendJsonString(out, s);
    return out;
}

// The cookie's value from a Cookie header ("a=1; th_session=abc; b=2").
std::string cookieValue(const std::string& header, const std::string& name) {
    std::size_t pos = 0;
    while (pos < header.size()) {
        while (pos < header.size() && (header[pos] == ' ' || header[pos] == ';')) ++pos;
        const std::size_t end = std::min(header.find(';', pos), header.size());
        const std::string pair = header.substr(pos, end - pos);
        const std::size_t eq = pair.find('=');
        if (eq != std::string::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
        pos = end;
    }
    return "";
}

// The token a login sends: {"token": "..."} or a form field token=...
std::string tokenOf(const std::string& body) {
    if (!body.empty() && body.front() == '{') {
        try {
            Poco::JSON::Parser parser;
            const auto o = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
            return o && o->has("token") ? o->getValue<std::string>("token") : "";
        } catch (const std::exception&) {
            return "";
        }
    }
    std::istringstream in(body);
    for (std::string pair; std::getline(in, pair, '&');) {
        if (pair.rfind("token=", 0) != 0) continue;
        std::string value;
        Poco::URI::decode(pair.substr(6), value, true);
        return value;
    }
    return "";
}

}  // namespace

// Every open connection with what it is doing and since when; a watchdog thread cuts those that
// take too long to send their request (slowloris) and, when every thread is taken, the one that
// has waited longest. Connections are cut by shutting their socket down: the thread blocked
// reading it returns at once.
class AdminConnectionWatch {
public:
    enum class Phase { Waiting, Reading, Handling, Streaming };
    struct Entry {
        int fd = -1;
        Phase phase = Phase::Waiting;
        std::chrono::steady_clock::time_point since;
        bool cut = false;
    };

    AdminConnectionWatch(std::size_t threads, std::int64_t timeoutMs) : threads_(threads), timeoutMs_(timeoutMs) {
        thread_ = std::thread([this] { run(); });
    }
    ~AdminConnectionWatch() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        changed_.notify_all();
        thread_.join();
    }

    std::shared_ptr<Entry> add(int fd) {
        auto e = std::make_shared<Entry>();
        e->fd = fd;
        e->since = std::chrono::steady_clock::now();
        std::lock_guard<std::mutex> lock(mutex_);
        entries_.push_back(e);
        return e;
    }
    void remove(const std::shared_ptr<Entry>& e) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            entries_.erase(std::remove(entries_.begin(), entries_.end(), e), entries_.end());
        }
        changed_.notify_all();
    }
    // The calling thread's connection (null outside one).
    static Entry*& current() {
        static thread_local Entry* entry = nullptr;
        return entry;
    }
    void set(Phase phase) {
        Entry* e = current();
        if (!e) return;
        std::lock_guard<std::mutex> lock(mutex_);
        e->phase = phase;
        e->since = std::chrono::steady_clock::now();
    }
    // Cuts every connection and waits (up to `waitMs`) for their threads to leave.
    void cutAllAndWait(std::int64_t waitMs) {
        std::unique_lock<std::mutex> lock(mutex_);
        for (auto& e : entries_) cut(*e);
        changed_.wait_for(lock, std::chrono::milliseconds(waitMs), [&] { return entries_.empty(); });
    }

private:
    void cut(Entry& e) {
        if (e.cut) return;
        e.cut = true;
        ::shutdown(e.fd, SHUT_RDWR);
    }

    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stop_) {
            changed_.wait_for(lock, std::chrono::milliseconds(100));
            const auto now = std::chrono::steady_clock::now();
            const auto waited = [&](const Entry& e) {
                return std::chrono::duration_cast<std::chrono::milliseconds>(now - e.since).count();
            };
            Entry* longest = nullptr;
            std::size_t live = 0;
            for (auto& e : entries_) {
                if (e->cut) continue;
                ++live;
                if (e->phase != Phase::Waiting && e->phase != Phase::Reading) continue;
                if (waited(*e) > timeoutMs_) {
                    cut(*e);
                    --live;
                } else if (!longest || e->since < longest->since) {
                    longest = e.get();
                }
            }
            // Every thread taken: whoever has waited longest for its request (a second or more)
            // makes room for the connections queued behind it.
            if (live >= threads_ && longest && waited(*longest) >= 1000) cut(*longest);
        }
    }

    const std::size_t threads_;
    const std::int64_t timeoutMs_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::shared_ptr<Entry>> entries_;
    bool stop_ = false;
    std::thread thread_;
};

namespace {

class PocoHandler final : public Poco::Net::HTTPRequestHandler {
public:
    PocoHandler(AdminServer& server, std::size_t maxBody) : server_(server), maxBody_(maxBody) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        server_.handlerEntered();
        struct Leave {
            AdminServer& s;
            ~Leave() {
                s.handlerLeft();
                watch().set(AdminConnectionWatch::Phase::Waiting);  // for its next request, from now
            }
            AdminConnectionWatch& watch() { return *s.watch(); }
        } leave{server_};
        server_.watch()->set(AdminConnectionWatch::Phase::Reading);  // the body, still on its deadline
        AdminResponse answer;
        if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(maxBody_)) {
            // Read (and drop) a body of up to 1 MB so the client sees the answer rather than a
            // reset; beyond that, answer and close at once.
            if (request.getContentLength64() <= 1024 * 1024) {
                char buffer[8192];
                auto& in = request.stream();
                while (in) in.read(buffer, sizeof buffer);
            }
            answer = AdminResponse::error(413, "the body is larger than " + std::to_string(maxBody_) + " bytes");
            response.setKeepAlive(false);
        } else {
            std::string body;
            auto& in = request.stream();
            char buffer[8192];
            while (in && body.size() <= maxBody_) {
                in.read(buffer, sizeof buffer);
                body.append(buffer, static_cast<std::size_t>(in.gcount()));
            }
            if (body.size() > maxBody_) {
                answer = AdminResponse::error(413, "the body is larger than " + std::to_string(maxBody_) + " bytes");
                response.setKeepAlive(false);
            } else {
                server_.watch()->set(AdminConnectionWatch::Phase::Handling);
                answer = server_.handle(
                    request.getMethod(), request.getURI(),
                    [&](const std::string& name) { return request.get(name, ""); }, body,
                    request.clientAddress().host().toString());
            }
        }
        if (answer.stream && !server_.streamStarted()) {
            auto busy = AdminResponse::error(503, "too many live streams open; close a tab");
            busy.headers = answer.headers;
            busy.headers.emplace_back("Retry-After", "5");
            answer = std::move(busy);
        }
        response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
        response.setContentType(answer.contentType);
        for (const auto& [name, value] : answer.headers) response.add(name, value);
        if (answer.stream) {
            // Streamed until the writer returns, the client goes, or the server stops.
            response.setChunkedTransferEncoding(true);
            response.setKeepAlive(false);
            server_.watch()->set(AdminConnectionWatch::Phase::Streaming);
            try {
                std::ostream& out = response.send();
                answer.stream(out, [this] { return server_.stopping(); });
            } catch (const std::exception& e) {
                log().debug(std::string("admin: a live stream ended: ") + e.what());
            }
            server_.streamEnded();
            return;
        }
        response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
        response.send() << answer.body;
    }

private:
    AdminServer& server_;
    const std::size_t maxBody_;
};

class PocoFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    PocoFactory(AdminServer& server, std::size_t maxBody) : server_(server), maxBody_(maxBody) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new PocoHandler(server_, maxBody_);
    }

private:
    AdminServer& server_;
    const std::size_t maxBody_;
};

// Poco's HTTP connection, run under the watch: registered while it lives.
class WatchedConnection final : public Poco::Net::TCPServerConnection {
public:
    WatchedConnection(const Poco::Net::StreamSocket& socket, AdminConnectionWatch& watch,
                      Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr factory)
        : TCPServerConnection(socket), watch_(watch), params_(std::move(params)), factory_(std::move(factory)) {}

    void run() override {
        const auto entry = watch_.add(socket().impl()->sockfd());
        AdminConnectionWatch::current() = entry.get();
        try {
            Poco::Net::HTTPServerConnection http(socket(), params_, factory_);
            http.run();
        } catch (const std::exception& e) {
            log().debug(std::string("admin: a connection ended: ") + e.what());
        }
        AdminConnectionWatch::current() = nullptr;
        watch_.remove(entry);
    }

private:
    AdminConnectionWatch& watch_;
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
};

class WatchedConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
public:
    WatchedConnectionFactory(AdminConnectionWatch& watch, Poco::Net::HTTPServerParams::Ptr params,
                             Poco::Net::HTTPRequestHandlerFactory::Ptr factory)
        : watch_(watch), params_(std::move(params)), factory_(std::move(factory)) {}
    Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
        return new WatchedConnection(socket, watch_, params_, factory_);
    }

private:
    AdminConnectionWatch& watch_;
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
};

}  // namespace

std::string jsonText(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

AdminResponse AdminResponse::json(int status, std::string body) {
    AdminResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

AdminResponse AdminResponse::error(int status, const std::string& message) {
    return json(status, "{\"error\":" + jsonString(message) + "}");
}

AdminServer::AdminServer(AdminServerOptions options, AdminAuth& auth, std::vector<AdminRoute> routes,
                         const Clock& clock)
    : options_(std::move(options)), auth_(auth), routes_(std::move(routes)), clock_(clock) {
    routes_.push_back({"POST", "/login", AdminAccess::Public, [this](const AdminRequest& r) { return login(r); }});
    routes_.push_back({"POST", "/logout", AdminAccess::Viewer, [this](const AdminRequest& r) {
                           auth_.logout(r.sessionId);
                           AdminResponse out = AdminResponse::json(200, "{\"logged_out\":true}");
                           out.headers.emplace_back(
                               "Set-Cookie",
                               std::string(kAdminSessionCookie) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
                           return out;
                       }});
    routes_.push_back({"GET", "/api/session", AdminAccess::Viewer, [](const AdminRequest& r) {
                           return AdminResponse::json(200, "{\"role\":" + jsonString(toString(r.role)) +
                                                               ",\"csrf\":" + jsonString(r.csrf) + "}");
                       }});
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start() {
    Poco::Net::SocketAddress address;
    try {
        address = Poco::Net::SocketAddress(options_.listen);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("'" + options_.listen + "' is not an address:port: " + e.displayText());
    }
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (tls()) {
        static std::once_flag sslInit;
        std::call_once(sslInit, [] { Poco::Net::initializeSSL(); });
        try {
            Poco::Net::Context::Params params;
            params.certificateFile = options_.tlsCertFile;
            params.privateKeyFile = options_.tlsKeyFile;
            params.verificationMode = Poco::Net::Context::VERIFY_NONE;  // clients are not asked for certificates
            params.loadDefaultCAs = false;
            params.cipherList = "HIGH:!aNULL:!MD5";
            Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
            context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
            socket = std::make_unique<Poco::Net::SecureServerSocket>(context);
        } catch (const Poco::Exception& e) {
            throw std::runtime_error("cannot use the TLS certificate " + options_.tlsCertFile + " with key " +
                                     options_.tlsKeyFile + ": " + e.displayText());
        }
    } else {
        socket = std::make_unique<Poco::Net::ServerSocket>();
    }
    try {
        // SO_REUSEADDR for restarts, never SO_REUSEPORT: two hosts must not share the listener.
        socket->bind(address, true, false);
        socket->listen(64);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("cannot listen on " + options_.listen + ": " + e.displayText());
    }
    port_ = socket->address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options_.threads);
    params->setMaxQueued(64);
    params->setTimeout(Poco::Timespan(10, 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(options_.requestTimeoutMs * 1000));
    params->setServerName("tradehost");
    watch_ =
        std::make_unique<AdminConnectionWatch>(static_cast<std::size_t>(options_.threads), options_.requestTimeoutMs);
    pool_ = std::make_unique<Poco::ThreadPool>(2, options_.threads + 1, 60);
    server_ = std::make_unique<Poco::Net::TCPServer>(
        new WatchedConnectionFactory(*watch_, params, new PocoFactory(*this, options_.maxBodyBytes)), *pool_, *socket,
        params);
    server_->start();
}

bool AdminServer::streamStarted() {
    if (++streams_ > options_.maxStreams) {
        --streams_;
        return false;
    }
    return true;
}

void AdminServer::stop() noexcept {
    stopping_ = true;
    if (!server_) return;
    try {
        server_->stop();  // no new connection
    } catch (...) {
    }
    // Poco does not wait for the connections' threads: they use this object (and live streams the
    // read side), so cut them and wait for them to leave; a stream notices `stopping` within a second.
    watch_->cutAllAndWait(5000);
    for (int i = 0; i < 500 && handlers_ > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (handlers_ > 0) log().warning("admin: a request handler is still running at stop");
    server_.reset();
    pool_->joinAll();
    pool_.reset();
    watch_.reset();
}

AdminResponse AdminServer::handle(const std::string& method, const std::string& target,
                                  const std::function<std::string(const std::string&)>& header, const std::string& body,
                                  const std::string& clientAddress) {
    AdminResponse out;
    AdminRequest r;
    r.method = method;
    r.body = body;
    r.clientAddress = clientAddress;
    r.lastEventId = header("Last-Event-ID");
    try {
        const Poco::URI uri(target);
        r.path = uri.getPath();
        for (const auto& [k, v] : uri.getQueryParameters()) r.query[k] = v;
    } catch (const Poco::Exception&) {
        out = AdminResponse::error(400, "the request target is not a valid URI");
        r.path.clear();
    }
    if (!r.path.empty()) {
        // Who asks: a bearer token, else the session cookie.
        std::optional<AdminSession> session;
        r.role = auth_.bearer(header("Authorization"));
        if (r.role != AdminRole::None) {
            r.actor = std::string("admin token (") + toString(r.role) + ") from " + clientAddress;
        } else if ((session = auth_.session(cookieValue(header("Cookie"), kAdminSessionCookie), clock_.nowMs()))) {
            r.role = session->role;
            r.csrf = session->csrf;
            r.sessionId = session->id;
            r.actor = std::string("admin session (") + toString(r.role) + ") from " + clientAddress;
        }
        const AdminRoute* route = nullptr;
        bool pathKnown = false;
        for (const auto& candidate : routes_) {
            if (candidate.path != r.path) continue;
            pathKnown = true;
            if (candidate.method == method) route = &candidate;
        }
        const bool isPublic = route && route->access == AdminAccess::Public;
        if (!isPublic && r.role == AdminRole::None) {
            // Nothing about the routes is told to a stranger, not even whether a path exists.
            if (method == "GET" && r.path == "/") {
                out = AdminResponse::json(303, "");
                out.headers.emplace_back("Location", "/login");
            } else {
                out = AdminResponse::error(401, "log in first (POST /login), or send Authorization: Bearer <token>");
            }
        } else if (!pathKnown) {
            out = AdminResponse::error(404, "no such page or API");
        } else if (!route) {
            out = AdminResponse::error(405, "method not allowed");
        } else if (route->access == AdminAccess::Operator && r.role != AdminRole::Operator) {
            out = AdminResponse::error(403, "this needs the operator token; the viewer token only reads");
        } else if (method != "GET" && session && !AdminAuth::csrfMatches(*session, header("X-CSRF-Token"))) {
            out = AdminResponse::error(403, "missing or wrong X-CSRF-Token (GET /api/session gives it)");
        } else {
            try {
                out = route->handler(r);
            } catch (const std::exception& e) {
                log().error("admin " + method + " " + r.path + ": " + e.what());
                out = AdminResponse::error(500, "internal error (see the host's log)");
            }
        }
    }
    // On every answer: nothing inline may run, nothing may frame the page, nothing is cached.
    out.headers.emplace_back("Content-Security-Policy",
                             "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                             "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                             "frame-ancestors 'none'");
    out.headers.emplace_back("X-Content-Type-Options", "nosniff");
    out.headers.emplace_back("X-Frame-Options", "DENY");
    out.headers.emplace_back("Referrer-Policy", "no-referrer");
    out.headers.emplace_back("Cache-Control", "no-store");
    return out;
}

AdminResponse AdminServer::login(const AdminRequest& r) {
    const auto result = auth_.login(r.clientAddress, tokenOf(r.body), clock_.nowMs());
    if (result.retryAfterS > 0) {
        AdminResponse out = AdminResponse::error(429, "too many failed logins from this address; wait a minute");
        out.headers.emplace_back("Retry-After", std::to_string(result.retryAfterS));
        return out;
    }
    if (!result.session) {
        log().warning("admin: failed login from " + r.clientAddress);
        return AdminResponse::error(401, "wrong token");
    }
    const AdminSession& s = *result.session;
    log().information(std::string("admin: ") + toString(s.role) + " logged in from " + r.clientAddress);
    AdminResponse out =
        AdminResponse::json(200, "{\"role\":" + jsonString(toString(s.role)) + ",\"csrf\":" + jsonString(s.csrf) + "}");
    out.headers.emplace_back("Set-Cookie", std::string(kAdminSessionCookie) + "=" + s.id +
                                               "; HttpOnly; SameSite=Strict; Path=/" + (tls() ? "; Secure" : "") +
                                               "; Max-Age=" + std::to_string((s.expiresMs - clock_.nowMs()) / 1000));
    return out;
}

}  // namespace tradehost::host
