// The HTTP listener signals arrive on: authenticate, bound, parse, journal durably, then answer.
#include "intake/webhook_server.h"

#include <Poco/HMACEngine.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>

#include "events/json_text.h"
#include "intake/recent_signals.h"
#include "intake/signal/signal_parser.h"
#include "journal/journal.h"
#include "pipeline/journal_record.h"
#include "testing/crash_point.h"

namespace tradehost::host {

struct WebhookServer::State {
    IntakeOptions options;
    Journal* journal = nullptr;
    std::unique_ptr<RecentSignals> recent;  // null when there is no journal (signals refused)
    std::function<void()> onJournaled;
    std::function<std::int64_t()> nowMs;
    std::atomic<bool> ready{false};
    // The server, for its queue length (load shedding); null once stopped.
    std::atomic<const Poco::Net::TCPServer*> server{nullptr};
    // Open connections and whether each is handling a request, so stop() can close the idle ones
    // at once and let the busy ones finish their answer (keep-alive clients would otherwise hold
    // a handler thread until their idle timeout).
    std::mutex connectionsMutex;
    std::map<Poco::Net::StreamSocket*, bool> connections;  // socket -> busy
    bool stopping = false;
    // Over capacity: so many connections wait for a handler thread that answering each one in
    // turn would keep senders waiting for seconds. Those are answered 503 at once (TradingView
    // and the sender resend), without reading the body, until the queue is short again.
    bool overloaded() const {
        const auto* srv = server.load();
        return srv && srv->queuedConnections() >= std::max(1, options.maxQueued / 2);
    }
};

namespace {

using Poco::Net::HTTPResponse;

bool equalsConstantTime(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hmacHex(const std::string& key, const std::string& body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
         body.size(), digest, &length);
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return hex;
}

void reply(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& body,
           bool close = false) {
    response.setStatusAndReason(status);
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    if (close) response.setKeepAlive(false);
    response.send() << body;
}

std::string errorBody(const std::string& error, const std::string& field = "") {
    std::string out = "{\"error\":";
    appendJsonString(out, error);
    if (!field.empty()) {
        out += ",\"field\":";
        appendJsonString(out, field);
    }
    return out + "}";
}

class Probe : public Poco::Net::HTTPRequestHandler {
public:
    explicit Probe(std::shared_ptr<WebhookServer::State> s, bool readiness) : s_(std::move(s)), readiness_(readiness) {}
    void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override {
        if (!readiness_) return reply(response, HTTPResponse::HTTP_OK, "{\"status\":\"alive\"}");
        const bool ok = s_->ready && s_->journal && !s_->journal->failed();
        reply(response, ok ? HTTPResponse::HTTP_OK : HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
              ok ? "{\"status\":\"ready\"}" : "{\"status\":\"not ready\"}");
    }

private:
    std::shared_ptr<WebhookServer::State> s_;
    bool readiness_;
};

class Simple : public Poco::Net::HTTPRequestHandler {
public:
    Simple(HTTPResponse::HTTPStatus status, std::string body, int retryAfterS = 0)
        : status_(status), body_(std::move(body)), retryAfterS_(retryAfterS) {}
    void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override {
        if (retryAfterS_ > 0) response.set("Retry-After", std::to_string(retryAfterS_));
        reply(response, status_, body_, true);
    }

private:
    HTTPResponse::HTTPStatus status_;
    std::string body_;
    int retryAfterS_;
};

class SignalHandler : public Poco::Net::HTTPRequestHandler {
public:
    SignalHandler(std::shared_ptr<WebhookServer::State> s, std::string token)
        : s_(std::move(s)), token_(std::move(token)) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        const IntakeOptions& o = s_->options;
        // Source address first, from the real peer (never a forwarded-for header).
        if (!o.allowIps.empty() && !o.allowIps.count(request.clientAddress().host().toString()))
            return reply(response, HTTPResponse::HTTP_FORBIDDEN, errorBody("source address not allowed"), true);

        // Framing (RFC 9112 §6.3): both Content-Length and Transfer-Encoding, or two different
        // Content-Length values, are how requests get smuggled.
        int lengths = 0;
        std::string firstLength;
        for (auto it = request.find("Content-Length");
             it != request.end() && Poco::icompare(it->first, "Content-Length") == 0; ++it) {
            if (lengths++ == 0)
                firstLength = it->second;
            else if (it->second != firstLength)
                return reply(response, HTTPResponse::HTTP_BAD_REQUEST,
                             errorBody("conflicting Content-Length headers", "body"), true);
        }
        // Text Poco could not parse never gets here (the connection loop answers it); what Poco
        // does parse but RFC 9110 forbids (a sign, "-5") stops here.
        if (lengths > 0 && (firstLength.empty() || firstLength.size() > 18 ||
                            firstLength.find_first_not_of("0123456789") != std::string::npos))
            return reply(response, HTTPResponse::HTTP_BAD_REQUEST,
                         errorBody("Content-Length is not a number", "Content-Length"), true);
        if (lengths > 0 && request.has("Transfer-Encoding"))
            return reply(response, HTTPResponse::HTTP_BAD_REQUEST,
                         errorBody("both Content-Length and Transfer-Encoding", "body"), true);
        if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(o.maxBodyBytes))
            return reply(response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
                         errorBody("body larger than " + std::to_string(o.maxBodyBytes) + " bytes", "body"), true);

        // Read what the sender announced (or, chunked, up to the limit), one byte more to notice
        // a body longer than its length; never a buffer of the limit's size per request.
        std::string body;
        std::istream& in = request.stream();
        if (request.hasContentLength()) {
            body.resize(static_cast<std::size_t>(request.getContentLength64()) + 1);
            in.read(body.data(), static_cast<std::streamsize>(body.size()));
            body.resize(static_cast<std::size_t>(in.gcount()));
        } else {
            char chunk[4096];
            while (body.size() <= o.maxBodyBytes && in.read(chunk, sizeof chunk).gcount() > 0)
                body.append(chunk, static_cast<std::size_t>(in.gcount()));
        }
        if (body.size() > o.maxBodyBytes)
            return reply(response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
                         errorBody("body larger than " + std::to_string(o.maxBodyBytes) + " bytes", "body"), true);
        if (request.hasContentLength() && static_cast<Poco::Int64>(body.size()) != request.getContentLength64())
            return reply(response, HTTPResponse::HTTP_BAD_REQUEST,
                         errorBody("body shorter than its Content-Length", "body"), true);

        // Authentication before parsing anything the sender controls beyond the framing.
        bool authenticated = o.secret.empty() && o.pathToken.empty() && o.signingSecret.empty();
        if (!o.pathToken.empty() && !token_.empty() && equalsConstantTime(token_, o.pathToken)) authenticated = true;
        if (!o.signingSecret.empty() && request.has("X-Signature")) {
            const std::string given = request.get("X-Signature");
            if (given.rfind("sha256=", 0) == 0 && equalsConstantTime(given.substr(7), hmacHex(o.signingSecret, body)))
                authenticated = true;
        }
        const auto parsed = parseSignal(body);
        const std::optional<std::string>& secret = std::holds_alternative<Parsed>(parsed)
                                                       ? std::get<Parsed>(parsed).secret
                                                       : std::get<ParseError>(parsed).secret;
        if (!o.secret.empty() && secret && equalsConstantTime(*secret, o.secret)) authenticated = true;
        if (!authenticated)
            return reply(response, HTTPResponse::HTTP_UNAUTHORIZED, errorBody("authentication failed"), true);
        if (const auto* e = std::get_if<ParseError>(&parsed))
            return reply(response, static_cast<HTTPResponse::HTTPStatus>(e->httpStatus),
                         errorBody(e->message, e->field));

        const Signal& signal = std::get<Parsed>(parsed).signal;
        if (!s_->journal || !s_->recent || !s_->ready)
            return reply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                         errorBody("not ready: recovery is still running"));
        switch (s_->recent->claim(signal)) {
            case RecentSignals::Verdict::Duplicate: {
                std::string out = "{\"status\":\"duplicate\",\"signal_id\":";
                appendJsonString(out, signal.signalId);
                return reply(response, HTTPResponse::HTTP_OK, out + "}");
            }
            case RecentSignals::Verdict::NotYetDurable:
                return reply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                             errorBody("the first delivery of this signal is not recorded yet; send it again later"));
            case RecentSignals::Verdict::Full:
                response.set("Retry-After", "1");
                return reply(
                    response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                    errorBody("over capacity: signals are being admitted more slowly than they arrive; nothing "
                              "was recorded, retry shortly"));
            case RecentSignals::Verdict::Conflict:
                return refuseConflict(signal, response);
            case RecentSignals::Verdict::New:
                break;
        }
        std::uint64_t seq = 0;
        try {
            seq = s_->journal->append(encodeSignalRecord(s_->nowMs(), signal.canonical));
        } catch (const std::exception& e) {
            s_->recent->abandon(signal.signalId);
            Poco::Logger::get("intake").error(std::string("signal not recorded: ") + e.what());
            return reply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                         errorBody("the signal could not be recorded; send it again later"));
        }
        s_->recent->durable(signal.signalId, seq);
        TRADEHOST_CRASH_POINT("intake.after_journal_append");
        if (s_->onJournaled) s_->onJournaled();
        std::string out = "{\"status\":\"accepted\",\"signal_id\":";
        appendJsonString(out, signal.signalId);
        return reply(response, HTTPResponse::HTTP_ACCEPTED, out + ",\"journal_seq\":" + std::to_string(seq) + "}");
    }

private:
    // Same id, another payload: refused, and the refusal journaled so the admitter records it.
    void refuseConflict(const Signal& signal, Poco::Net::HTTPServerResponse& response) {
        try {
            s_->journal->append(encodeRefusalRecord(
                {s_->nowMs(), signal.signalId, "same signal_id, different payload", signal.canonical}));
        } catch (const std::exception& e) {
            Poco::Logger::get("intake").error(std::string("refusal not recorded: ") + e.what());
            return reply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                         errorBody("the signal could not be recorded; send it again later"));
        }
        if (s_->onJournaled) s_->onJournaled();
        reply(response, HTTPResponse::HTTP_UNPROCESSABLE_ENTITY,
              errorBody("signal_id already used with a different payload", "signal_id"));
    }

private:
    std::shared_ptr<WebhookServer::State> s_;
    std::string token_;
};

class Routes : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Routes(std::shared_ptr<WebhookServer::State> s) : s_(std::move(s)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override {
        const std::string path = request.getURI().substr(0, request.getURI().find('?'));
        if (path == "/healthz") return new Probe(s_, false);
        if (path == "/readyz") return new Probe(s_, true);
        if (path == "/webhook" || path.rfind("/webhook/", 0) == 0) {
            if (request.getMethod() != "POST")
                return new Simple(HTTPResponse::HTTP_METHOD_NOT_ALLOWED, errorBody("use POST"));
            if (s_->overloaded())
                return new Simple(
                    HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                    errorBody("over capacity: too many connections waiting; nothing was recorded, retry shortly"), 1);
            return new SignalHandler(s_, path.size() > 9 ? path.substr(9) : "");
        }
        return new Simple(HTTPResponse::HTTP_NOT_FOUND, errorBody("no such route"));
    }

private:
    std::shared_ptr<WebhookServer::State> s_;
};

// One client connection: Poco's HTTP request loop, written out so that every malformed request
// gets an answer. Poco 1.11's own loop drops the connection without one when the request cannot
// even be built, e.g. a Content-Length that is not a number (RFC 9112 §6.3 wants 400 + close).
class Connection : public Poco::Net::TCPServerConnection {
public:
    Connection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
               std::shared_ptr<WebhookServer::State> state)
        : TCPServerConnection(socket), params_(std::move(params)), state_(std::move(state)), routes_(state_) {}

    void run() override {
        {
            const std::lock_guard<std::mutex> lock(state_->connectionsMutex);
            if (state_->stopping) return;
            state_->connections[&socket()] = false;
        }
        serve();
        const std::lock_guard<std::mutex> lock(state_->connectionsMutex);
        state_->connections.erase(&socket());
    }

private:
    void serve() {
        using namespace Poco::Net;
        HTTPServerSession session(socket(), params_);
        while (session.hasMoreRequests()) {
            try {
                HTTPServerResponseImpl response(session);
                HTTPServerRequestImpl request(response, session, params_.get());
                if (!markBusy(true)) return;  // stopping: this request was not read in time
                response.setDate(Poco::Timestamp());
                response.setVersion(request.getVersion());
                response.setKeepAlive(params_->getKeepAlive() && request.getKeepAlive() && session.canKeepAlive());
                std::unique_ptr<HTTPRequestHandler> handler(routes_.createRequestHandler(request));
                if (request.getExpectContinue()) response.sendContinue();
                try {
                    handler->handleRequest(request, response);
                } catch (...) {
                    // Handlers answer every expected failure themselves; anything else is a bug.
                    if (!response.sent())
                        sendError(session, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal error", "");
                    return;
                }
                session.setKeepAlive(params_->getKeepAlive() && response.getKeepAlive() && session.canKeepAlive());
                if (!markBusy(false)) return;  // stopping: the answer is out, close
            } catch (const NoMessageException&) {
                return;  // the client closed, or sent nothing before the timeout
            } catch (const MessageException&) {
                return sendError(session, HTTPResponse::HTTP_BAD_REQUEST, "malformed request", "");
            } catch (const Poco::SyntaxException&) {
                // The only number Poco parses while building a request is its Content-Length.
                return sendError(session, HTTPResponse::HTTP_BAD_REQUEST, "Content-Length is not a number",
                                 "Content-Length");
            } catch (const Poco::Exception&) {
                return;  // the connection failed (reset, timeout while reading): nobody to answer
            }
        }
    }

    // Records whether this connection is handling a request; false once the server is stopping.
    bool markBusy(bool busy) {
        const std::lock_guard<std::mutex> lock(state_->connectionsMutex);
        state_->connections[&socket()] = busy;
        return !state_->stopping;
    }

    static void sendError(Poco::Net::HTTPServerSession& session, HTTPResponse::HTTPStatus status,
                          const std::string& error, const std::string& field) {
        try {
            Poco::Net::HTTPServerResponseImpl response(session);
            response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
            response.setDate(Poco::Timestamp());
            session.setKeepAlive(false);
            reply(response, status, errorBody(error, field), true);
        } catch (const Poco::Exception&) {
            // the client is gone
        }
    }

    Poco::Net::HTTPServerParams::Ptr params_;
    std::shared_ptr<WebhookServer::State> state_;
    Routes routes_;
};

class ConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
public:
    ConnectionFactory(Poco::Net::HTTPServerParams::Ptr params, std::shared_ptr<WebhookServer::State> state)
        : params_(std::move(params)), state_(std::move(state)) {}
    Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
        return new Connection(socket, params_, state_);
    }

private:
    Poco::Net::HTTPServerParams::Ptr params_;
    std::shared_ptr<WebhookServer::State> state_;
};

}  // namespace

std::pair<std::string, unsigned short> parseListenAddress(const std::string& listen) {
    const auto colon = listen.rfind(':');
    const std::string host = colon == std::string::npos ? "127.0.0.1" : listen.substr(0, colon);
    const std::string port = colon == std::string::npos ? listen : listen.substr(colon + 1);
    std::size_t used = 0;
    unsigned long value = 0;
    try {
        value = std::stoul(port, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (port.empty() || used != port.size() || value > 65535 || host.empty())
        throw std::invalid_argument("'" + listen + "' is not host:port (e.g. 127.0.0.1:8080)");
    return {host, static_cast<unsigned short>(value)};
}

WebhookServer::WebhookServer(IntakeOptions options, Journal* journal, SignalLookup* lookup,
                             std::function<void()> onJournaled, std::function<std::int64_t()> nowMs)
    : state_(std::make_shared<State>()) {
    const auto [host, port] = parseListenAddress(options.listen);
    host_ = host;
    state_->options = std::move(options);
    state_->journal = journal;
    if (journal && lookup)
        state_->recent =
            std::make_unique<RecentSignals>(*lookup, state_->options.maxClaims, std::chrono::milliseconds(2500));
    state_->onJournaled = std::move(onJournaled);
    state_->nowMs = std::move(nowMs);
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(host, port), 64);
    // Reference-counted: the connection factory and the server each hold a reference.
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    // Bounded on purpose: a few handler threads and a queue; slow clients time out (slowloris),
    // headers are size-limited by Poco (8 KiB a field, 100 fields).
    params->setMaxThreads(state_->options.maxThreads);
    params->setMaxQueued(state_->options.maxQueued);
    params->setTimeout(Poco::Timespan(5, 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    pool_ = std::make_unique<Poco::ThreadPool>("webhook", 2, state_->options.maxThreads);
    server_ = std::make_unique<Poco::Net::TCPServer>(new ConnectionFactory(params, state_), *pool_, socket, params);
    state_->server = server_.get();
}

WebhookServer::~WebhookServer() { stop(); }

void WebhookServer::start() { server_->start(); }

void WebhookServer::setReady(bool ready) { state_->ready = ready; }

void WebhookServer::stop() {
    if (!server_ || state_->server == nullptr) return;
    server_->stop();  // no new connections
    {
        const std::lock_guard<std::mutex> lock(state_->connectionsMutex);
        state_->stopping = true;
        state_->server = nullptr;
        for (auto& [socket, busy] : state_->connections) {
            if (busy) continue;  // finishes its answer, then closes (markBusy)
            try {
                socket->shutdownReceive();  // an idle keep-alive connection stops waiting
            } catch (const Poco::Exception&) {
                // already closed
            }
        }
    }
    pool_->joinAll();  // every handler has answered and returned
}

void WebhookServer::admittedThrough(std::uint64_t seq) {
    if (state_->recent) state_->recent->admittedThrough(seq);
}

unsigned short WebhookServer::port() const { return server_->port(); }

}  // namespace tradehost::host
