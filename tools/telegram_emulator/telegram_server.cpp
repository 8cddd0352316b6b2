// TelegramServer: own thread pool, sized server params, TLS context from the shared emulator code.
#include "telegram_server.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <stdexcept>

#include "bot_handler.h"
#include "server_tls.h"

namespace tradehost::telegram_emulator {

TelegramServer::TelegramServer(TelegramConfig config) : config_(std::move(config)) {
    if (config_.certFile.empty() != config_.keyFile.empty())
        throw std::invalid_argument("--cert and --key go together");
    if (config_.token.find(':') == std::string::npos || config_.token.find('/') != std::string::npos)
        throw std::invalid_argument("a bot token looks like 123456:secret (no '/')");
    if (config_.chats.empty()) config_.chats.push_back(1001);
    for (const auto id : config_.chats) {
        if (id == 0) throw std::invalid_argument("chat id 0 does not exist in Telegram");
    }
    if (config_.threads < 2) throw std::invalid_argument("at least 2 threads are needed");
    if (config_.maxPollTimeoutS < 0) throw std::invalid_argument("the getUpdates timeout cap must not be negative");
    state_ = std::make_unique<BotState>(config_.chats, config_.limits);
}

TelegramServer::~TelegramServer() { stop(); }

void TelegramServer::start() {
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(config_.threads);
    // Past this queue Poco drops connections silently; make it deep enough not to matter.
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    params->setKeepAliveTimeout(Poco::Timespan(config_.maxPollTimeoutS + 30, 0));
    params->setTimeout(Poco::Timespan(config_.maxPollTimeoutS + 30, 0));
    params->setThreadIdleTime(Poco::Timespan(0, 200000));
    pool_ = std::make_unique<Poco::ThreadPool>(2, config_.threads, 60);
    const Poco::Net::SocketAddress address(config_.host, config_.port);
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    if (!config_.certFile.empty()) {
        socket = std::make_unique<Poco::Net::SecureServerSocket>(
            tools::makeServerTlsContext(config_.certFile, config_.keyFile));
    } else {
        socket = std::make_unique<Poco::Net::ServerSocket>();
    }
    socket->bind(address, true, false);
    socket->listen(64);
    port_ = socket->address().port();
    BotIdentity identity{config_.token, config_.maxPollTimeoutS * 1000};
    server_ = std::make_unique<Poco::Net::HTTPServer>(new BotRouter(*state_, identity), *pool_, *socket, params);
    server_->start();
}

void TelegramServer::stop() noexcept {
    try {
        if (state_) state_->shutdown();
        if (server_) server_->stopAll(true);
        if (pool_) pool_->joinAll();
        server_.reset();
        pool_.reset();
    } catch (...) {
        // stop() runs from destructors and signal paths; there is nobody left to tell.
    }
}

std::string TelegramServer::baseUrl() const {
    return std::string(config_.certFile.empty() ? "http" : "https") + "://" + config_.host + ":" +
           std::to_string(port_);
}

}  // namespace tradehost::telegram_emulator
