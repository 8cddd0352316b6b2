// Operator commands from Telegram: getUpdates long polling, who may command, replies.
#include "command_poller.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <stdexcept>

#include "telegram_format.h"

namespace tradehost::telegram {
namespace {

constexpr int kReplyAttempts = 3;
constexpr std::int64_t kMaxReplyWaitMs = 5000;
constexpr std::int64_t kMaxBackoffMs = 30000;
constexpr std::size_t kMaxLoggedName = 64;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return text;
}

std::string trim(const std::string& text) {
    std::size_t begin = 0, end = text.size();
    while (begin < end && isSpace(text[begin])) ++begin;
    while (end > begin && isSpace(text[end - 1])) --end;
    return text.substr(begin, end - begin);
}

std::int64_t monotonicMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

bool writeAll(int fd, const std::string& data) {
    std::size_t written = 0;
    while (written < data.size()) {
        const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
        if (n > 0)
            written += static_cast<std::size_t>(n);
        else if (!(n < 0 && errno == EINTR))
            return false;
    }
    return true;
}

// What the log may show of a command name someone typed.
std::string shown(const std::string& name) {
    std::string clean = sanitizeUtf8(name.size() > kMaxLoggedName ? name.substr(0, kMaxLoggedName) : name);
    std::replace(clean.begin(), clean.end(), '\n', ' ');
    return clean;
}

}  // namespace

std::optional<ParsedCommand> parseCommandText(const std::string& text, const std::string& botUsername) {
    if (text.empty() || text[0] != '/') return std::nullopt;
    std::size_t end = 1;
    while (end < text.size() && !isSpace(text[end])) ++end;
    std::string word = text.substr(1, end - 1);
    if (const std::size_t at = word.find('@'); at != std::string::npos) {
        const std::string bot = word.substr(at + 1);
        if (!botUsername.empty() && lower(bot) != lower(botUsername)) return std::nullopt;  // another bot's
        word.resize(at);
    }
    if (word.empty()) return std::nullopt;
    return ParsedCommand{lower(word), trim(text.substr(end))};
}

std::vector<IncomingMessage> parseUpdates(const std::string& body) {
    Poco::JSON::Object::Ptr root;
    try {
        Poco::JSON::Parser parser;
        root = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        throw std::runtime_error("getUpdates answered something that is not JSON");
    }
    if (!root || !root->has("ok") || !root->getValue<bool>("ok"))
        throw std::runtime_error("getUpdates answered without ok:true");
    const auto result = root->getArray("result");
    if (!result) throw std::runtime_error("getUpdates answered without a result list");
    std::vector<IncomingMessage> out;
    try {
        for (std::size_t i = 0; i < result->size(); ++i) {
            const auto update = result->getObject(static_cast<unsigned>(i));
            if (!update || !update->has("update_id")) throw std::runtime_error("an update without update_id");
            IncomingMessage m;
            m.updateId = update->getValue<std::int64_t>("update_id");
            if (const auto message = update->getObject("message")) {
                const auto chat = message->getObject("chat");
                if (chat && chat->has("id")) {
                    m.hasMessage = true;
                    m.chatId = chat->getValue<std::int64_t>("id");
                    if (const auto from = message->getObject("from"); from && from->has("id"))
                        m.userId = from->getValue<std::int64_t>("id");
                    if (message->has("date")) m.dateS = message->getValue<std::int64_t>("date");
                    if (message->has("text")) m.text = message->getValue<std::string>("text");
                }
            }
            out.push_back(std::move(m));
        }
    } catch (const std::runtime_error&) {
        throw;
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("getUpdates answered an unreadable update: ") + e.what());
    }
    return out;
}

std::optional<std::int64_t> loadOffset(const std::string& path) {
    std::ifstream in(path);
    std::string text;
    if (!std::getline(in, text)) return std::nullopt;
    try {
        std::size_t used = 0;
        const std::int64_t offset = std::stoll(text, &used);
        if (used != text.size() || offset < 0) return std::nullopt;
        return offset;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

bool saveOffset(const std::string& path, std::int64_t offset) {
    const std::string temporary = path + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    const bool ok = writeAll(fd, std::to_string(offset) + "\n") && ::fdatasync(fd) == 0;
    ::close(fd);
    return ok && ::rename(temporary.c_str(), path.c_str()) == 0;
}

CommandPoller::CommandPoller(CommandConfig config, std::unique_ptr<HttpsBotTransport> transport, SenderConfig sender,
                             PluginContext& context)
    : config_(std::move(config)),
      transport_(std::move(transport)),
      senderConfig_(std::move(sender)),
      context_(context) {}

CommandPoller::~CommandPoller() { stop(); }

void CommandPoller::start() {
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void CommandPoller::stop() noexcept {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    transport_->abort();
    if (thread_.joinable()) thread_.join();
    transport_->close();
}

void CommandPoller::pause(std::int64_t ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_.load(); });
}

void CommandPoller::backOff(const HttpReply& reply, const std::string& what) {
    ++failures_;
    std::int64_t waitMs = std::min<std::int64_t>(kMaxBackoffMs, std::int64_t{1000} << std::min(failures_ - 1, 5));
    std::string reason = reply.reason;
    if (reply.transport == HttpReply::Transport::Answered) {
        const SendResult result = classifyReply(reply, senderConfig_.token, waitMs);
        if (const auto* retry = std::get_if<Retry>(&result)) {
            reason = retry->reason;
            if (reply.status == 429) waitMs = retry->after.count();  // Telegram's retry_after, as asked
        } else if (const auto* fail = std::get_if<Fail>(&result)) {
            reason = fail->reason;
            // A refused token (401) or a poller elsewhere (409) does not fix itself quickly.
            waitMs = std::max<std::int64_t>(waitMs, reply.status == 401 || reply.status == 404 ? 60000 : 10000);
        } else {
            reason = what + " answered 200 with an unreadable body";
        }
    }
    context_.metrics().add("command_poll_errors", 1);
    if (failures_ == 1 || failures_ % 20 == 0)
        context_.logger().warning("commands: " + what + " failed (" + std::to_string(failures_) +
                                  " time(s) in a row): " + redact(reason, senderConfig_.token) + "; next try in " +
                                  std::to_string(waitMs) + " ms");
    pause(waitMs);
}

bool CommandPoller::ensureBotName() {
    if (!botName_.empty()) return true;
    HttpReply reply = transport_->post("getMe", "{}");
    if (stopping_) return false;
    if (reply.transport == HttpReply::Transport::Answered && reply.status == 200) {
        try {
            Poco::JSON::Parser parser;
            const auto root = parser.parse(reply.body).extract<Poco::JSON::Object::Ptr>();
            const auto result = root->getObject("result");
            if (result && result->has("username")) botName_ = result->getValue<std::string>("username");
        } catch (const std::exception&) {
        }
        if (!botName_.empty()) return true;
    }
    backOff(reply, "getMe");
    return false;
}

bool CommandPoller::ensureOffset() {
    if (haveOffset_) return true;
    if (const auto stored = loadOffset(config_.offsetFile)) {
        offset_ = *stored;
        haveOffset_ = true;
        context_.logger().info("commands: reading updates from offset " + std::to_string(offset_) + " (@" + botName_ +
                               ")");
        return true;
    }
    // No offset kept: whatever waits at Telegram was typed before this start, maybe hours ago.
    // offset -1 returns only the newest update and confirms every older one; it is confirmed too.
    const HttpReply reply =
        transport_->post("getUpdates", "{\"offset\":-1,\"timeout\":0,\"allowed_updates\":[\"message\"]}");
    if (stopping_) return false;
    if (reply.transport == HttpReply::Transport::Answered && reply.status == 200) {
        try {
            const auto updates = parseUpdates(reply.body);
            offset_ = updates.empty() ? 0 : updates.back().updateId + 1;
            haveOffset_ = true;
            if (!saveOffset(config_.offsetFile, offset_)) context_.metrics().add("offset_write_errors", 1);
            context_.logger().info(
                "commands: no stored update offset, so commands sent before this start are skipped (" +
                std::string(updates.empty() ? "none was pending"
                                            : "the newest was update " + std::to_string(updates.back().updateId)) +
                "); reading updates for @" + botName_);
            return true;
        } catch (const std::exception&) {
        }
    }
    backOff(reply, "getUpdates");
    return false;
}

void CommandPoller::run() noexcept {
    while (!stopping_) {
        try {
            if (!ensureBotName() || !ensureOffset()) continue;
            const std::string body = "{\"offset\":" + std::to_string(offset_) +
                                     ",\"timeout\":" + std::to_string(config_.pollTimeoutS) +
                                     ",\"allowed_updates\":[\"message\"]}";
            const HttpReply reply = transport_->post("getUpdates", body);
            if (stopping_) break;
            context_.metrics().add("command_polls", 1);
            std::vector<IncomingMessage> updates;
            bool usable = reply.transport == HttpReply::Transport::Answered && reply.status == 200;
            if (usable) {
                try {
                    updates = parseUpdates(reply.body);
                } catch (const std::exception&) {
                    usable = false;
                }
            }
            if (!usable) {
                backOff(reply, "getUpdates");
                continue;
            }
            if (failures_ > 0) {
                context_.logger().info("commands: getUpdates works again after " + std::to_string(failures_) +
                                       " failure(s)");
                failures_ = 0;
            }
            for (const auto& update : updates) {
                if (stopping_) break;  // not confirmed: read again after a restart
                if (update.updateId < offset_) continue;
                offset_ = update.updateId + 1;
                // Confirmed before it runs: at most once (see the class comment).
                if (!saveOffset(config_.offsetFile, offset_)) context_.metrics().add("offset_write_errors", 1);
                handle(update);
            }
        } catch (const std::exception& e) {
            context_.logger().error(redact(std::string("commands: ") + e.what(), senderConfig_.token));
            pause(1000);
        } catch (...) {
            context_.logger().error("commands: unexpected failure");
            pause(1000);
        }
    }
}

void CommandPoller::handle(const IncomingMessage& message) {
    if (!message.hasMessage) return;
    const auto parsed = parseCommandText(message.text, botName_);
    if (!parsed) {
        context_.metrics().add("messages_ignored", 1);  // chat, not a command for this bot
        return;
    }
    OperatorCommand command;
    command.name = parsed->name;
    command.args = parsed->args;
    command.from = "telegram user " + (message.userId != 0 ? std::to_string(message.userId) : std::string("unknown")) +
                   " in chat " + std::to_string(message.chatId);
    const bool sender =
        config_.chatIds.count(message.chatId) != 0 && message.userId != 0 && config_.userIds.count(message.userId) != 0;
    std::string staleText;
    if (!sender) {
        command.refusal = "not an authorized chat and user";
    } else {
        const std::int64_t ageS = context_.clock().nowMs() / 1000 - message.dateS;
        if (ageS > config_.maxAgeS) {
            command.refusal = "sent " + std::to_string(ageS) + " s ago, older than command_max_age_s (" +
                              std::to_string(config_.maxAgeS) + ")";
            staleText = "not run: /" + shown(command.name) + " was sent " + std::to_string(ageS) +
                        " s ago (more than " + std::to_string(config_.maxAgeS) +
                        " s); send it again if you still mean it";
        }
    }
    command.authorized = sender && staleText.empty();

    CommandReply answer;
    OperatorCommands* commands = context_.operatorCommands();
    if (!commands) {
        answer = {false, "this host takes no commands"};
    } else {
        try {
            answer = commands->run(command);
        } catch (const std::exception& e) {
            answer = {false, std::string("the host failed to run it: ") + e.what()};
        }
    }
    if (!sender) {
        // Never answered: a stranger learns nothing, not even that this bot listens.
        context_.metrics().add("commands_refused", 1);
        return;
    }
    context_.metrics().add("commands_received", 1);
    context_.logger().info("command /" + shown(command.name) + " from " + command.from + ": " +
                           (!command.authorized ? "not run (too old)"
                            : answer.done       ? "done"
                                                : "not done"));
    const std::string& text = staleText.empty() ? answer.text : staleText;
    if (!text.empty()) reply(message.chatId, message.updateId, text);
}

TelegramSender& CommandPoller::senderFor(std::int64_t chatId) {
    auto& sender = senders_[chatId];
    if (!sender) {
        SenderConfig config = senderConfig_;
        config.chatId = std::to_string(chatId);
        sender = std::make_unique<TelegramSender>(config, *transport_, context_.metrics(), monotonicMs,
                                                  [this](std::int64_t ms) { pause(ms); });
    }
    return *sender;
}

void CommandPoller::reply(std::int64_t chatId, std::int64_t updateId, const std::string& text) {
    TelegramSender& sender = senderFor(chatId);
    std::string reason;
    for (int attempt = 1; attempt <= kReplyAttempts && !stopping_; ++attempt) {
        const SendResult result = sender.sendText("reply:" + std::to_string(updateId), text, false);
        if (std::holds_alternative<Ok>(result)) {
            context_.metrics().add("command_replies", 1);
            return;
        }
        if (const auto* fail = std::get_if<Fail>(&result)) {
            reason = fail->reason;
            break;
        }
        const auto& retry = std::get<Retry>(result);
        reason = retry.reason;
        if (attempt < kReplyAttempts) pause(std::min<std::int64_t>(kMaxReplyWaitMs, retry.after.count()));
    }
    context_.metrics().add("command_reply_failures", 1);
    context_.logger().warning(
        "commands: the reply to update " + std::to_string(updateId) + " in chat " + std::to_string(chatId) +
        " was not delivered: " + redact(reason.empty() ? "stopped" : reason, senderConfig_.token));
}

}  // namespace tradehost::telegram
