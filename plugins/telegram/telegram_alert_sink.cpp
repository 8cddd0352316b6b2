// The "telegram" sink: sends each alert to one chat through the Bot API's sendMessage over HTTPS.
#include "telegram_alert_sink.h"

#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>

#include "tradehost/plugin.h"

namespace tradehost::telegram {

namespace {

std::int64_t positive(const Settings& settings, const std::string& name, std::int64_t min) {
    const std::int64_t value = settings.integer(name);
    if (value < min)
        throw std::invalid_argument("telegram: setting '" + name + "' must be at least " + std::to_string(min));
    return value;
}

// A list setting of 64-bit integers (chat or user ids), at least one when `required`.
std::set<std::int64_t> idList(const Settings& settings, const std::string& name, bool required, bool positiveOnly) {
    std::set<std::int64_t> out;
    for (const auto& text : settings.list(name)) {
        std::size_t used = 0;
        std::int64_t id = 0;
        try {
            id = std::stoll(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != text.size() || (positiveOnly && id <= 0))
            throw std::invalid_argument("telegram: setting '" + name + "': '" + text + "' is not a " +
                                        (positiveOnly ? "positive " : "") + "64-bit integer id");
        out.insert(id);
    }
    if (required && out.empty())
        throw std::invalid_argument("telegram: setting '" + name +
                                    "' must name at least one id when 'commands' is true (a command is taken only "
                                    "from a listed chat and a listed user)");
    return out;
}

}  // namespace

SettingsSchema TelegramAlertSink::settingsSchema() {
    return {
        SettingSpec("token", SettingType::String)
            .isRequired()
            .isSecret()
            .describe("the bot token from @BotFather, as a ${ENV} reference; never logged"),
        SettingSpec("chat_id", SettingType::String)
            .isRequired()
            .describe("the chat to write to: a 64-bit integer (negative for groups) or @channelname"),
        SettingSpec("base_url", SettingType::String)
            .byDefault(std::string("https://api.telegram.org"))
            .describe("the Bot API server, scheme://host[:port] (a test emulator or a proxy)"),
        SettingSpec("ca_file", SettingType::String)
            .describe("a PEM CA bundle to trust besides the system CAs (a test emulator's certificate)"),
        SettingSpec("request_timeout_ms", SettingType::Integer)
            .byDefault(std::int64_t{10000})
            .describe("connect and answer timeout of one sendMessage call"),
        SettingSpec("silent_info", SettingType::Boolean)
            .byDefault(true)
            .describe("send info alerts with disable_notification (no sound)"),
        SettingSpec("min_interval_ms", SettingType::Integer)
            .byDefault(std::int64_t{1000})
            .describe("least time between two messages to the chat (Telegram: about 1 per second)"),
        SettingSpec("group_per_minute", SettingType::Integer)
            .byDefault(std::int64_t{20})
            .describe("most messages per minute to a group or channel (Telegram: 20); 0 for no cap"),
        SettingSpec("max_pacing_wait_ms", SettingType::Integer)
            .byDefault(std::int64_t{5000})
            .describe("send() waits this long at most for a pacing slot, else returns Retry for the host"),
        SettingSpec("error_retry_ms", SettingType::Integer)
            .byDefault(std::int64_t{5000})
            .describe("how long the host waits before retrying after a network error, timeout or 5xx"),
        SettingSpec("commands", SettingType::Boolean)
            .byDefault(false)
            .describe("read /status, /positions, /pause, /resume by long polling getUpdates (one instance per bot)"),
        SettingSpec("command_chat_ids", SettingType::StringList)
            .byDefault(std::vector<std::string>{})
            .describe("chats commands are taken from (integer ids); required with commands"),
        SettingSpec("command_user_ids", SettingType::StringList)
            .byDefault(std::vector<std::string>{})
            .describe("users commands are taken from (integer ids), in one of those chats; required with commands"),
        SettingSpec("command_poll_timeout_s", SettingType::Integer)
            .byDefault(std::int64_t{30})
            .describe("getUpdates long-poll timeout, 1-50 s"),
        SettingSpec("command_max_age_s", SettingType::Integer)
            .byDefault(std::int64_t{120})
            .describe("a command older than this when read (sent while the host was down) is not run"),
    };
}

TelegramAlertSink::TelegramAlertSink(const Settings& settings, PluginContext& context)
    : context_(context), chatId_(settings.string("chat_id")) {
    const std::string& token = settings.string("token");
    if (token.empty()) throw std::invalid_argument("telegram: setting 'token' is empty");
    if (token.find_first_of("/?#% \t\r\n") != std::string::npos)
        throw std::invalid_argument("telegram: setting 'token' contains characters a bot token never has");
    if (!validChatId(chatId_))
        throw std::invalid_argument("telegram: setting 'chat_id' must be a 64-bit integer or @channelname, got '" +
                                    chatId_ + "'");
    HttpsConfig https;
    https.baseUrl = settings.string("base_url");
    https.token = token;
    if (settings.has("ca_file")) https.caFile = settings.string("ca_file");
    https.requestTimeoutMs = positive(settings, "request_timeout_ms", 1);
    try {
        transport_ = std::make_unique<HttpsBotTransport>(https);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("telegram: ") + e.what());
    } catch (const std::exception& e) {
        throw std::runtime_error("telegram: cannot set up TLS (ca_file '" + https.caFile +
                                 "'): " + redact(e.what(), token));
    }

    SenderConfig config;
    config.token = token;
    config.chatId = chatId_;
    config.silentInfo = settings.boolean("silent_info");
    config.minIntervalMs = positive(settings, "min_interval_ms", 0);
    config.groupPerMinute = positive(settings, "group_per_minute", 0);
    config.maxPacingWaitMs = positive(settings, "max_pacing_wait_ms", 0);
    config.errorRetryMs = positive(settings, "error_retry_ms", 1);
    if (settings.has("commands") && settings.boolean("commands")) {
        CommandConfig commands;
        commands.chatIds = idList(settings, "command_chat_ids", true, false);
        commands.userIds = idList(settings, "command_user_ids", true, true);
        commands.pollTimeoutS = positive(settings, "command_poll_timeout_s", 1);
        if (commands.pollTimeoutS > 50)
            throw std::invalid_argument("telegram: setting 'command_poll_timeout_s' must be at most 50");
        commands.maxAgeS = positive(settings, "command_max_age_s", 1);
        commands.offsetFile = context_.dataDir() + "/updates_offset";
        commands_ = std::move(commands);
    }
    https_ = https;
    senderConfig_ = config;
    progress_ = std::make_unique<ProgressFile>(context_.dataDir() + "/split_progress");
    sender_ = std::make_unique<TelegramSender>(
        config, *transport_, context_.metrics(),
        [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                .count();
        },
        [](std::int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }, progress_.get());
}

TelegramAlertSink::~TelegramAlertSink() = default;

void TelegramAlertSink::start() {
    stopped_ = false;
    sender_->loadProgress();
    context_.logger().info("sending alerts to Telegram chat " + chatId_);
    if (commands_) {
        // The poller's own connection: a long poll must not hold up an alert.
        HttpsConfig https = https_;
        https.answerTimeoutMs = https.requestTimeoutMs + commands_->pollTimeoutS * 1000;
        poller_ = std::make_unique<CommandPoller>(*commands_, std::make_unique<HttpsBotTransport>(https), senderConfig_,
                                                  context_);
        poller_->start();
        context_.logger().info("taking commands from " + std::to_string(commands_->chatIds.size()) + " chat(s) and " +
                               std::to_string(commands_->userIds.size()) + " user(s)");
    }
}

void TelegramAlertSink::stop() noexcept {
    if (stopped_) return;
    stopped_ = true;
    if (poller_) poller_->stop();
    poller_.reset();
    if (transport_) transport_->close();
}

SendResult TelegramAlertSink::send(const Alert& alert) {
    if (stopped_) return Fail{"telegram: send() after stop()"};
    return sender_->send(alert);
}

}  // namespace tradehost::telegram

TRADEHOST_PLUGIN(tradehost::telegram::TelegramAlertSink, "telegram", "1.0.0",
                 "Sends each alert to a Telegram chat (Bot API sendMessage, HTML, paced, split at 4096)")
