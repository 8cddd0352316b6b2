// What intake decides for one request, whatever carries it: authenticate, bound, parse, claim.
#include "intake/intake_service.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

#include "events/json_text.h"
#include "intake/signal/signal_parser.h"
#include "journal/journal.h"
#include "pipeline/journal_record.h"
#include "text/secrets.h"

namespace tradehost::host {
namespace {

std::string lowerAscii(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string hmacHex(const std::string& key, const std::string& body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
         body.size(), digest, &length);
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return hex;
}

IntakeDecision answer(int status, std::string body, bool close = false, int retryAfterS = 0) {
    IntakeDecision d;
    d.answer = {status, std::move(body), close, retryAfterS};
    return d;
}

}  // namespace

IntakeService::IntakeService(IntakeOptions options, Journal* journal, SignalLookup* lookup)
    : options_(std::move(options)), journal_(journal) {
    // The listener never blocks: a duplicate whose first delivery is still being written is parked
    // and judged again after the next commit, not waited for here.
    if (journal && lookup)
        recent_ = std::make_unique<RecentSignals>(*lookup, options_.maxClaims, std::chrono::milliseconds(0));
}

std::string IntakeService::errorBody(const std::string& error, const std::string& field) {
    std::string out = "{\"error\":";
    appendJsonString(out, error);
    if (!field.empty()) {
        out += ",\"field\":";
        appendJsonString(out, field);
    }
    return out + "}";
}

IntakeAnswer IntakeService::accepted(const std::string& signalId, std::uint64_t seq) {
    std::string out = "{\"status\":\"accepted\",\"signal_id\":";
    appendJsonString(out, signalId);
    return {202, out + ",\"journal_seq\":" + std::to_string(seq) + "}", false, 0};
}

IntakeAnswer IntakeService::refused() {
    return {422, errorBody("signal_id already used with a different payload", "signal_id"), false, 0};
}

IntakeAnswer IntakeService::notRecorded() {
    return {503, errorBody("the signal could not be recorded; send it again later"), false, 0};
}

IntakeAnswer IntakeService::notYetRecorded() {
    return {503, errorBody("the first delivery of this signal is not recorded yet; send it again later"), false, 0};
}

IntakeDecision IntakeService::decide(const HttpRequest& request, const std::string& peer, std::int64_t nowMs) {
    const std::string& path = request.path;
    if (path == "/healthz") return answer(200, "{\"status\":\"alive\"}");
    if (path == "/readyz") {
        const bool ok = ready() && !journal_->failed();
        return answer(ok ? 200 : 503, ok ? "{\"status\":\"ready\"}" : "{\"status\":\"not ready\"}");
    }
    if (path == "/webhook" || path.rfind("/webhook/", 0) == 0) {
        if (request.method != "POST") return answer(405, errorBody("use POST"), true);
        return signalRequest(request, path.size() > 9 ? path.substr(9) : "", peer, nowMs);
    }
    return answer(404, errorBody("no such route"), true);
}

IntakeDecision IntakeService::signalRequest(const HttpRequest& request, const std::string& token,
                                            const std::string& peer, std::int64_t nowMs) {
    const IntakeOptions& o = options_;
    // The client's address first: the real peer, or what a trusted proxy says it forwarded for.
    if (!o.allowIps.empty()) {
        const auto forwarded = request.joinedHeader("X-Forwarded-For");
        const auto client = clientAddress(peer, forwarded ? &*forwarded : nullptr, o.trustedProxies);
        if (!client || !o.allowIps.contains(*client)) return answer(403, errorBody("source address not allowed"), true);
    }
    const std::string& body = request.body;

    // Authentication before parsing anything the sender controls beyond the framing.
    bool authenticated = false;
    if (!o.pathToken.empty() && !token.empty() && equalsConstantTime(token, o.pathToken)) authenticated = true;
    if (!o.signingSecret.empty()) {
        if (const std::string* given = request.header("X-Signature")) {
            // Hex digits in either case: senders differ.
            if (given->rfind("sha256=", 0) == 0 &&
                equalsConstantTime(lowerAscii(given->substr(7)), hmacHex(o.signingSecret, body)))
                authenticated = true;
        }
    }
    const auto parsed = parseSignal(body);
    const auto* error = std::get_if<ParseError>(&parsed);
    const std::optional<std::string>& secret = error ? error->secret : std::get<Parsed>(parsed).secret;
    if (!o.secret.empty() && secret && equalsConstantTime(*secret, o.secret)) authenticated = true;
    if (!authenticated) {
        // A body that is not readable JSON cannot carry a secret: say what is wrong with it (the
        // usual template mistakes) rather than blame the secret. Nothing else is revealed.
        if (!o.secret.empty() && error && error->unreadable)
            return answer(error->httpStatus, errorBody(error->message, error->field), true);
        return answer(401, errorBody("authentication failed"), true);
    }
    if (error) return answer(error->httpStatus, errorBody(error->message, error->field));
    const Signal& signal = std::get<Parsed>(parsed).signal;
    if (auto refused = unroutable(signal)) return *refused;
    if (!ready() || !recent_) return answer(503, errorBody("not ready: recovery is still running"));
    return judge(signal, nowMs);
}

IntakeDecision IntakeService::submitted(const std::string& body, const SignalOrigin& origin, std::int64_t nowMs) {
    if (body.size() > options_.maxBodyBytes)
        return answer(413, errorBody("is larger than " + std::to_string(options_.maxBodyBytes) + " bytes", "body"));
    const auto parsed = parseSignal(body);
    if (const auto* error = std::get_if<ParseError>(&parsed))
        return answer(error->httpStatus, errorBody(error->message, error->field));
    if (std::get<Parsed>(parsed).secret) return answer(400, errorBody("must not be given here", "secret"));
    Signal signal = std::get<Parsed>(parsed).signal;
    if (auto refused = unroutable(signal)) return *refused;
    if (!ready() || !recent_) return answer(503, errorBody("not ready: recovery is still running"));
    signal.origin = origin;
    return judge(signal, nowMs);
}

std::optional<IntakeDecision> IntakeService::unroutable(const Signal& signal) const {
    const IntakeOptions& o = options_;
    std::string names;
    for (const auto& v : o.venues) names += (names.empty() ? "" : ", ") + v;
    for (std::size_t i = 0; i < signal.legs.size(); ++i) {
        const std::string& venue = signal.legs[i].venue;
        const std::string field = signal.legs.size() == 1 ? "venue" : "legs[" + std::to_string(i) + "].venue";
        if (venue.empty() && o.defaultVenue.empty())
            return answer(400,
                          errorBody("missing: name the venue instance (this deployment has: " + names + ")", field));
        if (!venue.empty() && std::find(o.venues.begin(), o.venues.end(), venue) == o.venues.end())
            return answer(400, errorBody("no venue instance of that name (this deployment has: " + names + ")", field));
    }
    return std::nullopt;
}

std::vector<std::string> IntakeService::closeConflictWindows(std::int64_t nowMs, bool all) {
    std::vector<std::string> records;
    for (auto it = conflicts_.begin(); it != conflicts_.end();) {
        const ConflictWindow& w = it->second;
        if (!all && nowMs - w.startMs < kConflictWindowMs) {
            ++it;
            continue;
        }
        if (w.pending > 0)
            records.push_back(
                encodeRefusalRecord({nowMs, it->first, "same signal_id, different payload", w.payload, w.pending}));
        it = conflicts_.erase(it);
    }
    return records;
}

IntakeDecision IntakeService::retry(const Signal& signal, std::int64_t nowMs) { return judge(signal, nowMs); }

std::string IntakeService::summary(const Signal& signal) const {
    std::string out = "signal '" + signal.signalId + "'";
    for (std::size_t i = 0; i < signal.legs.size(); ++i) {
        const Leg& leg = signal.legs[i];
        out += (i == 0 ? ": " : "; ");
        out += "leg " + std::to_string(i) + " -> " + (leg.venue.empty() ? options_.defaultVenue : leg.venue) + " " +
               leg.symbol + " " + (leg.side == Side::Buy ? "buy " : "sell ") + leg.quantity.toString() +
               (leg.type == OrderType::Market ? " market" : " limit " + (leg.price ? leg.price->toString() : "?"));
        if (leg.reduceOnly) out += " reduce-only";
    }
    return out;
}

IntakeDecision IntakeService::judge(const Signal& signal, std::int64_t nowMs) {
    IntakeDecision d = judgeClaim(signal, nowMs);
    d.summary = summary(signal);
    return d;
}

IntakeDecision IntakeService::judgeClaim(const Signal& signal, std::int64_t nowMs) {
    IntakeDecision d;
    switch (recent_->claim(signal)) {
        case RecentSignals::Verdict::Duplicate: {
            std::string out = "{\"status\":\"duplicate\",\"signal_id\":";
            appendJsonString(out, signal.signalId);
            return answer(200, out + "}");
        }
        case RecentSignals::Verdict::NotYetDurable:
            d.kind = IntakeDecision::Kind::Parked;
            d.signal = signal;
            return d;
        case RecentSignals::Verdict::Full:
            return answer(503,
                          errorBody("over capacity: signals are being admitted more slowly than they arrive; nothing "
                                    "was recorded, retry shortly"),
                          false, 1);
        case RecentSignals::Verdict::Conflict: {
            // Refused, and the refusal journaled so the admitter records it (intake never writes to
            // the gate): 422 once that record is durable. A storm is one record per id and minute.
            std::uint64_t count = 1;
            const auto it = conflicts_.find(signal.signalId);
            if (it != conflicts_.end() && nowMs - it->second.startMs < kConflictWindowMs) {
                ++it->second.pending;
                it->second.payload = signal.canonical;
                d.answer = refused();
                return d;
            }
            if (it != conflicts_.end()) {
                count += it->second.pending;
                it->second = {nowMs, 0, ""};
            } else if (conflicts_.size() < kMaxConflictWindows) {
                conflicts_[signal.signalId] = {nowMs, 0, ""};
            }
            d.kind = IntakeDecision::Kind::Journal;
            d.record = encodeRefusalRecord(
                {nowMs, signal.signalId, "same signal_id, different payload", signal.canonical, count});
            return d;
        }
        case RecentSignals::Verdict::New:
            d.kind = IntakeDecision::Kind::Journal;
            d.record = encodeSignalRecord(nowMs, signal.canonical, signal.origin);
            d.signalId = signal.signalId;
            return d;
    }
    return answer(500, errorBody("internal error"), true);
}

}  // namespace tradehost::host
