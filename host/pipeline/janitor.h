// Upkeep that keeps storage bounded: old signals, admitted journal segments, consumed events.
#pragma once

#include "gate/event_outbox.h"
#include "gate/signal_admission.h"
#include "journal/journal.h"
#include "pipeline/pipeline_options.h"
#include "pipeline/worker.h"

namespace tradehost::host {

// Every few seconds: prunes the outbox up to its slowest cursor and deletes journal segments the
// gate has fully admitted (the gate is the durable record from then on); every hour: forgets
// signals past the retention window whose legs are all final.
class Janitor : public Worker {
public:
    Janitor(Journal& journal, SignalAdmission& admission, EventOutbox& outbox, PipelineOptions options,
            const Clock& clock, std::function<void(const std::string&)> onFatal);
    std::optional<std::int64_t> runOnce(std::int64_t nowMs) override;

private:
    Journal& journal_;
    SignalAdmission& admission_;
    EventOutbox& outbox_;
    const PipelineOptions options_;
    std::int64_t nextPruneMs_ = 0;
    std::int64_t nextRetentionMs_ = 0;
};

}  // namespace tradehost::host
