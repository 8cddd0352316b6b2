// Built twice into two directories: two libraries claiming the type "duplicate".
#include "minimal_venue.h"

TRADEHOST_PLUGIN(tradehost::test::MinimalVenue, "duplicate", "0.0.1", "one of two claimants")
