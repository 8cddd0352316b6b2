// The in-memory gate: the SQLite gate's semantics in maps, for the processor's unit tests.
#include <algorithm>
#include <map>
#include <mutex>

#include "gate/gate.h"
#include "gate/gate_rules.h"

namespace tradehost::host {
namespace {

class MemoryGate final : public Gate {
public:
    // ---- SignalAdmission ----
    std::vector<AdmissionResult> admit(const std::vector<AdmissionRequest>& batch, const std::string& owner,
                                       std::int64_t oldestAcceptedMs, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<AdmissionResult> results;
        for (const auto& r : batch) {
            results.push_back(admitOne(r, owner, oldestAcceptedMs, nowMs));
            processedSeq_ = std::max(processedSeq_, r.journalSeq);
        }
        return results;
    }

    std::uint64_t processedSeq() override {
        std::lock_guard<std::mutex> lock(mutex_);
        return processedSeq_;
    }

    std::size_t forgetSignalsBefore(std::int64_t beforeMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::size_t forgotten = 0;
        for (auto it = signals_.begin(); it != signals_.end();) {
            const Stored& s = it->second;
            bool allFinal = true;
            for (int i = 0; i < s.legCount; ++i) allFinal = allFinal && isFinal(legs_.at({it->first, i}).state);
            if (s.receivedMs >= beforeMs || !allFinal) {
                ++it;
                continue;
            }
            for (int i = 0; i < s.legCount; ++i) legs_.erase({it->first, i});
            for (auto id = ids_.begin(); id != ids_.end();)
                id = id->second.signalId == it->first ? ids_.erase(id) : std::next(id);
            it = signals_.erase(it);
            ++forgotten;
        }
        return forgotten;
    }

    // ---- SignalLookup ----
    std::optional<std::string> payloadOf(const std::string& signalId) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = signals_.find(signalId);
        if (it == signals_.end()) return std::nullopt;
        return it->second.payload;
    }

    // ---- LegStore ----
    std::vector<ChangeResult> apply(const std::vector<LegChange>& changes, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<ChangeResult> results;
        for (const auto& c : changes) results.push_back(applyOne(c, nowMs));
        return results;
    }

    std::optional<LegRecord> leg(const LegKey& key) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = legs_.find(key);
        if (it == legs_.end()) return std::nullopt;
        return it->second;
    }

    std::vector<LegRecord> legsIn(const std::vector<LegState>& states, const std::string& owner) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<LegRecord> out;
        for (const auto& [key, l] : legs_)
            if (l.owner == owner && std::find(states.begin(), states.end(), l.state) != states.end()) out.push_back(l);
        std::sort(out.begin(), out.end(), [](const LegRecord& a, const LegRecord& b) {
            return std::tie(a.journalSeq, a.leg) < std::tie(b.journalSeq, b.leg);
        });
        return out;
    }

    std::vector<LegRecord> legsOf(const std::string& signalId) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<LegRecord> out;
        for (auto it = legs_.lower_bound({signalId, 0}); it != legs_.end() && it->first.signalId == signalId; ++it)
            out.push_back(it->second);
        return out;
    }

    std::optional<LegRecord> legByClientOrderId(const std::string& clientOrderId) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto id = ids_.find(clientOrderId);
        if (id == ids_.end()) return std::nullopt;
        return legs_.at(id->second);
    }

    std::vector<std::int64_t> sentTimes(const std::string& venue, std::int64_t sinceMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::int64_t> out;
        for (const auto& [key, l] : legs_)
            if (l.intent.venue == venue && l.sentMs > sinceMs) out.push_back(l.sentMs);
        std::sort(out.begin(), out.end());
        return out;
    }

    std::optional<LegRecord> lastFilled(const std::string& venue, const std::string& symbol) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::optional<LegRecord> last;
        for (const auto& [key, l] : legs_)
            if (l.intent.venue == venue && l.intent.symbol == symbol && !l.filledQuantity.isZero() &&
                (!last || l.updatedMs > last->updatedMs))
                last = l;
        return last;
    }

    // ---- EventOutbox ----
    void append(const std::vector<EventRecord>& events, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& e : events) insertEvent(e, nowMs);
    }

    std::vector<StoredEvent> readAfter(std::uint64_t afterId, std::size_t limit) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<StoredEvent> out;
        for (auto it = events_.upper_bound(afterId); it != events_.end() && out.size() < limit; ++it)
            out.push_back(it->second);
        return out;
    }

    std::uint64_t lastEventId() override {
        std::lock_guard<std::mutex> lock(mutex_);
        return lastEventId_;
    }

    std::uint64_t openCursor(const std::string& name, std::uint64_t startAfter) override {
        std::lock_guard<std::mutex> lock(mutex_);
        return cursors_.emplace(name, startAfter).first->second;
    }

    void advanceCursor(const std::string& name, std::uint64_t position) override {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& c = cursors_[name];
        c = std::max(c, position);
    }

    std::map<std::string, std::uint64_t> cursors() override {
        std::lock_guard<std::mutex> lock(mutex_);
        return cursors_;
    }

    std::size_t pruneConsumed() override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (cursors_.empty()) return 0;
        std::uint64_t slowest = UINT64_MAX;
        for (const auto& [name, position] : cursors_) slowest = std::min(slowest, position);
        const auto end = events_.upper_bound(slowest);
        const auto n = static_cast<std::size_t>(std::distance(events_.begin(), end));
        events_.erase(events_.begin(), end);
        return n;
    }

    // ---- PositionBook ----
    std::vector<ExpectedPosition> expectedPositions() override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<ExpectedPosition> out;
        for (const auto& [key, p] : positions_) out.push_back(p);
        return out;
    }

    void setBaseline(const PositionKey& key, const Decimal& quantity, const Actor& by, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        ExpectedPosition& p = position(key);
        const Decimal before = p.quantity();
        p.adjustment = quantity - p.fills;
        p.baselineBy = by;
        p.baselineMs = nowMs;
        insertEvent(gate_rules::baselineEvent(key, before, quantity, by), nowMs);
    }

    void recordVenuePositions(const std::string& venue, const std::vector<VenuePosition>& positions,
                              std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = venuePositions_.begin(); it != venuePositions_.end();)
            it = it->first.venue == venue ? venuePositions_.erase(it) : std::next(it);
        for (auto p : positions) {
            p.checkedMs = nowMs;
            venuePositions_[p.key] = p;
        }
        venueChecked_[venue] = nowMs;
    }

    std::vector<VenuePosition> venuePositions() override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<VenuePosition> out;
        for (const auto& [key, p] : venuePositions_) out.push_back(p);
        return out;
    }

    std::int64_t venueCheckedMs(const std::string& venue) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = venueChecked_.find(venue);
        return it == venueChecked_.end() ? 0 : it->second;
    }

    // ---- ControlState ----
    std::vector<SymbolPause> pausedSymbols() override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<SymbolPause> out;
        for (const auto& [key, p] : symbolPauses_) out.push_back(p);
        return out;
    }

    bool setSymbolPaused(const std::string& venue, const std::string& symbol, bool paused, const Actor& by,
                         std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto key = std::make_pair(venue, symbol);
        if (symbolPauses_.count(key) == (paused ? 1u : 0u)) return false;
        if (paused)
            symbolPauses_[key] = {venue, symbol, by, nowMs};
        else
            symbolPauses_.erase(key);
        insertEvent(gate_rules::symbolPauseEvent(venue, symbol, paused, by), nowMs);
        return true;
    }

    KillSwitch killSwitch() override {
        std::lock_guard<std::mutex> lock(mutex_);
        return killSwitch_;
    }

    void setKillSwitch(bool paused, const Actor& by, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        killSwitch_ = {paused, by, nowMs};
        insertEvent(gate_rules::killSwitchEvent(paused, by), nowMs);
    }

    std::optional<std::uint64_t> requestCancel(const LegKey& key, const Actor& by, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = legs_.find(key);
        if (it == legs_.end()) return std::nullopt;
        const std::uint64_t id = ++lastCancelId_;
        cancels_[id] = {id, key, it->second.intent.venue, by, nowMs};
        insertEvent(gate_rules::cancelRequestedEvent(it->second, id, by), nowMs);
        return id;
    }

    std::vector<CancelRequest> openCancelRequests(const std::string& venue) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<CancelRequest> out;
        for (const auto& [id, r] : cancels_)
            if (r.venue == venue) out.push_back(r);
        return out;
    }

    void closeCancelRequest(std::uint64_t id, const std::string& outcome, std::int64_t nowMs) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = cancels_.find(id);
        if (it == cancels_.end()) return;
        const auto leg = legs_.find(it->second.leg);
        insertEvent(
            gate_rules::cancelClosedEvent(it->second, leg == legs_.end() ? "" : leg->second.clientOrderId, outcome),
            nowMs);
        cancels_.erase(it);
    }

    std::string integrityCheck() override { return "ok"; }

    // ---- AlertOutbox ----
    std::uint64_t enqueueAlert(const Alert& alert, const std::vector<std::string>& sinks, std::int64_t) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const std::uint64_t id = nextAlertId_++;
        for (const auto& sink : sinks) {
            PendingAlert p;
            p.id = id;
            p.sink = sink;
            p.alert = alert;
            p.alert.id = std::to_string(id);
            alertQueues_[sink][id] = std::move(p);
        }
        return id;
    }

    std::optional<PendingAlert> nextAlert(const std::string& sink) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto q = alertQueues_.find(sink);
        if (q == alertQueues_.end() || q->second.empty()) return std::nullopt;
        return q->second.begin()->second;
    }

    void alertDelivered(const std::string& sink, std::uint64_t id, std::int64_t) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (const auto q = alertQueues_.find(sink); q != alertQueues_.end()) q->second.erase(id);
    }

    void alertRetry(const std::string& sink, std::uint64_t id, std::int64_t notBeforeMs,
                    const std::string& reason) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto q = alertQueues_.find(sink);
        if (q == alertQueues_.end()) return;
        const auto it = q->second.find(id);
        if (it == q->second.end()) return;
        ++it->second.attempts;
        it->second.notBeforeMs = notBeforeMs;
        it->second.lastError = reason;
    }

    void alertFailed(const std::string& sink, std::uint64_t id, const std::string& reason, std::int64_t) override {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto q = alertQueues_.find(sink);
        if (q == alertQueues_.end()) return;
        const auto it = q->second.find(id);
        if (it == q->second.end()) return;
        PendingAlert p = it->second;
        ++p.attempts;
        p.lastError = reason;
        failedAlerts_[sink].emplace_back(std::move(p), reason);
        q->second.erase(it);
    }

    std::map<std::string, std::size_t> alertBacklog() override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::map<std::string, std::size_t> out;
        for (const auto& [sink, q] : alertQueues_)
            if (!q.empty()) out[sink] = q.size();
        return out;
    }

    std::vector<std::pair<PendingAlert, std::string>> failedAlerts(const std::string& sink,
                                                                   std::size_t limit) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::pair<PendingAlert, std::string>> out;
        const auto it = failedAlerts_.find(sink);
        if (it == failedAlerts_.end()) return out;
        for (auto f = it->second.rbegin(); f != it->second.rend() && out.size() < limit; ++f) out.push_back(*f);
        return out;
    }

private:
    struct Stored {
        std::string payload;
        std::int64_t receivedMs = 0;
        int legCount = 0;
    };

    AdmissionResult admitOne(const AdmissionRequest& r, const std::string& owner, std::int64_t oldestAcceptedMs,
                             std::int64_t nowMs) {
        AdmissionResult result;
        if (!r.signal) {
            insertEvent(r.skipEvent, nowMs);
            result.outcome = Admission::Skipped;
            return result;
        }
        const auto known = signals_.find(r.signal->signalId);
        if (known != signals_.end()) {
            const bool same = known->second.payload == r.signal->canonical;
            insertEvent(same ? gate_rules::duplicateEvent(r) : gate_rules::conflictEvent(r), nowMs);
            result.outcome = same ? Admission::Duplicate : Admission::Conflict;
            return result;
        }
        if (r.receivedMs < oldestAcceptedMs) {
            insertEvent(gate_rules::tooOldEvent(r), nowMs);
            result.outcome = Admission::TooOld;
            return result;
        }
        signals_[r.signal->signalId] = {r.signal->canonical, r.receivedMs, static_cast<int>(r.signal->legs.size())};
        insertEvent(gate_rules::receivedEvent(r), nowMs);
        for (std::size_t i = 0; i < r.signal->legs.size(); ++i) {
            LegRecord leg = gate_rules::newLeg(r, i, owner, nowMs);
            if (!leg.clientOrderId.empty()) {
                const auto taken = ids_.find(leg.clientOrderId);
                if (taken != ids_.end()) {
                    gate_rules::blockForTakenId(leg, leg.clientOrderId, taken->second);
                } else {
                    ids_[leg.clientOrderId] = leg.key();
                }
            }
            if (leg.state == LegState::Blocked)
                for (const auto& e : gate_rules::blockedEvents(leg)) insertEvent(e, nowMs);
            legs_[leg.key()] = leg;
            result.legs.push_back(leg);
        }
        return result;
    }

    ChangeResult applyOne(const LegChange& c, std::int64_t nowMs) {
        const auto it = legs_.find(c.before.key());
        if (it == legs_.end() || !gate_rules::sameVersion(it->second, c.before)) return ChangeResult::LostRace;
        if (!c.after.clientOrderId.empty() && c.after.clientOrderId != it->second.clientOrderId) {
            const auto taken = ids_.find(c.after.clientOrderId);
            if (taken != ids_.end() && !(taken->second == c.after.key())) return ChangeResult::IdTaken;
            ids_[c.after.clientOrderId] = c.after.key();
        }
        if (const auto move = gate_rules::fillMove(c)) position(move->first).fills += move->second;
        LegRecord stored = c.after;
        stored.updatedMs = nowMs;
        it->second = stored;
        for (const auto& e : c.events) insertEvent(e, nowMs);
        return ChangeResult::Applied;
    }

    ExpectedPosition& position(const PositionKey& key) {
        auto [it, inserted] = positions_.try_emplace(key);
        if (inserted) it->second.key = key;
        return it->second;
    }

    void insertEvent(const EventRecord& e, std::int64_t nowMs) {
        const std::uint64_t id = ++lastEventId_;
        events_[id] = {id, nowMs, e};
    }

    std::mutex mutex_;
    std::uint64_t nextAlertId_ = 1;
    std::map<std::string, std::map<std::uint64_t, PendingAlert>> alertQueues_;  // sink -> id -> alert
    std::map<std::string, std::vector<std::pair<PendingAlert, std::string>>> failedAlerts_;
    std::map<std::string, Stored> signals_;
    std::map<LegKey, LegRecord> legs_;
    std::map<std::string, LegKey> ids_;
    std::map<std::uint64_t, StoredEvent> events_;
    std::uint64_t lastEventId_ = 0;
    std::map<std::string, std::uint64_t> cursors_;
    std::map<PositionKey, ExpectedPosition> positions_;
    KillSwitch killSwitch_;
    std::map<std::pair<std::string, std::string>, SymbolPause> symbolPauses_;
    std::map<PositionKey, VenuePosition> venuePositions_;
    std::map<std::string, std::int64_t> venueChecked_;
    std::map<std::uint64_t, CancelRequest> cancels_;
    std::uint64_t lastCancelId_ = 0;
    std::uint64_t processedSeq_ = 0;
};

}  // namespace

std::unique_ptr<Gate> makeMemoryGate() { return std::make_unique<MemoryGate>(); }

}  // namespace tradehost::host
