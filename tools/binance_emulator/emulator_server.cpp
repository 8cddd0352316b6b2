// HTTP(S) server wiring: own thread pool, sized server params, /fapi and /control routing, TLS context in code,
// outages.
#include "emulator_server.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <mutex>
#include <stdexcept>

#include "control_handler.h"
#include "fapi_handler.h"
#include "http_body.h"
#include "server_tls.h"

namespace tradehost::binance_emulator {
namespace {

// Anything outside /fapi and /control: Binance's gateway answers such paths with a 404.
class NotFoundHandler : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        tools::readBody(request);
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
        response.setContentLength(0);
        response.send();
    }
};

class Router : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Router(EmulatorState& state) : state_(state) {}
    // Called from many threads at once; it only reads the path.
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override {
        const std::string& uri = request.getURI();
        if (uri.rfind("/fapi/", 0) == 0) return new FapiHandler(state_);
        if (uri.rfind("/control/", 0) == 0) return new ControlHandler(state_);
        return new NotFoundHandler;
    }

private:
    EmulatorState& state_;
};

// Poco's HTTPServerConnection, registered for as long as it lives so it can be cut.
class TrackedConnection : public Poco::Net::HTTPServerConnection {
public:
    TrackedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                      Poco::Net::HTTPRequestHandlerFactory::Ptr router, ConnectionRegistry& registry)
        : HTTPServerConnection(socket, params, router),
          registry_(registry),
          own_(registry.add(this->socket().impl()->sockfd())) {}
    ~TrackedConnection() override { registry_.remove(own_); }

private:
    ConnectionRegistry& registry_;
    const int own_;
};

// What HTTPServer would build for itself, except that its connections are tracked.
class TrackedConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
public:
    TrackedConnectionFactory(Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr router,
                             ConnectionRegistry& registry)
        : params_(std::move(params)), router_(std::move(router)), registry_(registry) {}
    Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
        return new TrackedConnection(socket, params_, router_, registry_);
    }

private:
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr router_;
    ConnectionRegistry& registry_;
};

std::vector<SymbolSpec> selectSymbols(const EmulatorConfig& config) {
    const auto& all = builtinSymbols();
    std::vector<SymbolSpec> out;
    if (config.symbols.empty()) {
        out = all;
    } else {
        for (const auto& name : config.symbols) {
            auto it = std::find_if(all.begin(), all.end(), [&](const SymbolSpec& s) { return s.symbol == name; });
            if (it == all.end())
                throw std::invalid_argument("unknown symbol '" + name + "' (built in: BTCUSDT, ETHUSDT)");
            out.push_back(*it);
        }
    }
    for (const auto& [symbol, text] : config.prices) {
        auto it = std::find_if(out.begin(), out.end(), [&](const SymbolSpec& s) { return s.symbol == symbol; });
        if (it == out.end()) throw std::invalid_argument("price given for unlisted symbol '" + symbol + "'");
        auto value = Decimal::parse(text);
        if (!value || !value->isPositive()) throw std::invalid_argument("bad price for " + symbol + ": '" + text + "'");
        it->initialPrice.text = text;
        it->initialPrice.value = *value;
    }
    return out;
}

}  // namespace

EmulatorServer::EmulatorServer(EmulatorConfig config) : config_(std::move(config)) {
    if (config_.credentials.empty()) throw std::invalid_argument("at least one API key/secret pair is required");
    for (const auto& c : config_.credentials) {
        if (c.apiKey.empty() || c.apiSecret.empty())
            throw std::invalid_argument("API keys and secrets must not be empty");
    }
    if (config_.certFile.empty() != config_.keyFile.empty())
        throw std::invalid_argument("--cert and --key go together");
    if (config_.threads < 2) throw std::invalid_argument("at least 2 threads are needed");
    state_ =
        std::make_unique<EmulatorState>(selectSymbols(config_), config_.credentials, config_.hedgeMode, config_.limits);
    state_->verbose.store(config_.verbose);
}

EmulatorServer::~EmulatorServer() { stop(); }

void EmulatorServer::start() {
    if (tls()) tls_ = tools::makeServerTlsContext(config_.certFile, config_.keyFile);
    router_ = new Router(*state_);
    params_ = new Poco::Net::HTTPServerParams;
    params_->setMaxThreads(config_.threads);
    // Past this queue Poco drops connections silently; make it deep enough not to matter.
    params_->setMaxQueued(256);
    params_->setKeepAlive(true);
    params_->setMaxKeepAliveRequests(0);  // unlimited
    params_->setKeepAliveTimeout(Poco::Timespan(30, 0));
    params_->setTimeout(Poco::Timespan(30, 0));
    // A worker that finishes a connection just as the server stops can miss the dispatcher's
    // wake-up and sleep for this long before it sees the stop, holding up joinAll() (Poco
    // checks the flag and then waits, unlocked). The default is 10 s; an idle worker waking
    // five times a second costs nothing.
    params_->setThreadIdleTime(Poco::Timespan(0, 200000));
    // Own pool: Poco's default pool is shared process-wide (and by the host in in-process tests).
    pool_ = std::make_unique<Poco::ThreadPool>(2, config_.threads, 60);
    port_ = config_.port;
    connections_.accept();
    listen();
    state_->outages.open();
    supervisor_ = std::thread([this] { superviseOutages(); });
}

void EmulatorServer::listen() {
    const Poco::Net::SocketAddress address(config_.host, port_);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (tls_) {
        socket = std::make_unique<Poco::Net::SecureServerSocket>(tls_);
    } else {
        socket = std::make_unique<Poco::Net::ServerSocket>();
    }
    // SO_REUSEADDR so the port can be bound again after an outage while the connections it cut
    // sit in TIME_WAIT; not SO_REUSEPORT, which would let a second process share the port.
    socket->bind(address, true, false);
    socket->listen(64);
    port_ = socket->address().port();
    server_ = std::make_unique<Poco::Net::TCPServer>(new TrackedConnectionFactory(params_, router_, connections_),
                                                     *pool_, *socket, params_);
    server_->start();
    listener_ = std::move(socket);
    state_->server.store(server_.get());
}

void EmulatorServer::closeListener() {
    state_->server.store(nullptr);
    // On Linux shutdown(2) takes a listening socket out of LISTEN at once: connects are refused
    // from here on, the backlog is reset, and the acceptor thread's poll wakes up, so stop()
    // below does not wait out its 250 ms poll.
    if (listener_) ::shutdown(listener_->impl()->sockfd(), SHUT_RDWR);
    if (server_) server_->stop();
    if (listener_) listener_->close();
}

void EmulatorServer::cutConnections() {
    connections_.cutAll();
    // Handlers may still be finishing on pool threads; the server they can see (through
    // /control/state) is destroyed only once they are done.
    if (pool_) pool_->joinAll();
    server_.reset();
    listener_.reset();
}

void EmulatorServer::superviseOutages() {
    while (const auto request = state_->outages.next()) {
        // Counted from the moment the listener closes, which is before the caller has its answer.
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(request->ms);
        try {
            closeListener();
            // Every other connection goes before the answer, so a caller cannot slip one more
            // request through a connection it kept alive.
            connections_.cutAll(request->requesterFd);
            state_->outages.listenerClosed();
            // The handler is sending its answer; give it time, but never hang on it.
            state_->outages.awaitAnswer(std::chrono::seconds(5));
            cutConnections();
            bool reopen = state_->outages.sleepUntil(until);
            bool warned = false;
            while (reopen) {
                try {
                    connections_.accept();
                    listen();
                    break;
                } catch (const Poco::Exception& e) {
                    // Someone took the port meanwhile: keep trying; clients see refusals until then.
                    if (!warned)
                        std::cerr << "binance-emulator: cannot listen on port " << port_
                                  << " again after the outage, retrying: " << e.displayText() << std::endl;
                    warned = true;
                    reopen =
                        state_->outages.sleepUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
                }
            }
        } catch (const Poco::Exception& e) {
            std::cerr << "binance-emulator: outage failed: " << e.displayText() << std::endl;
        } catch (const std::exception& e) {
            std::cerr << "binance-emulator: outage failed: " << e.what() << std::endl;
        }
        state_->outages.finished();
    }
}

void EmulatorServer::stop() noexcept {
    try {
        state_->outages.close();
        if (supervisor_.joinable()) supervisor_.join();
        closeListener();
        cutConnections();
        pool_.reset();
    } catch (...) {
        // stop() runs from destructors and signal paths; there is nobody left to tell.
    }
}

std::string EmulatorServer::baseUrl() const {
    return std::string(tls() ? "https" : "http") + "://" + config_.host + ":" + std::to_string(port_);
}

}  // namespace tradehost::binance_emulator
