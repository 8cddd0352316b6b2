// The invariants every crash scenario asserts about a run, each its own CHECK so that a failure
// names the one that broke (the caller's INFO adds the checker's summary).
#pragma once

#include <catch2/catch.hpp>

#include "invariant_checker.h"

namespace tradehost::test {

inline void checkExactlyOnceInvariants(const CheckReport& check) {
    CHECK(check.lost == 0);
    CHECK(check.doubled == 0);
    CHECK(check.phantom == 0);
    CHECK(check.unterminated == 0);
    CHECK(check.disagreements == 0);
    CHECK(check.bookMismatches == 0);                            // the host booked exactly the fills its orders got
    CHECK(check.expired + check.rejected + check.blocked == 0);  // every accepted leg traded
}

}  // namespace tradehost::test
