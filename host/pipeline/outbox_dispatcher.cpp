// Hands the gate's outbox to its consumers, each from its own named durable cursor.
#include "pipeline/outbox_dispatcher.h"

#include <algorithm>

namespace tradehost::host {
namespace {
constexpr std::size_t kBatch = 1000;
constexpr std::int64_t kStoreEveryMs = 1000;
constexpr std::int64_t kLingerMs = 20;
}  // namespace

OutboxDispatcher::OutboxDispatcher(EventOutbox& outbox, const Clock& clock,
                                   std::function<void(const std::string&)> onFatal)
    : Worker("outbox dispatcher", clock, std::move(onFatal)), outbox_(outbox) {
    idleMs_ = 200;
}

void OutboxDispatcher::add(OutboxConsumer& consumer) {
    const std::uint64_t held = consumer.durableThrough();
    const std::uint64_t cursor = std::max(outbox_.openCursor(consumer.cursorName(), held), held);
    consumers_.push_back({&consumer, cursor, 0});
}

std::size_t OutboxDispatcher::deliver(std::int64_t nowMs, bool storeCursors) {
    std::size_t most = 0;
    const std::int64_t now = nowMs;
    if (now >= nextStoreMs_) {
        storeCursors = true;
        nextStoreMs_ = now + kStoreEveryMs;
    }
    for (auto& c : consumers_) {
        const auto batch = outbox_.readAfter(c.cursor, kBatch);
        if (!batch.empty()) {
            c.consumer->consume(batch);
            c.cursor = batch.back().id;
            most = std::max(most, batch.size());
        }
        if (storeCursors && c.stored != c.cursor) {
            outbox_.advanceCursor(c.consumer->cursorName(), c.cursor);
            c.stored = c.cursor;
        }
    }
    return most;
}

void OutboxDispatcher::drain() {
    while (deliver(clock_.nowMs(), false) >= kBatch) {
    }
    deliver(clock_.nowMs(), true);
    for (auto& c : consumers_) c.consumer->flush();
}

std::optional<std::int64_t> OutboxDispatcher::runOnce(std::int64_t nowMs) {
    const std::size_t delivered = deliver(nowMs, false);
    for (auto& c : consumers_) c.consumer->tick(nowMs);
    if (delivered >= kBatch) {
        lingerUntilMs_ = 0;
        return nowMs;  // a backlog: go on at once
    }
    // The audit trail is not latency-critical: after a delivery, let events gather for a moment
    // (one write and fdatasync of the log per linger, not per commit of the pipeline).
    lingerUntilMs_ = delivered > 0 ? nowMs + kLingerMs : 0;
    return nextStoreMs_;
}

}  // namespace tradehost::host
