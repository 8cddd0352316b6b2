// Client order ids: {signal}:{venue}:{leg}:{attempt}, built to fit each venue's id rules.
#include "ids/client_order_id.h"

#include <algorithm>
#include <stdexcept>

#include "text/sha256.h"

namespace tradehost::host {
namespace {

bool allIn(const std::string& text, const std::string& alphabet) {
    return text.find_first_not_of(alphabet) == std::string::npos;
}

bool isDigits(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos && (s.size() == 1 || s[0] != '0');
}

}  // namespace

ClientOrderIdCodec::ClientOrderIdCodec(ClientOrderIdRules rules, std::string venue)
    : rules_(std::move(rules)), venue_(std::move(venue)) {
    // Instance names are [a-z0-9_], so the separator must be a character no name contains.
    const std::string candidates = ":-./";
    const auto sep = std::find_if(candidates.begin(), candidates.end(),
                                  [&](char c) { return rules_.alphabet.find(c) != std::string::npos; });
    if (sep == candidates.end())
        throw std::invalid_argument("the venue's client order ids allow none of the separators ':', '-', '.', '/'");
    separator_ = *sep;
    if (allIn("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", rules_.alphabet))
        upperDigest_ = true;
    else if (allIn("abcdefghijklmnopqrstuvwxyz234567", rules_.alphabet))
        upperDigest_ = false;
    else
        throw std::invalid_argument("the venue's client order ids allow neither upper- nor lower-case base32");
    if (!allIn("0123456789", rules_.alphabet))
        throw std::invalid_argument("the venue's client order ids do not allow digits");
    if (!allIn(venue_, rules_.alphabet))
        throw std::invalid_argument("venue name '" + venue_ + "' has characters its ids do not allow");
    if (venue_.size() > maxVenueNameLength(rules_))
        throw std::invalid_argument("venue name '" + venue_ + "' is longer than the " +
                                    std::to_string(maxVenueNameLength(rules_)) +
                                    " characters its client order ids leave for it");
}

std::string ClientOrderIdCodec::digest(const std::string& signalId) const {
    const Sha256Digest bytes = sha256(signalId);
    const char* alphabet = upperDigest_ ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" : "abcdefghijklmnopqrstuvwxyz234567";
    std::string out(1, separator_);
    unsigned buffer = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5 && out.size() < kSignalPartMinLength) {
            out += alphabet[(buffer >> (bits - 5)) & 31u];
            bits -= 5;
        }
        if (out.size() == kSignalPartMinLength) break;
    }
    return out;
}

std::string ClientOrderIdCodec::encode(const std::string& signalId, int leg, int attempt) const {
    if (leg < 0 || leg > kMaxLegIndex || attempt < 0 || attempt > kMaxAttempt)
        throw std::out_of_range("leg must be 0.." + std::to_string(kMaxLegIndex) + " and attempt 0.." +
                                std::to_string(kMaxAttempt));
    const std::string tail =
        std::string(1, separator_) + venue_ + separator_ + std::to_string(leg) + separator_ + std::to_string(attempt);
    if (!signalId.empty() && signalId.front() != separator_ && allIn(signalId, rules_.alphabet) &&
        signalId.size() + tail.size() <= rules_.maxLength)
        return signalId + tail;
    return digest(signalId) + tail;
}

std::optional<ClientOrderIdParts> ClientOrderIdCodec::parse(const std::string& id) const {
    // From the right: the signal part may itself contain the separator (e.g. a timestamp).
    const auto a = id.rfind(separator_);
    if (a == std::string::npos || a == 0) return std::nullopt;
    const auto l = id.rfind(separator_, a - 1);
    if (l == std::string::npos || l == 0) return std::nullopt;
    const auto v = id.rfind(separator_, l - 1);
    if (v == std::string::npos || v == 0) return std::nullopt;
    ClientOrderIdParts p;
    p.signalPart = id.substr(0, v);
    p.venue = id.substr(v + 1, l - v - 1);
    const std::string leg = id.substr(l + 1, a - l - 1);
    const std::string attempt = id.substr(a + 1);
    if (p.venue != venue_ || !isDigits(leg) || !isDigits(attempt) || leg.size() > kMaxLegDigits ||
        attempt.size() > kMaxAttemptDigits)
        return std::nullopt;
    p.leg = std::stoi(leg);
    p.attempt = std::stoi(attempt);
    return p;
}

bool ClientOrderIdCodec::fits(const std::string& id) const {
    return !id.empty() && id.size() <= rules_.maxLength && allIn(id, rules_.alphabet);
}

}  // namespace tradehost::host
