// The Telegram sink's logic over an injectable transport: pacing, parts, classification.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "progress_file.h"
#include "telegram_transport.h"
#include "tradehost/alert_sink.h"
#include "tradehost/context.h"

namespace tradehost::telegram {

struct SenderConfig {
    std::string token;                    // only to redact it from what comes back
    std::string chatId;                   // validated: an int64 in decimal, or @channelname
    bool silentInfo = true;               // disable_notification for Info alerts
    std::int64_t minIntervalMs = 1000;    // between two messages to the chat
    std::int64_t groupPerMinute = 20;     // for a group or channel (negative id or @name); 0: no cap
    std::int64_t maxPacingWaitMs = 5000;  // send() sleeps for pacing up to this, else returns Retry
    std::int64_t errorRetryMs = 5000;     // Retry after a network error, timeout or 5xx
};

// True for "-100123", "42", "@my_channel"; false otherwise (and for ids beyond 64 bits).
bool validChatId(const std::string& chatId);
// A negative id (group, supergroup) or an @channel: the 20-per-minute cap applies.
bool isGroupChat(const std::string& chatId);

// The sendMessage body: chat_id (a number unless @name), text, parse_mode HTML.
std::string sendMessageJson(const std::string& chatId, const std::string& html, bool silent);

// What one sendMessage answer means, as the SDK's values. `token` is redacted from the reason.
// 200 -> Ok; 429 -> Retry{parameters.retry_after s}; 5xx, network errors, timeouts ->
// Retry{errorRetryMs}; 400 (incl. chat not found, group migrated), 401, 403, 404 and other
// 4xx -> Fail{description}; anything else -> Retry{errorRetryMs}.
SendResult classifyReply(const HttpReply& reply, const std::string& token, std::int64_t errorRetryMs);

// One chat's sender. Not thread-safe (the host calls send() from one thread at a time).
//
// A message of several parts that stops midway: the parts already delivered are remembered per
// alert id (for the last kProgressKept alerts; in the ProgressStore too when one is given, written
// after each delivered part, so a host restart does not resend them either), and the host's Retry
// of the same alert sends only the rest. Telegram has no idempotency key, so the one unavoidable duplicate is a part
// whose answer was lost (timeout): it is sent again. A Fail midway forgets the progress (the host
// does not retry a Fail) and names the parts that were delivered.
class TelegramSender {
public:
    using MonotonicMs = std::function<std::int64_t()>;
    using SleepMs = std::function<void(std::int64_t)>;
    static constexpr std::size_t kProgressKept = 256;

    TelegramSender(SenderConfig config, BotTransport& transport, Metrics& metrics, MonotonicMs now, SleepMs sleep,
                   ProgressStore* store = nullptr);

    // Reads what the store kept from an earlier run (call before the first send()).
    void loadProgress();
    SendResult send(const Alert& alert);
    // Plain text (escaped, split like an alert, paced with the alerts), e.g. a command's reply;
    // `id` names it for the progress of a split message, as an alert's id does.
    SendResult sendText(const std::string& id, const std::string& text, bool silent);

private:
    SendResult sendParts(const std::string& id, const std::vector<std::string>& parts, bool silent);
    // Waits (sleeps) for the next slot if it is near; else how long until it, with why.
    std::optional<Retry> pace();
    void sentOne(std::int64_t atMs);
    void remember(const std::string& id, std::size_t parts, std::size_t delivered);
    bool forget(const std::string& id);  // true if it was remembered
    void persist();

    SenderConfig config_;
    bool group_ = false;
    BotTransport& transport_;
    Metrics& metrics_;
    MonotonicMs now_;
    SleepMs sleep_;
    ProgressStore* store_;

    std::deque<std::int64_t> sentMs_;  // monotonic times of the sends in the last minute
    std::int64_t holdUntilMs_ = 0;     // from a 429's retry_after
    struct Progress {
        std::size_t parts = 0;
        std::size_t delivered = 0;
    };
    std::map<std::string, Progress> progress_;
    std::deque<std::string> progressOrder_;
};

}  // namespace tradehost::telegram
