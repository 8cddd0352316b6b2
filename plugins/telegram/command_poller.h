// Operator commands from Telegram: getUpdates long polling, who may command, replies.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "telegram_sender.h"
#include "telegram_transport.h"
#include "tradehost/context.h"
#include "tradehost/operator_commands.h"

namespace tradehost::telegram {

// "/pause@MyBot maintenance" -> {"pause", "maintenance"}.
struct ParsedCommand {
    std::string name;  // lower-case, without '/' and '@bot'
    std::string args;  // the rest, trimmed
};
// nullopt when `text` is not a command, or names another bot than `botUsername` (compared without
// case; an empty botUsername accepts any).
std::optional<ParsedCommand> parseCommandText(const std::string& text, const std::string& botUsername);

// One incoming message of a getUpdates answer (updates of other kinds have hasMessage false).
struct IncomingMessage {
    std::int64_t updateId = 0;
    bool hasMessage = false;
    std::int64_t chatId = 0;
    std::int64_t userId = 0;  // 0 when the message names no sender (a channel post)
    std::int64_t dateS = 0;   // Unix time the message was sent
    std::string text;
};
// The result of a getUpdates answer with ok:true. Throws std::runtime_error for anything else.
std::vector<IncomingMessage> parseUpdates(const std::string& body);

// The "commands" settings of a telegram instance.
struct CommandConfig {
    std::set<std::int64_t> chatIds;  // a message is authorized only from one of these chats
    std::set<std::int64_t> userIds;  // ... and from one of these users
    std::int64_t pollTimeoutS = 30;  // getUpdates timeout
    std::int64_t maxAgeS = 120;      // older commands (sent while the host was down) are not run
    std::string offsetFile;          // <dataDir>/updates_offset
};

// Reads the next update offset from `path`; nullopt when there is none (or it is unreadable).
std::optional<std::int64_t> loadOffset(const std::string& path);
// Replaces it durably (temporary file, fdatasync, rename); false when that failed.
bool saveOffset(const std::string& path, std::int64_t offset);

// One thread long-polling getUpdates while the instance runs. Each message that is a command for
// this bot goes to the host's OperatorCommands: authorized only when both its chat and its user
// are configured (and it is not older than maxAgeS); an unauthorized one is handed over with
// authorized=false, so the host records it, and is never answered. An authorized one is answered
// in its chat with the host's reply, through a TelegramSender (escaped, split, paced).
//
// The offset (last update_id + 1) is stored in offsetFile before a command runs: a command runs at
// most once, even across a crash (a lost one is typed again; a doubled /pause would be harmless
// but a doubled command of another kind may not be). With no stored offset (first start, or the
// file lost), the backlog is skipped: a command typed hours ago must not act now.
class CommandPoller {
public:
    // `transport` is the poller's own (it long-polls); `sender` is the alert sink's config (token,
    // pacing) and is reused per reply chat.
    CommandPoller(CommandConfig config, std::unique_ptr<HttpsBotTransport> transport, SenderConfig sender,
                  PluginContext& context);
    ~CommandPoller();  // stop()
    CommandPoller(const CommandPoller&) = delete;
    CommandPoller& operator=(const CommandPoller&) = delete;

    void start();
    // Ends a long poll in progress at once (aborts the connection) and joins the thread.
    void stop() noexcept;

private:
    void run() noexcept;
    bool ensureBotName();
    bool ensureOffset();
    void handle(const IncomingMessage& message);
    void reply(std::int64_t chatId, std::int64_t updateId, const std::string& text);
    // An unusable answer: waits before the next call (429: retry_after), interruptibly.
    void backOff(const HttpReply& reply, const std::string& what);
    void pause(std::int64_t ms);  // returns early on stop()
    TelegramSender& senderFor(std::int64_t chatId);

    CommandConfig config_;
    std::unique_ptr<HttpsBotTransport> transport_;
    SenderConfig senderConfig_;
    PluginContext& context_;

    std::map<std::int64_t, std::unique_ptr<TelegramSender>> senders_;  // per reply chat
    std::string botName_;
    std::int64_t offset_ = 0;
    bool haveOffset_ = false;
    int failures_ = 0;  // consecutive unusable answers: the backoff and the log's "since" count

    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
};

}  // namespace tradehost::telegram
