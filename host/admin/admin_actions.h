// The admin API's actions (POST /api/actions/...): operator only, each with a "why", each an event
// with who, when and why.
#pragma once

#include <tradehost/context.h>

#include <set>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "operator/operator_actions.h"

namespace tradehost::host {

struct AdminActionSources {
    OperatorActions& actions;
    std::set<std::string> venues;  // venue instance names of the deployment
};

// POST /api/actions/{pause,resume,pause-symbol,resume-symbol,accept-baseline}.
std::vector<AdminRoute> adminActionRoutes(AdminActionSources sources, const Clock& clock);

}  // namespace tradehost::host
