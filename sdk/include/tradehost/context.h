// What the host lends each plugin instance: its name, a logger named after it, a clock, metrics, a data directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tradehost/operator_commands.h"
#include "tradehost/visibility.h"

namespace tradehost {

enum class LogLevel { Debug, Information, Warning, Error };

// Logs land in the host's log, prefixed with the instance name. Thread-safe. The host also
// redacts every configured secret value it knows of, but a plugin must still never log a key,
// secret, signature or token: log the path and the client order id instead.
class TRADEHOST_SDK_API Logger {
public:
    virtual ~Logger() = default;
    virtual void log(LogLevel level, const std::string& message) = 0;
    virtual bool enabled(LogLevel level) const = 0;

    void debug(const std::string& m) {
        if (enabled(LogLevel::Debug)) log(LogLevel::Debug, m);
    }
    void info(const std::string& m) { log(LogLevel::Information, m); }
    void warning(const std::string& m) { log(LogLevel::Warning, m); }
    void error(const std::string& m) { log(LogLevel::Error, m); }
};

// Time as the host sees it; tests substitute a controllable clock. Thread-safe.
class TRADEHOST_SDK_API Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;        // wall clock
    virtual std::chrono::steady_clock::time_point monotonic() const = 0;  // for intervals
    std::int64_t nowMs() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
    }
};

// Named gauges and counters shown on the admin page and /metrics, scoped to the instance
// (a plugin writes "used_weight_1m"; the host shows it under the instance's name). Thread-safe.
class TRADEHOST_SDK_API Metrics {
public:
    virtual ~Metrics() = default;
    virtual void set(const std::string& name, std::int64_t value) = 0;
    virtual void add(const std::string& name, std::int64_t delta) = 0;
};

// Lent by the host for the instance's whole life (from construction until after destruction
// returns); a plugin keeps the reference and touches the host only through it.
class TRADEHOST_SDK_API PluginContext {
public:
    virtual ~PluginContext() = default;
    virtual const std::string& instanceName() const = 0;
    virtual Logger& logger() = 0;
    virtual const Clock& clock() const = 0;
    virtual Metrics& metrics() = 0;
    // A directory of this instance's own, <storage.dir>/plugins/<instance name> (absolute),
    // created by the host with mode 0700 before the instance is constructed and kept across
    // restarts, for whatever the plugin must remember from one run to the next. Nothing else
    // writes in it. Read it from construction on; do the I/O in start() and later.
    virtual const std::string& dataDir() const = 0;
    // Optional. Where an alert sink that reads commands from humans (a chat bot) hands them to
    // the host; nullptr for a venue, and from a host (or test context) that takes no commands.
    // Valid from start() until stop() returns; it may answer "tradehost is starting" until the
    // host has finished starting. See tradehost/operator_commands.h.
    virtual OperatorCommands* operatorCommands() { return nullptr; }
};

}  // namespace tradehost
