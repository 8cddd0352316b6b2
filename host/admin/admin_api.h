// The admin JSON API: what the page shows and does, from the gate's read side and OperatorActions.
#pragma once

#include <tradehost/context.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "gate/control_state.h"
#include "gate/leg_store.h"
#include "gate/position_book.h"

namespace tradehost::host {

struct AdminApiSources {
    ControlState& control;
    PositionBook& book;
    LegStore& legs;
    std::string owner = "local";
    std::set<std::string> venues;          // venue instance names of the deployment
    std::function<bool()> ready;           // the webhook's readiness (recovery done)
    std::function<std::string()> metrics;  // Prometheus text; empty: /metrics answers 404
    std::string version;
    std::int64_t startedMs = 0;
};

// The routes: GET /healthz, /readyz, /login and its script and stylesheet (public); GET / (the
// page), its script, /api/overview, /api/positions, /metrics (viewer); POST
// /api/actions/{pause,resume,pause-symbol,resume-symbol,accept-baseline} (operator; each needs a "why" and is recorded
// with who).
std::vector<AdminRoute> adminApiRoutes(AdminApiSources sources, const Clock& clock);

}  // namespace tradehost::host
