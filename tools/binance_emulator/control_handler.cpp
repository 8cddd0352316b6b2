// /control endpoints: strict JSON input (unknown keys are refused), JSON output.
#include "control_handler.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/URI.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "decimal_math.h"
#include "fapi_json.h"
#include "http_body.h"

namespace tradehost::binance_emulator {
namespace {

class ControlError : public std::runtime_error {
public:
    ControlError(int status, const std::string& what) : std::runtime_error(what), status_(status) {}
    int status() const { return status_; }

private:
    int status_;
};

ControlError badInput(const std::string& what) { return ControlError(400, what); }

// Ten minutes: longer is almost certainly a unit mistake (seconds for milliseconds).
constexpr std::int64_t kMaxOutageMs = 600000;

// A JSON object body read key by key; whatever was not read is an error, so a typo such as
// "delay" for "delay_ms" is reported instead of silently meaning "no delay".
class JsonInput {
public:
    explicit JsonInput(const std::string& body) {
        if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
            object_ = new Poco::JSON::Object;
            return;
        }
        try {
            Poco::JSON::Parser parser;
            object_ = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception& e) {
            throw badInput("body must be a JSON object: " + e.displayText());
        } catch (const std::exception&) {
            throw badInput("body must be a JSON object");
        }
    }

    bool has(const std::string& key) const { return object_->has(key); }

    std::optional<std::string> string(const std::string& key) {
        auto v = take(key);
        if (!v) return std::nullopt;
        if (!v->isString()) throw badInput("'" + key + "' must be a string");
        return v->toString();
    }
    std::optional<std::int64_t> integer(const std::string& key) {
        auto v = take(key);
        if (!v) return std::nullopt;
        if (!v->isInteger()) throw badInput("'" + key + "' must be an integer");
        return v->convert<Poco::Int64>();
    }
    std::optional<double> number(const std::string& key) {
        auto v = take(key);
        if (!v) return std::nullopt;
        if (!v->isNumeric()) throw badInput("'" + key + "' must be a number");
        return v->convert<double>();
    }
    std::optional<bool> boolean(const std::string& key) {
        auto v = take(key);
        if (!v) return std::nullopt;
        if (!v->isBoolean()) throw badInput("'" + key + "' must be true or false");
        return v->convert<bool>();
    }
    // Decimals must be JSON strings: a JSON number would pass through a double in the parser.
    std::optional<Decimal> decimal(const std::string& key) {
        auto v = take(key);
        if (!v) return std::nullopt;
        if (!v->isString()) throw badInput("'" + key + "' must be a decimal in a string, e.g. \"65000.10\"");
        auto d = Decimal::parse(v->toString());
        if (!d) throw badInput("'" + key + "' is not a decimal number: " + v->toString());
        return d;
    }
    void rejectUnknown() const {
        for (const auto& [name, value] : *object_) {
            if (used_.count(name) == 0) throw badInput("unknown key '" + name + "'");
        }
    }

private:
    std::optional<Poco::Dynamic::Var> take(const std::string& key) {
        used_.insert(key);
        if (!object_->has(key)) return std::nullopt;
        Poco::Dynamic::Var v = object_->get(key);
        if (v.isEmpty()) return std::nullopt;
        return v;
    }

    Poco::JSON::Object::Ptr object_;
    std::set<std::string> used_;
};

std::string doubleText(double d) {
    std::ostringstream out;
    out << d;
    return out.str();
}

void writeFault(tools::JsonWriter& w, const Fault& f) {
    const FaultSpec& s = f.spec;
    w.beginObject();
    w.field("id", f.id);
    w.field("mode", toString(s.mode));
    if (s.method.empty())
        w.nullField("method");
    else
        w.field("method", s.method);
    w.field("path", s.path.empty() ? std::string("*") : s.path);
    w.key("rate").raw(doubleText(s.rate));
    if (s.count)
        w.field("count", *s.count);
    else
        w.nullField("count");
    w.field("fired", f.fired);
    w.field("active", f.active());
    if (s.mode == FaultMode::Delay || s.mode == FaultMode::LateExecute) w.field("delay_ms", s.delayMs);
    if (s.mode == FaultMode::LateExecute) w.field("answer", s.answer);
    if (s.status != 0) w.field("status", s.status);
    if (s.mode == FaultMode::Http5xx) w.field("execute", s.execute);
    if (s.retryAfterS != 0) w.field("retry_after_s", s.retryAfterS);
    if (s.code) w.field("code", *s.code);
    if (s.msg) w.field("msg", *s.msg);
    w.endObject();
}

std::string limitsJson(const RateLimits& l) {
    tools::JsonWriter w;
    w.beginObject();
    w.field("weight_per_minute", l.weightPerMinute);
    w.field("orders_per_10s", l.ordersPer10s);
    w.field("orders_per_minute", l.ordersPerMinute);
    w.field("ban_after_429s", l.banAfter429s);
    w.field("ban_ms", l.banMs);
    w.field("window", l.slidingWindow ? "sliding" : "fixed");
    w.endObject();
    return w.str();
}

const char* uniquenessName(ClientIdUniqueness u) {
    switch (u) {
        case ClientIdUniqueness::Global:
            return "global";
        case ClientIdUniqueness::None:
            return "none";
        case ClientIdUniqueness::OpenOrders:
            break;
    }
    return "open";
}

}  // namespace

void ControlHandler::handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    const std::string body = tools::readBody(request);
    const Poco::URI uri(request.getURI());
    const std::string path = uri.getPath();
    const std::string& method = request.getMethod();
    Exchange& exchange = state_.exchange;

    int status = 200;
    std::string out;
    std::optional<std::int64_t> outageMs;
    try {
        tools::JsonWriter w;
        auto accountOf = [&](JsonInput& in) -> std::size_t {
            auto key = in.string("apiKey");
            auto index = in.integer("account");
            if (key) {
                auto found = exchange.accountForKey(*key);
                if (!found) throw badInput("no account has that apiKey");
                return *found;
            }
            if (index) {
                if (*index < 0 || static_cast<std::size_t>(*index) >= exchange.accountCount())
                    throw badInput("no account " + std::to_string(*index));
                return static_cast<std::size_t>(*index);
            }
            return 0;
        };
        auto symbolOf = [&](JsonInput& in) {
            auto symbol = in.string("symbol");
            if (!symbol) throw badInput("'symbol' is required");
            if (exchange.findSymbol(*symbol) == nullptr) throw badInput("unknown symbol " + *symbol);
            return *symbol;
        };
        auto writeFaults = [&] {
            w.beginObject();
            w.key("faults").beginArray();
            for (const auto& f : state_.faults.faults()) writeFault(w, f);
            w.endArray();
            w.key("fired_total").beginObject();
            for (const auto& [mode, n] : state_.faults.firedTotals()) w.field(mode, n);
            w.endObject();
            w.endObject();
        };
        auto writeClock = [&] {
            w.beginObject()
                .field("serverTime", state_.clock.nowMs())
                .field("skew_ms", state_.clock.skewMs())
                .field("advanced_ms", state_.clock.advancedMs())
                .endObject();
        };
        auto writeSettings = [&] {
            w.beginObject()
                .field("client_id_uniqueness", uniquenessName(exchange.uniqueness()))
                .field("verify_signatures", state_.verifySignatures.load())
                .endObject();
        };

        if (path == "/control/faults" && method == "GET") {
            writeFaults();
        } else if (path == "/control/faults" && method == "DELETE") {
            state_.faults.clear();
            writeFaults();
        } else if (path == "/control/faults" && method == "POST") {
            JsonInput in(body);
            const std::string modeName = in.string("mode").value_or("");
            if (auto seed = in.integer("seed")) state_.faults.reseed(static_cast<std::uint64_t>(*seed));
            if (modeName == "clear") {
                in.rejectUnknown();
                state_.faults.clear();
                writeFaults();
            } else {
                auto mode = parseFaultMode(modeName);
                if (!mode) throw badInput("unknown fault mode '" + modeName + "'; known: " + faultModeNames());
                FaultSpec spec;
                spec.mode = *mode;
                if (auto p = in.string("path")) {
                    const auto space = p->find(' ');
                    if (space != std::string::npos) {
                        spec.method = p->substr(0, space);
                        spec.path = p->substr(space + 1);
                    } else {
                        spec.path = *p;
                    }
                    if (spec.path != "*" && spec.path.rfind("/fapi/", 0) != 0)
                        throw badInput("'path' must be '*' or a /fapi path, optionally preceded by a method");
                }
                if (auto m = in.string("method")) spec.method = *m;
                if (auto rate = in.number("rate")) {
                    if (*rate < 0.0 || *rate > 1.0) throw badInput("'rate' must be between 0 and 1");
                    spec.rate = *rate;
                }
                if (auto count = in.integer("count")) {
                    if (*count < 1) throw badInput("'count' must be at least 1 (omit it for unlimited)");
                    spec.count = *count;
                }
                if (auto d = in.integer("delay_ms")) {
                    if (*d < 0) throw badInput("'delay_ms' must not be negative");
                    spec.delayMs = *d;
                }
                if (auto st = in.integer("status")) {
                    if (*st < 400 || *st > 599) throw badInput("'status' must be an HTTP error status");
                    spec.status = static_cast<int>(*st);
                }
                if (auto ra = in.integer("retry_after_s")) spec.retryAfterS = *ra;
                if (auto a = in.string("answer")) {
                    if (*a != "1007" && *a != "503" && *a != "drop")
                        throw badInput("'answer' must be 1007, 503 or drop");
                    spec.answer = *a;
                }
                if (auto e = in.boolean("execute")) spec.execute = *e;
                if (auto c = in.integer("code")) spec.code = static_cast<int>(*c);
                if (auto m = in.string("msg")) spec.msg = *m;
                in.rejectUnknown();
                if (spec.mode == FaultMode::Http5xx && spec.status != 0 && spec.status < 500)
                    throw badInput("http_5xx needs a 5xx 'status'");
                if (spec.mode == FaultMode::Delay && spec.delayMs <= 0) throw badInput("delay needs 'delay_ms' > 0");
                const int id = state_.faults.add(spec);
                for (const auto& f : state_.faults.faults()) {
                    if (f.id == id) writeFault(w, f);
                }
            }
        } else if (path == "/control/price" && method == "POST") {
            JsonInput in(body);
            const std::string symbol = symbolOf(in);
            auto price = in.decimal("price");
            in.rejectUnknown();
            if (!price || !price->isPositive()) throw badInput("'price' must be a positive decimal string");
            const auto filled = exchange.setPrice(symbol, *price);
            const SymbolSpec& spec = *exchange.findSymbol(symbol);
            w.beginObject().field("symbol", symbol).field("price", formatAtLeast(*price, spec.pricePrecision));
            w.key("filledOrderIds").beginArray();
            for (auto id : filled) w.value(id);
            w.endArray().endObject();
        } else if (path == "/control/fill" && method == "POST") {
            JsonInput in(body);
            const std::size_t account = accountOf(in);
            const std::string symbol = in.has("symbol") ? symbolOf(in) : std::string();
            auto clientOrderId = in.string("clientOrderId");
            auto orderId = in.integer("orderId");
            auto quantity = in.decimal("quantity");
            auto price = in.decimal("price");
            in.rejectUnknown();
            if (clientOrderId.has_value() == orderId.has_value())
                throw badInput("give exactly one of 'clientOrderId' or 'orderId'");
            if (!quantity) throw badInput("'quantity' is required, e.g. \"0.001\"");
            auto filled = exchange.fillOrder(account, symbol, orderId, clientOrderId.value_or(""), *quantity, price);
            if (auto* error = std::get_if<std::string>(&filled)) throw badInput(*error);
            const Order& o = std::get<Order>(filled);
            writeQueryOrder(w, o, *exchange.findSymbol(o.symbol));
        } else if (path == "/control/position" && method == "POST") {
            JsonInput in(body);
            const std::size_t account = accountOf(in);
            const std::string symbol = symbolOf(in);
            auto sideText = in.string("positionSide");
            PositionSide side = exchange.dualSidePosition(account) ? PositionSide::Long : PositionSide::Both;
            if (sideText) {
                auto parsed = parsePositionSide(*sideText);
                if (!parsed) throw badInput("'positionSide' must be BOTH, LONG or SHORT");
                side = *parsed;
            } else if (exchange.dualSidePosition(account)) {
                throw badInput("account is in hedge mode: 'positionSide' (LONG or SHORT) is required");
            }
            auto quantity = in.decimal("quantity");
            auto delta = in.decimal("delta");
            auto entry = in.decimal("entryPrice");
            in.rejectUnknown();
            if (quantity.has_value() == delta.has_value()) throw badInput("give exactly one of 'quantity' or 'delta'");
            auto error = quantity ? exchange.setPosition(account, symbol, side, *quantity, entry)
                                  : exchange.nudgePosition(account, symbol, side, *delta);
            if (error) throw badInput(*error);
            const SymbolSpec& spec = *exchange.findSymbol(symbol);
            for (const auto& p : exchange.positions(account, symbol, false)) {
                if (p.positionSide == side) writePositionRiskV2(w, p, spec);
            }
        } else if (path == "/control/clock" && (method == "POST" || method == "GET")) {
            if (method == "POST") {
                JsonInput in(body);
                auto skew = in.integer("skew_ms");
                auto advance = in.integer("advance_ms");
                in.rejectUnknown();
                if (skew) state_.clock.setSkewMs(*skew);
                if (advance) state_.clock.advanceMs(*advance);
            }
            writeClock();
        } else if (path == "/control/limits" && (method == "POST" || method == "GET")) {
            if (method == "POST") {
                JsonInput in(body);
                RateLimits l = state_.limiter.limits();
                auto positive = [&](const char* key, auto& field) {
                    if (auto v = in.integer(key)) {
                        if (*v < 0) throw badInput(std::string("'") + key + "' must not be negative");
                        field = static_cast<std::remove_reference_t<decltype(field)>>(*v);
                    }
                };
                positive("weight_per_minute", l.weightPerMinute);
                positive("orders_per_10s", l.ordersPer10s);
                positive("orders_per_minute", l.ordersPerMinute);
                positive("ban_after_429s", l.banAfter429s);
                positive("ban_ms", l.banMs);
                if (auto window = in.string("window")) {
                    if (*window != "fixed" && *window != "sliding") throw badInput("'window' must be fixed or sliding");
                    l.slidingWindow = *window == "sliding";
                }
                auto resetUsage = in.boolean("reset_usage");
                in.rejectUnknown();
                state_.limiter.setLimits(l);
                if (resetUsage.value_or(false)) state_.limiter.resetUsage();
            }
            out = limitsJson(state_.limiter.limits());
        } else if (path == "/control/settings" && (method == "POST" || method == "GET")) {
            if (method == "POST") {
                JsonInput in(body);
                auto uniqueness = in.string("client_id_uniqueness");
                auto verify = in.boolean("verify_signatures");
                in.rejectUnknown();
                if (uniqueness) {
                    if (*uniqueness == "open") {
                        exchange.setUniqueness(ClientIdUniqueness::OpenOrders);
                    } else if (*uniqueness == "global") {
                        exchange.setUniqueness(ClientIdUniqueness::Global);
                    } else if (*uniqueness == "none") {
                        exchange.setUniqueness(ClientIdUniqueness::None);
                    } else {
                        throw badInput("'client_id_uniqueness' must be open, global or none");
                    }
                }
                if (verify) state_.verifySignatures.store(*verify);
            }
            writeSettings();
        } else if (path == "/control/outage" && method == "POST") {
            JsonInput in(body);
            auto ms = in.integer("ms");
            in.rejectUnknown();
            if (!ms) throw badInput("'ms' is required: how long connections are refused");
            if (*ms < 1 || *ms > kMaxOutageMs)
                throw badInput("'ms' must be between 1 and " + std::to_string(kMaxOutageMs));
            const auto number = state_.outages.claim();
            if (!number) throw ControlError(409, "an outage is already requested or under way");
            outageMs = *ms;
            w.beginObject().field("outage", *number).field("ms", *ms).endObject();
        } else if (path == "/control/reset" && method == "POST") {
            exchange.reset();
            state_.faults.reset();
            state_.clock.reset();
            state_.limiter.setLimits(state_.initialLimits);
            state_.limiter.resetUsage();
            state_.verifySignatures.store(true);
            w.beginObject().field("reset", true).endObject();
        } else if (path == "/control/ledger" && method == "GET") {
            const Poco::Net::HTMLForm form(request);
            const std::string clientOrderId = form.get("clientOrderId", "");
            const std::string accountText = form.get("account", "");
            std::int64_t count = 0;
            w.beginObject();
            w.key("orders").beginArray();
            for (const auto& e : exchange.ledger()) {
                if (!clientOrderId.empty() && e.clientOrderId != clientOrderId) continue;
                if (!accountText.empty() && std::to_string(e.account) != accountText) continue;
                writeLedgerEntry(w, e, *exchange.findSymbol(e.symbol));
                ++count;
            }
            w.endArray();
            w.field("count", count);
            w.endObject();
        } else if (path == "/control/state" && method == "GET") {
            w.beginObject();
            w.key("clock");
            writeClock();
            w.key("prices").beginObject();
            for (const auto& s : exchange.symbols())
                w.field(s.symbol, formatAtLeast(exchange.price(s.symbol), s.pricePrecision));
            w.endObject();
            w.key("accounts").beginArray();
            for (std::size_t a = 0; a < exchange.accountCount(); ++a) {
                w.beginObject();
                w.field("account", static_cast<std::int64_t>(a));
                w.field("dualSidePosition", exchange.dualSidePosition(a));
                w.field("openOrders", static_cast<std::int64_t>(exchange.openOrders(a, "").size()));
                w.key("positions").beginArray();
                for (const auto& p : exchange.positions(a, "", true))
                    writePositionRiskV2(w, p, *exchange.findSymbol(p.symbol));
                w.endArray();
                w.endObject();
            }
            w.endArray();
            w.field("pendingLateOrders", static_cast<std::int64_t>(exchange.pendingLateOrders()));
            w.key("settings");
            writeSettings();
            w.field("outages", state_.outages.count());
            w.key("connections").beginObject();
            if (const auto* server = state_.server.load()) {
                w.field("current", server->currentConnections());
                w.field("total", server->totalConnections());
                w.field("refused", server->refusedConnections());
            }
            w.endObject();
            w.endObject();
        } else {
            throw ControlError(404, "no control endpoint " + method + " " + path);
        }
        if (out.empty()) out = w.str();
    } catch (const ControlError& e) {
        status = e.status();
        tools::JsonWriter w;
        w.beginObject().field("error", e.what()).endObject();
        out = w.str();
    }

    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(out.size()));
    // The listener closes and every other connection is cut before the answer goes out, so a
    // caller that has its answer can rely on every connect being refused and every kept-alive
    // connection gone; this one is cut only once the answer is in the kernel's hands, after which
    // it still arrives, followed by the FIN.
    struct AnswerSent {
        OutageSwitch* outages;
        ~AnswerSent() {
            if (outages != nullptr) outages->answered();
        }
    } answerSent{outageMs ? &state_.outages : nullptr};
    if (outageMs) {
        int requesterFd = -1;
        if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request))
            requesterFd = impl->socket().impl()->sockfd();
        state_.outages.requestAndWait(*outageMs, requesterFd, std::chrono::seconds(5));
        response.setKeepAlive(false);  // say so, so the client does not reuse it
    }
    std::ostream& stream = response.send();
    stream << out;
    stream.flush();
}

}  // namespace tradehost::binance_emulator
