// Intake's memory of signal ids in flight: journaled (or being journaled) but not yet in the gate.
#include "intake/recent_signals.h"

#include <cstring>

#include "text/sha256.h"

namespace tradehost::host {

RecentSignals::Digest RecentSignals::digestOf(const std::string& canonical) {
    const Sha256Digest bytes = sha256(canonical);
    Digest d{};
    std::memcpy(d.data(), bytes.data(), sizeof d);
    return d;
}

std::optional<RecentSignals::Verdict> RecentSignals::answerFromClaim(std::unique_lock<std::mutex>& lock,
                                                                     const Signal& signal, const Digest& digest) {
    auto it = claims_.find(signal.signalId);
    if (it == claims_.end()) return std::nullopt;
    // Never answer 200 for a signal that is not on disk yet: wait for its first delivery's append.
    const bool settled = changed_.wait_for(lock, durableWait_, [&] {
        it = claims_.find(signal.signalId);
        return it == claims_.end() || it->second.seq != 0;
    });
    if (!settled) return Verdict::NotYetDurable;
    if (it == claims_.end()) return std::nullopt;  // abandoned, or admitted and released: look again
    return it->second.payload == digest ? Verdict::Duplicate : Verdict::Conflict;
}

RecentSignals::Verdict RecentSignals::claim(const Signal& signal) {
    const Digest digest = digestOf(signal.canonical);
    for (;;) {
        std::uint64_t releasesBefore = 0;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            if (const auto v = answerFromClaim(lock, signal, digest)) return *v;
            releasesBefore = releases_;
        }
        // Outside the lock: a read of the gate's last commit, never behind its writer.
        const std::optional<std::string> known = lookup_.payloadOf(signal.signalId);
        if (known) return *known == signal.canonical ? Verdict::Duplicate : Verdict::Conflict;
        std::unique_lock<std::mutex> lock(mutex_);
        if (const auto v = answerFromClaim(lock, signal, digest)) return *v;
        // Claims were released while we read: the id may have been admitted (and its claim
        // forgotten) after our read began. Read again rather than claim it a second time.
        if (releases_ != releasesBefore) continue;
        if (claims_.size() >= maxClaims_) return Verdict::Full;
        claims_[signal.signalId] = {digest, 0};
        return Verdict::New;
    }
}

void RecentSignals::durable(const std::string& signalId, std::uint64_t seq) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = claims_.find(signalId);
        if (it == claims_.end()) return;
        it->second.seq = seq;
        bySeq_[seq] = signalId;
    }
    changed_.notify_all();
}

void RecentSignals::abandon(const std::string& signalId) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        claims_.erase(signalId);
        ++releases_;
    }
    changed_.notify_all();
}

void RecentSignals::admittedThrough(std::uint64_t seq) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto end = bySeq_.upper_bound(seq);
    if (end == bySeq_.begin()) return;
    for (auto it = bySeq_.begin(); it != end; ++it) claims_.erase(it->second);
    bySeq_.erase(bySeq_.begin(), end);
    ++releases_;
}

std::size_t RecentSignals::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return claims_.size();
}

}  // namespace tradehost::host
