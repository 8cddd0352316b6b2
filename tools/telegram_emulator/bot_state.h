// Everything the Telegram emulator remembers: delivered messages, queued updates, faults, per-chat pacing, counts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tradehost::telegram_emulator {

struct PacingLimits {
    int perChatBurst = 3;                   // messages a chat may take at once; 0: no per-chat pacing
    std::int64_t perChatIntervalMs = 1000;  // one more message per chat per interval, sustained
    int groupPerMinute = 20;                // per group chat (negative id) over any 60 s; 0: no group limit
};

struct DeliveredMessage {
    std::int64_t messageId = 0;
    std::int64_t chatId = 0;
    std::string text;
    std::string parseMode;  // "" when none was given
    std::int64_t date = 0;  // Unix seconds, as Telegram's Message.date
    std::int64_t receivedMs = 0;
};

struct IncomingUpdate {
    std::int64_t updateId = 0;
    std::int64_t messageId = 0;
    std::int64_t chatId = 0;
    std::int64_t userId = 0;
    std::string text;
    std::int64_t date = 0;
};

enum class FaultMode { TooManyRequests, ServerError, Forbidden, Slow, Drop };

const char* toString(FaultMode mode);  // "429", "5xx", "403", "slow", "drop"

struct Fault {
    FaultMode mode = FaultMode::Slow;
    std::int64_t count = 1;  // sendMessage calls left; -1: until cleared
    std::int64_t retryAfterS = 5;
    int status = 502;
    std::int64_t delayMs = 0;
};

class BotState {
public:
    BotState(std::vector<std::int64_t> chats, PacingLimits limits);

    bool chatExists(std::int64_t chatId) const;

    // Faults apply to sendMessage calls in the order they were added.
    void addFault(const Fault& fault);
    void clearFaults();
    std::optional<Fault> takeFault();

    // Per-chat pacing: 0 when the message may go now (and it is counted), otherwise the seconds
    // to wait, as Telegram's retry_after.
    std::int64_t pace(std::int64_t chatId);

    DeliveredMessage deliver(std::int64_t chatId, const std::string& text, const std::string& parseMode);
    std::vector<DeliveredMessage> messages() const;

    IncomingUpdate queueUpdate(std::int64_t chatId, std::int64_t userId, const std::string& text);
    // Telegram's getUpdates: offset forgets older updates (negative: keeps the last -offset);
    // waits up to timeoutMs for one to arrive; returns at most limit.
    std::vector<IncomingUpdate> takeUpdates(std::optional<std::int64_t> offset, int limit, std::int64_t timeoutMs);

    void count(const std::string& what);
    std::map<std::string, std::int64_t> counts() const;

    void reset();
    // Wakes every long poll; later polls return at once.
    void shutdown();

private:
    mutable std::mutex mutex_;
    std::condition_variable updatesChanged_;
    const std::set<std::int64_t> chats_;
    const PacingLimits limits_;
    std::deque<Fault> faults_;
    std::vector<DeliveredMessage> messages_;
    std::deque<IncomingUpdate> updates_;
    std::map<std::int64_t, std::chrono::steady_clock::time_point> bucketFull_;  // per chat: when its burst is whole
    std::map<std::int64_t, std::deque<std::chrono::steady_clock::time_point>> groupSends_;
    std::map<std::string, std::int64_t> counts_;
    std::int64_t nextMessageId_ = 1;
    std::int64_t nextUpdateId_ = 1;
    bool shutdown_ = false;
};

}  // namespace tradehost::telegram_emulator
