// The running host: owns storage, the plugin instances, intake and the pipeline, and starts and
// stops them in order.
#pragma once

#include <tradehost/context.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "admin/admin_actions.h"
#include "admin/admin_api.h"
#include "admin/admin_auth.h"
#include "admin/admin_server.h"
#include "alerts/alert_delivery.h"
#include "alerts/alert_router.h"
#include "events/event_log.h"
#include "gate/gate.h"
#include "ids/client_order_id.h"
#include "intake/webhook_server.h"
#include "journal/journal.h"
#include "metrics/host_metrics.h"
#include "operator/operator_command_handler.h"
#include "pipeline/admitter.h"
#include "pipeline/console_reporter.h"
#include "pipeline/event_log_writer.h"
#include "pipeline/executor.h"
#include "pipeline/janitor.h"
#include "pipeline/order_tracker.h"
#include "pipeline/outbox_dispatcher.h"
#include "pipeline/pipeline_options.h"
#include "pipeline/resolver.h"
#include "pipeline/venue_lane.h"
#include "plugins/instance_set.h"
#include "readmodel/live_feed.h"
#include "readmodel/read_model.h"
#include "reconcile/reconciler.h"

namespace tradehost::host {

// The admin listener (`admin:`); absent: nothing listens for it.
struct AdminSettings {
    std::string listen = "127.0.0.1:8081";
    std::string token;        // operator: every action
    std::string viewerToken;  // read-only; empty: none
    std::string tlsCert;      // PEM files: HTTPS when both are set
    std::string tlsKey;
};

struct HostSettings {
    std::string file;  // the deployment, for messages
    std::filesystem::path storageDir;
    IntakeOptions intake;
    PipelineOptions pipeline;
    AlertRouterOptions alerting;                // fallbackFile empty: <storage>/alerts-fallback.jsonl
    std::vector<AlertRoute> alertRoutes;        // which sink gets which severities
    std::int64_t reconcileIntervalMs = 15'000;  // reconciler.interval_s
    std::map<std::string, OnDrift> onDrift;     // per venue instance; Alert where absent
    std::optional<AdminSettings> admin;
    std::string configText;  // the deployment as written, for the admin page's Config view (shown redacted)
    std::int64_t reconcileIntervalS() const { return reconcileIntervalMs / 1000; }
};

// Why the host cannot run, with the exit code the command line reports.
class HostError : public std::runtime_error {
public:
    HostError(int exitCode, const std::string& message) : std::runtime_error(message), exitCode_(exitCode) {}
    int exitCode() const { return exitCode_; }

private:
    int exitCode_;
};

// The signal's path, component by component:
//
//   webhook (intake) --append+fdatasync--> journal --2xx
//   admitter: journal -> gate (SignalAdmission), in batches -> each venue's lane
//   per venue instance: executor (lane -> venue, SUBMITTED committed first), resolver (UNKNOWN legs),
//                       order tracker (WORKING legs, cancel requests)
//   outbox dispatcher: gate's event outbox -> event log, console (one line per leg outcome),
//                      alert router (events that call for a human) -> alert outbox
//   per alert sink: a delivery worker (alert outbox -> sink, in order, retried as asked)
//   per venue instance: a reconciler (positions and open orders vs the book -> events -> alerts)
//   janitor: retention of signals, journal segments and consumed events
//
// open() and start() bring them up in that order after recovery; stop() takes them down so that
// nothing is lost: the webhook first (handlers drained), then the admitter, the venue workers,
// the dispatcher (flushing every recorded event to the log), the janitor, and the instances.
class Host {
public:
    Host(HostSettings settings, InstanceSet instances, const Clock& clock);
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    // Opens storage (the journal's lock makes this the only tradehost on the directory; then the
    // gate and the event log), binds the webhook (probes answer, signals get 503 until ready) and
    // starts every plugin instance. Throws HostError naming what failed.
    void open();
    // Recovery (legs in flight become UNKNOWN, the journal is admitted up to its end), then every
    // component; then the webhook accepts signals. Throws HostError when recovery fails.
    void start();
    // Idempotent; see the class comment for the order.
    void stop() noexcept;

    // Set when a component could not record (gate, journal, event log): the host must stop.
    std::string fatalError() const;
    const WebhookServer& webhook() const { return *webhook_; }
    const Journal& journal() const { return *journal_; }
    const InstanceSet& instances() const { return instances_; }
    const std::filesystem::path& eventsFile() const { return eventsPath_; }
    // Every tradehost_ metric, from construction on: metrics().prometheusText() is /metrics.
    const HostMetrics& metrics() const { return *metrics_; }
    // The admin listener's port (0 when the deployment has none).
    std::uint16_t adminPort() const { return admin_ ? admin_->port() : 0; }

private:
    // The admin listener (open() calls it when the deployment has `admin:`).
    void openAdmin(const AdminSettings& admin);
    std::vector<InstanceView> instanceViews() const;
    struct VenueWorkers {
        VenueInstance* venue = nullptr;
        std::unique_ptr<ClientOrderIdCodec> ids;
        std::unique_ptr<VenueLane> lane;
        std::unique_ptr<Executor> executor;
        std::unique_ptr<Resolver> resolver;
        std::unique_ptr<OrderTracker> tracker;
        std::unique_ptr<Reconciler> reconciler;
    };
    void build();
    void recover();
    void fail(const std::string& why);

    HostSettings settings_;
    InstanceSet instances_;
    const Clock& clock_;
    std::filesystem::path eventsPath_;
    // Before every component that counts into it, so it outlives them all.
    std::unique_ptr<HostMetrics> metrics_;

    std::unique_ptr<Journal> journal_;
    std::unique_ptr<Gate> gate_;
    std::unique_ptr<EventLog> events_;
    std::unique_ptr<WebhookServer> webhook_;

    std::unique_ptr<EventLogWriter> eventLogWriter_;
    std::unique_ptr<ConsoleReporter> consoleReporter_;
    std::unique_ptr<AlertRouter> alertRouter_;
    std::vector<std::unique_ptr<AlertDelivery>> alertDeliveries_;
    std::unique_ptr<OutboxDispatcher> dispatcher_;
    std::vector<std::unique_ptr<VenueWorkers>> venues_;
    std::unique_ptr<Admitter> admitter_;
    std::unique_ptr<Janitor> janitor_;
    // Operator commands from chat sinks (PluginContext::operatorCommands()), through the instances' relay.
    std::unique_ptr<OperatorCommandHandler> operatorCommands_;
    // The admin listener and what its actions go through (the command line uses the same).
    std::unique_ptr<OperatorActions> operatorActions_;
    std::unique_ptr<AdminAuth> adminAuth_;
    // The admin page's read side: the read model (an outbox consumer) and the live feed it tells.
    std::unique_ptr<LiveFeed> liveFeed_;
    std::unique_ptr<ReadModel> readModel_;
    std::unique_ptr<AdminServer> admin_;
    std::int64_t openedMs_ = 0;

    bool started_ = false;
    bool stopped_ = false;
    mutable std::mutex fatalMutex_;
    std::string fatal_;
};

}  // namespace tradehost::host
