// The outbox consumer that writes the hash-chained event log (events.jsonl).
#pragma once

#include "events/event_log.h"
#include "pipeline/outbox_dispatcher.h"

namespace tradehost::host {

class EventLogWriter : public OutboxConsumer {
public:
    explicit EventLogWriter(EventLog& log) : log_(log) {}
    std::string cursorName() const override { return "event_log"; }
    std::uint64_t durableThrough() const override { return log_.lastId(); }
    void consume(const std::vector<StoredEvent>& events) override;

private:
    EventLog& log_;
};

}  // namespace tradehost::host
