// The admin JSON API.
#include "admin/admin_api.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "admin/admin_assets.h"
#include "alerts/alert_json.h"
#include "events/json_text.h"
#include "readmodel/live_feed.h"
#include "readmodel/read_model.h"

namespace tradehost::host {
namespace {

// The overview: what an operator glances at.
std::string overviewJson(const AdminApiSources& s, std::int64_t now) {
    Poco::JSON::Object o;
    o.set("version", s.version);
    o.set("ready", s.ready && s.ready());
    o.set("uptime_s", (now - s.startedMs) / 1000);
    const KillSwitch k = s.control.killSwitch();
    Poco::JSON::Object kill;
    kill.set("paused", k.paused);
    kill.set("by", k.by.who);
    kill.set("why", k.by.why);
    kill.set("since_ms", k.sinceMs);
    o.set("kill_switch", kill);
    Poco::JSON::Array paused;
    for (const auto& p : s.control.pausedSymbols()) {
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
    for (const auto& leg : s.legs.legsIn(
             {LegState::Pending, LegState::Submitted, LegState::Unknown, LegState::Absent, LegState::Working}, s.owner))
        ++byState[toString(leg.state)];
    Poco::JSON::Object legs;
    for (const char* state : {"PENDING", "SUBMITTED", "UNKNOWN", "ABSENT", "WORKING"}) legs.set(state, byState[state]);
    o.set("open_legs", legs);
    Poco::JSON::Object backlog;
    if (s.alertOutbox)
        for (const auto& [sink, count] : s.alertOutbox->alertBacklog()) backlog.set(sink, count);
    o.set("alert_backlog", backlog);
    if (s.readModel) {
        o.set("signals_last_minute", s.readModel->signalsSince(now - 60'000));
        o.set("drifts", s.readModel->openDrifts());
        if (const auto last = s.readModel->lastSignal()) {
            Poco::JSON::Object l;
            l.set("signal_id", last->signalId);
            l.set("received_ms", last->receivedMs);
            l.set("state", last->state);
            o.set("last_signal", l);
        }
    }
    Poco::JSON::Object journal;
    if (s.journal) {
        const auto [last, admitted] = s.journal();
        journal.set("last_seq", last);
        journal.set("admitted_seq", admitted);
    }
    o.set("journal", journal);
    return jsonText(o);
}

Poco::JSON::Object legJson(const LegView& l) {
    Poco::JSON::Object o;
    o.set("leg", l.leg);
    o.set("venue", l.venue);
    o.set("symbol", l.symbol);
    o.set("side", l.side);
    o.set("type", l.type);
    o.set("quantity", l.quantity);
    if (!l.price.empty()) o.set("price", l.price);
    o.set("client_order_id", l.clientOrderId);
    o.set("state", l.state);
    o.set("reason", l.reason);
    return o;
}

Poco::JSON::Object signalJson(const SignalView& v) {
    Poco::JSON::Object o;
    o.set("signal_id", v.signalId);
    o.set("cursor", v.cursor);
    o.set("received_ms", v.receivedMs);
    o.set("state", v.state);
    o.set("last_event", v.lastEvent);
    o.set("last_ms", v.lastMs);
    Poco::JSON::Array orders;
    for (const auto& l : v.legs) orders.add(legJson(l));
    o.set("orders", orders);
    return o;
}

// Events as a JSON array's text; each event's data stays its JSON text (a string).
std::string eventsJson(const std::vector<StoredEvent>& events) {
    std::string out = "[";
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (i) out += ',';
        out += LiveFeed::eventJson(events[i]);
    }
    return out + "]";
}

// A number from the query, or `fallback`; a 400 names the parameter when it is not one.
std::uint64_t numberParam(const AdminRequest& r, const std::string& name, std::uint64_t fallback) {
    const auto it = r.query.find(name);
    if (it == r.query.end() || it->second.empty()) return fallback;
    if (it->second.size() > 19 || it->second.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument("'" + name + "' must be a non-negative whole number");
    return std::stoull(it->second);
}

std::string textParam(const AdminRequest& r, const std::string& name) {
    const auto it = r.query.find(name);
    if (it == r.query.end()) return "";
    if (it->second.size() > 200) throw std::invalid_argument("'" + name + "' is longer than 200 characters");
    return it->second;
}

// Read routes that take query parameters answer 400 naming a bad one.
AdminHandler reading(std::function<AdminResponse(const AdminRequest&)> f) {
    return [f = std::move(f)](const AdminRequest& r) {
        try {
            return f(r);
        } catch (const std::invalid_argument& e) {
            return AdminResponse::error(400, e.what());
        }
    };
}

// The live stream: a snapshot, then each event as a numbered delta. A client that reconnects with
// Last-Event-ID "epoch:seq" gets what it missed if the feed still holds it, else a new snapshot.
void streamEvents(const AdminApiSources& s, const Clock& clock, const std::string& lastEventId, std::ostream& out,
                  const std::function<bool()>& stopping) {
    LiveFeed& feed = *s.feed;
    const std::string& epoch = feed.epoch();
    std::uint64_t seq = 0;
    bool resumed = false;
    if (lastEventId.size() > epoch.size() + 1 && lastEventId.compare(0, epoch.size() + 1, epoch + ":") == 0) {
        const std::string n = lastEventId.substr(epoch.size() + 1);
        if (n.size() <= 19 && n.find_first_not_of("0123456789") == std::string::npos) {
            seq = std::stoull(n);
            resumed = true;
        }
    }
    const auto snapshot = [&] {
        // The number first, then the reads: a delta after it may repeat what the snapshot shows
        // (the page reads that view again), but none is missed.
        seq = feed.lastSeq();
        out << "id: " << epoch << ':' << seq << "\nevent: snapshot\ndata: {\"epoch\":\"" << epoch
            << "\",\"seq\":" << seq << ",\"overview\":" << overviewJson(s, clock.nowMs())
            << ",\"events\":" << eventsJson(s.readModel->tail(100)) << "}\n\n";
        out.flush();
    };
    out << "retry: 2000\n\n";
    if (!resumed) snapshot();
    auto lastWrite = std::chrono::steady_clock::now();
    while (out.good() && !stopping()) {
        const LiveFeed::Batch batch = feed.after(seq, std::chrono::milliseconds(1000));
        if (batch.closed) break;
        if (batch.gap) {
            snapshot();
        } else if (!batch.deltas.empty()) {
            for (const auto& d : batch.deltas) {
                out << "id: " << epoch << ':' << d.seq << "\nevent: delta\ndata: " << d.json << "\n\n";
                seq = d.seq;
            }
            out.flush();
        } else if (std::chrono::steady_clock::now() - lastWrite < std::chrono::seconds(15)) {
            continue;
        } else {
            out << ": still here\n\n";  // a comment: keeps proxies and the client's timer content
            out.flush();
        }
        lastWrite = std::chrono::steady_clock::now();
    }
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

    routes.push_back({"GET", "/api/overview", AdminAccess::Viewer, [s, &clock](const AdminRequest&) {
                          return AdminResponse::json(200, overviewJson(*s, clock.nowMs()));
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
                          return AdminResponse::json(200, jsonText(o));
                      }});

    routes.push_back({"GET", "/api/signals", AdminAccess::Viewer, reading([s](const AdminRequest& r) {
                          if (!s->readModel) return AdminResponse::error(404, "no read model in this host");
                          SignalFilter f;
                          f.id = textParam(r, "id");
                          f.state = textParam(r, "state");
                          f.venue = textParam(r, "venue");
                          f.symbol = textParam(r, "symbol");
                          f.before = numberParam(r, "before", 0);
                          f.limit = static_cast<std::size_t>(std::min<std::uint64_t>(numberParam(r, "limit", 50), 500));
                          const SignalPage page = s->readModel->signals(f);
                          Poco::JSON::Array list;
                          for (const auto& v : page.signals) list.add(signalJson(v));
                          Poco::JSON::Object o;
                          o.set("signals", list);
                          if (page.nextBefore) o.set("next_before", std::to_string(page.nextBefore));
                          return AdminResponse::json(200, jsonText(o));
                      })});

    routes.push_back({"GET", "/api/signal", AdminAccess::Viewer, reading([s](const AdminRequest& r) {
                          if (!s->readModel) return AdminResponse::error(404, "no read model in this host");
                          const std::string id = textParam(r, "id");
                          const auto v = s->readModel->signal(id);
                          if (!v)
                              return AdminResponse::error(
                                  404, "no signal with that id (or it is older than the page keeps)");
                          const auto events = s->readModel->eventsOf(id);
                          Poco::JSON::Object o = signalJson(*v);
                          // Where it stopped, when it did not end in a fill: the last leg reason.
                          std::string stopped;
                          for (const auto& l : v->legs)
                              if (l.state != "ACCEPTED" && !l.reason.empty())
                                  stopped += (stopped.empty() ? "" : "; ") +
                                             ("leg " + std::to_string(l.leg) + " " + l.state + ": " + l.reason);
                          o.set("stopped", stopped);
                          std::string body = jsonText(o);
                          body.pop_back();  // the events go in as they are (their data stays text)
                          body += ",\"events\":" + eventsJson(events) + "}";
                          return AdminResponse::json(200, body);
                      })});

    routes.push_back({"GET", "/api/events", AdminAccess::Viewer, reading([s](const AdminRequest& r) {
                          if (!s->readModel) return AdminResponse::error(404, "no read model in this host");
                          const auto limit =
                              static_cast<std::size_t>(std::min<std::uint64_t>(numberParam(r, "limit", 200), 1000));
                          const auto events = s->readModel->tail(limit, numberParam(r, "after", 0));
                          return AdminResponse::json(200, "{\"events\":" + eventsJson(events) + "}");
                      })});

    routes.push_back({"GET", "/api/instances", AdminAccess::Viewer, [s](const AdminRequest&) {
                          Poco::JSON::Array list;
                          if (s->instances)
                              for (const auto& i : s->instances()) {
                                  Poco::JSON::Object o;
                                  o.set("name", i.name);
                                  o.set("kind", i.kind);
                                  o.set("type", i.type);
                                  o.set("version", i.version);
                                  o.set("state", i.state);
                                  o.set("live", i.live);
                                  Poco::JSON::Object detail(Poco::JSON_PRESERVE_KEY_ORDER);  // as the host lists them
                                  for (const auto& [k, v] : i.detail) detail.set(k, v);
                                  o.set("detail", detail);
                                  list.add(o);
                              }
                          Poco::JSON::Object o;
                          o.set("instances", list);
                          return AdminResponse::json(200, jsonText(o));
                      }});

    routes.push_back({"GET", "/api/alerts", AdminAccess::Viewer, [s](const AdminRequest&) {
                          Poco::JSON::Array alerts;
                          if (!s->alertFallbackFile.empty())
                              for (const auto& a : recentAlerts(s->alertFallbackFile, 100)) {
                                  Poco::JSON::Object o;
                                  o.set("id", a.id);
                                  o.set("key", a.key);
                                  o.set("severity", toString(a.severity));
                                  o.set("title", a.title);
                                  o.set("text", a.text);
                                  o.set("timestamp_ms", a.timestampMs);
                                  o.set("suppressed", a.suppressedCount);
                                  alerts.add(o);
                              }
                          Poco::JSON::Array sinks;
                          if (s->alertOutbox) {
                              const auto backlog = s->alertOutbox->alertBacklog();
                              std::set<std::string> names;
                              if (s->instances)
                                  for (const auto& i : s->instances())
                                      if (i.kind == "alert") names.insert(i.name);
                              for (const auto& [sink, n] : backlog) names.insert(sink);
                              for (const auto& sink : names) {
                                  Poco::JSON::Object o;
                                  o.set("sink", sink);
                                  const auto it = backlog.find(sink);
                                  o.set("waiting", it == backlog.end() ? 0 : it->second);
                                  Poco::JSON::Array failed;
                                  for (const auto& [p, reason] : s->alertOutbox->failedAlerts(sink, 5)) {
                                      Poco::JSON::Object f;
                                      f.set("id", p.id);
                                      f.set("title", p.alert.title);
                                      f.set("reason", reason);
                                      failed.add(f);
                                  }
                                  o.set("failed", failed);
                                  sinks.add(o);
                              }
                          }
                          Poco::JSON::Object o;
                          o.set("alerts", alerts);
                          o.set("sinks", sinks);
                          return AdminResponse::json(200, jsonText(o));
                      }});

    routes.push_back({"GET", "/api/config", AdminAccess::Viewer, [s](const AdminRequest&) {
                          Poco::JSON::Object o;
                          o.set("text", s->config ? s->config() : std::string());
                          return AdminResponse::json(200, jsonText(o));
                      }});

    routes.push_back({"GET", "/api/stream", AdminAccess::Viewer, [s, &clock](const AdminRequest& r) {
                          if (!s->feed || !s->readModel)
                              return AdminResponse::error(404, "no live stream in this host");
                          AdminResponse out;
                          out.contentType = "text/event-stream";
                          out.stream = [s, &clock, last = r.lastEventId](std::ostream& os,
                                                                         const std::function<bool()>& stopping) {
                              streamEvents(*s, clock, last, os, stopping);
                          };
                          return out;
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
