// Expected positions: the host's own fills per venue, symbol and side, plus operator baselines.
#pragma once

#include <tradehost/decimal.h>

#include <cstdint>
#include <optional>
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

// What the venue itself held at the reconciler's last successful check.
struct VenuePosition {
    PositionKey key;
    Decimal quantity;
    std::optional<Decimal> markPrice;
    std::int64_t checkedMs = 0;
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

    // The reconciler's latest reading of `venue` (every position it reported; the ones it no longer
    // reports are gone), so operators can compare and accept it without asking the venue again.
    virtual void recordVenuePositions(const std::string& venue, const std::vector<VenuePosition>& positions,
                                      std::int64_t nowMs) = 0;
    // The latest reading of every venue; a venue never read successfully has none.
    virtual std::vector<VenuePosition> venuePositions() = 0;
    // When `venue` was last read successfully (0: never).
    virtual std::int64_t venueCheckedMs(const std::string& venue) = 0;
};

}  // namespace tradehost::host
