// A host stand-in for unit tests: a PluginContext (logs, metrics, a settable clock, a scratch data dir), settings.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "temp_dir.h"
#include "tradehost/context.h"
#include "tradehost/settings.h"

namespace tradehost::test {

// Keeps every line so a test can assert what was (and was not) logged, e.g. that no secret was.
class FakeLogger final : public Logger {
public:
    struct Line {
        LogLevel level;
        std::string message;
    };

    void log(LogLevel level, const std::string& message) override {
        std::lock_guard<std::mutex> lock(mutex_);
        lines_.push_back(Line{level, message});
    }
    bool enabled(LogLevel) const override { return true; }

    std::vector<Line> lines() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return lines_;
    }
    // Lines containing `fragment`, at any level.
    std::size_t count(const std::string& fragment) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return static_cast<std::size_t>(std::count_if(lines_.begin(), lines_.end(), [&](const Line& line) {
            return line.message.find(fragment) != std::string::npos;
        }));
    }
    bool contains(const std::string& fragment) const { return count(fragment) != 0; }
    void clear() {
        std::lock_guard<std::mutex> lock(mutex_);
        lines_.clear();
    }

private:
    mutable std::mutex mutex_;
    std::vector<Line> lines_;
};

// Stands still until the test moves it; wall and monotonic time move together.
class FakeClock final : public Clock {
public:
    explicit FakeClock(std::int64_t startMs = 1'764'000'000'000) : ms_(startMs) {}

    std::chrono::system_clock::time_point now() const override {
        return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
    }
    std::chrono::steady_clock::time_point monotonic() const override {
        return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms_.load()));
    }
    void setMs(std::int64_t ms) { ms_.store(ms); }
    void advanceMs(std::int64_t deltaMs) { ms_.fetch_add(deltaMs); }

private:
    std::atomic<std::int64_t> ms_;
};

class FakeMetrics final : public Metrics {
public:
    void set(const std::string& name, std::int64_t value) override {
        std::lock_guard<std::mutex> lock(mutex_);
        values_[name] = value;
    }
    void add(const std::string& name, std::int64_t delta) override {
        std::lock_guard<std::mutex> lock(mutex_);
        values_[name] += delta;
    }
    // Zero for a metric never written, as a fresh counter would read.
    std::int64_t value(const std::string& name) const {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = values_.find(name);
        return it == values_.end() ? 0 : it->second;
    }
    bool has(const std::string& name) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return values_.count(name) != 0;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::int64_t> values_;
};

// dataDir() is a fresh temporary directory (mode 0700, as the host makes it) removed with the
// context, unless the test names one: then that one is used and left alone, so that a second
// context (a restarted host) can find what the first instance kept there.
class FakeContext final : public PluginContext {
public:
    explicit FakeContext(std::string name = "test_instance", std::string dataDir = "") : name_(std::move(name)) {
        if (dataDir.empty()) {
            ownDir_ = std::make_unique<TempDir>();
            dataDir = ownDir_->path().string();
        }
        dataDir_ = std::move(dataDir);
    }

    const std::string& instanceName() const override { return name_; }
    Logger& logger() override { return logger_; }
    const Clock& clock() const override { return clock_; }
    Metrics& metrics() override { return metrics_; }
    const std::string& dataDir() const override { return dataDir_; }
    OperatorCommands* operatorCommands() override { return commands_; }

    // What operatorCommands() lends the plugin (a test's recorder); null by default, as a host
    // that takes no commands.
    void setOperatorCommands(OperatorCommands* commands) { commands_ = commands; }
    FakeLogger& fakeLogger() { return logger_; }
    FakeClock& fakeClock() { return clock_; }
    FakeMetrics& fakeMetrics() { return metrics_; }

private:
    std::string name_;
    std::unique_ptr<TempDir> ownDir_;
    std::string dataDir_;
    FakeLogger logger_;
    FakeClock clock_;
    FakeMetrics metrics_;
    OperatorCommands* commands_ = nullptr;
};

// The Settings the host would hand a plugin: the schema's defaults overridden by `values`.
// Like the host's config check, throws std::logic_error for an undeclared key, a value (or a
// default) of another type than declared, or a missing required key — so a test catches a schema
// mistake such as a Decimal setting whose default was written as a string.
inline Settings settingsFor(const SettingsSchema& schema, std::map<std::string, SettingValue> values = {}) {
    std::map<std::string, SettingValue> out;
    for (const SettingSpec& spec : schema) {
        // SettingValue's alternatives are in SettingType's order.
        const auto expected = static_cast<std::size_t>(spec.type);
        auto given = values.find(spec.name);
        if (given != values.end()) {
            if (given->second.index() != expected)
                throw std::logic_error("setting '" + spec.name + "' given as another type than " + toString(spec.type));
            out.emplace(spec.name, std::move(given->second));
            values.erase(given);
        } else if (spec.defaultValue) {
            if (spec.defaultValue->index() != expected)
                throw std::logic_error("default of setting '" + spec.name + "' is not a " +
                                       std::string(toString(spec.type)));
            out.emplace(spec.name, *spec.defaultValue);
        } else if (spec.required) {
            throw std::logic_error("required setting '" + spec.name + "' missing");
        }
    }
    if (!values.empty()) throw std::logic_error("setting '" + values.begin()->first + "' is not declared");
    return Settings(std::move(out));
}

}  // namespace tradehost::test
