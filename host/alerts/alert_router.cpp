// The one entry point for every alert.
#include "alerts/alert_router.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
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
        const bool expired = field(e.dataJson, "state") == "EXPIRED";
        a.kind = expired ? "signal_expired" : "trade_failed";
        a.symbol = field(e.dataJson, "symbol");
        a.severity = Severity::Warning;
        a.perOrder = true;
        a.title = "signal " + e.signalId + ": " + (a.symbol.empty() ? "a leg" : a.symbol) + " on " + e.venue +
                  (expired ? " expired unsent" : " ended without trading");
        a.text = field(e.dataJson, "reason") +
                 (expired ? "\nNever sent, so nothing is at the venue. A signal waits at most max_signal_age_s "
                            "(section risk); resend it with a new signal id if it still stands."
                          : "");
        a.fields = {{"signal", e.signalId},
                    {"client_order_id", e.clientOrderId},
                    {"venue", e.venue},
                    {"state", field(e.dataJson, "state")}};
        return a;
    }
    if (e.event == "order_deferred") {
        // The venue's pace (a 429) is routine and short; a hold of a minute or more (a 418 ban,
        // an outage the plugin knows will last) is worth a human's attention.
        const std::string after = field(e.dataJson, "retry_after_ms");
        std::int64_t ms = 0;
        try {
            ms = after.empty() ? 0 : std::stoll(after);
        } catch (const std::exception&) {
        }
        if (ms < 60'000) return std::nullopt;
        a.kind = "venue_holding_back";
        a.severity = Severity::Warning;
        a.title = e.venue + " holds orders back for " + std::to_string(ms / 1000) + " s";
        a.text = field(e.dataJson, "reason") +
                 "\nNothing reached the venue; the legs wait and go once it takes orders again (those older than "
                 "max_signal_age_s by then expire unsent). A ban (HTTP 418) follows ignoring 429s: check for another "
                 "program using the same API key or IP.";
        a.fields = {{"venue", e.venue}, {"retry_after_ms", after}};
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
        const std::string notional = field(e.dataJson, "notional");
        a.text =
            "The venue's position differs from the host's own fills (plus any accepted baseline) by " +
            field(e.dataJson, "difference") +
            (notional.empty() ? "" : " (" + notional + " at the mark price " + field(e.dataJson, "mark_price") + ")") +
            ", for " + field(e.dataJson, "checks") + " checks in a row with no order of this symbol in flight.\n" +
            "Likely cause: " + field(e.dataJson, "likely_cause") +
            ".\nWhat the host did: " + field(e.dataJson, "action") +
            ".\nWhat you can do: check the venue's trade history; close the "
            "difference by hand, or accept the venue's position as expected (tradehost accept-baseline " +
            e.venue + " " + symbol + " --config FILE --why TEXT)" +
            (field(e.dataJson, "action").rfind("paused", 0) == 0
                 ? "; then resume the symbol (tradehost resume " + e.venue + " " + symbol + " --config FILE)."
                 : ".");
        a.fields = {{"instance", e.venue},
                    {"symbol", symbol},
                    {"position_side", field(e.dataJson, "position_side")},
                    {"expected", field(e.dataJson, "expected")},
                    {"venue", field(e.dataJson, "venue")},
                    {"difference", field(e.dataJson, "difference")},
                    {"notional", notional},
                    {"venue_entry_price", field(e.dataJson, "venue_entry_price")},
                    {"since_ms", field(e.dataJson, "since_ms")},
                    {"checks", field(e.dataJson, "checks")},
                    {"last_fill", field(e.dataJson, "last_fill")},
                    {"foreign_orders", field(e.dataJson, "foreign_orders")}};
        // Facts the venue did not give (a mark price, an entry price while flat) are left out.
        a.fields.erase(std::remove_if(a.fields.begin(), a.fields.end(), [](const auto& f) { return f.second.empty(); }),
                       a.fields.end());
        return a;
    }
    if (e.event == "positions_at_start") {
        a.kind = "positions_at_start";
        a.severity = Severity::Warning;
        a.title = e.venue + " already holds positions tradehost did not open: " + field(e.dataJson, "positions");
        a.text = "The host has never traded on " + e.venue +
                 ", so it expects nothing there. These are not counted as drift. Accept each as the expected "
                 "position (tradehost accept-baseline " +
                 e.venue +
                 " SYMBOL --config FILE --why TEXT), or close them on the venue; until then they are "
                 "told again at each start.";
        return a;
    }
    if (e.event == "symbol_paused") {
        a.kind = "symbol_paused";
        a.symbol = field(e.dataJson, "symbol");
        a.severity = Severity::Warning;
        a.condition = true;
        a.title = a.symbol + " on " + e.venue + " paused by " + field(e.dataJson, "by");
        a.text = field(e.dataJson, "why") + "\nIts signals are blocked (never sent) until resumed: tradehost resume " +
                 e.venue + " " + a.symbol + " --config FILE --why TEXT";
        return a;
    }
    if (e.event == "position_baseline_set") {
        a.kind = "baseline_set";
        a.symbol = field(e.dataJson, "symbol");
        a.severity = Severity::Info;
        a.title = "expected position of " + a.symbol + " on " + e.venue + " set to " +
                  field(e.dataJson, "expected_after") + " by " + field(e.dataJson, "by");
        a.text = field(e.dataJson, "why") + " (was " + field(e.dataJson, "expected_before") + ")";
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
    if (e.event == "operator_command" && field(e.dataJson, "authorized") == "false") {
        // Someone the deployment does not list is writing to the bot (or a listed one, too late).
        a.kind = "command_refused";
        a.instance = field(e.dataJson, "via");
        a.severity = Severity::Warning;
        a.title = "a command through " + a.instance + " was refused: " + field(e.dataJson, "outcome");
        a.text = "from " + field(e.dataJson, "from") + ": /" + field(e.dataJson, "command") +
                 "\nNothing was done. If the sender is not one of yours, someone else knows the bot's name; if "
                 "commands keep coming, check whether its token leaked and revoke it with @BotFather.";
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
        } else if (name == "symbol_resumed") {
            resolve("symbol_paused:" + venue + ":" + field(e.event.dataJson, "symbol"),
                    field(e.event.dataJson, "symbol") + " on " + venue + " resumed by " + field(e.event.dataJson, "by"),
                    e.tsMs);
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
