// The PluginContext the host lends each instance: its name, its logger, the clock, its metrics, its data directory.
#pragma once

#include <Poco/Logger.h>
#include <tradehost/context.h>

#include <filesystem>
#include <memory>
#include <string>

#include "log/metrics_registry.h"
#include "operator/command_relay.h"

namespace tradehost::host {

class SystemClock final : public Clock {
public:
    std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
    std::chrono::steady_clock::time_point monotonic() const override { return std::chrono::steady_clock::now(); }
    static SystemClock& instance();
};

// A tradehost::Logger writing to a Poco logger (which the host routes through the redactor).
class PocoLoggerAdapter final : public Logger {
public:
    explicit PocoLoggerAdapter(Poco::Logger& logger) : logger_(logger) {}
    void log(LogLevel level, const std::string& message) override;
    bool enabled(LogLevel level) const override;

private:
    Poco::Logger& logger_;
};

// Where an instance keeps its own files: <storageDir>/plugins/<instanceName>, made absolute (the
// plugin gets a path that stays right whatever the working directory becomes).
std::filesystem::path instanceDataDir(const std::filesystem::path& storageDir, const std::string& instanceName);

// Creates `dir` and its parent (<storage>/plugins) with mode 0700 where missing, and sets 0700 on
// them where they exist with another mode: what a plugin keeps there (positions, orders) is
// nobody else's business. The storage directory itself is created as the host creates it.
// Throws std::runtime_error naming the directory and the reason.
void createInstanceDataDir(const std::filesystem::path& dir);

class InstanceContext final : public PluginContext {
public:
    // `loggerName` is "venue.<name>" or "alert.<name>"; metrics are stored as "<name>.<metric>".
    // `dataDir` must exist already (createInstanceDataDir): the plugin may read it from its
    // constructor on.
    InstanceContext(std::string instanceName, const std::string& loggerName, const Clock& clock,
                    MetricsRegistry& metrics, std::string dataDir);

    const std::string& instanceName() const override { return name_; }
    Logger& logger() override { return logger_; }
    const Clock& clock() const override { return clock_; }
    Metrics& metrics() override { return metrics_; }
    const std::string& dataDir() const override { return dataDir_; }
    OperatorCommands* operatorCommands() override { return commands_.get(); }

    // Lends the plugin the host's operator commands through `relay` (alert instances only), naming
    // this instance as the way they came. Before the plugin is constructed.
    void lendCommands(CommandRelay& relay) { commands_ = std::make_unique<RelayedCommands>(relay, name_); }

private:
    class ScopedMetrics final : public Metrics {
    public:
        ScopedMetrics(std::string prefix, MetricsRegistry& registry)
            : prefix_(std::move(prefix)), registry_(registry) {}
        void set(const std::string& name, std::int64_t value) override { registry_.set(prefix_ + name, value); }
        void add(const std::string& name, std::int64_t delta) override { registry_.add(prefix_ + name, delta); }

    private:
        std::string prefix_;
        MetricsRegistry& registry_;
    };

    std::string name_;
    std::string dataDir_;
    PocoLoggerAdapter logger_;
    const Clock& clock_;
    ScopedMetrics metrics_;
    std::unique_ptr<RelayedCommands> commands_;
};

}  // namespace tradehost::host
