// The handshake between POST /control/outage and the server thread that carries the outage out.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

namespace tradehost::binance_emulator {

// One outage at a time, in two steps so that the caller both gets its answer and can rely on it:
// the control handler claims the slot and requests the outage, naming its own connection; the
// server's supervisor thread closes the listener, cuts every other open connection and says so;
// only then does the handler send its answer, so after the answer every connect is refused and
// every connection the caller kept alive is gone; once the answer is out the supervisor cuts the
// requester's connection too, sits out the rest, and listens again. close() ends every wait, so a
// stop does not sit out an outage.
class OutageSwitch {
public:
    using Clock = std::chrono::steady_clock;

    // ---- the control handler's side ----------------------------------------------------------
    // The number this outage will have, or nullopt while another one is claimed or under way, or
    // once the server is stopping.
    std::optional<std::int64_t> claim() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (claimed_ || closed_) return std::nullopt;
        claimed_ = true;
        listenerClosed_ = false;
        answered_ = false;
        return ++count_;
    }
    // Requests the claimed outage and waits (at most `limit`) until the listener is closed and
    // every connection but the requester's (its descriptor, or -1) is cut.
    void requestAndWait(std::int64_t ms, int requesterFd, Clock::duration limit) {
        std::unique_lock<std::mutex> lock(mutex_);
        requestedMs_ = ms;
        requesterFd_ = requesterFd;
        wake_.notify_all();
        wake_.wait_for(lock, limit, [&] { return listenerClosed_ || closed_; });
    }
    // The answer is out (or could not be sent): the open connections may be cut now.
    void answered() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            answered_ = true;
        }
        wake_.notify_all();
    }
    // Outages claimed since the start, the one under way included.
    std::int64_t count() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return count_;
    }

    // ---- the server's side -------------------------------------------------------------------
    struct Request {
        std::int64_t ms;
        int requesterFd;  // spared until the answer is out; -1 if unknown
    };
    // Blocks until an outage is requested or close() is called (nullopt).
    std::optional<Request> next() {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return closed_ || requestedMs_.has_value(); });
        if (closed_) return std::nullopt;
        const Request request{*requestedMs_, requesterFd_};
        requestedMs_.reset();
        return request;
    }
    void listenerClosed() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            listenerClosed_ = true;
        }
        wake_.notify_all();
    }
    // Waits (at most `limit`) until the handler has sent its answer.
    void awaitAnswer(Clock::duration limit) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait_for(lock, limit, [&] { return answered_ || closed_; });
    }
    // Sleeps until `deadline`; false if close() came first.
    bool sleepUntil(Clock::time_point deadline) {
        std::unique_lock<std::mutex> lock(mutex_);
        return !wake_.wait_until(lock, deadline, [&] { return closed_; });
    }
    void finished() {
        std::lock_guard<std::mutex> lock(mutex_);
        claimed_ = false;
    }
    void open() {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = false;
    }
    void close() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closed_ = true;
        }
        wake_.notify_all();
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<std::int64_t> requestedMs_;
    int requesterFd_ = -1;
    std::int64_t count_ = 0;
    bool claimed_ = false;
    bool listenerClosed_ = false;
    bool answered_ = false;
    bool closed_ = false;
};

}  // namespace tradehost::binance_emulator
