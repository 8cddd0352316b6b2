// Hands the gate's outbox to its consumers, each from its own named durable cursor.
#include "pipeline/outbox_dispatcher.h"

#include <algorithm>

namespace tradehost::host {
namespace {
constexpr std::size_t kBatch = 1000;
constexpr std::int64_t kStoreEveryMs = 1000;
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

bool OutboxDispatcher::deliver(bool storeCursors) {
    bool more = false;
    const std::int64_t now = clock_.nowMs();
    if (now >= nextStoreMs_) {
        storeCursors = true;
        nextStoreMs_ = now + kStoreEveryMs;
    }
    for (auto& c : consumers_) {
        const auto batch = outbox_.readAfter(c.cursor, kBatch);
        if (!batch.empty()) {
            c.consumer->consume(batch);
            c.cursor = batch.back().id;
            more = more || batch.size() == kBatch;
        }
        if (storeCursors && c.stored != c.cursor) {
            outbox_.advanceCursor(c.consumer->cursorName(), c.cursor);
            c.stored = c.cursor;
        }
    }
    return more;
}

void OutboxDispatcher::drain() {
    while (deliver(false)) {
    }
    deliver(true);
}

std::optional<std::int64_t> OutboxDispatcher::runOnce(std::int64_t nowMs) {
    if (deliver(false)) return nowMs;
    return nextStoreMs_;
}

}  // namespace tradehost::host
