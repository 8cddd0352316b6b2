// Hands the gate's outbox to its consumers, each from its own named durable cursor.
#include "pipeline/outbox_dispatcher.h"

#include <algorithm>

namespace tradehost::host {
namespace {
constexpr std::size_t kBatch = 1000;
}

OutboxDispatcher::OutboxDispatcher(EventOutbox& outbox, const Clock& clock,
                                   std::function<void(const std::string&)> onFatal)
    : Worker("outbox dispatcher", clock, std::move(onFatal)), outbox_(outbox) {
    idleMs_ = 200;
}

void OutboxDispatcher::add(OutboxConsumer& consumer) {
    const std::uint64_t held = consumer.durableThrough();
    const std::uint64_t cursor = std::max(outbox_.openCursor(consumer.cursorName(), held), held);
    consumers_.push_back({&consumer, cursor});
}

bool OutboxDispatcher::deliver() {
    bool more = false;
    for (auto& c : consumers_) {
        const auto batch = outbox_.readAfter(c.cursor, kBatch);
        if (batch.empty()) continue;
        c.consumer->consume(batch);
        c.cursor = batch.back().id;
        outbox_.advanceCursor(c.consumer->cursorName(), c.cursor);
        more = more || batch.size() == kBatch;
    }
    return more;
}

void OutboxDispatcher::drain() {
    while (deliver()) {
    }
}

std::optional<std::int64_t> OutboxDispatcher::runOnce(std::int64_t nowMs) {
    if (deliver()) return nowMs;
    return std::nullopt;
}

}  // namespace tradehost::host
