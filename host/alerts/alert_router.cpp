// The one entry point for every alert.
#include "alerts/alert_router.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "alerts/alert_json.h"

namespace tradehost::host {
namespace {

Poco::Logger& log() { return Poco::Logger::get("alerts"); }

std::string field(const std::string& json, const std::string& key) {
    try {
        Poco::JSON::Parser parser;
        const auto object = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
        if (object && object->has(key)) return object->get(key).toString();
    } catch (const std::exception&) {
    }
    return "";
}

// The events that call for a human, as alerts. Keys never hold a signal id (unbounded): they
// name the kind, the instance and the symbol.
std::optional<RaisedAlert> alertFor(const StoredEvent& stored) {
    const EventRecord& e = stored.event;
    RaisedAlert a;
    a.instance = e.venue;
    if (e.event == "trade_fail") {
        a.kind = "trade_failed";
        a.severity = Severity::Warning;
        a.perOrder = true;
        a.title = "signal " + e.signalId + ": a leg on " + e.venue + " ended without trading";
        a.text = field(e.dataJson, "reason");
        a.fields = {{"signal", e.signalId}, {"client_order_id", e.clientOrderId}, {"venue", e.venue}};
        return a;
    }
    if (e.event == "order_unresolved") {
        a.kind = "order_unresolved";
        a.severity = Severity::Critical;
        a.perOrder = true;
        a.title = "order " + e.clientOrderId + " on " + e.venue + ": outcome still unknown";
        a.text = field(e.dataJson, "reason") +
                 "\nThe venue could not be asked whether this order exists; it is never resent blindly. Check the "
                 "venue's order history for this client order id.";
        a.fields = {{"signal", e.signalId},
                    {"client_order_id", e.clientOrderId},
                    {"unknown_for_s", field(e.dataJson, "unknown_for_s")}};
        return a;
    }
    if (e.event == "drift_detected") {
        const std::string symbol = field(e.dataJson, "symbol");
        a.kind = "drift";
        a.symbol = symbol;
        a.severity = Severity::Critical;
        a.condition = true;
        a.title = "drift on " + e.venue + " " + symbol + " " + field(e.dataJson, "position_side") + ": venue holds " +
                  field(e.dataJson, "venue") + ", the host expects " + field(e.dataJson, "expected");
        a.text = "The venue's position differs from the sum of the host's own fills (plus any accepted baseline) by " +
                 field(e.dataJson, "difference") + ", for " + field(e.dataJson, "checks") +
                 " checks in a row with no order of this symbol in flight. Likely causes: a manual trade, a "
                 "liquidation or auto-deleveraging (see foreign orders), a fill the host missed. The host does not "
                 "trade to correct it. Check the venue's trade history; then close the difference by hand, or accept "
                 "the venue's position as the new expected one.";
        a.fields = {{"expected", field(e.dataJson, "expected")},
                    {"venue", field(e.dataJson, "venue")},
                    {"difference", field(e.dataJson, "difference")},
                    {"checks", field(e.dataJson, "checks")}};
        return a;
    }
    if (e.event == "venue_unreachable") {
        a.kind = "venue_unreachable";
        a.severity = Severity::Critical;
        a.condition = true;
        a.title = e.venue + " cannot be asked for its " + field(e.dataJson, "what");
        a.text = field(e.dataJson, "reason") +
                 "\nPositions are not compared meanwhile (never read as flat), and alerts about single orders on " +
                 e.venue + " are held back and counted until it answers again.";
        return a;
    }
    if (e.event == "foreign_order") {
        a.kind = "foreign_order";
        a.symbol = field(e.dataJson, "symbol");
        a.severity = Severity::Warning;
        a.title = "an order on " + e.venue + " " + a.symbol + " that tradehost did not place";
        a.text = "client order id " + field(e.dataJson, "client_order_id") + ", " + field(e.dataJson, "side") + " " +
                 field(e.dataJson, "quantity") + "; made by " + field(e.dataJson, "made_by") +
                 ". Its fills will show as drift.";
        return a;
    }
    if (e.event == "host_started") {
        a.kind = "host_started";
        a.severity = Severity::Info;
        a.title = "tradehost started";
        a.text = field(e.dataJson, "replayed") + " journal record(s) admitted at recovery; journal at seq " +
                 field(e.dataJson, "journal_seq");
        return a;
    }
    if (e.event == "host_stopping") {
        a.kind = "host_stopped";
        a.severity = Severity::Info;
        a.title = "tradehost stopping (asked to)";
        a.text = "Signals are refused until it starts again; every acknowledged signal is kept.";
        return a;
    }
    if (e.event == "host_fail_stop") {
        a.kind = "host_stopped";
        a.severity = Severity::Critical;
        a.title = "tradehost stopped after a fatal error";
        a.text = field(e.dataJson, "reason") +
                 "\nA supervisor should restart it; recovery re-reads everything. If it stops again at once, the "
                 "storage (disk full, permissions) is the likely cause.";
        return a;
    }
    if (e.event == "trading_paused") {
        a.kind = "kill_switch";
        a.severity = Severity::Warning;
        a.condition = true;
        a.title = "trading paused by " + field(e.dataJson, "by");
        a.text = field(e.dataJson, "why");
        return a;
    }
    return std::nullopt;
}

}  // namespace

AlertRouter::AlertRouter(AlertOutbox& outbox, std::vector<AlertRoute> routes, AlertRouterOptions options,
                         std::function<void(const std::string&)> wakeSink)
    : outbox_(outbox),
      routes_(std::move(routes)),
      options_(std::move(options)),
      wakeSink_(std::move(wakeSink)),
      policy_(options_.policy) {
    if (!options_.fallbackFile.empty()) {
        fallbackFd_ = ::open(options_.fallbackFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fallbackFd_ < 0)
            throw std::runtime_error(options_.fallbackFile +
                                     ": cannot open the alert fallback file: " + std::strerror(errno));
    }
}

AlertRouter::~AlertRouter() {
    if (fallbackFd_ >= 0) ::close(fallbackFd_);
}

std::uint64_t AlertRouter::raise(const RaisedAlert& alert, std::int64_t nowMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto d = policy_.raise(alert, nowMs);
    if (d.verdict != AlertPolicy::Verdict::Send) return 0;
    return tell(d.alert, nowMs);
}

void AlertRouter::resolve(const std::string& key, const std::string& text, std::int64_t nowMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto a = policy_.resolve(key, text, nowMs)) tell(std::move(*a), nowMs);
}

std::uint64_t AlertRouter::setUnreachable(const std::string& instance, bool unreachable) {
    std::lock_guard<std::mutex> lock(mutex_);
    return policy_.setUnreachable(instance, unreachable);
}

std::uint64_t AlertRouter::tell(Alert alert, std::int64_t nowMs) {
    std::vector<std::string> sinks;
    for (const auto& r : routes_)
        if (r.severities.count(alert.severity)) sinks.push_back(r.sink);
    // Durable first (the sinks' queues), then the fallback line carrying the outbox's id.
    const std::uint64_t id = outbox_.enqueueAlert(alert, sinks, nowMs);
    alert.id = std::to_string(id);
    writeFallback(alert);
    log().information("alert " + alert.id + " [" + toString(alert.severity) + "] " + alert.title + " -> " +
                      std::to_string(sinks.size()) + " sink(s)");
    for (const auto& s : sinks)
        if (wakeSink_) wakeSink_(s);
    return id;
}

void AlertRouter::writeFallback(const Alert& alert) {
    if (fallbackFd_ < 0) return;
    const std::string line = alertToJson(alert) + "\n";
    const ssize_t n = ::write(fallbackFd_, line.data(), line.size());
    // The fallback is what a human reads when every sink is down: written and synced, or the
    // router says so loudly (the alert is still in the sinks' durable queues).
    if (n != static_cast<ssize_t>(line.size()) || ::fdatasync(fallbackFd_) != 0)
        log().error(options_.fallbackFile + ": alert " + alert.id +
                    " not written to the fallback file: " + std::strerror(errno));
}

void AlertRouter::consume(const std::vector<StoredEvent>& events) {
    for (const auto& e : events) {
        const std::string& name = e.event.event;
        const std::string& venue = e.event.venue;
        if (name == "trading_resumed") {
            resolve("kill_switch::", "trading resumed by " + field(e.event.dataJson, "by"), e.tsMs);
        } else if (name == "drift_cleared") {
            resolve("drift:" + venue + ":" + field(e.event.dataJson, "symbol"),
                    "the venue holds " + field(e.event.dataJson, "venue") + " again, as expected (after " +
                        field(e.event.dataJson, "drifted_for_s") + " s)",
                    e.tsMs);
        } else if (name == "venue_reachable") {
            const std::uint64_t muted = setUnreachable(venue, false);
            resolve("venue_unreachable:" + venue + ":",
                    venue + " answers again; " + std::to_string(muted) +
                        " alert(s) about single orders were held back meanwhile (see the event log)",
                    e.tsMs);
        } else if (auto a = alertFor(e)) {
            if (name == "venue_unreachable") setUnreachable(venue, true);
            raise(*a, e.tsMs);
        }
    }
}

}  // namespace tradehost::host
