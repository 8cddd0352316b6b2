// The admin API's actions (POST /api/actions/...): operator only, each with a "why", each an event
// with who, when and why.
#pragma once

#include <tradehost/context.h>

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "intake/intake_service.h"
#include "operator/operator_actions.h"

namespace tradehost::host {

struct AdminActionSources {
    OperatorActions& actions;
    std::set<std::string> venues;  // venue instance names of the deployment
    // The order ticket's way in: intake judges the signal (webhook JSON) as it judges an
    // authenticated webhook body, and the future holds its answer (WebhookServer::submit). Empty:
    // tickets are answered 503.
    std::function<std::future<IntakeAnswer>(std::string signalJson, SignalOrigin origin)> submitSignal = {};
    // Venue instance name -> plugin type. A ticket for any type but "paper" (or one not listed)
    // must be confirmed by typing the instance's name.
    std::map<std::string, std::string> venueTypes = {};
    // How long a ticket waits for intake's answer (a journal write, normally milliseconds).
    std::int64_t submitTimeoutMs = 5000;
};

// POST /api/actions/{pause,resume,pause-symbol,resume-symbol,accept-baseline,order,retry-resolution,
// cancel-order}.
std::vector<AdminRoute> adminActionRoutes(AdminActionSources sources, const Clock& clock);

}  // namespace tradehost::host
