// The Telegram sink's logic over an injectable transport: pacing, parts, classification.
#include "telegram_sender.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <limits>

#include "telegram_format.h"

namespace tradehost::telegram {

namespace {

constexpr std::size_t kMaxDescription = 300;

void appendJsonString(std::string& out, const std::string& text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else {
            out += ch;
        }
    }
    out += '"';
}

struct BotError {
    std::string description;
    std::optional<std::int64_t> retryAfterS;
    std::optional<std::int64_t> migrateTo;
};

BotError parseBotError(const std::string& body) {
    BotError error;
    try {
        Poco::JSON::Parser parser;
        const auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        if (!object) return error;
        if (object->has("description")) error.description = object->getValue<std::string>("description");
        if (const auto parameters = object->getObject("parameters")) {
            if (parameters->has("retry_after")) error.retryAfterS = parameters->getValue<std::int64_t>("retry_after");
            if (parameters->has("migrate_to_chat_id"))
                error.migrateTo = parameters->getValue<std::int64_t>("migrate_to_chat_id");
        }
    } catch (const std::exception&) {
        // Not the Bot API's JSON (a proxy's error page): the status alone decides.
    }
    return error;
}

std::string describe(int status, const BotError& error, const std::string& token) {
    std::string text = sanitizeUtf8(error.description);
    if (text.size() > kMaxDescription) text = text.substr(0, kMaxDescription) + "...";
    return redact("HTTP " + std::to_string(status) + (text.empty() ? "" : ": " + text), token);
}

std::string partsDone(std::size_t delivered, std::size_t parts) {
    if (delivered == 0) return "no part of " + std::to_string(parts) + " delivered";
    return "parts 1-" + std::to_string(delivered) + " of " + std::to_string(parts) + " delivered";
}

}  // namespace

bool validChatId(const std::string& chatId) {
    if (chatId.size() >= 2 && chatId[0] == '@') {
        return std::all_of(chatId.begin() + 1, chatId.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        });
    }
    const std::size_t digits = chatId.size() - (chatId.size() > 0 && chatId[0] == '-' ? 1 : 0);
    if (digits == 0 || digits > 19) return false;
    if (!std::all_of(chatId.end() - static_cast<std::ptrdiff_t>(digits), chatId.end(),
                     [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    try {
        (void)std::stoll(chatId);  // throws out_of_range beyond 64 bits
    } catch (const std::exception&) {
        return false;
    }
    return true;
}

bool isGroupChat(const std::string& chatId) { return !chatId.empty() && (chatId[0] == '-' || chatId[0] == '@'); }

std::string sendMessageJson(const std::string& chatId, const std::string& html, bool silent) {
    std::string out = "{\"chat_id\":";
    if (!chatId.empty() && chatId[0] == '@')
        appendJsonString(out, chatId);
    else
        out += chatId;  // validated digits: a JSON number, exact for 64-bit ids
    out += ",\"text\":";
    appendJsonString(out, html);
    out += ",\"parse_mode\":\"HTML\",\"disable_web_page_preview\":true";
    if (silent) out += ",\"disable_notification\":true";
    out += '}';
    return out;
}

SendResult classifyReply(const HttpReply& reply, const std::string& token, std::int64_t errorRetryMs) {
    const std::chrono::milliseconds retryAfter{errorRetryMs};
    switch (reply.transport) {
        case HttpReply::Transport::NotSent:
            return Retry{retryAfter, redact("not sent: " + reply.reason, token)};
        case HttpReply::Transport::NoAnswer:
            return Retry{retryAfter, redact("no answer (the message may have been delivered): " + reply.reason, token)};
        case HttpReply::Transport::Answered:
            break;
    }
    const int status = reply.status;
    // A 200 is a delivered message even if its body is odd: sending it again would show it twice.
    if (status == 200) return Ok{};
    const BotError error = parseBotError(reply.body);
    if (status == 429) {
        const std::int64_t seconds = error.retryAfterS ? std::max<std::int64_t>(1, *error.retryAfterS) : 0;
        return Retry{seconds > 0 ? std::chrono::milliseconds(seconds * 1000) : retryAfter,
                     describe(status, error, token)};
    }
    if (status >= 500) return Retry{retryAfter, describe(status, error, token)};
    if (status == 400 && error.migrateTo) {
        return Fail{describe(status, error, token) + " (the group is now the supergroup " +
                    std::to_string(*error.migrateTo) + ": set chat_id to it)"};
    }
    if (status >= 400) return Fail{describe(status, error, token)};
    return Retry{retryAfter, describe(status, error, token)};
}

TelegramSender::TelegramSender(SenderConfig config, BotTransport& transport, Metrics& metrics, MonotonicMs now,
                               SleepMs sleep, ProgressStore* store)
    : config_(std::move(config)),
      group_(isGroupChat(config_.chatId)),
      transport_(transport),
      metrics_(metrics),
      now_(std::move(now)),
      sleep_(std::move(sleep)),
      store_(store) {}

void TelegramSender::loadProgress() {
    if (!store_) return;
    for (const auto& entry : store_->load()) remember(entry.alertId, entry.parts, entry.delivered);
}

void TelegramSender::persist() {
    if (!store_) return;
    std::vector<ProgressEntry> entries;
    entries.reserve(progressOrder_.size());
    for (const auto& id : progressOrder_) {
        const Progress& p = progress_.at(id);
        entries.push_back({id, p.parts, p.delivered});
    }
    // Best effort: a progress that is not durable costs at most parts sent twice after a restart.
    if (!store_->save(entries)) metrics_.add("progress_write_errors", 1);
}

std::optional<Retry> TelegramSender::pace() {
    for (;;) {
        const std::int64_t now = now_();
        while (!sentMs_.empty() && sentMs_.front() <= now - 60000) sentMs_.pop_front();
        std::int64_t next = holdUntilMs_;
        std::string why = "rate limited by Telegram (429)";
        if (!sentMs_.empty() && sentMs_.back() + config_.minIntervalMs > next) {
            next = sentMs_.back() + config_.minIntervalMs;
            why = "pacing: one message per " + std::to_string(config_.minIntervalMs) + " ms to the chat";
        }
        const auto cap = static_cast<std::size_t>(std::max<std::int64_t>(0, config_.groupPerMinute));
        if (group_ && cap > 0 && sentMs_.size() >= cap) {
            const std::int64_t slot = sentMs_[sentMs_.size() - cap] + 60000;
            if (slot > next) {
                next = slot;
                why = "pacing: " + std::to_string(cap) + " messages per minute to a group";
            }
        }
        const std::int64_t wait = next - now;
        if (wait <= 0) return std::nullopt;
        if (wait > config_.maxPacingWaitMs) {
            metrics_.add("pacing_deferrals", 1);
            return Retry{std::chrono::milliseconds(wait), why};
        }
        metrics_.add("pacing_waits", 1);
        sleep_(wait);
    }
}

void TelegramSender::sentOne(std::int64_t atMs) {
    sentMs_.push_back(atMs);
    // Only the last minute matters; bound it even if the clock stands still (tests).
    while (sentMs_.size() > 1000) sentMs_.pop_front();
}

void TelegramSender::remember(const std::string& id, std::size_t parts, std::size_t delivered) {
    auto [it, inserted] = progress_.try_emplace(id);
    it->second = Progress{parts, delivered};
    if (!inserted) return;
    progressOrder_.push_back(id);
    while (progressOrder_.size() > kProgressKept) {
        progress_.erase(progressOrder_.front());
        progressOrder_.pop_front();
    }
}

bool TelegramSender::forget(const std::string& id) {
    if (progress_.erase(id) == 0) return false;
    progressOrder_.erase(std::remove(progressOrder_.begin(), progressOrder_.end(), id), progressOrder_.end());
    return true;
}

SendResult TelegramSender::send(const Alert& alert) {
    try {
        SendResult result =
            sendParts(alert.id, renderAlert(alert), config_.silentInfo && alert.severity == Severity::Info);
        if (std::holds_alternative<Ok>(result)) metrics_.add("alerts_sent", 1);
        return result;
    } catch (const std::exception& e) {
        return Retry{std::chrono::milliseconds(config_.errorRetryMs),
                     redact(std::string("telegram: ") + e.what(), config_.token)};
    }
}

SendResult TelegramSender::sendText(const std::string& id, const std::string& text, bool silent) {
    try {
        return sendParts(id, renderText(text), silent);
    } catch (const std::exception& e) {
        return Retry{std::chrono::milliseconds(config_.errorRetryMs),
                     redact(std::string("telegram: ") + e.what(), config_.token)};
    }
}

SendResult TelegramSender::sendParts(const std::string& id, const std::vector<std::string>& parts, bool silent) {
    std::size_t delivered = 0;
    if (const auto it = progress_.find(id); it != progress_.end() && it->second.parts == parts.size())
        delivered = it->second.delivered;
    while (delivered < parts.size()) {
        if (auto wait = pace()) {
            if (delivered > 0) {
                remember(id, parts.size(), delivered);
                wait->reason = partsDone(delivered, parts.size()) + "; " + wait->reason;
            }
            return *wait;
        }
        const HttpReply reply =
            transport_.post("sendMessage", sendMessageJson(config_.chatId, parts[delivered], silent));
        if (reply.transport != HttpReply::Transport::NotSent) sentOne(now_());
        SendResult result = classifyReply(reply, config_.token, config_.errorRetryMs);
        if (std::holds_alternative<Ok>(result)) {
            ++delivered;
            metrics_.add("messages_sent", 1);
            if (delivered < parts.size()) {
                remember(id, parts.size(), delivered);
                persist();
            }
            continue;
        }
        if (auto* retry = std::get_if<Retry>(&result)) {
            if (reply.transport == HttpReply::Transport::Answered && reply.status == 429) {
                holdUntilMs_ = std::max(holdUntilMs_, now_() + retry->after.count());
                metrics_.add("rate_limited", 1);
            } else {
                metrics_.add("send_errors", 1);
            }
            if (parts.size() > 1) {
                remember(id, parts.size(), delivered);
                retry->reason = partsDone(delivered, parts.size()) + "; " + retry->reason;
            }
            return result;
        }
        auto& fail = std::get<Fail>(result);
        metrics_.add("send_failures", 1);
        if (forget(id)) persist();
        if (parts.size() > 1) fail.reason = partsDone(delivered, parts.size()) + "; " + fail.reason;
        return result;
    }
    if (forget(id)) persist();
    return Ok{};
}

}  // namespace tradehost::telegram
