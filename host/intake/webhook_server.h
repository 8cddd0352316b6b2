// The HTTP listener signals arrive on: authenticate, bound, parse, journal durably, then answer.
#pragma once

#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "gate/signal_lookup.h"

namespace tradehost::host {

class Journal;
class RecentSignals;

struct IntakeOptions {
    std::string listen = "127.0.0.1:8080";  // "host:port"; port 0 picks a free one
    std::string secret;                     // body "secret"; empty: not accepted as a method
    std::string pathToken;                  // POST /webhook/<token>
    std::string signingSecret;              // X-Signature: sha256=<hex HMAC-SHA256 of the body>
    std::set<std::string> allowIps;         // empty: any source address
    std::size_t maxBodyBytes = 64 * 1024;
    int maxThreads = 16;
    int maxQueued = 256;
    // Signal ids journaled but not yet admitted that intake keeps in memory; past this (admission
    // far behind) new signals get 503 with Retry-After.
    std::size_t maxClaims = 250'000;
};

// Routes: POST /webhook and /webhook/<token> (signals), GET /healthz (alive), GET /readyz
// (recovery finished and the journal writable). Answers: 202 accepted (durable), 200 duplicate,
// 400 invalid (naming the field), 401/403 auth, 413 too large, 422 same id with another payload,
// 400 for a request Poco cannot even build (e.g. Content-Length not a number), 503 when the
// journal cannot persist, or at once (Retry-After: 1) while more than half of
// maxQueued connections wait for a handler thread. Never a 2xx without a durable record.
//
// The answer depends on the journal alone: a new signal is acknowledged once its record is in a
// group-committed fdatasync; duplicates and conflicts of ids in flight are answered from memory
// (RecentSignals), of older ids from the gate's read-only lookup. Intake never writes to the gate
// and never waits for its writer; a refused conflicting payload is journaled, and the admitter
// records the refusal.
class WebhookServer {
public:
    // `journal` and `lookup` may be null only for a server that refuses signals (503): the probes
    // still work.
    WebhookServer(IntakeOptions options, Journal* journal, SignalLookup* lookup, std::function<void()> onJournaled,
                  std::function<std::int64_t()> nowMs);
    ~WebhookServer();

    void start();
    // Stops accepting, lets every request being handled finish (its answer sent), closes idle
    // keep-alive connections, and returns once no handler runs any more.
    void stop();
    // The admitter has put every journal record up to `seq` in the gate.
    void admittedThrough(std::uint64_t seq);
    std::string host() const { return host_; }
    unsigned short port() const;
    void setReady(bool ready);

    struct State;  // shared with the request handlers (which Poco may destroy after us)

private:
    std::string host_;
    std::shared_ptr<State> state_;
    std::unique_ptr<Poco::ThreadPool> pool_;        // our own, not Poco's shared default pool
    std::unique_ptr<Poco::Net::TCPServer> server_;  // with our HTTP connection loop (webhook_server.cpp)
};

// Splits "host:port" (a bare port means 127.0.0.1); throws std::invalid_argument naming the text.
std::pair<std::string, unsigned short> parseListenAddress(const std::string& listen);

}  // namespace tradehost::host
