// Journal -> gate, in batches: each journaled signal becomes a signal row and one intent per leg.
#include "pipeline/admitter.h"

#include <Poco/Logger.h>

#include <set>

#include "events/json_text.h"
#include "gate/gate.h"
#include "intake/signal/signal_parser.h"
#include "pipeline/journal_record.h"
#include "testing/crash_point.h"

namespace tradehost::host {
namespace {
Poco::Logger& log() { return Poco::Logger::get("admitter"); }
constexpr std::size_t kLingerFromRecords = 8;
constexpr std::int64_t kLingerMs = 2;
}  // namespace

Admitter::Admitter(const Journal& journal, SignalAdmission& admission, std::map<std::string, VenueRoute> routes,
                   PipelineOptions options, const Clock& clock, Hooks hooks,
                   std::function<void(const std::string&)> onFatal)
    : Worker("admitter", clock, std::move(onFatal)),
      journal_(journal),
      admission_(admission),
      routes_(std::move(routes)),
      options_(std::move(options)),
      hooks_(std::move(hooks)) {
    processed_ = admission_.processedSeq();
    idleMs_ = 200;
}

AdmissionRequest Admitter::requestFor(std::uint64_t seq, const std::string& payload) const {
    AdmissionRequest r;
    r.journalSeq = seq;
    if (const auto refusal = decodeRefusalRecord(payload)) {
        // Intake refused this delivery and journaled the refusal so that it is recorded here.
        r.receivedMs = refusal->receivedMs;
        std::string data = "{\"reason\":";
        appendJsonString(data, refusal->reason);
        data += ",\"journal_seq\":" + std::to_string(seq) + ",\"refused_payload\":";
        appendJsonString(data, refusal->refusedPayload);
        data += ",\"deliveries\":" + std::to_string(refusal->count);
        r.skipEvent = {"signal_rejected", refusal->signalId, "", "", data + "}"};
        return r;
    }
    const auto record = decodeSignalRecord(payload);
    std::variant<Parsed, ParseError> parsed = ParseError{400, "body", "not a signal record", std::nullopt};
    if (record) parsed = parseSignal(record->canonical);
    if (!record || std::holds_alternative<ParseError>(parsed)) {
        // Intake only journals parsed signals, so this is a bug or a foreign record: skip it
        // loudly, never guess at its meaning.
        r.skipEvent = {
            "signal_skipped", "", "", "",
            jsonObject({{"reason", "journal record is not a signal"}, {"journal_seq", std::to_string(seq)}})};
        return r;
    }
    r.receivedMs = record->receivedMs;
    Signal signal = std::get<Parsed>(parsed).signal;
    signal.origin = record->origin;
    for (std::size_t i = 0; i < signal.legs.size(); ++i) {
        Leg& leg = signal.legs[i];
        if (leg.venue.empty()) leg.venue = options_.defaultVenue;
        const auto route = routes_.find(leg.venue);
        if (route == routes_.end()) {
            r.legs.push_back({"", leg.venue.empty()
                                      ? "the leg names no venue and routing.default_venue is not set"
                                      : "no venue instance named '" + leg.venue + "' in this deployment"});
        } else {
            r.legs.push_back({route->second.ids->encode(signal.signalId, static_cast<int>(i), 0), ""});
        }
    }
    r.signal = std::move(signal);
    return r;
}

std::vector<AdmissionResult> Admitter::admitSkippingBadRecords(std::vector<AdmissionRequest>& batch,
                                                               std::int64_t nowMs) {
    const std::int64_t oldest = nowMs - options_.retentionMs;
    try {
        return admission_.admit(batch, options_.owner, oldest, nowMs);
    } catch (const GateConstraintError&) {
        // One record breaks a rule of the gate: find it by admitting one at a time, and skip it
        // with an event, so that the host is never stuck on the same record at every start.
        std::vector<AdmissionResult> results;
        for (auto& r : batch) {
            try {
                results.push_back(admission_.admit({r}, options_.owner, oldest, nowMs).front());
            } catch (const GateConstraintError& e) {
                log().error("journal record " + std::to_string(r.journalSeq) +
                            " cannot be admitted, skipped: " + e.what());
                AdmissionRequest skip;
                skip.journalSeq = r.journalSeq;
                skip.receivedMs = r.receivedMs;
                skip.skipEvent = {"signal_skipped", r.signal ? r.signal->signalId : "", "", "",
                                  jsonObject({{"reason", std::string("the gate refused it: ") + e.what()},
                                              {"journal_seq", std::to_string(r.journalSeq)}})};
                r = skip;
                results.push_back(admission_.admit({skip}, options_.owner, oldest, nowMs).front());
            }
        }
        return results;
    }
}

std::size_t Admitter::admitBatch(std::int64_t nowMs) {
    std::vector<AdmissionRequest> batch;
    journal_.readAfter(
        processed_, [&](std::uint64_t seq, const std::string& payload) { batch.push_back(requestFor(seq, payload)); },
        options_.admitBatch);
    if (batch.empty()) return 0;
    const auto results = admitSkippingBadRecords(batch, nowMs);
    TRADEHOST_CRASH_POINT("admitter.after_batch_commit");
    processed_ = batch.back().journalSeq;
    std::set<std::string> venues;
    for (const auto& result : results) {
        for (const auto& leg : result.legs) {
            if (leg.state != LegState::Pending) continue;
            const auto& route = routes_.at(leg.intent.venue);
            route.lane->enqueue(leg);
            venues.insert(leg.intent.venue);
        }
    }
    for (const auto& venue : venues) routes_.at(venue).wakeExecutor();
    if (hooks_.admittedThrough) hooks_.admittedThrough(processed_);
    if (hooks_.recorded) hooks_.recorded();
    return batch.size();
}

std::size_t Admitter::catchUp() {
    std::size_t total = 0;
    for (;;) {
        const std::size_t n = admitBatch(clock_.nowMs());
        total += n;
        if (n < options_.admitBatch) return total;
    }
}

std::optional<std::int64_t> Admitter::runOnce(std::int64_t nowMs) {
    const std::size_t n = admitBatch(nowMs);
    if (n >= options_.admitBatch) {
        lingerUntilMs_ = 0;
        return nowMs;  // a backlog: go on at once
    }
    // Under load (a sizeable batch just went in), let the next batch gather for a moment instead
    // of committing a transaction for every few signals; a lone signal is admitted at once.
    lingerUntilMs_ = n >= kLingerFromRecords ? nowMs + kLingerMs : 0;
    return std::nullopt;
}

}  // namespace tradehost::host
