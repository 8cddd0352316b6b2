// The HTTP listener signals arrive on (POST /webhook), with liveness and readiness probes.
#include "intake/webhook_server.h"

#include <stdexcept>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

namespace tradehost::host {
namespace {

using Poco::Net::HTTPResponse;

class JsonHandler : public Poco::Net::HTTPRequestHandler {
public:
    JsonHandler(HTTPResponse::HTTPStatus status, std::string body) : status_(status), body_(std::move(body)) {}
    void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) override {
        response.setStatus(status_);
        response.setContentType("application/json");
        response.setContentLength(static_cast<std::streamsize>(body_.size()));
        response.send() << body_;
    }

private:
    HTTPResponse::HTTPStatus status_;
    std::string body_;
};

class Routes : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Routes(std::shared_ptr<std::atomic<bool>> ready) : ready_(std::move(ready)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override {
        const std::string& uri = request.getURI();
        if (uri == "/healthz") return new JsonHandler(HTTPResponse::HTTP_OK, "{\"status\":\"alive\"}");
        if (uri == "/readyz") {
            return *ready_ ? new JsonHandler(HTTPResponse::HTTP_OK, "{\"status\":\"ready\"}")
                           : new JsonHandler(HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "{\"status\":\"starting\"}");
        }
        if (uri == "/webhook" || uri.rfind("/webhook/", 0) == 0) {
            return new JsonHandler(HTTPResponse::HTTP_NOT_IMPLEMENTED,
                                   "{\"error\":\"signal intake is not built yet: this host loads and checks plugins and "
                                   "deployments only; no signal was recorded\"}");
        }
        return new JsonHandler(HTTPResponse::HTTP_NOT_FOUND, "{\"error\":\"no such route\"}");
    }

private:
    std::shared_ptr<std::atomic<bool>> ready_;
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

WebhookServer::WebhookServer(const std::string& listen)
    : ready_flag_(std::make_shared<std::atomic<bool>>(false)), ready_(*ready_flag_) {
    const auto [host, port] = parseListenAddress(listen);
    host_ = host;
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(host, port), 64);
    auto* params = new Poco::Net::HTTPServerParams;
    // Deliberate bounds: a few handler threads, a short queue, short timeouts; see DESIGN.md §4.
    params->setMaxThreads(8);
    params->setMaxQueued(64);
    params->setTimeout(Poco::Timespan(5, 0));
    params->setKeepAlive(true);
    pool_ = std::make_unique<Poco::ThreadPool>("webhook", 2, 8);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Routes(ready_flag_), *pool_, socket, params);
}

WebhookServer::~WebhookServer() { stop(); }

void WebhookServer::start() { server_->start(); }

void WebhookServer::stop() {
    if (server_) server_->stopAll(true);
}

unsigned short WebhookServer::port() const { return server_->port(); }

}  // namespace tradehost::host
