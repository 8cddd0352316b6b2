// HTTP(S) server wiring: own thread pool, sized server params, /fapi and /control routing, TLS context in code.
#include "emulator_server.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "control_handler.h"
#include "fapi_handler.h"
#include "http_body.h"

namespace tradehost::binance_emulator {
namespace {

// Anything outside /fapi and /control: Binance's gateway answers such paths with a 404.
class NotFoundHandler : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        readBody(request);
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
    const Poco::Net::SocketAddress address(config_.host, config_.port);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (tls()) {
        static std::once_flag sslInit;
        std::call_once(sslInit, [] { Poco::Net::initializeSSL(); });
        // Built in code: no SSLManager defaults and no interactive passphrase/certificate handlers.
        Poco::Net::Context::Params params;
        params.privateKeyFile = config_.keyFile;
        params.certificateFile = config_.certFile;
        params.verificationMode = Poco::Net::Context::VERIFY_NONE;
        params.loadDefaultCAs = false;
        params.cipherList = "HIGH:!aNULL:!MD5";
        Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, context);
    } else {
        socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
    }
    port_ = socket->address().port();

    // Own pool: Poco's default pool is shared process-wide (and by the host in in-process tests).
    pool_ = std::make_unique<Poco::ThreadPool>(2, config_.threads, 60);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(config_.threads);
    // Past this queue Poco drops connections silently; make it deep enough not to matter.
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);  // unlimited
    params->setKeepAliveTimeout(Poco::Timespan(30, 0));
    params->setTimeout(Poco::Timespan(30, 0));
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Router(*state_), *pool_, *socket, params);
    server_->start();
    state_->server.store(server_.get());
}

void EmulatorServer::stop() noexcept {
    try {
        if (server_) {
            state_->server.store(nullptr);
            // Abort kept-alive connections too, or stop would wait for idle clients to leave.
            server_->stopAll(true);
        }
        // Handlers may still be finishing on pool threads; the server they can see (through
        // /control/state) is destroyed only once they are done.
        if (pool_) pool_->joinAll();
        server_.reset();
        pool_.reset();
    } catch (...) {
        // stop() runs from destructors and signal paths; there is nobody left to tell.
    }
}

std::string EmulatorServer::baseUrl() const {
    return std::string(tls() ? "https" : "http") + "://" + config_.host + ":" + std::to_string(port_);
}

}  // namespace tradehost::binance_emulator
