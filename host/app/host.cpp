// The running host: owns storage, the plugin instances, intake and the pipeline, and starts and
// stops them in order.
#include "app/host.h"

#include <Poco/Logger.h>
#include <Poco/Util/Application.h>

#include "events/json_text.h"
#include "log/redactor.h"
#include "pipeline/leg_outcomes.h"

namespace tradehost::host {
namespace {

using App = Poco::Util::Application;

Poco::Logger& log() { return Poco::Logger::get("host"); }

}  // namespace

Host::Host(HostSettings settings, InstanceSet instances, const Clock& clock)
    : settings_(std::move(settings)), instances_(std::move(instances)), clock_(clock) {
    std::vector<std::string> venues, sinks;
    for (const auto& v : instances_.venues) venues.push_back(v->name());
    for (const auto& a : instances_.alerts) sinks.push_back(a->name());
    metrics_ = std::make_unique<HostMetrics>(venues, sinks);
    if (instances_.pluginMetrics) metrics_->watchPluginMetrics(*instances_.pluginMetrics);
    for (const auto& v : instances_.venues) v->setMetrics(metrics_->venueCalls(v->name()));
}

Host::~Host() { stop(); }

std::string Host::fatalError() const {
    std::lock_guard<std::mutex> lock(fatalMutex_);
    if (fatal_.empty() && journal_ && journal_->failed()) return "journal write failed";
    return fatal_;
}

void Host::fail(const std::string& why) {
    {
        std::lock_guard<std::mutex> lock(fatalMutex_);
        if (!fatal_.empty()) return;
        fatal_ = why;
    }
    log().critical("fatal: " + why + "; stopping for a restart");
}

void Host::open() {
    const auto& dir = settings_.storageDir;
    eventsPath_ = dir / "events.jsonl";
    try {
        std::filesystem::create_directories(dir);
        journal_ = Journal::open({(dir / "journal").string()});
        journal_->setMetrics(metrics_->journal());
    } catch (const JournalLocked& e) {
        throw HostError(App::EXIT_TEMPFAIL, "another tradehost is running on " + dir.string() + ": " + e.what());
    } catch (const std::exception& e) {
        throw HostError(App::EXIT_IOERR, "cannot open storage in " + dir.string() + ": " + e.what());
    }
    try {
        gate_ = openSqliteGate((dir / "gate.sqlite").string());
        metrics_->watchLegs(*gate_, settings_.pipeline.owner);
        events_ = EventLog::open(eventsPath_.string(),
                                 [](std::string text) { return Redactor::instance().redact(std::move(text)); });
    } catch (const std::exception& e) {
        throw HostError(App::EXIT_IOERR, "cannot open storage in " + dir.string() + ": " + e.what());
    }
    try {
        webhook_ = std::make_unique<WebhookServer>(
            settings_.intake, journal_.get(), gate_.get(),
            [this] {
                if (admitter_) admitter_->wake();
            },
            [this] { return clock_.nowMs(); }, metrics_->intake());
    } catch (const AddressInUse& e) {
        throw HostError(App::EXIT_UNAVAILABLE,
                        settings_.file + ": section 'webhook', key 'listen': cannot listen on " + e.what());
    } catch (const std::exception& e) {
        throw HostError(App::EXIT_CONFIG,
                        settings_.file + ": section 'webhook', key 'listen': cannot listen: " + e.what());
    }
    ConfigErrors errors;
    instances_.startAll(settings_.file, errors);
    if (!errors.empty()) {
        std::string text;
        for (const auto& e : errors.all()) text += "\n  " + e.toString();
        throw HostError(App::EXIT_CONFIG,
                        std::to_string(errors.size()) + (errors.size() == 1 ? " error:" : " errors:") + text);
    }
    webhook_->start();  // probes answer now; signals get 503 until recovery is done
    openedMs_ = clock_.nowMs();
    if (settings_.admin) openAdmin(*settings_.admin);
}

void Host::build() {
    const PipelineOptions& o = settings_.pipeline;
    auto onFatal = [this](const std::string& why) { fail(why); };
    dispatcher_ = std::make_unique<OutboxDispatcher>(*gate_, clock_, onFatal);
    auto recorded = [this] { dispatcher_->wake(); };
    std::map<std::string, VenueRoute> routes;
    for (const auto& v : instances_.venues) {
        auto w = std::make_unique<VenueWorkers>();
        VenueWorkers& vw = *w;
        vw.venue = v.get();
        vw.ids = std::make_unique<ClientOrderIdCodec>(v->clientOrderIdRules(), v->name());
        vw.lane = std::make_unique<VenueLane>(v->name());
        vw.tracker = std::make_unique<OrderTracker>(*vw.lane, *v, *gate_, *gate_, o, clock_,
                                                    OrderTracker::Hooks{recorded}, onFatal);
        vw.resolver = std::make_unique<Resolver>(*vw.lane, *v, *vw.ids, *gate_, o, clock_,
                                                 Resolver::Hooks{[&vw](const LegRecord& leg) { vw.tracker->add(leg); },
                                                                 [&vw] { vw.executor->wake(); }, recorded},
                                                 onFatal);
        vw.executor =
            std::make_unique<Executor>(*vw.lane, *v, v->risk(), *gate_, *gate_, o, clock_,
                                       Executor::Hooks{[&vw](const LegRecord& leg) { vw.resolver->add(leg); },
                                                       [&vw](const LegRecord& leg) { vw.tracker->add(leg); }, recorded},
                                       onFatal);
        const auto onDrift = settings_.onDrift.find(v->name());
        vw.reconciler = std::make_unique<Reconciler>(
            v->name(), *v, *vw.ids, *gate_, *gate_, *gate_, *gate_,
            ReconcilerOptions{settings_.reconcileIntervalMs, o.owner,
                              onDrift == settings_.onDrift.end() ? OnDrift::Alert : onDrift->second},
            clock_, onFatal);
        vw.reconciler->setMetrics(metrics_->reconciler(v->name()));
        routes[v->name()] = {vw.lane.get(), vw.ids.get(), [&vw] { vw.executor->wake(); }};
        venues_.push_back(std::move(w));
    }
    admitter_ = std::make_unique<Admitter>(
        *journal_, *gate_, std::move(routes), o, clock_,
        Admitter::Hooks{[this](std::uint64_t seq) { webhook_->admittedThrough(seq); }, recorded}, onFatal);
    janitor_ = std::make_unique<Janitor>(*journal_, *gate_, *gate_, o, clock_, onFatal);
    eventLogWriter_ = std::make_unique<EventLogWriter>(*events_);
    // From the outbox's end as it is now: what recovery records next is printed, nothing older.
    consoleReporter_ = std::make_unique<ConsoleReporter>(clock_, gate_->lastEventId());
    consoleReporter_->onOutcome(
        [m = metrics_.get()](const std::string& venue, const char* outcome) { m->legOutcome(venue, outcome); });

    // Alerts: the router reads the outbox from its own cursor (made at the outbox's end on the
    // first start, so a gate's history is not alerted again), and each sink has a delivery worker.
    gate_->openCursor("alerts", gate_->lastEventId());
    AlertRouterOptions alerting = settings_.alerting;
    if (alerting.fallbackFile.empty())
        alerting.fallbackFile = (settings_.storageDir / "alerts-fallback.jsonl").string();
    try {
        alertRouter_ =
            std::make_unique<AlertRouter>(*gate_, settings_.alertRoutes, alerting, [this](const std::string& sink) {
                for (auto& d : alertDeliveries_)
                    if (d->sink() == sink) d->wake();
            });
    } catch (const std::exception& e) {
        throw HostError(App::EXIT_CANTCREAT, e.what());
    }
    alertRouter_->setMetrics(metrics_->alertPolicy());
    // Commands from chat sinks: recorded from now on, acted on once start() is done.
    operatorCommands_ = std::make_unique<OperatorCommandHandler>(*gate_, *gate_, *gate_, *gate_, clock_,
                                                                 OperatorCommandOptions{o.owner});
    instances_.commandRelay->attach(*operatorCommands_);
    for (const auto& a : instances_.alerts) {
        AlertSinkInstance* sink = a.get();
        alertDeliveries_.push_back(std::make_unique<AlertDelivery>(
            a->name(), *gate_, [sink](const Alert& alert) { return sink->send(alert); }, clock_, onFatal));
        alertDeliveries_.back()->setMetrics(metrics_->alertDelivery(a->name()));
    }
}

void Host::recover() {
    const PipelineOptions& o = settings_.pipeline;
    // A gate ahead of the journal means the journal was replaced or restored from an older copy:
    // new records would reuse sequence numbers the gate thinks it has seen, and be skipped.
    if (gate_->processedSeq() > journal_->lastSequence())
        throw HostError(App::EXIT_SOFTWARE, "the gate has admitted journal record " +
                                                std::to_string(gate_->processedSeq()) + " but the journal ends at " +
                                                std::to_string(journal_->lastSequence()) +
                                                ": the journal directory was replaced or restored; refusing to run");
    if (events_->lastId() > gate_->lastEventId())
        throw HostError(App::EXIT_SOFTWARE, "the event log ends at event " + std::to_string(events_->lastId()) +
                                                " but the gate has handed out only " +
                                                std::to_string(gate_->lastEventId()) +
                                                ": gate.sqlite was replaced or restored; refusing to run");
    const std::int64_t now = clock_.nowMs();

    // Every SUBMITTED leg may have been sent; it becomes UNKNOWN and is queried, never resent. A
    // PENDING leg was never sent (SUBMITTED is committed before any venue call), so it goes out
    // again as it is.
    std::vector<LegChange> inFlight;
    for (const auto& leg : gate_->legsIn({LegState::Submitted}, o.owner)) {
        LegChange c{leg, leg, {}};
        c.after.state = LegState::Unknown;
        c.after.reason = "in flight when the host stopped";
        c.after.unknownSinceMs = now;
        c.after.nextCheckMs = now;
        c.events.push_back(legEvent("order_unknown", c.after, jsonObject({{"reason", c.after.reason}})));
        inFlight.push_back(std::move(c));
    }
    if (!inFlight.empty()) {
        gate_->apply(inFlight, now);
        log().warning(std::to_string(inFlight.size()) +
                      " leg(s) were in flight at the last stop: now UNKNOWN, to be resolved by query");
    }

    std::map<std::string, VenueWorkers*> byVenue;
    for (auto& w : venues_) byVenue[w->venue->name()] = w.get();
    std::vector<LegChange> orphans;
    for (const auto& leg :
         gate_->legsIn({LegState::Pending, LegState::Absent, LegState::Unknown, LegState::Working}, o.owner)) {
        const auto it = byVenue.find(leg.intent.venue);
        if (it == byVenue.end()) {
            if (leg.state == LegState::Pending || leg.state == LegState::Absent) {
                orphans.push_back(endWithoutOrder(
                    leg, LegState::Blocked, "order_blocked",
                    "no venue instance named '" + leg.intent.venue + "' in this deployment any more; never sent"));
            } else {
                log().critical("leg " + leg.clientOrderId + " is " + toString(leg.state) + " on venue '" +
                               leg.intent.venue + "', which this deployment no longer has: it cannot be followed");
            }
            continue;
        }
        VenueWorkers& w = *it->second;
        w.lane->track(leg);
        if (leg.state == LegState::Pending || leg.state == LegState::Absent) w.lane->enqueue(leg);
        if (leg.state == LegState::Unknown) w.resolver->add(leg);
        if (leg.state == LegState::Working) w.tracker->add(leg);
    }
    if (!orphans.empty()) gate_->apply(orphans, now);
    for (auto& w : venues_) w->executor->seedSentTimes(gate_->sentTimes(w->venue->name(), now - 60'000));
}

void Host::start() {
    build();
    recover();
    dispatcher_->add(*eventLogWriter_);
    dispatcher_->add(*consoleReporter_);
    dispatcher_->add(*alertRouter_);
    if (readModel_) dispatcher_->add(*readModel_);
    dispatcher_->start();
    for (auto& d : alertDeliveries_) d->start();
    for (auto& w : venues_) {
        w->tracker->setPushed(w->venue->watchOrders(*w->tracker));
        w->tracker->start();
        w->resolver->start();
        w->executor->start();
    }
    janitor_->start();
    // The journal's backlog (signals acknowledged before the stop) is admitted before new ones are
    // taken: then the webhook says ready.
    const std::size_t replayed = admitter_->catchUp();
    admitter_->start();
    // Each venue's first reconciliation before the webhook says ready: what the venue holds at
    // start is known (and any difference reported) before new signals trade on it.
    for (auto& w : venues_) w->reconciler->firstCheck(clock_.nowMs());
    for (auto& w : venues_) w->reconciler->start();
    started_ = true;
    webhook_->setReady(true);
    operatorCommands_->setReady(true);
    // A start is worth telling (a supervisor's restart after a fail-stop shows up this way too).
    gate_->append({{"host_started", "", "", "",
                    jsonObject({{"replayed", std::to_string(replayed)},
                                {"journal_seq", std::to_string(journal_->lastSequence())}})}},
                  clock_.nowMs());
    log().information("recovery done: " + std::to_string(replayed) + " journal record(s) admitted; journal at seq " +
                      std::to_string(journal_->lastSequence()));
}

void Host::openAdmin(const AdminSettings& a) {
    // The venue workers exist only once start() has built them: until then no resolver runs.
    auto resolveNow = [this](const LegRecord& leg, const Actor& by) {
        if (!started_) return false;
        for (auto& w : venues_)
            if (w->venue->name() == leg.intent.venue) {
                w->resolver->checkNow(leg.key(), by);
                return true;
            }
        return false;
    };
    operatorActions_ = std::make_unique<OperatorActions>(*gate_, *gate_, *gate_, settings_.pipeline.owner,
                                                         settings_.reconcileIntervalS(), resolveNow);
    try {
        adminAuth_ = std::make_unique<AdminAuth>(AdminAuthOptions{a.token, a.viewerToken});
    } catch (const std::exception& e) {
        throw HostError(App::EXIT_CONFIG, settings_.file + ": section 'admin': " + e.what());
    }
    std::set<std::string> venues;
    std::map<std::string, std::string> venueTypes;
    for (const auto& v : instances_.venues) {
        venues.insert(v->name());
        venueTypes[v->name()] = v->plugin().typeName;
    }
    liveFeed_ = std::make_unique<LiveFeed>();
    try {
        readModel_ = std::make_unique<ReadModel>((settings_.storageDir / "readmodel.sqlite").string(), liveFeed_.get());
    } catch (const std::exception& e) {
        throw HostError(App::EXIT_IOERR, e.what());
    }
    AdminApiSources sources{*gate_,
                            *gate_,
                            *gate_,
                            settings_.pipeline.owner,
                            venues,
                            [this] { return started_ && !stopped_ && fatalError().empty(); },
                            [this] { return metrics_->prometheusText(); },
                            TRADEHOST_VERSION,
                            openedMs_,
                            readModel_.get(),
                            liveFeed_.get(),
                            gate_.get(),
                            settings_.alerting.fallbackFile.empty()
                                ? (settings_.storageDir / "alerts-fallback.jsonl").string()
                                : settings_.alerting.fallbackFile,
                            [this] { return instanceViews(); },
                            [this] { return redactDeploymentText(settings_.configText); },
                            [this] { return std::make_pair(journal_->lastSequence(), gate_->processedSeq()); }};
    auto routes = adminApiRoutes(std::move(sources), clock_);
    // Order tickets go in where webhooks do: intake, on its own loop, journals them.
    AdminActionSources actions{*operatorActions_, venues};
    actions.submitSignal = [this](std::string signal, SignalOrigin origin) {
        return webhook_->submit(std::move(signal), std::move(origin));
    };
    actions.venueTypes = std::move(venueTypes);
    for (auto& r : adminActionRoutes(std::move(actions), clock_)) routes.push_back(std::move(r));
    AdminServerOptions options;
    options.listen = a.listen;
    options.tlsCertFile = a.tlsCert;
    options.tlsKeyFile = a.tlsKey;
    admin_ = std::make_unique<AdminServer>(options, *adminAuth_, std::move(routes), clock_);
    try {
        admin_->start();
    } catch (const std::exception& e) {
        throw HostError(App::EXIT_UNAVAILABLE, settings_.file + ": section 'admin', key 'listen': " + e.what());
    }
}

std::vector<InstanceView> Host::instanceViews() const {
    std::vector<InstanceView> out;
    for (const auto& v : instances_.venues) {
        InstanceView i{v->name(),
                       "venue",
                       v->plugin().typeName,
                       v->plugin().version,
                       toString(v->state()),
                       v->plugin().typeName != "paper",
                       {}};
        const std::int64_t checked = gate_->venueCheckedMs(v->name());
        i.detail.emplace_back("positions read", checked ? formatUtc(checked) : "not yet");
        if (const auto health = readModel_ ? readModel_->venueHealth(v->name()) : std::nullopt) {
            if (!health->reachable) i.state += ", UNREACHABLE since " + formatUtc(health->sinceMs);
            if (!health->lastError.empty())
                i.detail.emplace_back("last error", formatUtc(health->lastErrorMs) + ": " + health->lastError);
        }
        const auto drift = settings_.onDrift.find(v->name());
        const bool pause = drift != settings_.onDrift.end() && drift->second == OnDrift::PauseSymbol;
        i.detail.emplace_back("on drift", pause ? "pause_symbol" : "alert");
        for (const auto& [name, value] : metrics_->pluginValues(v->name()))
            i.detail.emplace_back(name, std::to_string(value));
        out.push_back(std::move(i));
    }
    for (const auto& a : instances_.alerts) {
        InstanceView i{a->name(), "alert", a->plugin().typeName, a->plugin().version, toString(a->state()), false, {}};
        for (const auto& [name, value] : metrics_->pluginValues(a->name()))
            i.detail.emplace_back(name, std::to_string(value));
        out.push_back(std::move(i));
    }
    return out;
}

void Host::stop() noexcept {
    if (stopped_) return;
    stopped_ = true;
    if (liveFeed_) liveFeed_->close();  // live streams end now
    if (admin_) admin_->stop();         // no action lands while the rest stops
    // No operator command acts (or is recorded) from here on: the last ones reach the log below.
    if (instances_.commandRelay) instances_.commandRelay->detach();
    if (webhook_) {
        webhook_->setReady(false);
        webhook_->stop();  // every handler has answered
    }
    if (admitter_) admitter_->stop();
    for (auto& w : venues_) {
        w->executor->stop();
        w->resolver->stop();
        w->tracker->stop();
        w->reconciler->stop();
    }
    // How the host goes: recorded before the dispatcher's last round, so the alert router sees it
    // (a fatal error may have been the gate itself: then the log line above is what remains).
    if (started_) {
        try {
            const std::string fatal = fatalError();
            gate_->append({fatal.empty() ? EventRecord{"host_stopping", "", "", "", "{}"}
                                         : EventRecord{"host_fail_stop", "", "", "", jsonObject({{"reason", fatal}})}},
                          clock_.nowMs());
        } catch (const std::exception& e) {
            log().error(std::string("could not record the stop: ") + e.what());
        }
    }
    if (dispatcher_) {
        dispatcher_->stop();
        if (started_ && fatalError().empty()) {
            try {
                dispatcher_->drain();  // every recorded event reaches the log before we go
            } catch (const std::exception& e) {
                fail(std::string("outbox dispatcher: ") + e.what());
            }
        }
    }
    if (janitor_) janitor_->stop();
    // Undelivered alerts stay in the outbox for the next start.
    for (auto& d : alertDeliveries_) d->stop();
    instances_.stopAll();
}

}  // namespace tradehost::host
