// The live stream's source: every event the read model has projected, numbered one by one, kept
// in a bounded ring for viewers that reconnect.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "gate/gate_types.h"

namespace tradehost::host {

// One change a viewer applies: `json` is the whole SSE data line,
// {"epoch":"…","seq":N,"event":{id, ts_ms, event, signal_id, client_order_id, venue, data}}.
struct LiveDelta {
    std::uint64_t seq = 0;
    std::string json;
};

// Sequence numbers start at 1 in each process (the epoch, random per start, says which process):
// a viewer that sees a number other than the next one, or another epoch, has missed something and
// starts again from a snapshot. Publishing never waits for viewers; a viewer that falls further
// behind than the ring holds is told so (gap) and is sent a snapshot. Thread-safe.
class LiveFeed {
public:
    explicit LiveFeed(std::size_t capacity = 4096);

    void publish(const std::vector<StoredEvent>& events);

    const std::string& epoch() const { return epoch_; }
    std::uint64_t lastSeq() const;

    struct Batch {
        bool gap = false;     // `afterSeq` is older than the ring holds (or from the future)
        bool closed = false;  // the feed is closed: end the stream
        std::vector<LiveDelta> deltas;
    };
    // The deltas after `afterSeq`, waiting up to `timeout` for one when there is none yet.
    Batch after(std::uint64_t afterSeq, std::chrono::milliseconds timeout);

    // Ends every wait now and from now on (the host is stopping).
    void close();

    // One event as the API shows it (also /api/events): data stays the event's JSON text.
    static std::string eventJson(const StoredEvent& e);

private:
    static constexpr std::size_t kMaxBatch = 512;  // deltas handed out per call

    const std::size_t capacity_;
    const std::string epoch_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<LiveDelta> ring_;
    std::uint64_t lastSeq_ = 0;
    bool closed_ = false;
};

}  // namespace tradehost::host
