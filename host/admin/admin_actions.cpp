// The admin API's actions: each needs the operator, a JSON body with a "why", and is recorded
// with who did it.
#include "admin/admin_actions.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "intake/signal/signal_parser.h"

namespace tradehost::host {
namespace {

std::string text(const Poco::JSON::Object& o) {
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

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
    Poco::JSON::Object o;
    o.set("outcome", result.code == ActionResult::Code::Done        ? "done"
                     : result.code == ActionResult::Code::Unchanged ? "unchanged"
                                                                    : "refused");
    o.set("message", result.message);
    return AdminResponse::json(result.code == ActionResult::Code::Refused ? 409 : 200, text(o));
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
    return routes;
}

}  // namespace tradehost::host
