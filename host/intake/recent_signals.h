// Intake's memory of signal ids in flight: journaled (or being journaled) but not yet in the gate.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "gate/signal_lookup.h"
#include "intake/signal/signal.h"

namespace tradehost::host {

// Decides what a delivery is without waiting on the gate's writer: ids in flight are answered
// from memory, older ids from the gate's read-only lookup. A new id is claimed before it is
// journaled, so two payloads racing under one id can never both be acknowledged. Claims are
// forgotten once the admitter has put their signal in the gate; the map is bounded, and a full
// map (admission far behind) answers "over capacity" rather than growing without end.
class RecentSignals {
public:
    enum class Verdict {
        New,            // claimed: journal it, then durable() (or abandon() if that fails)
        Duplicate,      // the same payload is durable already (journal or gate): 200
        Conflict,       // another payload holds the id: 422 (journal the refusal)
        NotYetDurable,  // the first delivery is still being written: 503, send again
        Full,           // too many claims waiting for admission: 503
    };

    RecentSignals(SignalLookup& lookup, std::size_t maxClaims, std::chrono::milliseconds durableWait)
        : lookup_(lookup), maxClaims_(maxClaims), durableWait_(durableWait) {}

    // Thread-safe. Reads the gate (read-only, never waiting for its writer) only for ids not in
    // memory.
    Verdict claim(const Signal& signal);
    // The claimed signal is durable at journal position `seq`.
    void durable(const std::string& signalId, std::uint64_t seq);
    // The claimed signal could not be journaled: forget the claim.
    void abandon(const std::string& signalId);
    // The gate holds every journal record up to `seq`: claims up to there are no longer needed.
    void admittedThrough(std::uint64_t seq);
    std::size_t size() const;

private:
    // A claim keeps a 128-bit digest of the canonical payload, not the payload: a backlog of
    // 200,000 claims costs tens of megabytes, not hundreds.
    using Digest = std::array<std::uint64_t, 2>;
    struct Claim {
        Digest payload{};
        std::uint64_t seq = 0;  // 0 while not yet durable
    };
    static Digest digestOf(const std::string& canonical);
    // For a claim in memory: waits (lock held) until it is durable or gone; the verdict, or
    // nullopt when the claim went away meanwhile (look again).
    std::optional<Verdict> answerFromClaim(std::unique_lock<std::mutex>& lock, const Signal& signal,
                                           const Digest& digest);

    SignalLookup& lookup_;
    const std::size_t maxClaims_;
    const std::chrono::milliseconds durableWait_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::unordered_map<std::string, Claim> claims_;
    std::map<std::uint64_t, std::string> bySeq_;  // durable claims, for admittedThrough
    std::uint64_t releases_ = 0;                  // bumped whenever claims are forgotten
};

}  // namespace tradehost::host
