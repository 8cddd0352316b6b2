// One sink's delivery worker.
#include "alerts/alert_delivery.h"

#include <Poco/Logger.h>

#include <algorithm>

namespace tradehost::host {
namespace {
Poco::Logger& log() { return Poco::Logger::get("alerts"); }
}  // namespace

AlertDelivery::AlertDelivery(std::string sink, AlertOutbox& outbox, Send send, const Clock& clock,
                             std::function<void(const std::string&)> onFatal)
    : Worker("alert delivery '" + sink + "'", clock, std::move(onFatal)),
      sink_(std::move(sink)),
      outbox_(outbox),
      send_(std::move(send)) {
    idleMs_ = 1000;
}

std::optional<std::int64_t> AlertDelivery::runOnce(std::int64_t nowMs) {
    const auto next = outbox_.nextAlert(sink_);
    if (!next) return std::nullopt;
    if (next->notBeforeMs > nowMs) return next->notBeforeMs;
    const SendResult result = send_(next->alert);
    const std::int64_t t = clock_.nowMs();
    if (std::holds_alternative<Ok>(result)) {
        if (metrics_.sent) metrics_.sent->inc();
        outbox_.alertDelivered(sink_, next->id, t);
        return t;  // the next one at once
    }
    if (const auto* r = std::get_if<Retry>(&result)) {
        if (metrics_.retried) metrics_.retried->inc();
        const std::int64_t after = std::max<std::int64_t>(r->after.count(), 100);
        outbox_.alertRetry(sink_, next->id, t + after, r->reason);
        if (next->attempts == 0)
            log().warning("alert " + next->alert.id + " to '" + sink_ + "' not delivered yet (" + r->reason +
                          "); retried in " + std::to_string(after) + " ms, later alerts wait behind it");
        return t + after;
    }
    if (metrics_.failed) metrics_.failed->inc();
    const auto& f = std::get<Fail>(result);
    outbox_.alertFailed(sink_, next->id, f.reason, t);
    log().error("alert " + next->alert.id + " to '" + sink_ + "' failed for good: " + f.reason +
                " (it is in the fallback file)");
    return t;
}

}  // namespace tradehost::host
