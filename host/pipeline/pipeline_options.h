// The pipeline's knobs, from the deployment (risk:, resolver:, routing:) with production defaults.
#pragma once

#include <cstdint>
#include <string>

namespace tradehost::host {

struct PipelineOptions {
    std::string owner = "local";                     // the host that owns the legs it admits
    std::string defaultVenue;                        // for legs that name no venue
    std::int64_t maxSignalAgeMs = 60'000;            // older when its turn comes: expired, never sent late
    std::int64_t retentionMs = 7LL * 24 * 3600'000;  // signal ids remembered; older signals refused
    // NotFound answers prove absence only after this long: longer than any venue's receive window
    // or internal timeout, so an order still in flight cannot execute after the host gave up on it.
    std::int64_t settleWindowMs = 30'000;
    int notFoundToAbsent = 3;                  // and at least this many NotFound in a row
    std::int64_t unresolvedAlertMs = 120'000;  // a leg unknown this long raises order_unresolved
    std::int64_t workingPollMs = 1'000;        // how often a working order is asked about (polling)
    std::int64_t pushedPollMs = 30'000;        // ... when the venue pushes order updates
    int trackerQueriesPerSecond = 10;          // the tracker's budget per venue (Binance: 1 weight each)
    std::size_t admitBatch = 1024;             // journal records per gate transaction
    // Legs per executor round: committed SUBMITTED in one transaction, then sent one by one. A
    // crash mid-round leaves them all to the resolver, so the round is bounded.
    std::size_t executeBatch = 64;
};

}  // namespace tradehost::host
