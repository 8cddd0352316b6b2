// One audit event as the gate's outbox hands it to the event log.
#pragma once

#include <cstdint>
#include <string>

namespace tradehost::host {

struct Event {
    std::uint64_t id = 0;   // the outbox row id; strictly increasing through the file
    std::int64_t tsMs = 0;  // Unix epoch milliseconds, 0 ..= 9999-12-31T23:59:59.999Z
    std::string event;      // [a-z_]+: "signal_received", "order_submitted", "position_snapshot", ...
    std::string signalId;   // each of these three may be empty
    std::string clientOrderId;
    std::string venue;
    std::string dataJson = "{}";  // a JSON object's text, written as-is (one line: no line feed)
};

}  // namespace tradehost::host
