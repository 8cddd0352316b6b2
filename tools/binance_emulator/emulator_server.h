// The emulator as an embeddable object: builds the state, binds HTTP or HTTPS, serves until stopped.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emulator_state.h"

namespace tradehost::binance_emulator {

struct EmulatorConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  // 0: the OS picks a free port; port() tells which
    std::string certFile;    // both set: HTTPS; both empty: plain HTTP
    std::string keyFile;
    std::vector<Credential> credentials;
    std::vector<std::string> symbols;           // empty: every built-in symbol
    std::map<std::string, std::string> prices;  // initial price overrides
    RateLimits limits;
    bool hedgeMode = false;
    int threads = 64;  // each kept-alive connection holds a thread while it is open
    bool verbose = false;
};

class EmulatorServer {
public:
    // Validates the configuration; throws std::invalid_argument naming the problem.
    explicit EmulatorServer(EmulatorConfig config);
    ~EmulatorServer();
    EmulatorServer(const EmulatorServer&) = delete;
    EmulatorServer& operator=(const EmulatorServer&) = delete;

    // Binds and starts serving; throws Poco::Exception if the address cannot be bound or the
    // certificate cannot be loaded.
    void start();
    // Closes the listener and every open connection, waits for the workers. Idempotent.
    void stop() noexcept;

    std::uint16_t port() const { return port_; }
    bool tls() const { return !config_.certFile.empty(); }
    // e.g. "https://127.0.0.1:43121"
    std::string baseUrl() const;
    EmulatorState& state() { return *state_; }

private:
    EmulatorConfig config_;
    std::unique_ptr<EmulatorState> state_;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::uint16_t port_ = 0;
};

}  // namespace tradehost::binance_emulator
