// Console lines that stay readable under a flood: a few per kind and second, then a count.
#pragma once

#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace tradehost::host {

// Each kind ("refused", "accepted", ...) writes at most `perWindow` lines per window; the rest
// are counted, and one line says how many were left out once the window is over (at the next
// log() or flush()). Thread-safe.
class ThrottledLog {
public:
    explicit ThrottledLog(Poco::Logger& logger, int perWindow = 5, std::int64_t windowMs = 1000)
        : logger_(logger), perWindow_(perWindow), windowMs_(windowMs) {}

    void log(const std::string& kind, Poco::Message::Priority priority, const std::string& line, std::int64_t nowMs) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!logger_.is(priority)) return;
        Window& w = windows_[kind];
        closeIfOver(kind, w, nowMs);
        if (w.startMs == 0) w.startMs = nowMs;
        if (w.written < perWindow_) {
            ++w.written;
            w.priority = priority;
            logger_.log(Poco::Message(logger_.name(), line, priority));
        } else {
            ++w.suppressed;
        }
    }

    // Writes the counts of windows that are over; call it now and then (the webhook's loop does
    // at every scan).
    void flush(std::int64_t nowMs) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& [kind, w] : windows_) closeIfOver(kind, w, nowMs);
    }

private:
    struct Window {
        std::int64_t startMs = 0;
        int written = 0;
        std::uint64_t suppressed = 0;
        Poco::Message::Priority priority = Poco::Message::PRIO_INFORMATION;
    };

    void closeIfOver(const std::string& kind, Window& w, std::int64_t nowMs) {
        if (w.startMs == 0 || nowMs - w.startMs < windowMs_) return;
        if (w.suppressed > 0)
            logger_.log(Poco::Message(logger_.name(),
                                      "... and " + std::to_string(w.suppressed) + " more " + kind + " in the last " +
                                          std::to_string((nowMs - w.startMs + 500) / 1000) +
                                          " s (not shown one by one)",
                                      w.priority));
        w = Window{};
    }

    Poco::Logger& logger_;
    const int perWindow_;
    const std::int64_t windowMs_;
    std::mutex mutex_;
    std::map<std::string, Window> windows_;
};

}  // namespace tradehost::host
