// The admin API's actions: each needs the operator, a JSON body with a "why", and is recorded
// with who did it.
#include "admin/admin_actions.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "events/json_text.h"
#include "intake/signal/signal_parser.h"

namespace tradehost::host {
namespace {

// The action's JSON body; throws std::invalid_argument naming what is wrong.
Poco::JSON::Object::Ptr bodyOf(const AdminRequest& r) {
    try {
        Poco::JSON::Parser parser;
        auto o = parser.parse(r.body.empty() ? std::string("{}") : r.body).extract<Poco::JSON::Object::Ptr>();
        if (!o) throw std::invalid_argument("the body must be a JSON object");
        return o;
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("the body is not JSON: " + e.displayText());
    } catch (const std::bad_cast&) {
        throw std::invalid_argument("the body must be a JSON object");
    }
}

std::string stringField(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o->has(key) || o->get(key).isEmpty()) return "";
    if (!o->get(key).isString()) throw std::invalid_argument("'" + key + "' must be a string");
    return o->getValue<std::string>(key);
}

AdminResponse actionAnswer(const ActionResult& result) {
    using Code = ActionResult::Code;
    Poco::JSON::Object o;
    o.set("outcome", result.code == Code::Done        ? "done"
                     : result.code == Code::Unchanged ? "unchanged"
                     : result.code == Code::NotFound  ? "not_found"
                                                      : "refused");
    o.set("message", result.message);
    const int status = result.code == Code::Refused ? 409 : result.code == Code::NotFound ? 404 : 200;
    return AdminResponse::json(status, jsonText(o));
}

// A ticket field that is wrong: 400 {"error", "field"}, the shape intake answers with.
struct FieldError {
    std::string field;
    std::string message;
};

AdminResponse fieldAnswer(int status, const std::string& field, const std::string& message) {
    return AdminResponse::json(status, IntakeService::errorBody(message, field));
}

// The order ticket's fields: one flat webhook leg, the action's "why", and "confirm".
constexpr std::array<const char*, 12> kTicketFields = {"signal_id",   "venue",         "symbol", "side",
                                                       "type",        "quantity",      "price",  "time_in_force",
                                                       "reduce_only", "position_side", "why",    "confirm"};

// The ticket as the signal a webhook would carry (one leg, flat form), for the same parser.
// Quantities and prices stay the text the operator typed: never through a double.
std::string ticketSignal(const Poco::JSON::Object::Ptr& body) {
    for (const auto& key : body->getNames())
        if (std::none_of(kTicketFields.begin(), kTicketFields.end(), [&](const char* f) { return key == f; }))
            throw FieldError{key,
                             "unknown field (a ticket has: signal_id, venue, symbol, side, type, quantity, price, "
                             "time_in_force, reduce_only, position_side, why, confirm)"};
    const auto given = [&](const char* key) { return body->has(key) && !body->get(key).isEmpty(); };
    std::string out = "{";
    const auto member = [&](const char* key, bool required, const std::string& hint) {
        if (!given(key)) {
            if (required) throw FieldError{key, "is required" + hint};
            return;
        }
        if (!body->get(key).isString()) throw FieldError{key, "must be a string" + hint};
        if (out.size() > 1) out += ',';
        appendJsonString(out, key);
        out += ':';
        appendJsonString(out, body->getValue<std::string>(key));
    };
    member("signal_id", true, ": the page makes one per ticket, and sends it again with the same ticket");
    member("venue", true, ": the venue instance's name");
    member("symbol", true, " (e.g. \"BTCUSDT\")");
    member("side", true, ": \"BUY\" or \"SELL\"");
    member("type", true, ": \"MARKET\" or \"LIMIT\"");
    member("quantity", true, ": a decimal such as \"0.002\"");
    member("price", false, ": a decimal such as \"65000.5\"");
    member("time_in_force", false, ": \"GTC\", \"IOC\", \"FOK\" or \"GTX\"");
    member("position_side", false, ": \"BOTH\", \"LONG\" or \"SHORT\"");
    if (given("reduce_only")) {
        const auto& v = body->get("reduce_only");
        if (!v.isBoolean()) throw FieldError{"reduce_only", "must be true or false"};
        out += std::string(",\"reduce_only\":") + (v.convert<bool>() ? "true" : "false");
    }
    return out + "}";
}

// What intake answered, as the ticket's answer: the same status, and an "outcome" a page can
// show (accepted, duplicate, conflict, refused, unavailable).
AdminResponse ticketAnswer(const IntakeAnswer& a) {
    Poco::JSON::Object::Ptr o;
    try {
        Poco::JSON::Parser parser;
        o = parser.parse(a.body).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        o = new Poco::JSON::Object;
        o->set("error", "intake answered " + std::to_string(a.status));
    }
    o->remove("status");
    o->set("outcome", a.status == 202   ? "accepted"
                      : a.status == 200 ? "duplicate"
                      : a.status == 422 ? "conflict"
                      : a.status < 500  ? "refused"
                                        : "unavailable");
    AdminResponse r = AdminResponse::json(a.status, jsonText(*o));
    if (a.retryAfterS > 0) r.headers.emplace_back("Retry-After", std::to_string(a.retryAfterS));
    return r;
}

// Every action: a JSON body with a non-empty "why"; who is the authenticated caller.
AdminHandler action(std::function<AdminResponse(const AdminRequest&, const Poco::JSON::Object::Ptr&, const Actor&)> f) {
    return [f = std::move(f)](const AdminRequest& r) {
        try {
            const auto body = bodyOf(r);
            const std::string why = stringField(body, "why");
            if (why.empty()) return AdminResponse::error(400, "'why' is required: every action is recorded with it");
            if (why.size() > 500) return AdminResponse::error(400, "'why' is longer than 500 characters");
            return f(r, body, Actor{r.actor, why});
        } catch (const std::invalid_argument& e) {
            return AdminResponse::error(400, e.what());
        }
    };
}

}  // namespace

std::vector<AdminRoute> adminActionRoutes(AdminActionSources sources, const Clock& clock) {
    auto s = std::make_shared<const AdminActionSources>(std::move(sources));
    std::vector<AdminRoute> routes;
    const auto trading = [s, &clock](bool paused) {
        return action([s, &clock, paused](const AdminRequest&, const Poco::JSON::Object::Ptr&, const Actor& by) {
            return actionAnswer(s->actions.setTrading(paused, by, clock.nowMs()));
        });
    };
    routes.push_back({"POST", "/api/actions/pause", AdminAccess::Operator, trading(true)});
    routes.push_back({"POST", "/api/actions/resume", AdminAccess::Operator, trading(false)});

    // A venue of this deployment and a symbol as signals name it, or a 400 naming the field.
    const auto target = [s](const Poco::JSON::Object::Ptr& body, std::string& venue, std::string& symbol) {
        venue = stringField(body, "venue");
        if (!s->venues.count(venue)) throw std::invalid_argument("'venue' names no venue instance of this deployment");
        auto canonical = canonicalSymbol(stringField(body, "symbol"));
        if (canonical.index() == 1) throw std::invalid_argument("'symbol' " + std::get<1>(canonical));
        symbol = std::get<0>(canonical);
    };
    const auto symbolPause = [s, &clock, target](bool paused) {
        return action(
            [s, &clock, target, paused](const AdminRequest&, const Poco::JSON::Object::Ptr& body, const Actor& by) {
                std::string venue, symbol;
                target(body, venue, symbol);
                return actionAnswer(s->actions.setSymbolPaused(venue, symbol, paused, by, clock.nowMs()));
            });
    };
    routes.push_back({"POST", "/api/actions/pause-symbol", AdminAccess::Operator, symbolPause(true)});
    routes.push_back({"POST", "/api/actions/resume-symbol", AdminAccess::Operator, symbolPause(false)});
    routes.push_back(
        {"POST", "/api/actions/accept-baseline", AdminAccess::Operator,
         action([s, &clock, target](const AdminRequest&, const Poco::JSON::Object::Ptr& body, const Actor& by) {
             std::string venue, symbol;
             target(body, venue, symbol);
             const std::string sideText = stringField(body, "position_side");
             const auto side =
                 sideText.empty() ? std::optional<PositionSide>(PositionSide::Both) : positionSideFrom(sideText);
             if (!side) throw std::invalid_argument("'position_side' must be BOTH, LONG or SHORT");
             return actionAnswer(s->actions.acceptBaseline({venue, symbol, *side}, by, clock.nowMs()));
         })});

    // The manual order ticket: a signal like a webhook's, through intake (journal, gate, venue),
    // so a double click or a resend of the same ticket (same signal_id) is a duplicate, never a
    // second order.
    routes.push_back(
        {"POST", "/api/actions/order", AdminAccess::Operator,
         action([s](const AdminRequest&, const Poco::JSON::Object::Ptr& body, const Actor& by) {
             std::string signal;
             try {
                 signal = ticketSignal(body);
             } catch (const FieldError& e) {
                 return fieldAnswer(400, e.field, e.message);
             }
             // The same parser intake uses, first: a wrong field is named before the confirmation
             // is asked for.
             const auto parsed = parseSignal(signal);
             if (const auto* e = std::get_if<ParseError>(&parsed))
                 return fieldAnswer(e->httpStatus, e->field, e->message);
             const std::string venue = std::get<Parsed>(parsed).signal.legs.front().venue;
             if (!s->venues.count(venue)) return fieldAnswer(400, "venue", "no venue instance of that name");
             // A real exchange takes real money: the operator types the instance's name, as for
             // deleting a repository, so a ticket meant for paper cannot reach it by a slip.
             const auto type = s->venueTypes.find(venue);
             if ((type == s->venueTypes.end() || type->second != "paper") && stringField(body, "confirm") != venue)
                 return fieldAnswer(400, "confirm",
                                    "type the venue's name (" + venue + ") to confirm an order on a live venue");
             if (!s->submitSignal) return AdminResponse::error(503, "this host takes no order tickets");
             auto answer = s->submitSignal(signal, SignalOrigin{"admin", by.who, by.why});
             if (answer.wait_for(std::chrono::milliseconds(s->submitTimeoutMs)) != std::future_status::ready)
                 return AdminResponse::json(
                     503, IntakeService::errorBody("intake did not answer in time; the ticket may be recorded: send "
                                                   "the same ticket again to know (it is never a second order)"));
             return ticketAnswer(answer.get());
         })});

    // A leg named by its client order id, as the page shows it.
    const auto clientOrderId = [](const Poco::JSON::Object::Ptr& body) {
        const std::string id = stringField(body, "client_order_id");
        if (id.empty()) throw std::invalid_argument("'client_order_id' is required");
        return id;
    };
    routes.push_back(
        {"POST", "/api/actions/retry-resolution", AdminAccess::Operator,
         action([s, clientOrderId](const AdminRequest&, const Poco::JSON::Object::Ptr& body, const Actor& by) {
             return actionAnswer(s->actions.retryResolution(clientOrderId(body), by));
         })});
    routes.push_back(
        {"POST", "/api/actions/cancel-order", AdminAccess::Operator,
         action([s, &clock, clientOrderId](const AdminRequest&, const Poco::JSON::Object::Ptr& body, const Actor& by) {
             return actionAnswer(s->actions.cancelOrder(clientOrderId(body), by, clock.nowMs()));
         })});
    return routes;
}

}  // namespace tradehost::host
