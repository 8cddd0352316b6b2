// BotState: one mutex over the emulator's memory; long polls wait on a condition variable.
#include "bot_state.h"

#include <algorithm>

namespace tradehost::telegram_emulator {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Telegram's retry_after is whole seconds, never 0.
std::int64_t ceilSeconds(Clock::duration d) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    return std::max<std::int64_t>(1, (ms + 999) / 1000);
}

}  // namespace

const char* toString(FaultMode mode) {
    switch (mode) {
        case FaultMode::TooManyRequests:
            return "429";
        case FaultMode::ServerError:
            return "5xx";
        case FaultMode::Forbidden:
            return "403";
        case FaultMode::Slow:
            return "slow";
        case FaultMode::Drop:
            return "drop";
    }
    return "?";
}

BotState::BotState(std::vector<std::int64_t> chats, PacingLimits limits)
    : chats_(chats.begin(), chats.end()), limits_(limits) {}

bool BotState::chatExists(std::int64_t chatId) const { return chats_.count(chatId) != 0; }

void BotState::addFault(const Fault& fault) {
    std::lock_guard<std::mutex> lock(mutex_);
    faults_.push_back(fault);
}

void BotState::clearFaults() {
    std::lock_guard<std::mutex> lock(mutex_);
    faults_.clear();
}

std::optional<Fault> BotState::takeFault() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (faults_.empty()) return std::nullopt;
    Fault taken = faults_.front();
    if (faults_.front().count > 0 && --faults_.front().count == 0) faults_.pop_front();
    ++counts_[std::string("fault_") + toString(taken.mode)];
    return taken;
}

std::int64_t BotState::pace(std::int64_t chatId) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = Clock::now();
    std::int64_t wait = 0;
    // A token bucket kept as the time it is full again: each message pushes that time one
    // interval later; a message that would push it beyond burst intervals from now must wait.
    const auto interval = std::chrono::milliseconds(limits_.perChatIntervalMs);
    Clock::time_point full = now;
    if (limits_.perChatBurst > 0) {
        auto it = bucketFull_.find(chatId);
        full = it == bucketFull_.end() ? now : std::max(it->second, now);
        const auto next = full + interval;
        const auto limit = now + interval * limits_.perChatBurst;
        if (next > limit) wait = std::max(wait, ceilSeconds(next - limit));
    }
    std::deque<Clock::time_point>* sends = nullptr;
    if (limits_.groupPerMinute > 0 && chatId < 0) {
        sends = &groupSends_[chatId];
        while (!sends->empty() && now - sends->front() >= std::chrono::minutes(1)) sends->pop_front();
        if (static_cast<int>(sends->size()) >= limits_.groupPerMinute)
            wait = std::max(wait, ceilSeconds(sends->front() + std::chrono::minutes(1) - now));
    }
    if (wait > 0) return wait;
    if (limits_.perChatBurst > 0) bucketFull_[chatId] = full + interval;
    if (sends != nullptr) sends->push_back(now);
    return 0;
}

DeliveredMessage BotState::deliver(std::int64_t chatId, const std::string& text, const std::string& parseMode) {
    std::lock_guard<std::mutex> lock(mutex_);
    DeliveredMessage m;
    m.messageId = nextMessageId_++;
    m.chatId = chatId;
    m.text = text;
    m.parseMode = parseMode;
    m.receivedMs = nowMs();
    m.date = m.receivedMs / 1000;
    messages_.push_back(m);
    return m;
}

std::vector<DeliveredMessage> BotState::messages() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
}

IncomingUpdate BotState::queueUpdate(std::int64_t chatId, std::int64_t userId, const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    IncomingUpdate u;
    u.updateId = nextUpdateId_++;
    u.messageId = nextMessageId_++;
    u.chatId = chatId;
    u.userId = userId;
    u.text = text;
    u.date = nowMs() / 1000;
    updates_.push_back(u);
    updatesChanged_.notify_all();
    return u;
}

std::vector<IncomingUpdate> BotState::takeUpdates(std::optional<std::int64_t> offset, int limit,
                                                  std::int64_t timeoutMs) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (offset && *offset < 0) {
        while (static_cast<std::int64_t>(updates_.size()) > -*offset) updates_.pop_front();
    }
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    auto pending = [&] {
        if (offset && *offset > 0) {
            while (!updates_.empty() && updates_.front().updateId < *offset) updates_.pop_front();
        }
        return !updates_.empty();
    };
    updatesChanged_.wait_until(lock, deadline, [&] { return shutdown_ || pending(); });
    std::vector<IncomingUpdate> out;
    for (const auto& u : updates_) {
        if (static_cast<int>(out.size()) >= limit) break;
        out.push_back(u);
    }
    return out;
}

void BotState::count(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_[what];
}

std::map<std::string, std::int64_t> BotState::counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_;
}

void BotState::reset() {
    std::lock_guard<std::mutex> lock(mutex_);
    faults_.clear();
    messages_.clear();
    updates_.clear();
    bucketFull_.clear();
    groupSends_.clear();
    counts_.clear();
    updatesChanged_.notify_all();
}

void BotState::shutdown() {
    std::lock_guard<std::mutex> lock(mutex_);
    shutdown_ = true;
    updatesChanged_.notify_all();
}

}  // namespace tradehost::telegram_emulator
