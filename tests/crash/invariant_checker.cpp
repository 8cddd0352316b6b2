// The checker: what the sender was told vs what the venue holds vs what the event log says.
#include "invariant_checker.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <tradehost/decimal.h>

#include <fstream>
#include <sstream>

namespace tradehost::test {
namespace {

constexpr std::size_t kMaxProblems = 200;

bool isDigits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

bool inRun(const RunSpec& spec, const std::string& signalId) {
    if (!spec.signalIds.empty()) return spec.signalIds.count(signalId) > 0;
    return signalId.size() > spec.prefix.size() && signalId.compare(0, spec.prefix.size(), spec.prefix) == 0 &&
           isDigits(signalId.substr(spec.prefix.size()));
}

enum class Terminal { None, Order, NoOrder };

struct LegKey {
    std::string signalId;
    int leg = 0;
    bool operator<(const LegKey& o) const { return signalId != o.signalId ? signalId < o.signalId : leg < o.leg; }
};

// What the event log says about each leg of the run.
struct LegEvents {
    bool hasOrder = false;  // order_ack, or order_resolved found: the venue holds an order
    bool order = false;     // ... and it is final (or order_closed came later): the leg has ended
    bool noOrder = false;   // order_rejected, order_blocked, order_expired
    std::string refusal;    // which of those
    std::vector<std::string> names;
};

std::map<LegKey, LegEvents> legEvents(const RunSpec& spec, const std::vector<EventLine>& events,
                                      std::map<std::string, int>* admitted, std::map<std::string, int>* counts) {
    std::map<LegKey, LegEvents> out;
    for (const auto& e : events) {
        if (!inRun(spec, e.signalId)) continue;
        if (counts) ++(*counts)[e.event];
        if (e.event == "signal_received" && admitted) (*admitted)[e.signalId] = e.legs;
        OrderIdParts parts;
        if (e.clientOrderId.empty() || !parseClientOrderId(e.clientOrderId, parts)) continue;
        LegEvents& l = out[{e.signalId, parts.leg}];
        l.names.push_back(e.event + "(" + e.clientOrderId + (e.outcome.empty() ? "" : " " + e.outcome) + ")");
        // An order the venue still holds open (a resting limit order) is WORKING: the leg ends only
        // with order_closed, when the order is filled, cancelled or expired.
        if (e.event == "order_ack" || (e.event == "order_resolved" && e.outcome == "found")) {
            l.hasOrder = true;
            l.order = e.status != "NEW" && e.status != "PARTIALLY_FILLED";
        }
        if (e.event == "order_closed") l.order = true;
        if (e.event == "order_rejected" || e.event == "order_blocked" || e.event == "order_expired") {
            l.noOrder = true;
            l.refusal = e.event;
        }
    }
    return out;
}

// Per signal: ok if any delivery got a 2xx, else fail if any got a 4xx, else indeterminate.
std::map<std::string, tools::Outcome> signalOutcomes(const RunSpec& spec,
                                                     const std::vector<tools::DeliveryRecord>& deliveries) {
    std::map<std::string, tools::Outcome> out;
    for (const auto& d : deliveries) {
        if (!inRun(spec, d.signalId)) continue;
        auto [it, inserted] = out.emplace(d.signalId, d.outcome);
        if (inserted) continue;
        if (d.outcome == tools::Outcome::Ok)
            it->second = tools::Outcome::Ok;
        else if (d.outcome == tools::Outcome::Fail && it->second == tools::Outcome::Indeterminate)
            it->second = tools::Outcome::Fail;
    }
    return out;
}

Decimal decimalOf(const std::string& s) { return Decimal::parse(s).value_or(Decimal()); }

std::string describe(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "no events" : out;
}

}  // namespace

void EventTail::poll() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string line;
    while (std::getline(in, line)) {
        if (in.eof()) break;  // no '\n' yet: the writer is mid-line; read it next time
        offset_ += line.size() + 1;
        try {
            Poco::JSON::Parser parser;
            const auto o = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
            EventLine e;
            e.id = o->getValue<std::uint64_t>("id");
            if (o->has("ts_ms")) e.tsMs = o->getValue<std::int64_t>("ts_ms");
            e.event = o->getValue<std::string>("event");
            e.signalId = o->getValue<std::string>("signal_id");
            e.clientOrderId = o->getValue<std::string>("client_order_id");
            if (const auto data = o->getObject("data")) {
                if (data->has("outcome")) e.outcome = data->getValue<std::string>("outcome");
                if (data->has("status")) e.status = data->getValue<std::string>("status");
                if (data->has("legs")) e.legs = data->getValue<int>("legs");
                for (const auto& [key, value] : *data) {
                    try {
                        if (!value.isEmpty()) e.data[key] = value.convert<std::string>();
                    } catch (const Poco::Exception&) {
                        // a nested object or array: no event the checker reads has one
                    }
                }
            }
            events_.push_back(std::move(e));
        } catch (const Poco::Exception&) {
            ++unparsable_;
        }
    }
}

bool parseClientOrderId(const std::string& id, OrderIdParts& out) {
    const auto a = id.rfind(':');
    if (a == std::string::npos || a == 0) return false;
    const auto l = id.rfind(':', a - 1);
    if (l == std::string::npos || l == 0) return false;
    const auto v = id.rfind(':', l - 1);
    if (v == std::string::npos || v == 0) return false;
    const std::string leg = id.substr(l + 1, a - l - 1), attempt = id.substr(a + 1);
    if (!isDigits(leg) || !isDigits(attempt) || leg.size() > 2 || attempt.size() > 1) return false;
    out.signalId = id.substr(0, v);
    out.venue = id.substr(v + 1, l - v - 1);
    out.leg = std::stoi(leg);
    out.attempt = std::stoi(attempt);
    return true;
}

std::string CheckReport::summary() const {
    std::ostringstream s;
    s << "signals=" << signals << " ok=" << signalsOk << " fail=" << signalsFail
      << " indeterminate=" << signalsIndeterminate << " deliveries=" << deliveries << " (ok " << deliveriesOk
      << ") admitted=" << admittedSignals << " accepted_legs=" << acceptedLegs << " orders=" << orders
      << " | lost=" << lost << " doubled=" << doubled << " phantom=" << phantom << " unterminated=" << unterminated
      << " disagreements=" << disagreements << " book_mismatches=" << bookMismatches
      << " | ended without an order: expired=" << expired << " rejected=" << rejected << " blocked=" << blocked
      << " | events:";
    for (const auto& [name, n] : events) s << " " << name << "=" << n;
    return s.str();
}

CheckReport checkInvariants(const RunSpec& spec, const std::vector<tools::DeliveryRecord>& deliveries,
                            const std::vector<VenueOrder>& orders, const std::vector<EventLine>& events) {
    CheckReport r;
    auto problem = [&](const std::string& text) {
        if (r.problems.size() < kMaxProblems) r.problems.push_back(text);
    };
    const auto outcomes = signalOutcomes(spec, deliveries);
    for (const auto& d : deliveries) {
        if (!inRun(spec, d.signalId)) continue;
        ++r.deliveries;
        if (d.outcome == tools::Outcome::Ok) ++r.deliveriesOk;
    }
    r.signals = static_cast<int>(outcomes.size());
    for (const auto& [id, o] : outcomes) {
        if (o == tools::Outcome::Ok)
            ++r.signalsOk;
        else if (o == tools::Outcome::Fail)
            ++r.signalsFail;
        else
            ++r.signalsIndeterminate;
    }
    r.acceptedLegs = r.signalsOk * spec.legs;

    std::map<std::string, int> admitted;
    const auto legs = legEvents(spec, events, &admitted, &r.events);
    r.admittedSignals = static_cast<int>(admitted.size());

    // Orders at the venue, per leg (only those that exist: with an exchange order id).
    std::map<LegKey, std::vector<const VenueOrder*>> venue;
    const Decimal intended = decimalOf(spec.quantity);
    for (const auto& o : orders) {
        OrderIdParts parts;
        const bool parsed = parseClientOrderId(o.clientOrderId, parts);
        if (parsed && spec.signalParts.count(parts.signalId)) parts.signalId = spec.signalParts.at(parts.signalId);
        if (!parsed) {
            // The emulator serves one test case, and only tradehost trades on it.
            if (o.orderId && o.clientOrderId.compare(0, spec.prefix.size(), spec.prefix) == 0) {
                ++r.phantom;
                problem("phantom: order " + o.clientOrderId + " is not a tradehost client order id");
            }
            continue;
        }
        if (!inRun(spec, parts.signalId) || !o.orderId) continue;
        ++r.orders;
        if (parts.venue != spec.venue || parts.leg >= spec.legs) {
            ++r.phantom;
            problem("phantom: order " + o.clientOrderId + " names a venue or leg the signal does not have");
            continue;
        }
        venue[{parts.signalId, parts.leg}].push_back(&o);
        const auto it = outcomes.find(parts.signalId);
        if (it == outcomes.end()) {
            ++r.phantom;
            problem("phantom: order " + o.clientOrderId + " for a signal the sender never sent");
        } else if (it->second == tools::Outcome::Fail) {
            ++r.phantom;
            problem("phantom: order " + o.clientOrderId + " for a signal the webhook refused (4xx)");
        }
    }
    std::map<std::string, Decimal> position;
    for (const auto& [key, list] : venue) {
        Decimal filled;
        for (const auto* o : list) {
            const Decimal executed = decimalOf(o->executedQty);
            filled = filled + executed;
            const std::string book =
                o->positionSide.empty() || o->positionSide == "BOTH" ? o->symbol : o->symbol + "/" + o->positionSide;
            position[book] = o->side == "SELL" ? position[book] - executed : position[book] + executed;
        }
        r.venueFills[key.signalId + "#" + std::to_string(key.leg)] = filled.toString();
    }
    for (const auto& [symbol, amount] : position) r.venuePositions[symbol] = amount.toString();
    for (const auto& [key, list] : venue) {
        Decimal filled;
        for (const auto* o : list) filled = filled + decimalOf(o->executedQty);
        if (list.size() > 1 || filled > intended) {
            ++r.doubled;
            std::string ids;
            for (const auto* o : list)
                ids += " " + o->clientOrderId + "#" + std::to_string(*o->orderId) + "(" + o->executedQty +
                       (o->fault.empty() ? "" : ", fault " + o->fault) + ")";
            problem("doubled: " + key.signalId + " leg " + std::to_string(key.leg) + " has " +
                    std::to_string(list.size()) + " orders, filled " + filled.toString() + " of " + spec.quantity +
                    ":" + ids);
        }
    }

    // Every accepted leg: an order or a terminal "no order" event; and a terminal event either way.
    std::set<std::string> mustTerminate;
    for (const auto& [id, o] : outcomes)
        if (o == tools::Outcome::Ok) mustTerminate.insert(id);
    for (const auto& [id, n] : admitted) mustTerminate.insert(id);
    for (const auto& id : mustTerminate) {
        const bool accepted = outcomes.count(id) && outcomes.at(id) == tools::Outcome::Ok;
        const int legCount = admitted.count(id) ? admitted.at(id) : spec.legs;
        for (int leg = 0; leg < legCount; ++leg) {
            const LegKey key{id, leg};
            const auto e = legs.find(key);
            const bool hasOrder = venue.count(key) > 0;
            const bool order = e != legs.end() && e->second.order;
            const bool noOrder = e != legs.end() && e->second.noOrder;
            const std::string what = e == legs.end() ? "no events" : describe(e->second.names);
            if (accepted && noOrder && !hasOrder) {
                const std::string& why = e->second.refusal;
                (why == "order_expired" ? r.expired : why == "order_rejected" ? r.rejected : r.blocked) += 1;
                problem(why.substr(6) + ": " + id + " leg " + std::to_string(leg) +
                        " was accepted and ended without an order (" + what + ")");
            }
            if (accepted && !hasOrder && !noOrder) {
                ++r.lost;
                problem("lost: " + id + " leg " + std::to_string(leg) +
                        " was accepted but has no order and no terminal refusal (" + what + ")");
            }
            if (!order && !noOrder) {
                ++r.unterminated;
                problem("unterminated: " + id + " leg " + std::to_string(leg) + " (" + what + ")");
            }
            const bool ackedOrder = e != legs.end() && e->second.hasOrder;
            if ((ackedOrder && !hasOrder) || (noOrder && hasOrder)) {
                ++r.disagreements;
                problem("disagreement: " + id + " leg " + std::to_string(leg) + ": the venue has " +
                        std::to_string(hasOrder ? venue.at(key).size() : 0) + " order(s) but the event log says " +
                        what);
            }
        }
    }
    return r;
}

bool allLegsTerminal(const RunSpec& spec, const std::vector<tools::DeliveryRecord>& deliveries,
                     const std::vector<EventLine>& events) {
    std::map<std::string, int> admitted;
    const auto legs = legEvents(spec, events, &admitted, nullptr);
    std::map<std::string, int> must = admitted;
    for (const auto& [id, o] : signalOutcomes(spec, deliveries))
        if (o == tools::Outcome::Ok) must.emplace(id, spec.legs);
    for (const auto& [id, n] : must) {
        for (int leg = 0; leg < n; ++leg) {
            const auto e = legs.find({id, leg});
            if (e == legs.end() || (!e->second.order && !e->second.noOrder)) return false;
        }
    }
    return true;
}

}  // namespace tradehost::test
