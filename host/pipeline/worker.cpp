// The shape every pipeline component shares: one thread running runOnce() until stopped.
#include "pipeline/worker.h"

#include <pthread.h>

#include <algorithm>

namespace tradehost::host {

Worker::Worker(std::string name, const Clock& clock, std::function<void(const std::string&)> onFatal)
    : clock_(clock), name_(std::move(name)), onFatal_(std::move(onFatal)) {}

Worker::~Worker() { stop(); }

void Worker::start() {
    if (running_.exchange(true)) return;
    thread_ = std::thread([this] {
        // Named for ps, top -H and debuggers (15 characters at most).
        pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
        loop();
    });
}

void Worker::stop() noexcept {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        running_ = false;
        woken_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Worker::wake() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        woken_ = true;
    }
    cv_.notify_one();
}

void Worker::loop() {
    while (running_) {
        std::optional<std::int64_t> next;
        try {
            next = runOnce(clock_.nowMs());
        } catch (const std::exception& e) {
            running_ = false;
            if (onFatal_) onFatal_(name_ + ": " + e.what());
            return;
        }
        const std::int64_t now = clock_.nowMs();
        const std::int64_t waitMs = std::clamp<std::int64_t>(next ? *next - now : idleMs_, 0, idleMs_);
        std::unique_lock<std::mutex> lock(mutex_);
        if (lingerUntilMs_ > now) {
            // Lingering: wake-ups do not cut the wait short; what they announced is picked up
            // when the linger ends.
            const std::int64_t lingerMs = std::min(lingerUntilMs_ - now, std::max<std::int64_t>(waitMs, 1));
            cv_.wait_for(lock, std::chrono::milliseconds(lingerMs), [&] { return !running_.load(); });
        } else if (waitMs > 0 && !woken_) {
            cv_.wait_for(lock, std::chrono::milliseconds(waitMs), [&] { return woken_ || !running_; });
        }
        woken_ = false;
    }
}

}  // namespace tradehost::host
