// The admin JSON API's reads: what the page shows, from the gate's read side and the read model,
// and the live stream that keeps the page current.
#pragma once

#include <tradehost/context.h>

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "admin/admin_server.h"
#include "gate/alert_outbox.h"
#include "gate/control_state.h"
#include "gate/leg_store.h"
#include "gate/position_book.h"

namespace tradehost::host {

class LiveFeed;
class ReadModel;

// One plugin instance as the Instances view shows it.
struct InstanceView {
    std::string name;
    std::string kind;  // "venue" or "alert"
    std::string type;  // the plugin's type name
    std::string version;
    std::string state;  // running, stopped, failed, ...
    bool live = false;  // a venue trading real money (not paper): manual orders need a typed confirmation
    std::vector<std::pair<std::string, std::string>> detail;  // last check, rate-limit use, ...
};

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
    // The page's read side (null: the views that need them answer 404).
    ReadModel* readModel = nullptr;
    LiveFeed* feed = nullptr;
    AlertOutbox* alertOutbox = nullptr;
    std::string alertFallbackFile;                                     // recent alerts are read from its end
    std::function<std::vector<InstanceView>()> instances;              // every plugin instance
    std::function<std::string()> config;                               // the running deployment, secrets redacted
    std::function<std::pair<std::uint64_t, std::uint64_t>()> journal;  // last record, admitted through
};

// The routes: GET /healthz, /readyz, /login and its script and stylesheet (public); GET / (the
// page), its script, /api/overview, /api/positions, /api/signals, /api/signal, /api/events,
// /api/instances, /api/alerts, /api/config, /api/stream (server-sent events), /metrics (viewer).
// The actions are admin_actions.h's.
std::vector<AdminRoute> adminApiRoutes(AdminApiSources sources, const Clock& clock);

}  // namespace tradehost::host
