// The "telegram" sink: sends each alert to one chat through the Bot API's sendMessage over HTTPS.
#pragma once

#include <memory>
#include <optional>

#include "command_poller.h"
#include "progress_file.h"
#include "telegram_sender.h"
#include "telegram_transport.h"
#include "tradehost/alert_sink.h"
#include "tradehost/context.h"
#include "tradehost/settings.h"

namespace tradehost::telegram {

// Settings are validated at construction. No network I/O there or in start() (a Telegram outage
// at boot must not stop the host from trading; a bad token shows as the first alert's Fail);
// start() reads <dataDir>/split_progress, how far split alerts got before a restart. With
// `commands: true`, start() also starts a thread long-polling getUpdates for operator commands
// (CommandPoller; its own connection), and stop() ends it at once.
class TelegramAlertSink final : public AlertSink {
public:
    TelegramAlertSink(const Settings& settings, PluginContext& context);
    ~TelegramAlertSink() override;
    TelegramAlertSink(const TelegramAlertSink&) = delete;
    TelegramAlertSink& operator=(const TelegramAlertSink&) = delete;

    static SettingsSchema settingsSchema();

    void start() override;
    void stop() noexcept override;
    SendResult send(const Alert& alert) override;

private:
    PluginContext& context_;
    std::unique_ptr<HttpsBotTransport> transport_;
    std::unique_ptr<ProgressFile> progress_;  // <dataDir>/split_progress
    std::unique_ptr<TelegramSender> sender_;
    std::string chatId_;
    HttpsConfig https_;
    SenderConfig senderConfig_;
    std::optional<CommandConfig> commands_;  // set when commands are on
    std::unique_ptr<CommandPoller> poller_;
    bool stopped_ = false;
};

}  // namespace tradehost::telegram
