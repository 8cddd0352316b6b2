// Expected positions: the host's own fills per venue, symbol and side, plus operator baselines.
#pragma once

#include <tradehost/decimal.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gate/gate_types.h"

namespace tradehost::host {

struct ExpectedPosition {
    PositionKey key;
    Decimal fills;       // signed sum of every fill the host booked (LegStore moves it)
    Decimal adjustment;  // what the last operator baseline added on top of the fills
    Decimal quantity() const { return fills + adjustment; }
    Actor baselineBy;  // empty when no baseline was ever set
    std::int64_t baselineMs = 0;
};

// Thread-safe; storage failures throw GateError.
class PositionBook {
public:
    virtual ~PositionBook() = default;

    // Every (venue, symbol, side) the host has booked a fill for or set a baseline on.
    virtual std::vector<ExpectedPosition> expectedPositions() = 0;

    // From now on the expected position of `key` is `quantity` (the operator accepted what the
    // venue holds): fills keep counting on top. Recorded as `position_baseline_set` with who, why,
    // and the expected quantity before and after.
    virtual void setBaseline(const PositionKey& key, const Decimal& quantity, const Actor& by, std::int64_t nowMs) = 0;
};

}  // namespace tradehost::host
