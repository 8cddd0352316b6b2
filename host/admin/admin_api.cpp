// The admin JSON API.
#include "admin/admin_api.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "admin/admin_assets.h"

namespace tradehost::host {
namespace {

std::string text(const Poco::JSON::Object& o) {
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

}  // namespace

std::vector<AdminRoute> adminApiRoutes(AdminApiSources sources, const Clock& clock) {
    auto s = std::make_shared<const AdminApiSources>(std::move(sources));
    std::vector<AdminRoute> routes;
    routes.push_back({"GET", "/healthz", AdminAccess::Public,
                      [](const AdminRequest&) { return AdminResponse::json(200, "{\"alive\":true}"); }});
    routes.push_back({"GET", "/readyz", AdminAccess::Public, [s](const AdminRequest&) {
                          const bool ready = s->ready && s->ready();
                          return AdminResponse::json(ready ? 200 : 503,
                                                     std::string("{\"ready\":") + (ready ? "true" : "false") + "}");
                      }});

    // The page: the login form and what it needs are public; the rest needs a session.
    const auto asset = [](const std::string& name) {
        for (const auto& a : adminAssets())
            if (a.name == name) return a;
        throw std::logic_error("admin asset " + name + " is not embedded");
    };
    for (const auto& [path, name, access] : std::vector<std::tuple<std::string, std::string, AdminAccess>>{
             {"/login", "login.html", AdminAccess::Public},
             {"/assets/login.js", "login.js", AdminAccess::Public},
             {"/assets/admin.css", "admin.css", AdminAccess::Public},
             {"/", "index.html", AdminAccess::Viewer},
             {"/assets/app.js", "app.js", AdminAccess::Viewer},
         }) {
        const AdminAsset file = asset(name);
        routes.push_back({"GET", path, access, [file](const AdminRequest&) {
                              AdminResponse r = AdminResponse::json(200, file.content);
                              r.contentType = file.contentType;
                              return r;
                          }});
    }

    routes.push_back(
        {"GET", "/api/overview", AdminAccess::Viewer, [s, &clock](const AdminRequest&) {
             Poco::JSON::Object o;
             const std::int64_t now = clock.nowMs();
             o.set("version", s->version);
             o.set("ready", s->ready && s->ready());
             o.set("uptime_s", (now - s->startedMs) / 1000);
             const KillSwitch k = s->control.killSwitch();
             Poco::JSON::Object kill;
             kill.set("paused", k.paused);
             kill.set("by", k.by.who);
             kill.set("why", k.by.why);
             kill.set("since_ms", k.sinceMs);
             o.set("kill_switch", kill);
             Poco::JSON::Array paused;
             for (const auto& p : s->control.pausedSymbols()) {
                 Poco::JSON::Object e;
                 e.set("venue", p.venue);
                 e.set("symbol", p.symbol);
                 e.set("by", p.by.who);
                 e.set("why", p.by.why);
                 e.set("since_ms", p.sinceMs);
                 paused.add(e);
             }
             o.set("paused_symbols", paused);
             std::map<std::string, int> byState;
             for (const auto& leg : s->legs.legsIn(
                      {LegState::Pending, LegState::Submitted, LegState::Unknown, LegState::Absent, LegState::Working},
                      s->owner))
                 ++byState[toString(leg.state)];
             Poco::JSON::Object legs;
             for (const char* state : {"PENDING", "SUBMITTED", "UNKNOWN", "ABSENT", "WORKING"})
                 legs.set(state, byState[state]);
             o.set("open_legs", legs);
             return AdminResponse::json(200, text(o));
         }});

    routes.push_back({"GET", "/api/positions", AdminAccess::Viewer, [s](const AdminRequest&) {
                          // Expected (the host's fills plus baselines) beside what the venue held at
                          // the reconciler's last reading, per venue, symbol and side.
                          struct Row {
                              Decimal expected, venue;
                              bool seen = false;
                              std::int64_t checkedMs = 0;
                              std::string baselineBy;
                          };
                          std::map<PositionKey, Row> rows;
                          for (const auto& e : s->book.expectedPositions()) {
                              rows[e.key].expected = e.quantity();
                              rows[e.key].baselineBy = e.baselineBy.who;
                          }
                          for (const auto& v : s->book.venuePositions()) {
                              rows[v.key].venue = v.quantity;
                              rows[v.key].seen = true;
                              rows[v.key].checkedMs = v.checkedMs;
                          }
                          Poco::JSON::Array out;
                          for (const auto& [key, row] : rows) {
                              Poco::JSON::Object o;
                              o.set("venue", key.venue);
                              o.set("symbol", key.symbol);
                              o.set("position_side", toString(key.side));
                              o.set("expected", row.expected.toString());
                              const std::int64_t checked = s->book.venueCheckedMs(key.venue);
                              o.set("venue_quantity", checked ? row.venue.toString() : "");
                              o.set("checked_ms", checked);
                              o.set("differs", checked != 0 && !(row.venue == row.expected));
                              o.set("baseline_by", row.baselineBy);
                              out.add(o);
                          }
                          Poco::JSON::Object o;
                          o.set("positions", out);
                          return AdminResponse::json(200, text(o));
                      }});

    routes.push_back({"GET", "/metrics", AdminAccess::Viewer, [s](const AdminRequest&) {
                          if (!s->metrics) return AdminResponse::error(404, "no metrics in this build");
                          AdminResponse r = AdminResponse::json(200, s->metrics());
                          r.contentType = "text/plain; version=0.0.4; charset=utf-8";
                          return r;
                      }});

    return routes;
}

}  // namespace tradehost::host
