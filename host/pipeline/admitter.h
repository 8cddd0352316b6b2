// Journal -> gate, in batches: each journaled signal becomes a signal row and one intent per leg.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gate/signal_admission.h"
#include "ids/client_order_id.h"
#include "journal/journal.h"
#include "pipeline/pipeline_options.h"
#include "pipeline/venue_lane.h"
#include "pipeline/worker.h"

namespace tradehost::host {

// Where the legs of one venue instance go once admitted.
struct VenueRoute {
    VenueLane* lane = nullptr;
    const ClientOrderIdCodec* ids = nullptr;
    std::function<void()> wakeExecutor;
};

// Tails the journal from the gate's processed position and admits what it finds, up to
// options.admitBatch records per gate transaction (one fdatasync of the WAL for the lot). A
// journal record that can never be admitted is skipped with an event, never retried forever: the
// host must be able to start whatever the journal holds.
class Admitter : public Worker {
public:
    struct Hooks {
        std::function<void(std::uint64_t seq)> admittedThrough;  // intake may forget its claims up to seq
        std::function<void()> recorded;                          // new events in the outbox
    };

    Admitter(const Journal& journal, SignalAdmission& admission, std::map<std::string, VenueRoute> routes,
             PipelineOptions options, const Clock& clock, Hooks hooks, std::function<void(const std::string&)> onFatal);

    // Admits everything journaled so far (recovery, before the host says it is ready). Returns the
    // number of journal records handled.
    std::size_t catchUp();
    std::optional<std::int64_t> runOnce(std::int64_t nowMs) override;
    std::uint64_t processedSeq() const { return processed_; }

private:
    std::size_t admitBatch(std::int64_t nowMs);
    AdmissionRequest requestFor(std::uint64_t seq, const std::string& payload) const;
    std::vector<AdmissionResult> admitSkippingBadRecords(std::vector<AdmissionRequest>& batch, std::int64_t nowMs);

    const Journal& journal_;
    SignalAdmission& admission_;
    std::map<std::string, VenueRoute> routes_;
    PipelineOptions options_;
    Hooks hooks_;
    std::atomic<std::uint64_t> processed_{0};
};

}  // namespace tradehost::host
