// The shape every pipeline component shares: one thread running runOnce() until stopped.
#pragma once

#include <tradehost/context.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace tradehost::host {

// A component does its work in runOnce(now) and says when it wants to run again; the thread waits
// until then or until wake(). Unit tests call runOnce() directly with a clock they control, so
// every decision is tested without threads or real time.
class Worker {
public:
    // `onFatal` is called (once, from the worker's thread) when runOnce throws: the gate or a
    // file could not record, and the host must fail-stop rather than carry on.
    Worker(std::string name, const Clock& clock, std::function<void(const std::string&)> onFatal);
    virtual ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void start();
    // Stops the thread after its current round; idempotent.
    void stop() noexcept;
    // Run again now (new work arrived).
    void wake();
    const std::string& name() const { return name_; }

    // One round of work. Returns when to run next (epoch ms; at most `idleMs` from now is waited
    // anyway), or nullopt to wait for wake() (or the idle timeout).
    virtual std::optional<std::int64_t> runOnce(std::int64_t nowMs) = 0;

protected:
    const Clock& clock_;
    std::int64_t idleMs_ = 1000;  // a safety net: a lost wake-up costs at most this
    // Until this time (epoch ms) wake() does not cut the wait short: a component that batches
    // under load (the admitter, the outbox dispatcher) lingers to let work gather instead of
    // running once per wake-up. Set from runOnce(); 0 = wake at once.
    std::int64_t lingerUntilMs_ = 0;

private:
    void loop();

    std::string name_;
    std::function<void(const std::string&)> onFatal_;
    std::atomic<bool> running_{false};
    std::mutex mutex_;
    std::condition_variable cv_;
    bool woken_ = false;
    std::thread thread_;
};

}  // namespace tradehost::host
