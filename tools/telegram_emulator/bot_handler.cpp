// The Bot API (sendMessage, getUpdates, getMe) in Telegram's wire format, and the /control API for tests.
#include "bot_handler.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "html_text.h"
#include "http_body.h"
#include "json_writer.h"

namespace tradehost::telegram_emulator {
namespace {

using tools::JsonWriter;
using Params = std::map<std::string, std::string>;

constexpr std::size_t kMaxTextUtf16 = 4096;
constexpr std::int64_t kMaxDelayMs = 600000;

struct Reply {
    int status = 200;
    std::string body;
    bool drop = false;
};

Reply ok(const std::string& resultJson) { return {200, R"({"ok":true,"result":)" + resultJson + "}"}; }

Reply apiError(int code, const std::string& description, std::optional<std::int64_t> retryAfter = std::nullopt) {
    JsonWriter w;
    w.beginObject().field("ok", false).field("error_code", code).field("description", description);
    if (retryAfter) w.key("parameters").beginObject().field("retry_after", *retryAfter).endObject();
    w.endObject();
    return {code, w.str()};
}

Reply tooManyRequests(std::int64_t retryAfterS) {
    return apiError(429, "Too Many Requests: retry after " + std::to_string(retryAfterS), retryAfterS);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::optional<std::int64_t> parseInt(const std::string& text) {
    if (text.empty()) return std::nullopt;
    std::size_t used = 0;
    try {
        const long long v = std::stoll(text, &used);
        if (used != text.size()) return std::nullopt;
        return v;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void readForm(const std::string& encoded, Params& into) {
    if (encoded.empty()) return;
    Poco::Net::HTMLForm form;
    form.read(encoded);
    for (const auto& [name, value] : form) into[name] = value;
}

// The Bot API takes parameters from the URL query, a urlencoded body or a JSON body.
Params readParams(Poco::Net::HTTPServerRequest& request, const std::string& body) {
    Params params;
    const std::string& uri = request.getURI();
    const auto q = uri.find('?');
    if (q != std::string::npos) readForm(uri.substr(q + 1), params);
    const std::string type = lower(request.getContentType());
    if (type.find("application/json") != std::string::npos) {
        if (body.find_first_not_of(" \t\r\n") == std::string::npos) return params;
        Poco::JSON::Parser parser;
        const auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        for (const auto& [name, value] : *object) {
            if (value.isEmpty()) continue;
            params[name] = value.isString() ? value.extract<std::string>() : value.toString();
        }
    } else if (type.find("application/x-www-form-urlencoded") != std::string::npos) {
        readForm(body, params);
    }
    return params;
}

std::string chatType(std::int64_t chatId) {
    if (chatId > 0) return "private";
    return chatId <= -1000000000000LL ? "supergroup" : "group";
}

void writeChat(JsonWriter& w, std::int64_t chatId) {
    w.key("chat").beginObject().field("id", chatId).field("type", chatType(chatId)).endObject();
}

Reply sendMessage(BotState& state, const Params& params) {
    state.count("sendMessage");
    if (auto fault = state.takeFault()) {
        switch (fault->mode) {
            case FaultMode::Drop:
                return {0, "", true};
            case FaultMode::Forbidden:
                return apiError(403, "Forbidden: bot was blocked by the user");
            case FaultMode::TooManyRequests:
                return tooManyRequests(fault->retryAfterS);
            case FaultMode::ServerError:
                return apiError(fault->status, fault->status == 502   ? "Bad Gateway"
                                               : fault->status == 504 ? "Gateway Timeout"
                                                                      : "Internal Server Error");
            case FaultMode::Slow:
                std::this_thread::sleep_for(std::chrono::milliseconds(fault->delayMs));
                break;
        }
    }
    const auto find = [&](const std::string& name) -> std::string {
        auto it = params.find(name);
        return it == params.end() ? std::string() : it->second;
    };
    const std::string chatText = find("chat_id");
    if (chatText.empty()) return apiError(400, "Bad Request: chat_id is empty");
    const auto chatId = parseInt(chatText);
    if (!chatId || !state.chatExists(*chatId)) return apiError(400, "Bad Request: chat not found");
    const std::string text = find("text");
    const std::string parseMode = find("parse_mode");
    const std::string mode = lower(parseMode);
    if (!mode.empty() && mode != "html" && mode != "markdown" && mode != "markdownv2")
        return apiError(400, "Bad Request: unsupported parse_mode");
    if (mode == "markdown" || mode == "markdownv2")
        return apiError(400, "Bad Request: the emulator implements parse_mode HTML only");
    const ParsedText parsed = parseMessageText(text, parseMode);
    if (!parsed.validUtf8) return apiError(400, "Bad Request: strings must be encoded in UTF-8");
    if (!parsed.error.empty()) return apiError(400, "Bad Request: can't parse entities: " + parsed.error);
    if (parsed.utf16Length == 0) return apiError(400, "Bad Request: message text is empty");
    if (parsed.utf16Length > kMaxTextUtf16) return apiError(400, "Bad Request: message is too long");
    if (const std::int64_t wait = state.pace(*chatId); wait > 0) {
        state.count("rate_limited");
        return tooManyRequests(wait);
    }
    const DeliveredMessage m = state.deliver(*chatId, text, parseMode);
    state.count("delivered");
    JsonWriter w;
    w.beginObject().field("message_id", m.messageId).field("date", m.date);
    writeChat(w, m.chatId);
    w.field("text", m.text).endObject();
    return ok(w.str());
}

Reply getUpdates(BotState& state, const Params& params, std::int64_t maxPollTimeoutMs) {
    state.count("getUpdates");
    std::optional<std::int64_t> offset;
    int limit = 100;
    std::int64_t timeoutMs = 0;
    if (auto it = params.find("offset"); it != params.end() && !it->second.empty()) {
        offset = parseInt(it->second);
        if (!offset) return apiError(400, "Bad Request: invalid offset");
    }
    if (auto it = params.find("limit"); it != params.end() && !it->second.empty()) {
        const auto v = parseInt(it->second);
        if (!v) return apiError(400, "Bad Request: invalid limit");
        limit = static_cast<int>(std::clamp<std::int64_t>(*v, 1, 100));
    }
    if (auto it = params.find("timeout"); it != params.end() && !it->second.empty()) {
        const auto v = parseInt(it->second);
        if (!v) return apiError(400, "Bad Request: invalid timeout");
        timeoutMs = std::clamp<std::int64_t>(*v * 1000, 0, maxPollTimeoutMs);
    }
    JsonWriter w;
    w.beginArray();
    for (const auto& u : state.takeUpdates(offset, limit, timeoutMs)) {
        w.beginObject().field("update_id", u.updateId);
        w.key("message").beginObject().field("message_id", u.messageId).field("date", u.date);
        writeChat(w, u.chatId);
        w.key("from")
            .beginObject()
            .field("id", u.userId)
            .field("is_bot", false)
            .field("first_name", "User" + std::to_string(u.userId))
            .endObject();
        w.field("text", u.text);
        if (!u.text.empty() && u.text[0] == '/') {
            const std::string command = u.text.substr(0, u.text.find_first_of(" \n"));
            w.key("entities").beginArray().beginObject().field("type", "bot_command").field("offset", 0);
            w.field("length", static_cast<std::int64_t>(utf16Length(command))).endObject().endArray();
        }
        w.endObject().endObject();
    }
    w.endArray();
    return ok(w.str());
}

Reply getMe(BotState& state, const std::string& token) {
    state.count("getMe");
    const auto colon = token.find(':');
    const auto id = parseInt(token.substr(0, colon)).value_or(123456);
    JsonWriter w;
    w.beginObject()
        .field("id", id)
        .field("is_bot", true)
        .field("first_name", "Emulator")
        .field("username", "tradehost_emulator_bot")
        .endObject();
    return ok(w.str());
}

Reply botApi(BotState& state, const BotIdentity& identity, Poco::Net::HTTPServerRequest& request,
             const std::string& body) {
    const std::string path = Poco::URI(request.getURI()).getPath();
    // /bot<token>/<method>
    const auto slash = path.find('/', 4);
    if (path.rfind("/bot", 0) != 0 || slash == std::string::npos) return apiError(404, "Not Found");
    const std::string token = path.substr(4, slash - 4);
    const std::string method = lower(path.substr(slash + 1));
    if (token != identity.token) {
        state.count("unauthorized");
        return apiError(401, "Unauthorized");
    }
    if (request.getMethod() != "GET" && request.getMethod() != "POST") return apiError(404, "Not Found");
    Params params;
    try {
        params = readParams(request, body);
    } catch (const std::exception&) {
        // Poco::Exception is a std::exception too.
        return apiError(400, "Bad Request: can't parse JSON object");
    }
    if (method == "sendmessage") return sendMessage(state, params);
    if (method == "getupdates") return getUpdates(state, params, identity.maxPollTimeoutMs);
    if (method == "getme") return getMe(state, identity.token);
    return apiError(404, "Not Found: method not found");
}

// /control input: a JSON object whose keys must all be known, so a typo is an error, not a default.
class ControlInput {
public:
    explicit ControlInput(const std::string& body) {
        if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
            object_ = new Poco::JSON::Object;
            return;
        }
        Poco::JSON::Parser parser;
        try {
            object_ = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        } catch (...) {
            throw std::invalid_argument("body must be a JSON object");
        }
    }
    std::optional<std::int64_t> integer(const std::string& key) {
        used_.insert(key);
        if (!object_->has(key)) return std::nullopt;
        const auto v = object_->get(key);
        if (!v.isInteger()) throw std::invalid_argument("\"" + key + "\" must be an integer");
        return v.convert<std::int64_t>();
    }
    std::optional<std::string> string(const std::string& key) {
        used_.insert(key);
        if (!object_->has(key)) return std::nullopt;
        const auto v = object_->get(key);
        if (!v.isString()) throw std::invalid_argument("\"" + key + "\" must be a string");
        return v.extract<std::string>();
    }
    void done() const {
        for (const auto& [name, value] : *object_) {
            if (used_.count(name) == 0) throw std::invalid_argument("unknown key \"" + name + "\"");
        }
    }

private:
    Poco::JSON::Object::Ptr object_;
    std::set<std::string> used_;
};

Reply controlOk() { return {200, R"({"ok":true})"}; }

Reply addFault(BotState& state, const std::string& body) {
    ControlInput in(body);
    const auto mode = in.string("mode");
    if (!mode) throw std::invalid_argument("\"mode\" is required: 429, 5xx, 403, slow, drop or clear");
    if (*mode == "clear") {
        in.done();
        state.clearFaults();
        return controlOk();
    }
    Fault f;
    if (*mode == "429") {
        f.mode = FaultMode::TooManyRequests;
        f.retryAfterS = in.integer("retry_after").value_or(5);
        if (f.retryAfterS < 1) throw std::invalid_argument("\"retry_after\" must be at least 1");
    } else if (*mode == "5xx") {
        f.mode = FaultMode::ServerError;
        f.status = static_cast<int>(in.integer("status").value_or(502));
        if (f.status < 500 || f.status > 599) throw std::invalid_argument("\"status\" must be 500..599");
    } else if (*mode == "403") {
        f.mode = FaultMode::Forbidden;
    } else if (*mode == "slow") {
        f.mode = FaultMode::Slow;
        const auto delay = in.integer("delay_ms");
        if (!delay || *delay < 1 || *delay > kMaxDelayMs)
            throw std::invalid_argument("\"delay_ms\" is required, 1.." + std::to_string(kMaxDelayMs));
        f.delayMs = *delay;
    } else if (*mode == "drop") {
        f.mode = FaultMode::Drop;
    } else {
        throw std::invalid_argument("unknown mode \"" + *mode + "\": 429, 5xx, 403, slow, drop or clear");
    }
    f.count = in.integer("count").value_or(1);
    if (f.count == 0 || f.count < -1) throw std::invalid_argument("\"count\" must be positive or -1 (until cleared)");
    in.done();
    state.addFault(f);
    return controlOk();
}

Reply queueUpdate(BotState& state, const std::string& body) {
    ControlInput in(body);
    const auto chatId = in.integer("chat_id");
    if (!chatId || *chatId == 0) throw std::invalid_argument("\"chat_id\" is required");
    auto userId = in.integer("user_id");
    if (!userId && *chatId > 0) userId = chatId;
    if (!userId || *userId <= 0) throw std::invalid_argument("\"user_id\" is required (a positive id) for a group");
    const auto text = in.string("text");
    if (!text || text->empty()) throw std::invalid_argument("\"text\" is required");
    in.done();
    const IncomingUpdate u = state.queueUpdate(*chatId, *userId, *text);
    JsonWriter w;
    w.beginObject().field("ok", true).field("update_id", u.updateId).endObject();
    return {200, w.str()};
}

Reply listMessages(BotState& state) {
    JsonWriter w;
    w.beginObject().key("messages").beginArray();
    for (const auto& m : state.messages()) {
        w.beginObject().field("message_id", m.messageId).field("chat_id", m.chatId).field("text", m.text);
        if (m.parseMode.empty()) {
            w.nullField("parse_mode");
        } else {
            w.field("parse_mode", m.parseMode);
        }
        w.field("received_ms", m.receivedMs).endObject();
    }
    w.endArray().endObject();
    return {200, w.str()};
}

Reply stats(BotState& state) {
    const auto counts = state.counts();
    const auto get = [&](const std::string& key) {
        auto it = counts.find(key);
        return it == counts.end() ? std::int64_t{0} : it->second;
    };
    JsonWriter w;
    w.beginObject().key("calls").beginObject();
    for (const char* name : {"sendMessage", "getUpdates", "getMe", "unauthorized"}) w.field(name, get(name));
    w.endObject().field("delivered", get("delivered")).field("rate_limited", get("rate_limited"));
    w.key("faults").beginObject();
    for (const char* name : {"429", "5xx", "403", "slow", "drop"}) w.field(name, get(std::string("fault_") + name));
    w.endObject().endObject();
    return {200, w.str()};
}

Reply control(BotState& state, Poco::Net::HTTPServerRequest& request, const std::string& body) {
    const std::string path = Poco::URI(request.getURI()).getPath();
    const std::string& method = request.getMethod();
    try {
        if (path == "/control/messages" && method == "GET") return listMessages(state);
        if (path == "/control/stats" && method == "GET") return stats(state);
        if (path == "/control/faults" && method == "POST") return addFault(state, body);
        if (path == "/control/updates" && method == "POST") return queueUpdate(state, body);
        if (path == "/control/reset" && method == "POST") {
            state.reset();
            return controlOk();
        }
    } catch (const std::invalid_argument& e) {
        JsonWriter w;
        w.beginObject().field("ok", false).field("error", e.what()).endObject();
        return {400, w.str()};
    }
    return {404, R"({"ok":false,"error":"no such control endpoint"})"};
}

class BotHandler : public Poco::Net::HTTPRequestHandler {
public:
    BotHandler(BotState& state, const BotIdentity& identity) : state_(state), identity_(identity) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        const std::string body = tools::readBody(request);
        const bool isControl = request.getURI().rfind("/control/", 0) == 0;
        const Reply reply = isControl ? control(state_, request, body) : botApi(state_, identity_, request, body);
        if (reply.drop) {
            // No answer: Poco closes the connection when the handler returns with keep-alive off.
            response.setKeepAlive(false);
            return;
        }
        response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
        response.setContentType("application/json");
        response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
        response.send() << reply.body;
    }

private:
    BotState& state_;
    const BotIdentity& identity_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* BotRouter::createRequestHandler(const Poco::Net::HTTPServerRequest&) {
    return new BotHandler(state_, identity_);
}

}  // namespace tradehost::telegram_emulator
