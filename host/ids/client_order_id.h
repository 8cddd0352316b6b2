// The client order id budget: {signal}:{venue}:{leg}:{attempt} must fit every venue's id rules.
#pragma once

#include <cstddef>
#include <string>

#include <tradehost/venue.h>

namespace tradehost::host {

// The shortest the {signal} part ever gets: a signal id that does not fit is replaced by a
// digest of this many base32 characters (80 bits: collisions negligible for any signal volume).
constexpr std::size_t kSignalPartMinLength = 16;
constexpr std::size_t kMaxLegDigits = 2;      // at most 99 legs per signal
constexpr std::size_t kMaxAttemptDigits = 1;  // at most 9 attempts per leg
constexpr std::size_t kSeparators = 3;

// The longest venue instance name whose ids still fit `rules` (0 if none can).
inline std::size_t maxVenueNameLength(const ClientOrderIdRules& rules) {
    const std::size_t fixed = kSignalPartMinLength + kMaxLegDigits + kMaxAttemptDigits + kSeparators;
    return rules.maxLength > fixed ? rules.maxLength - fixed : 0;
}

}  // namespace tradehost::host
