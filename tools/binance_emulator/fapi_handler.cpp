// fapi request handling: weight and bans, fault injection, key/signature/timestamp checks, endpoints.
#include "fapi_handler.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>
#include <sys/socket.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "decimal_math.h"
#include "fapi_json.h"
#include "http_body.h"
#include "order_request.h"
#include "signature.h"

namespace tradehost::binance_emulator {
namespace {

constexpr Route kRoutes[] = {
    {"GET", "/fapi/v1/ping", Endpoint::Ping, 1, false},
    {"GET", "/fapi/v1/time", Endpoint::Time, 1, false},
    {"GET", "/fapi/v1/exchangeInfo", Endpoint::ExchangeInfo, 1, false},
    {"GET", "/fapi/v1/ticker/price", Endpoint::TickerPrice, 1, false},
    {"POST", "/fapi/v1/order", Endpoint::NewOrder, 0, true},
    {"GET", "/fapi/v1/order", Endpoint::QueryOrder, 1, true},
    {"DELETE", "/fapi/v1/order", Endpoint::CancelOrder, 1, true},
    {"GET", "/fapi/v1/openOrders", Endpoint::OpenOrders, 1, true},
    {"GET", "/fapi/v1/openOrder", Endpoint::OpenOrder, 1, true},
    {"GET", "/fapi/v2/positionRisk", Endpoint::PositionRiskV2, 5, true},
    {"GET", "/fapi/v3/positionRisk", Endpoint::PositionRiskV3, 5, true},
    {"GET", "/fapi/v1/positionSide/dual", Endpoint::DualGet, 30, true},
    {"POST", "/fapi/v1/positionSide/dual", Endpoint::DualPost, 1, true},
};

constexpr int kOpenOrdersAllSymbolsWeight = 40;
constexpr std::int64_t kDefaultRecvWindowMs = 5000;

const char* const kUnknownErrorMsg = "Unknown error, please check your request or try again later.";
// The reference abridges -1007 to its tail; this is the full text Binance sends.
const char* const kTimeoutMsg =
    "Timeout waiting for response from backend server. Send status unknown; execution status unknown.";

using Reply = FapiHandler::Reply;

Reply jsonReply(std::string body) {
    Reply r;
    r.body = std::move(body);
    return r;
}

Reply errorReply(const ApiError& e) {
    Reply r;
    r.status = e.httpStatus;
    r.body = errorJson(e.code, e.msg);
    return r;
}

Reply envelopeReply(int status, int code, const std::string& msg) { return errorReply(ApiError{status, code, msg}); }

// 502 and 504 come from the gateway in front of the API, as HTML, not as Binance JSON.
Reply gatewayPage(int status, const std::string& title) {
    Reply r;
    r.status = status;
    r.contentType = "text/html";
    r.weightHeader = false;
    r.body = "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
             "</h1></center>\r\n</body>\r\n</html>\r\n";
    return r;
}

Reply http5xxReply(const FaultSpec& f) {
    const int status = f.status;
    if (!f.code && !f.msg) {
        if (status == 502) return gatewayPage(502, "502 Bad Gateway");
        if (status == 504) return gatewayPage(504, "504 Gateway Time-out");
    }
    int code = -1000;
    std::string msg = "Request occur unknown error.";  // A7: the generic 5XX text
    if (status == 500) {
        code = -1001;
        msg = "Internal error; unable to process your request. Please try again.";
    } else if (status == 503) {
        msg = "Service Unavailable.";  // A7 503 variant (B): a certain failure
    }
    return envelopeReply(status, f.code.value_or(code), f.msg.value_or(msg));
}

Reply unknown503Reply(const FaultSpec& f) {
    return envelopeReply(f.status != 0 ? f.status : 503, f.code.value_or(-1000), f.msg.value_or(kUnknownErrorMsg));
}

Reply timeout1007Reply(const FaultSpec& f) {
    return envelopeReply(f.status != 0 ? f.status : 408, f.code.value_or(-1007), f.msg.value_or(kTimeoutMsg));
}

Reply dropReply() {
    Reply r;
    r.abort = Reply::Abort::Drop;
    return r;
}

std::optional<std::int64_t> parseInt64(const std::string& text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::size_t i = text[0] == '-' ? 1 : 0;
    if (i == text.size()) return std::nullopt;
    for (std::size_t j = i; j < text.size(); ++j) {
        if (text[j] < '0' || text[j] > '9') return std::nullopt;
    }
    try {
        return std::stoll(text);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// symbol + (orderId | origClientOrderId), shared by query, openOrder and cancel.
struct OrderRef {
    std::string symbol;
    std::optional<std::int64_t> orderId;
    std::string clientOrderId;
};

std::variant<OrderRef, ApiError> parseOrderRef(const RequestParams& params, const Exchange& exchange) {
    OrderRef ref;
    auto symbol = params.get("symbol");
    if (!symbol) return errors::mandatory("symbol");
    if (exchange.findSymbol(*symbol) == nullptr) return errors::badSymbol();
    ref.symbol = *symbol;
    if (auto id = params.get("orderId")) {
        ref.orderId = parseInt64(*id);
        if (!ref.orderId) return errors::mandatory("orderId");
    }
    ref.clientOrderId = params.get("origClientOrderId").value_or("");
    if (!ref.orderId && ref.clientOrderId.empty()) return errors::orderIdOrClientIdMissing();
    return ref;
}

void sendReply(Poco::Net::HTTPServerResponse& response, const Reply& reply) {
    const auto status = static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status);
    response.setStatusAndReason(status);
    response.setContentType(reply.contentType);
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    response.send() << reply.body;
}

// Ends the connection without a byte of answer. Poco closes the socket once the handler
// returns because keep-alive is off: a FIN (with TLS, close_notify first). For a reset the
// connection is dissolved right here with connect(AF_UNSPEC), which on Linux aborts an
// established TCP connection with an RST and, unlike close() with SO_LINGER 0, also works
// under TLS, where Poco's close would send close_notify first and make it look orderly.
void abortConnection(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, bool reset) {
    response.setKeepAlive(false);
    if (!reset) return;
    if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request)) {
        try {
            Poco::Net::StreamSocket& socket = impl->socket();
            socket.setLinger(true, 0);
            sockaddr unspecified{};
            unspecified.sa_family = AF_UNSPEC;
            ::connect(socket.impl()->sockfd(), &unspecified, sizeof unspecified);
        } catch (const Poco::Exception&) {
            // The peer may already be gone; the connection is being dropped either way.
        }
    }
}

}  // namespace

const Route* findRoute(const std::string& method, const std::string& path) {
    for (const auto& r : kRoutes) {
        if (method == r.method && path == r.path) return &r;
    }
    return nullptr;
}

void FapiHandler::handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    // First of all, so a latency benchmark measures the way in and none of our own work.
    const std::int64_t receivedAtUs = EmulatorClock::wallUs();
    // Read the whole body first: an unread body would corrupt the next request on a kept-alive
    // connection.
    const std::string body = tools::readBody(request);
    const Poco::URI uri(request.getURI());
    const std::string path = uri.getPath();
    const std::string& method = request.getMethod();
    const std::string ip = request.clientAddress().host().toString();

    Reply reply;
    const Route* route = findRoute(method, path);
    if (route == nullptr) {
        reply = envelopeReply(404, -1000, "Path " + path + ", Method " + method + " is invalid");
        reply.weightHeader = false;
    } else {
        auto parsed = RequestParams::parse(uri.getRawQuery(), body);
        auto* params = std::get_if<RequestParams>(&parsed);
        int weight = route->weight;
        if (route->endpoint == Endpoint::OpenOrders && params != nullptr && !params->has("symbol"))
            weight = kOpenOrdersAllSymbolsWeight;

        const WeightDecision admitted = state_.limiter.admit(ip, weight);
        if (!admitted.allowed) {
            reply = errorReply(admitted.status == 418 ? errors::ipBanned(admitted.bannedUntilMs)
                                                      : errors::tooMuchWeight(state_.limiter.limits().weightPerMinute));
            reply.headers.emplace_back("Retry-After", std::to_string(admitted.retryAfterS));
        } else if (auto fault = state_.faults.take(method, path, FaultPhase::Before)) {
            const FaultSpec& f = fault->spec;
            if (f.mode == FaultMode::Reset) {
                reply.abort = Reply::Abort::Reset;
            } else if (f.mode == FaultMode::Http429) {
                reply = errorReply(errors::tooMuchWeight(state_.limiter.limits().weightPerMinute));
                reply.headers.emplace_back("Retry-After", std::to_string(f.retryAfterS));
            } else if (f.mode == FaultMode::Http418) {
                reply = errorReply(errors::ipBanned(state_.clock.nowMs() + f.retryAfterS * 1000));
                reply.headers.emplace_back("Retry-After", std::to_string(f.retryAfterS));
            } else {
                reply = http5xxReply(f);
            }
        } else if (params == nullptr) {
            reply = errorReply(std::get<ApiError>(parsed));
        } else {
            reply = process(*route, *params, request, ip, receivedAtUs);
        }
        if (reply.weightHeader) reply.headers.emplace_back("X-MBX-USED-WEIGHT-1M", std::to_string(admitted.usedWeight));
    }

    std::int64_t delayMs = 0;
    for (const auto& f : state_.faults.takeAll(method, path, FaultPhase::Latency)) delayMs += f.spec.delayMs;
    if (delayMs > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));

    if (state_.verbose.load()) {
        // Path and status only: the query string carries the signature.
        std::cerr << method << ' ' << path << " -> "
                  << (reply.abort == Reply::Abort::None   ? std::to_string(reply.status)
                      : reply.abort == Reply::Abort::Drop ? "dropped"
                                                          : "reset")
                  << std::endl;
    }
    if (reply.abort != Reply::Abort::None) {
        abortConnection(request, response, reply.abort == Reply::Abort::Reset);
        return;
    }
    sendReply(response, reply);
}

Reply FapiHandler::process(const Route& route, const RequestParams& params, const Poco::Net::HTTPServerRequest& request,
                           const std::string& ip, std::int64_t receivedAtUs) {
    std::size_t account = 0;
    RequestContext context;
    context.receivedAtUs = receivedAtUs;
    if (route.isSigned) {
        auto found = state_.exchange.accountForKey(request.get("X-MBX-APIKEY", ""));
        if (!found) return errorReply(errors::badApiKey(ip));
        account = *found;
        switch (params.signatureState()) {
            case RequestParams::SignatureState::Missing:
                return errorReply(errors::mandatory("signature"));
            case RequestParams::SignatureState::NotLast:
                return errorReply(errors::badSignature());
            case RequestParams::SignatureState::Present:
                break;
        }
        const std::string expected = hmacSha256Hex(state_.exchange.secretOf(account), params.signedPayload());
        context.signatureValid = signatureMatches(expected, params.signature());
        if (!context.signatureValid && state_.verifySignatures.load()) return errorReply(errors::badSignature());

        auto timestampText = params.get("timestamp");
        if (!timestampText) return errorReply(errors::mandatory("timestamp"));
        auto timestamp = parseInt64(*timestampText);
        if (!timestamp) return errorReply(errors::mandatory("timestamp"));
        std::int64_t recvWindow = kDefaultRecvWindowMs;
        if (auto rw = params.get("recvWindow")) {
            auto parsedWindow = parseInt64(*rw);
            if (!parsedWindow || *parsedWindow <= 0) return errorReply(errors::mandatory("recvWindow"));
            recvWindow = *parsedWindow;
        }
        // The documented rule, verbatim: process only if timestamp < serverTime + 1000 and
        // serverTime - timestamp <= recvWindow.
        const std::int64_t serverTime = state_.clock.nowMs();
        if (*timestamp >= serverTime + 1000) return errorReply(errors::timestampAhead());
        if (serverTime - *timestamp > recvWindow) return errorReply(errors::timestampBehind());
    }

    std::vector<std::pair<std::string, std::string>> orderHeaders;
    if (route.endpoint == Endpoint::NewOrder) {
        const OrderCountDecision counted = state_.limiter.admitOrder(account);
        orderHeaders.emplace_back("X-MBX-ORDER-COUNT-10S", std::to_string(counted.count10s));
        orderHeaders.emplace_back("X-MBX-ORDER-COUNT-1M", std::to_string(counted.count1m));
        if (!counted.allowed) {
            Reply r = errorReply(errors::tooManyOrders(counted.limit, counted.interval));
            r.headers = orderHeaders;
            return r;
        }
    }

    const std::string method = route.method;
    const std::string path = route.path;
    // Faults are taken before the work so the ledger can name the fault on the order it hit,
    // and handed back if the request then failed and the fault therefore never happened.
    std::optional<Fault> late;
    std::optional<Fault> after;
    if (route.endpoint == Endpoint::NewOrder) late = state_.faults.take(method, path, FaultPhase::Late);
    if (!late) after = state_.faults.take(method, path, FaultPhase::After);
    if (late) context.fault = toString(late->spec.mode);
    if (after) context.fault = toString(after->spec.mode);

    bool lateAccepted = false;
    Reply reply = dispatch(route, params, account, context, late, lateAccepted);
    if (late && !lateAccepted) state_.faults.refund(late->id);
    if (after) {
        if (reply.status != 200) {
            state_.faults.refund(after->id);
        } else {
            switch (after->spec.mode) {
                case FaultMode::DropAfterExecute:
                    reply = dropReply();
                    break;
                case FaultMode::Unknown503AfterExecute:
                    reply = unknown503Reply(after->spec);
                    break;
                case FaultMode::Timeout1007AfterExecute:
                    reply = timeout1007Reply(after->spec);
                    break;
                default:
                    reply = http5xxReply(after->spec);
                    break;
            }
        }
    }
    for (const auto& h : orderHeaders) reply.headers.push_back(h);
    return reply;
}

Reply FapiHandler::dispatch(const Route& route, const RequestParams& params, std::size_t account,
                            const RequestContext& context, const std::optional<Fault>& late, bool& lateAccepted) {
    Exchange& exchange = state_.exchange;
    switch (route.endpoint) {
        case Endpoint::Ping:
            return jsonReply("{}");
        case Endpoint::Time: {
            tools::JsonWriter w;
            w.beginObject().field("serverTime", state_.clock.nowMs()).endObject();
            return jsonReply(w.str());
        }
        case Endpoint::TickerPrice: {
            // One symbol only (the all-symbols form weighs 2 and is not needed by the plugin).
            const std::string symbol = params.get("symbol").value_or("");
            const SymbolSpec* spec = exchange.findSymbol(symbol);
            if (spec == nullptr) return errorReply(errors::badSymbol());
            tools::JsonWriter w;
            w.beginObject()
                .field("symbol", symbol)
                .field("price", formatAtLeast(exchange.price(symbol), spec->pricePrecision))
                .field("time", state_.clock.nowMs())
                .endObject();
            return jsonReply(w.str());
        }
        case Endpoint::ExchangeInfo:
            return jsonReply(exchangeInfoJson(exchange.symbols(), state_.limiter.limits(), state_.clock.nowMs()));
        case Endpoint::NewOrder:
            return newOrder(params, account, context, late, lateAccepted);
        case Endpoint::QueryOrder:
        case Endpoint::OpenOrder:
        case Endpoint::CancelOrder: {
            auto ref = parseOrderRef(params, exchange);
            if (auto* e = std::get_if<ApiError>(&ref)) return errorReply(*e);
            const auto& r = std::get<OrderRef>(ref);
            auto result = route.endpoint == Endpoint::CancelOrder
                              ? exchange.cancelOrder(account, r.symbol, r.orderId, r.clientOrderId)
                              : exchange.queryOrder(account, r.symbol, r.orderId, r.clientOrderId,
                                                    route.endpoint == Endpoint::OpenOrder);
            if (auto* e = std::get_if<ApiError>(&result)) return errorReply(*e);
            const Order& o = std::get<Order>(result);
            tools::JsonWriter w;
            if (route.endpoint == Endpoint::CancelOrder) {
                writeNewOrderResponse(w, o, *exchange.findSymbol(o.symbol));
            } else {
                writeQueryOrder(w, o, *exchange.findSymbol(o.symbol));
            }
            return jsonReply(w.str());
        }
        case Endpoint::OpenOrders: {
            const std::string symbol = params.get("symbol").value_or("");
            if (!symbol.empty() && exchange.findSymbol(symbol) == nullptr) return errorReply(errors::badSymbol());
            tools::JsonWriter w;
            w.beginArray();
            for (const auto& o : exchange.openOrders(account, symbol))
                writeQueryOrder(w, o, *exchange.findSymbol(o.symbol));
            w.endArray();
            return jsonReply(w.str());
        }
        case Endpoint::PositionRiskV2:
        case Endpoint::PositionRiskV3: {
            const std::string symbol = params.get("symbol").value_or("");
            if (!symbol.empty() && exchange.findSymbol(symbol) == nullptr) return errorReply(errors::badSymbol());
            const bool v3 = route.endpoint == Endpoint::PositionRiskV3;
            tools::JsonWriter w;
            w.beginArray();
            for (const auto& p : exchange.positions(account, symbol, v3)) {
                if (v3) {
                    writePositionRiskV3(w, p, *exchange.findSymbol(p.symbol));
                } else {
                    writePositionRiskV2(w, p, *exchange.findSymbol(p.symbol));
                }
            }
            w.endArray();
            return jsonReply(w.str());
        }
        case Endpoint::DualGet: {
            tools::JsonWriter w;
            w.beginObject().field("dualSidePosition", exchange.dualSidePosition(account)).endObject();
            return jsonReply(w.str());
        }
        case Endpoint::DualPost: {
            auto value = params.get("dualSidePosition");
            if (!value) return errorReply(errors::mandatory("dualSidePosition"));
            if (*value != "true" && *value != "false") return errorReply(errors::invalidValue("dualSidePosition"));
            if (auto e = exchange.setDualSidePosition(account, *value == "true")) return errorReply(*e);
            return jsonReply(R"({"code":200,"msg":"success"})");
        }
    }
    return errorReply(errors::unknown("unhandled endpoint"));
}

Reply FapiHandler::newOrder(const RequestParams& params, std::size_t account, const RequestContext& context,
                            const std::optional<Fault>& late, bool& lateAccepted) {
    Exchange& exchange = state_.exchange;
    auto parsed = parseOrderRequest(params, exchange.symbols());
    if (auto* e = std::get_if<ApiError>(&parsed)) return errorReply(*e);
    const OrderRequest& request = std::get<OrderRequest>(parsed);

    if (late) {
        // Only a request that would be accepted now can be "accepted but executed later".
        if (auto e = exchange.checkOrder(account, request)) return errorReply(*e);
        exchange.placeLater(account, request, context, late->spec.delayMs);
        lateAccepted = true;
        if (late->spec.answer == "drop") return dropReply();
        if (late->spec.answer == "503") return unknown503Reply(late->spec);
        return timeout1007Reply(late->spec);
    }

    auto placed = exchange.placeOrder(account, request, context);
    if (auto* e = std::get_if<ApiError>(&placed)) return errorReply(*e);
    const PlaceResult& result = std::get<PlaceResult>(placed);
    tools::JsonWriter w;
    const Order& shown = request.respType == RespType::Result ? result.result : result.ack;
    writeNewOrderResponse(w, shown, *exchange.findSymbol(shown.symbol));
    return jsonReply(w.str());
}

}  // namespace tradehost::binance_emulator
