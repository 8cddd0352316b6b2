// The HTTP listener signals arrive on (POST /webhook), with liveness and readiness probes.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

namespace tradehost::host {

// Binds `listen` ("host:port"; port 0 picks a free one) and serves until stop().
// The signal pipeline behind POST /webhook is not built yet: the route answers 501 with a JSON
// error saying so, rather than pretending to accept a signal it could not execute exactly once.
class WebhookServer {
public:
    explicit WebhookServer(const std::string& listen);
    ~WebhookServer();

    void start();
    void stop();
    std::string host() const { return host_; }
    unsigned short port() const;
    void setReady(bool ready) { ready_ = ready; }

private:
    std::string host_;
    std::shared_ptr<std::atomic<bool>> ready_flag_;
    std::atomic<bool>& ready_;
    std::unique_ptr<Poco::ThreadPool> pool_;  // our own, not Poco's shared default pool
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// Splits "host:port" (a bare port means 127.0.0.1); throws std::invalid_argument naming the text.
std::pair<std::string, unsigned short> parseListenAddress(const std::string& listen);

}  // namespace tradehost::host
