// Client order ids: {signal}:{venue}:{leg}:{attempt}, built to fit each venue's id rules.
#pragma once

#include <tradehost/venue.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

namespace tradehost::host {

// The shortest the {signal} part ever gets: a signal id that cannot be used as it is becomes the
// separator followed by 15 base32 characters of its SHA-256 (75 bits: collisions negligible for
// any signal volume; the gate refuses one anyway, ending that leg only). The leading separator is
// what keeps the two forms apart: a signal id is used as it is only when it does not start with
// the separator, so no signal id can ever equal another one's digest form.
constexpr std::size_t kSignalPartMinLength = 16;
constexpr std::size_t kMaxLegDigits = 2;      // at most 99 legs per signal
constexpr std::size_t kMaxAttemptDigits = 1;  // at most 9 attempts per leg
constexpr std::size_t kSeparators = 3;
constexpr int kMaxLegIndex = 99;  // legs are numbered 0..99 in ids
constexpr int kMaxAttempt = 9;    // attempts are numbered 0..9

// The longest venue instance name whose ids still fit `rules` (0 if none can).
inline std::size_t maxVenueNameLength(const ClientOrderIdRules& rules) {
    const std::size_t fixed = kSignalPartMinLength + kMaxLegDigits + kMaxAttemptDigits + kSeparators;
    return rules.maxLength > fixed ? rules.maxLength - fixed : 0;
}

struct ClientOrderIdParts {
    std::string signalPart;  // the signal id itself, or its digest
    std::string venue;
    int leg = 0;
    int attempt = 0;
};

// Encodes and parses the ids of one venue instance. Deterministic: the same (signal, leg,
// attempt) always gives the same id, so an id can be recomputed after a crash, never guessed.
class ClientOrderIdCodec {
public:
    // Throws std::invalid_argument when no id can fit the rules (no usable separator among
    // ":-./", no digest alphabet, or the venue name too long).
    ClientOrderIdCodec(ClientOrderIdRules rules, std::string venue);

    // The signal id is used as it is when every character is allowed, it does not start with the
    // separator, and the whole id fits; otherwise its digest form (digest()).
    std::string encode(const std::string& signalId, int leg, int attempt) const;

    // The parts of an id of this venue instance, or nullopt when the id is not ours (foreign).
    std::optional<ClientOrderIdParts> parse(const std::string& clientOrderId) const;

    bool fits(const std::string& clientOrderId) const;  // length and alphabet
    char separator() const { return separator_; }
    const std::string& venue() const { return venue_; }

    // The digest form of a signal id: the separator, then 15 base32 characters of its SHA-256.
    std::string digest(const std::string& signalId) const;

private:
    ClientOrderIdRules rules_;
    std::string venue_;
    char separator_ = ':';
    bool upperDigest_ = true;
};

}  // namespace tradehost::host
