// The admin API's actions (POST /api/actions/...): operator only, each with a "why", each an event
// with who, when and why.
#pragma once

#include <tradehost/context.h>

#include <memory>
#include <vector>

#include "admin/admin_api.h"

namespace tradehost::host {

// POST /api/actions/{pause,resume,pause-symbol,resume-symbol,accept-baseline}.
std::vector<AdminRoute> adminActionRoutes(std::shared_ptr<const AdminApiSources> sources, const Clock& clock);

}  // namespace tradehost::host
