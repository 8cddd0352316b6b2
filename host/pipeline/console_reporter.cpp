// The outbox consumer that tells the operator, one console line per leg outcome, what became of each signal.
#include "pipeline/console_reporter.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <exception>
#include <vector>

#include "log/redactor.h"

namespace tradehost::host {
namespace {

Poco::Logger& log() { return Poco::Logger::get("outcome"); }

constexpr std::size_t kMaxFieldBytes = 200;

using Data = Poco::JSON::Object::Ptr;

// Event data is the host's own JSON; a member that is missing or not text reads as "".
Data parse(const std::string& json) {
    try {
        Poco::JSON::Parser parser;
        if (auto d = parser.parse(json).extract<Data>()) return d;
    } catch (const std::exception&) {
    }
    return new Poco::JSON::Object;
}

std::string text(const Data& d, const std::string& key) {
    if (!d->has(key)) return "";
    try {
        return d->get(key).convert<std::string>();
    } catch (const std::exception&) {
        return "";
    }
}

// A venue's or plugin's free text, fit for one console line: secrets out first (a cut could split
// one the Redactor would no longer recognise), no control characters (a line feed in a venue's
// message must not forge a log line), at most kMaxFieldBytes, cut on a UTF-8 boundary.
std::string field(std::string s) {
    s = Redactor::instance().redact(std::move(s));
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    if (s.size() <= kMaxFieldBytes) return s;
    s.resize(kMaxFieldBytes);
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
    if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
    return s + "...";
}

// The leg's number: the client order id ends {sep}{leg}{sep}{attempt} whatever the venue's
// separator; a leg blocked at admission has no id, and its order_blocked names the leg instead.
std::string legOf(const std::string& clientOrderId, const Data& d) {
    const std::string& id = clientOrderId;
    std::size_t end = id.size();
    std::size_t p = end;
    while (p > 0 && id[p - 1] >= '0' && id[p - 1] <= '9') --p;
    if (p == end || p < 2) return text(d, "leg").empty() ? "?" : text(d, "leg");
    const char sep = id[p - 1];
    end = p - 1;
    p = end;
    while (p > 0 && id[p - 1] >= '0' && id[p - 1] <= '9') --p;
    if (p == end || p == 0 || id[p - 1] != sep) return text(d, "leg").empty() ? "?" : text(d, "leg");
    return id.substr(p, end - p);
}

const char* nameOf(ConsoleReporter::Kind k) {
    switch (k) {
        case ConsoleReporter::Kind::Filled:
            return "filled";
        case ConsoleReporter::Kind::Accepted:
            return "accepted";
        case ConsoleReporter::Kind::Cancelled:
            return "cancelled";
        case ConsoleReporter::Kind::Blocked:
            return "blocked";
        case ConsoleReporter::Kind::Rejected:
            return "rejected";
        case ConsoleReporter::Kind::Expired:
            return "expired";
        case ConsoleReporter::Kind::Unresolved:
            return "unresolved";
    }
    return "?";
}

int priorityOf(ConsoleReporter::Kind k) {
    switch (k) {
        case ConsoleReporter::Kind::Filled:
        case ConsoleReporter::Kind::Accepted:
        case ConsoleReporter::Kind::Cancelled:
            return Poco::Message::PRIO_INFORMATION;
        case ConsoleReporter::Kind::Blocked:
        case ConsoleReporter::Kind::Rejected:
        case ConsoleReporter::Kind::Expired:
            return Poco::Message::PRIO_WARNING;
        case ConsoleReporter::Kind::Unresolved:
            return Poco::Message::PRIO_ERROR;
    }
    return Poco::Message::PRIO_ERROR;
}

// The kind of outcome an order's status is (order_ack, order_resolved found, order_closed).
ConsoleReporter::Kind kindOf(const std::string& status) {
    if (status == "FILLED") return ConsoleReporter::Kind::Filled;
    if (status == "CANCELED") return ConsoleReporter::Kind::Cancelled;
    if (status == "EXPIRED") return ConsoleReporter::Kind::Expired;
    if (status == "REJECTED") return ConsoleReporter::Kind::Rejected;
    return ConsoleReporter::Kind::Accepted;  // NEW, PARTIALLY_FILLED: the venue holds it open
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) {
        if (p.empty()) continue;
        if (!out.empty()) out += "; ";
        out += p;
    }
    return out;
}

}  // namespace

ConsoleReporter::ConsoleReporter(const Clock& clock, std::uint64_t startAfter, Options options)
    : clock_(clock), startAfter_(startAfter), options_(options) {}

void ConsoleReporter::consume(const std::vector<StoredEvent>& events) {
    const std::int64_t now = clock_.nowMs();
    for (const auto& e : events) handle(e, now);
}

void ConsoleReporter::tick(std::int64_t nowMs) {
    for (std::size_t k = 0; k < kKinds; ++k)
        if (windows_[k].open && nowMs >= windows_[k].startMs + options_.windowMs)
            closeWindow(static_cast<Kind>(k), nowMs);
}

void ConsoleReporter::flush() {
    const std::int64_t now = clock_.nowMs();
    for (std::size_t k = 0; k < kKinds; ++k)
        if (windows_[k].open) closeWindow(static_cast<Kind>(k), now);
}

std::string ConsoleReporter::orderText(const std::string& clientOrderId) const {
    const auto it = submitted_.find(clientOrderId);
    if (it == submitted_.end()) return "";
    const Data d = parse(it->second);
    std::string out = text(d, "side") + " " + text(d, "quantity") + " " + text(d, "symbol") + " " + text(d, "type");
    if (text(d, "type") == "LIMIT") out += " " + text(d, "price") + " " + text(d, "time_in_force");
    if (text(d, "reduce_only") == "true") out += " reduce-only";
    if (const std::string side = text(d, "position_side"); !side.empty() && side != "BOTH") out += " " + side;
    return field(out);
}

const char* ConsoleReporter::outcomeName(Kind kind) {
    switch (kind) {
        case Kind::Filled:
            return "filled";
        case Kind::Accepted:
            return "working";
        case Kind::Cancelled:
            return "cancelled";
        case Kind::Blocked:
            return "blocked";
        case Kind::Rejected:
            return "rejected";
        case Kind::Expired:
            return "expired";
        case Kind::Unresolved:
            return "unresolved";
    }
    return "?";
}

void ConsoleReporter::handle(const StoredEvent& stored, std::int64_t nowMs) {
    const EventRecord& e = stored.event;
    const std::string& name = e.event;
    if (name == "order_submitted") {
        // Kept for the outcome's line; bounded, oldest first out (a long-resting order's line may
        // then come without its fields).
        if (submitted_.insert_or_assign(e.clientOrderId, e.dataJson).second) submittedOrder_.push_back(e.clientOrderId);
        while (submittedOrder_.size() > options_.rememberedOrders) {
            submitted_.erase(submittedOrder_.front());
            submittedOrder_.pop_front();
        }
        return;
    }
    const bool headline = name == "order_ack" || name == "order_closed" || name == "order_blocked" ||
                          name == "order_rejected" || name == "order_expired" || name == "order_unresolved" ||
                          name == "order_resolved";
    if (!headline) return;
    const Data d = parse(e.dataJson);
    if (name == "order_resolved" && text(d, "outcome") != "found") {
        submitted_.erase(e.clientOrderId);  // proven absent: that attempt is over
        return;
    }

    Kind kind;
    if (name == "order_blocked")
        kind = Kind::Blocked;
    else if (name == "order_rejected")
        kind = Kind::Rejected;
    else if (name == "order_expired")
        kind = Kind::Expired;
    else if (name == "order_unresolved")
        kind = Kind::Unresolved;
    else
        kind = kindOf(text(d, "status"));
    if (onOutcome_) onOutcome_(e.venue, outcomeName(kind));

    report(kind, nowMs, [&] {
        const std::string order = orderText(e.clientOrderId);
        std::string head;
        std::vector<std::string> details;
        if (name == "order_blocked") {
            head = "blocked, not sent";
            details.push_back(field(text(d, "reason")));
            if (const std::string by = text(d, "paused_by"); !by.empty())
                details.push_back("paused by " + field(by) + ": " + field(text(d, "paused_why")));
        } else if (name == "order_rejected") {
            head = text(d, "sent") == "false" ? "refused by the plugin, nothing sent" : "rejected by the venue";
            details.push_back(field(text(d, "reason")));
        } else if (name == "order_expired") {
            head = "expired, never sent";
            details.push_back(field(text(d, "reason")));
        } else if (name == "order_unresolved") {
            head = "unresolved: the venue cannot say whether the order exists";
            details.push_back("unknown for " + field(text(d, "unknown_for_s")) + " s (" + field(text(d, "reason")) +
                              "); still asking");
        } else {
            const std::string filled = text(d, "filled");
            switch (kind) {
                case Kind::Filled:
                    head = name == "order_closed" ? "filled (resting order done)" : "filled";
                    details.push_back(field(filled) + " at avg " + field(text(d, "avg_price")));
                    break;
                case Kind::Accepted:
                    head = "accepted, resting at the venue";
                    details.push_back(field(filled) + " filled so far (" + field(text(d, "status")) + ")");
                    break;
                case Kind::Cancelled:
                case Kind::Expired:
                case Kind::Rejected:
                    head = kind == Kind::Cancelled ? "cancelled"
                           : kind == Kind::Expired ? "expired at the venue"
                                                   : "rejected by the venue";
                    details.push_back(field(filled) + " filled" +
                                      (text(d, "avg_price").empty() || filled == "0"
                                           ? std::string()
                                           : " at avg " + field(text(d, "avg_price"))));
                    break;
                default:
                    break;
            }
            if (const std::string asked = text(d, "quantity_asked"); !asked.empty())
                details.push_back("quantity " + field(asked) + " asked, " + field(text(d, "quantity_sent")) +
                                  " sent (fitted by the plugin)");
            if (name == "order_resolved") details.push_back("found after an unknown outcome");
            if (const std::string ex = text(d, "exchange_order_id"); !ex.empty())
                details.push_back("venue order " + field(ex));
        }
        std::string line = "signal " + field(e.signalId) + " leg " + legOf(e.clientOrderId, d) + " on " +
                           field(e.venue) + ": " + head + (order.empty() ? "" : ": " + order);
        const std::string rest = join(details);
        if (!rest.empty()) line += "; " + rest;
        if (!e.clientOrderId.empty()) line += " [" + field(e.clientOrderId) + "]";
        return line;
    });
    if (kind != Kind::Accepted && kind != Kind::Unresolved) submitted_.erase(e.clientOrderId);
}

template <typename Line>
void ConsoleReporter::report(Kind kind, std::int64_t nowMs, const Line& line) {
    if (!log().is(priorityOf(kind))) return;  // not shown at this level: nothing to hold back either
    Window& w = windows_[static_cast<std::size_t>(kind)];
    if (w.open && nowMs >= w.startMs + options_.windowMs) closeWindow(kind, nowMs);
    if (!w.open) {
        w.open = true;
        w.startMs = nowMs;
    }
    if (w.printed < options_.linesPerWindow) {
        ++w.printed;
        write(kind, line());
    } else {
        ++w.held;
    }
}

void ConsoleReporter::closeWindow(Kind kind, std::int64_t nowMs) {
    Window& w = windows_[static_cast<std::size_t>(kind)];
    if (w.held > 0) {
        const std::int64_t seconds = std::max<std::int64_t>(1, (nowMs - w.startMs + 999) / 1000);
        write(kind, "... and " + std::to_string(w.held) + " more " + nameOf(kind) + " in the last " +
                        std::to_string(seconds) + " s (each one is in the event log)");
    }
    w = Window{};
}

void ConsoleReporter::write(Kind kind, const std::string& line) {
    // The console is a courtesy: a line that cannot be written must never stop the pipeline.
    try {
        log().log(Poco::Message(log().name(), Redactor::instance().redact(line),
                                static_cast<Poco::Message::Priority>(priorityOf(kind))));
    } catch (const std::exception&) {
    }
}

}  // namespace tradehost::host
