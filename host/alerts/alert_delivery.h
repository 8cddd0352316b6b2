// One sink's delivery worker: hands the sink its oldest waiting alert, records what came of it.
#pragma once

#include <tradehost/alert_sink.h>

#include <functional>
#include <string>

#include "gate/alert_outbox.h"
#include "metrics/component_metrics.h"
#include "pipeline/worker.h"

namespace tradehost::host {

// One per sink, so a slow or rate-limited sink never delays another. Ok: delivered. Retry{after}:
// tried again no sooner than `after`, and the sink's later alerts wait behind it (order). Fail:
// recorded with the reason; the next alert goes on (the alert is in the fallback file anyway).
class AlertDelivery : public Worker {
public:
    using Send = std::function<SendResult(const Alert&)>;
    AlertDelivery(std::string sink, AlertOutbox& outbox, Send send, const Clock& clock,
                  std::function<void(const std::string&)> onFatal);
    std::optional<std::int64_t> runOnce(std::int64_t nowMs) override;
    const std::string& sink() const { return sink_; }
    // What the sink answered, counted from now on; before start().
    void setMetrics(AlertDeliveryMetrics metrics) { metrics_ = metrics; }

private:
    std::string sink_;
    AlertOutbox& outbox_;
    Send send_;
    AlertDeliveryMetrics metrics_;
};

}  // namespace tradehost::host
