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
        if (e.event.event == "trading_resumed") {
            resolve("kill_switch::", "trading resumed by " + field(e.event.dataJson, "by"), e.tsMs);
            continue;
        }
        if (auto a = alertFor(e)) raise(*a, e.tsMs);
    }
}

}  // namespace tradehost::host
