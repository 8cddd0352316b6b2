// The live stream's source.
#include "readmodel/live_feed.h"

#include "events/json_text.h"
#include "text/secrets.h"

namespace tradehost::host {

LiveFeed::LiveFeed(std::size_t capacity) : capacity_(capacity), epoch_(randomHex(8)) {}

std::string LiveFeed::eventJson(const StoredEvent& e) {
    std::string out = "{\"id\":" + std::to_string(e.id) + ",\"ts_ms\":" + std::to_string(e.tsMs) + ",\"event\":";
    appendJsonString(out, e.event.event);
    out += ",\"signal_id\":";
    appendJsonString(out, e.event.signalId);
    out += ",\"client_order_id\":";
    appendJsonString(out, e.event.clientOrderId);
    out += ",\"venue\":";
    appendJsonString(out, e.event.venue);
    out += ",\"data\":";
    appendJsonString(out, e.event.dataJson);
    return out + "}";
}

void LiveFeed::publish(const std::vector<StoredEvent>& events) {
    if (events.empty()) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& e : events) {
            LiveDelta d;
            d.seq = ++lastSeq_;
            d.json =
                "{\"epoch\":\"" + epoch_ + "\",\"seq\":" + std::to_string(d.seq) + ",\"event\":" + eventJson(e) + "}";
            ring_.push_back(std::move(d));
            if (ring_.size() > capacity_) ring_.pop_front();
        }
    }
    changed_.notify_all();
}

std::uint64_t LiveFeed::lastSeq() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lastSeq_;
}

LiveFeed::Batch LiveFeed::after(std::uint64_t afterSeq, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    Batch out;
    if (afterSeq > lastSeq_ || (afterSeq < lastSeq_ && (ring_.empty() || ring_.front().seq > afterSeq + 1))) {
        out.gap = true;
        return out;
    }
    changed_.wait_for(lock, timeout, [&] { return closed_ || lastSeq_ > afterSeq; });
    out.closed = closed_;
    if (closed_) return out;
    if (!ring_.empty() && ring_.front().seq > afterSeq + 1) {
        out.gap = true;  // overtaken while waiting
        return out;
    }
    if (ring_.empty()) return out;
    // Seqs in the ring are consecutive: the first one wanted is at a known index.
    const std::size_t start = static_cast<std::size_t>(afterSeq + 1 - ring_.front().seq);
    for (std::size_t i = start; i < ring_.size() && out.deltas.size() < kMaxBatch; ++i) out.deltas.push_back(ring_[i]);
    return out;
}

void LiveFeed::close() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
    }
    changed_.notify_all();
}

}  // namespace tradehost::host
