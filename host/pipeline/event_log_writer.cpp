// The outbox consumer that writes the hash-chained event log (events.jsonl).
#include "pipeline/event_log_writer.h"

#include "testing/crash_point.h"

namespace tradehost::host {

void EventLogWriter::consume(const std::vector<StoredEvent>& events) {
    std::vector<Event> lines;
    lines.reserve(events.size());
    for (const auto& e : events)
        lines.push_back(
            {e.id, e.tsMs, e.event.event, e.event.signalId, e.event.clientOrderId, e.event.venue, e.event.dataJson});
    log_.append(lines);
    TRADEHOST_CRASH_POINT("events.after_file_append");
}

}  // namespace tradehost::host
