// What intake decides for one request, whatever carries it: authenticate, bound, parse, claim.
#include "intake/intake_service.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "events/json_text.h"
#include "intake/signal/signal_parser.h"
#include "journal/journal.h"
#include "pipeline/journal_record.h"

namespace tradehost::host {
namespace {

bool equalsConstantTime(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
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
    // Source address first, from the real peer (never a forwarded-for header).
    if (!o.allowIps.empty() && !o.allowIps.count(peer))
        return answer(403, errorBody("source address not allowed"), true);
    const std::string& body = request.body;

    // Authentication before parsing anything the sender controls beyond the framing.
    bool authenticated = o.secret.empty() && o.pathToken.empty() && o.signingSecret.empty();
    if (!o.pathToken.empty() && !token.empty() && equalsConstantTime(token, o.pathToken)) authenticated = true;
    if (!o.signingSecret.empty()) {
        if (const std::string* given = request.header("X-Signature")) {
            if (given->rfind("sha256=", 0) == 0 && equalsConstantTime(given->substr(7), hmacHex(o.signingSecret, body)))
                authenticated = true;
        }
    }
    const auto parsed = parseSignal(body);
    const std::optional<std::string>& secret =
        std::holds_alternative<Parsed>(parsed) ? std::get<Parsed>(parsed).secret : std::get<ParseError>(parsed).secret;
    if (!o.secret.empty() && secret && equalsConstantTime(*secret, o.secret)) authenticated = true;
    if (!authenticated) return answer(401, errorBody("authentication failed"), true);
    if (const auto* e = std::get_if<ParseError>(&parsed)) return answer(e->httpStatus, errorBody(e->message, e->field));
    if (!ready() || !recent_) return answer(503, errorBody("not ready: recovery is still running"));
    return judge(std::get<Parsed>(parsed).signal, nowMs);
}

IntakeDecision IntakeService::retry(const Signal& signal, std::int64_t nowMs) { return judge(signal, nowMs); }

IntakeDecision IntakeService::judge(const Signal& signal, std::int64_t nowMs) {
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
        case RecentSignals::Verdict::Conflict:
            // Refused, and the refusal journaled so the admitter records it (intake never writes to
            // the gate): 422 once that record is durable.
            d.kind = IntakeDecision::Kind::Journal;
            d.record =
                encodeRefusalRecord({nowMs, signal.signalId, "same signal_id, different payload", signal.canonical});
            return d;
        case RecentSignals::Verdict::New:
            d.kind = IntakeDecision::Kind::Journal;
            d.record = encodeSignalRecord(nowMs, signal.canonical);
            d.signalId = signal.signalId;
            return d;
    }
    return answer(500, errorBody("internal error"), true);
}

}  // namespace tradehost::host
