// The HTTP listener signals arrive on: one event loop reads, bounds and answers every connection;
// one committer thread journals what it accepted, many requests per fdatasync.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "gate/signal_lookup.h"
#include "intake/intake_service.h"
#include "metrics/component_metrics.h"

namespace tradehost::host {

class Journal;

// The listen address is taken (no port sharing: two hosts on one address would split signals).
class AddressInUse : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// No thread per connection: an idle or slow connection costs a few hundred bytes, not a thread,
// so slow senders cannot take the webhook down (each request must arrive whole within
// requestTimeoutMs of its first byte: 408), and a request never waits for another's fsync on its
// own thread. The loop hands accepted records to the committer, which writes each gathered batch
// with one Journal::appendAll (one write, one fdatasync) and passes the sequence numbers back;
// only then is 202 written. The listening socket is bound without port sharing: a second process
// on the same address fails to start instead of splitting the connections.
class WebhookServer {
public:
    // Binds now (throws std::runtime_error naming the address if it cannot). `journal` and `lookup`
    // may be null only for a server that refuses signals (503): the probes work. `metrics`: what
    // each request was answered and how long a journaled one took (its series outlive the server).
    WebhookServer(IntakeOptions options, Journal* journal, SignalLookup* lookup, std::function<void()> onJournaled,
                  std::function<std::int64_t()> nowMs, IntakeMetrics metrics = {});
    ~WebhookServer();

    void start();
    // Stops accepting, answers every request already read (waiting for its journal record), closes
    // every connection, and returns once the loop and the committer have stopped. Idempotent.
    void stop();
    // A signal from inside the host (the admin page's order ticket; the caller has authenticated
    // it), judged on the loop thread like an authenticated POST /webhook body: the same parser,
    // claim (duplicate, conflict), committer and fdatasync, with `origin` journaled beside it. The
    // future holds what a webhook sender would have been answered: 202 only once the record is
    // durable. Thread-safe; a stopping or stopped server answers 503 at once.
    std::future<IntakeAnswer> submit(std::string signalJson, SignalOrigin origin);
    // The admitter has put every journal record up to `seq` in the gate.
    void admittedThrough(std::uint64_t seq);
    void setReady(bool ready);

    std::string host() const { return host_; }
    unsigned short port() const { return port_; }

    struct Impl;

private:
    std::string host_;
    unsigned short port_ = 0;
    std::unique_ptr<Impl> impl_;
};

// Splits "host:port" (a bare port means 127.0.0.1); throws std::invalid_argument naming the text.
std::pair<std::string, unsigned short> parseListenAddress(const std::string& listen);

}  // namespace tradehost::host
