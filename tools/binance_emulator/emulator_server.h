// The emulator as an embeddable object: builds the state, binds HTTP or HTTPS, serves (with outages) until stopped.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "connection_registry.h"
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
    // Closes the listener and every open connection, waits for the workers. Idempotent. Safe
    // during an outage (POST /control/outage): it does not wait for the outage to end.
    void stop() noexcept;

    std::uint16_t port() const { return port_; }
    bool tls() const { return !config_.certFile.empty(); }
    // e.g. "https://127.0.0.1:43121"
    std::string baseUrl() const;
    EmulatorState& state() { return *state_; }

private:
    // Binds port_ (0 at first: the OS picks) and starts a server on it. Poco's TCPServer cannot
    // be restarted once stopped, so every (re)start builds a new listening socket and server.
    void listen();
    // Refuses new connections at once and stops accepting.
    void closeListener();
    // Cuts every open connection and waits until no handler runs.
    void cutConnections();
    // The supervisor thread: carries out the outages /control/outage requests.
    void superviseOutages();

    EmulatorConfig config_;
    std::unique_ptr<EmulatorState> state_;
    Poco::Net::Context::Ptr tls_;  // kept: a reopened listener serves the same certificate
    Poco::Net::HTTPRequestHandlerFactory::Ptr router_;
    Poco::Net::HTTPServerParams::Ptr params_;
    std::unique_ptr<Poco::ThreadPool> pool_;  // outlives every server built on it
    ConnectionRegistry connections_;
    // Only start(), stop() and the supervisor touch these, and stop() joins the supervisor first.
    std::unique_ptr<Poco::Net::ServerSocket> listener_;
    std::unique_ptr<Poco::Net::TCPServer> server_;
    std::thread supervisor_;
    std::uint16_t port_ = 0;
};

}  // namespace tradehost::binance_emulator
