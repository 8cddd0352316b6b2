// The Telegram Bot API emulator as a real process over HTTPS, for the alert tests.
#pragma once

#include <Poco/Net/Context.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace tradehost::test {

class BackgroundProcess;

struct TelegramMessage {
    std::string chatId;
    std::string text;
};

class TelegramEmulatorProcess {
public:
    // Makes a self-signed certificate in `dir`, starts the emulator on a free loopback port with
    // a canary token and one chat (pacing off: the sink paces itself), waits until it listens.
    explicit TelegramEmulatorProcess(const std::filesystem::path& dir);
    ~TelegramEmulatorProcess();

    const std::string& url() const { return url_; }
    std::string caFile() const { return (dir_ / "cert.pem").string(); }
    const std::string& token() const { return token_; }
    std::string chatId() const { return "1001"; }

    std::string control(const std::string& method, const std::string& path, const std::string& json = "");
    std::vector<TelegramMessage> messages();

private:
    std::filesystem::path dir_;
    std::string token_, url_;
    unsigned short port_ = 0;
    Poco::Net::Context::Ptr tls_;
    std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace tradehost::test
