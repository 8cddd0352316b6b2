// The Telegram emulator as an embeddable object: binds HTTP or HTTPS, serves the Bot and control APIs until stopped.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bot_state.h"

namespace tradehost::telegram_emulator {

struct TelegramConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  // 0: the OS picks a free port
    std::string certFile;    // both set: HTTPS; both empty: plain HTTP
    std::string keyFile;
    std::string token = "123456:emulator-token";
    std::vector<std::int64_t> chats;  // empty: the one chat 1001
    PacingLimits limits;
    std::int64_t maxPollTimeoutS = 50;
    int threads = 32;  // each long poll and each kept-alive connection holds one
};

class TelegramServer {
public:
    // Throws std::invalid_argument naming a configuration problem.
    explicit TelegramServer(TelegramConfig config);
    ~TelegramServer();
    TelegramServer(const TelegramServer&) = delete;
    TelegramServer& operator=(const TelegramServer&) = delete;

    // Throws Poco::Exception if the address cannot be bound or the certificate cannot be loaded.
    void start();
    // Wakes long polls, stops accepting and waits for the handlers. Idempotent.
    void stop() noexcept;

    std::uint16_t port() const { return port_; }
    std::string baseUrl() const;  // e.g. "https://127.0.0.1:43121"
    BotState& state() { return *state_; }

private:
    TelegramConfig config_;
    std::unique_ptr<BotState> state_;
    std::unique_ptr<Poco::ThreadPool> pool_;  // outlives the server built on it
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::uint16_t port_ = 0;
};

}  // namespace tradehost::telegram_emulator
