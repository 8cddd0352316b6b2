// `tradehost verify-events FILE`: checks an event log's hash chain and says where it breaks.
#include "events/verify_events.h"

#include "events/event_log.h"

namespace tradehost::host {

int runVerifyEvents(const std::string& path, std::ostream& out, std::ostream& err) {
    EventLog::Verification verification;
    try {
        verification = EventLog::verify(path);
    } catch (const EventLogError& e) {
        err << e.what() << "\n";  // already starts with the path
        return 2;
    }
    if (!verification.ok) {
        err << path << ": line " << verification.firstBadLine << ": " << verification.reason << "\n";
        return 1;
    }
    out << path << ": ok, " << verification.lines << (verification.lines == 1 ? " event" : " events")
        << ", chain intact\n";
    return 0;
}

}  // namespace tradehost::host
