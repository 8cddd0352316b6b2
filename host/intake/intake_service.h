// What intake decides for one request, whatever carries it: authenticate, bound, parse, claim.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "gate/signal_lookup.h"
#include "intake/http/request_reader.h"
#include "intake/net/address_range.h"
#include "intake/recent_signals.h"
#include "intake/signal/signal.h"

namespace tradehost::host {

class Journal;

struct IntakeOptions {
    std::string listen = "127.0.0.1:8080";  // "host:port"; port 0 picks a free one
    // Authentication: at least one method must be set, or every signal is refused (401).
    std::string secret;            // body "secret"; empty: not accepted as a method
    std::string pathToken;         // POST /webhook/<token>
    std::string signingSecret;     // X-Signature: sha256=<hex HMAC-SHA256 of the body>
    AddressRanges allowIps;        // a filter on top of authentication; empty: any client
    AddressRanges trustedProxies;  // peers whose X-Forwarded-For names the client
    // Venue instances a leg may name, and the one a leg naming none goes to (empty: none, the leg
    // must name one). A signal naming another is refused (400) before it is journaled.
    std::vector<std::string> venues;
    std::string defaultVenue;
    std::size_t maxBodyBytes = 64 * 1024;
    // Open connections at once; one more is answered 503 (Retry-After: 1) and closed.
    std::size_t maxConnections = 512;
    // A request must arrive whole within this long of its first byte (slow senders get 408); an
    // idle keep-alive connection is closed after keepAliveMs.
    std::int64_t requestTimeoutMs = 5000;
    std::int64_t keepAliveMs = 5000;
    // Signal ids journaled but not yet admitted that intake keeps in memory; past this (admission
    // far behind) new signals get 503 with Retry-After.
    std::size_t maxClaims = 250'000;
    // How long a duplicate waits for its first delivery to become durable before 503.
    std::int64_t durableWaitMs = 2500;
};

// An answer, as intake means it (the listener writes it as HTTP).
struct IntakeAnswer {
    int status = 200;
    std::string body;  // JSON
    bool close = false;
    int retryAfterS = 0;
};

struct IntakeDecision {
    enum class Kind {
        Answer,   // answer now
        Journal,  // journal `record` first; then accepted(seq) for a claimed signal, or refused()
        Parked,   // the id's first delivery is not durable yet: ask again (retry()) after a commit
    };
    Kind kind = Kind::Answer;
    IntakeAnswer answer;
    std::string record;            // Journal: the journal record
    std::string signalId;          // Journal: claimed for this id (empty: a refusal record)
    std::optional<Signal> signal;  // Parked: the delivery to judge again
    std::string summary;           // a judged signal, for the console: id and each leg
};

// Routes: POST /webhook and /webhook/<token> (signals), GET /healthz (alive), GET /readyz
// (recovery finished and the journal writable). Answers: 202 accepted (durable), 200 duplicate,
// 400 invalid (naming the field), 401/403 auth, 405, 404, 413 too large, 422 same id with another
// payload (refused, and the refusal journaled so the admitter records it), 503 when the journal
// cannot persist, while recovery runs, or when admission is far behind. Never a 2xx without a
// durable record. Used by the listener's one event-loop thread.
class IntakeService {
public:
    // `journal` and `lookup` may be null for a listener that refuses signals (503): the probes work.
    IntakeService(IntakeOptions options, Journal* journal, SignalLookup* lookup);

    IntakeDecision decide(const HttpRequest& request, const std::string& peerAddress, std::int64_t nowMs);
    // A signal from inside the host (the admin page's order ticket), whose caller has already
    // authenticated it: only the webhook's authentication is skipped. The body is read by the same
    // parser, routed, claimed and journaled exactly like a POST /webhook body, with `origin`
    // journaled beside it; a body with a "secret" is refused (nothing here should carry one).
    IntakeDecision submitted(const std::string& body, const SignalOrigin& origin, std::int64_t nowMs);
    // A parked delivery judged again (its first delivery may be durable now).
    IntakeDecision retry(const Signal& signal, std::int64_t nowMs);

    // The answers once a Journal decision's record is durable (at `seq`), or could not be.
    static IntakeAnswer accepted(const std::string& signalId, std::uint64_t seq);
    static IntakeAnswer refused();
    static IntakeAnswer notRecorded();
    static IntakeAnswer notYetRecorded();
    static std::string errorBody(const std::string& error, const std::string& field = "");

    // Refusal records of conflict windows that are over (one per id and minute, with a count);
    // the listener journals them. `all` (at shutdown) closes every window.
    std::vector<std::string> closeConflictWindows(std::int64_t nowMs, bool all = false);

    RecentSignals* recent() { return recent_.get(); }
    void setReady(bool ready) { ready_ = ready; }
    bool ready() const { return ready_ && journal_; }
    const IntakeOptions& options() const { return options_; }

private:
    IntakeDecision signalRequest(const HttpRequest& request, const std::string& token, const std::string& peer,
                                 std::int64_t nowMs);
    IntakeDecision judge(const Signal& signal, std::int64_t nowMs);
    IntakeDecision judgeClaim(const Signal& signal, std::int64_t nowMs);
    std::string summary(const Signal& signal) const;
    // 400 naming the leg's venue field when a leg names no venue instance of this deployment.
    std::optional<IntakeDecision> unroutable(const Signal& signal) const;

    // Same id, different payload, again and again: the first refusal of a minute is journaled
    // (and answered once durable); the rest of that minute are answered 422 at once and counted.
    struct ConflictWindow {
        std::int64_t startMs = 0;
        std::uint64_t pending = 0;  // refused since the window's record
        std::string payload;        // the last one refused
    };
    static constexpr std::int64_t kConflictWindowMs = 60'000;
    static constexpr std::size_t kMaxConflictWindows = 10'000;  // beyond: each refusal journaled

    IntakeOptions options_;
    std::unordered_map<std::string, ConflictWindow> conflicts_;
    Journal* journal_;
    std::unique_ptr<RecentSignals> recent_;
    std::atomic<bool> ready_{false};
};

}  // namespace tradehost::host
