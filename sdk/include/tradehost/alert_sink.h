// The AlertSink role: what an alert plugin implements (Telegram, a file, a pager...).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tradehost/visibility.h"

namespace tradehost {

enum class Severity { Info, Warning, Critical };

inline const char* toString(Severity s) {
    switch (s) {
        case Severity::Info: return "info";
        case Severity::Warning: return "warning";
        case Severity::Critical: return "critical";
    }
    return "?";
}

// One alert, as the host's alert router hands it to every sink.
struct Alert {
    std::string id;         // unique per alert; stable across retries of the same alert
    std::string key;        // what it is about, e.g. "drift:bn_main:BTCUSDT"; the router dedups on it
    Severity severity = Severity::Warning;
    std::string title;      // one line
    std::string text;       // plain text, may span lines; never contains a secret
    std::int64_t timestampMs = 0;
    std::vector<std::pair<std::string, std::string>> fields;  // structured details, in order
    int suppressedCount = 0;  // alerts with this key the router held back since the last one sent
};

// Delivered (or durably handed over).
struct Ok {};
// Not delivered now; the host retries the same alert after `after` (e.g. Telegram 429
// retry_after, a 5xx, a timeout).
struct Retry {
    std::chrono::milliseconds after{1000};
    std::string reason;
};
// Will never be delivered as it is (bad token, chat not found); the host records it and the
// alert still lands in the local fallback file.
struct Fail {
    std::string reason;
};
using SendResult = std::variant<Ok, Retry, Fail>;

// One alert destination. One object per configured instance.
//
// Lifecycle: constructed (cheap, no I/O; throw std::exception for a bad configuration) ->
// start() -> send()... -> stop() -> destroyed. The host never calls anything after stop().
//
// Threads: the host calls send() from one thread at a time per instance, so a sink may keep
// per-destination state without locking; start() and stop() are not concurrent with send().
// send() blocks until delivered or failed, bounded by the plugin's own timeout.
//
// Errors: send() returns a value for every expected failure and must not throw. If it throws,
// the host treats that as Retry.
class TRADEHOST_SDK_API AlertSink {
public:
    virtual ~AlertSink() = default;
    virtual void start() = 0;          // throw std::exception naming the cause if unusable
    virtual void stop() noexcept = 0;  // idempotent; joins the plugin's threads
    virtual SendResult send(const Alert& alert) = 0;
};

}  // namespace tradehost
