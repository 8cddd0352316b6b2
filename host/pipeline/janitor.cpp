// Upkeep that keeps storage bounded: old signals, admitted journal segments, consumed events.
#include "pipeline/janitor.h"

#include <Poco/Logger.h>

namespace tradehost::host {
namespace {
constexpr std::int64_t kPruneEveryMs = 10'000;
constexpr std::int64_t kRetentionEveryMs = 3'600'000;
}  // namespace

Janitor::Janitor(Journal& journal, SignalAdmission& admission, EventOutbox& outbox, PipelineOptions options,
                 const Clock& clock, std::function<void(const std::string&)> onFatal)
    : Worker("janitor", clock, std::move(onFatal)),
      journal_(journal),
      admission_(admission),
      outbox_(outbox),
      options_(std::move(options)) {
    idleMs_ = kPruneEveryMs;
}

std::optional<std::int64_t> Janitor::runOnce(std::int64_t nowMs) {
    if (nowMs >= nextPruneMs_) {
        nextPruneMs_ = nowMs + kPruneEveryMs;
        outbox_.pruneConsumed();
        journal_.pruneThrough(admission_.processedSeq());
    }
    if (nowMs >= nextRetentionMs_) {
        // Retention: a signal older than the window is refused at admission, so a forgotten id can
        // never trade again. In slices, so one pass never holds the gate for long.
        std::size_t forgotten = 0, slice = 0;
        do {
            slice = admission_.forgetSignalsBefore(nowMs - options_.retentionMs);
            forgotten += slice;
        } while (slice > 0);
        nextRetentionMs_ = nowMs + kRetentionEveryMs;
        if (forgotten > 0)
            Poco::Logger::get("janitor").information(std::to_string(forgotten) + " signal(s) past retention forgotten");
    }
    return std::min(nextPruneMs_, nextRetentionMs_);
}

}  // namespace tradehost::host
