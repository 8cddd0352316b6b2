// Broken on purpose: the file is tradehost_misnamed.so, but the stamp claims another type.
#include "minimal_venue.h"

TRADEHOST_PLUGIN(tradehost::test::MinimalVenue, "something_else", "0.0.1", "file name and stamp disagree")
