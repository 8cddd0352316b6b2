// The Telegram Bot API emulator as a real process over HTTPS.
#include "telegram_process.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/SSLManager.h>
#include <signal.h>

#include <regex>
#include <stdexcept>

#include "crash_paths.h"
#include "emulator_process.h"
#include "process_runner.h"

namespace tradehost::test {

TelegramEmulatorProcess::TelegramEmulatorProcess(const std::filesystem::path& dir)
    : dir_(dir), token_("123456:crash-tg-" + randomHex(8)) {
    std::filesystem::create_directories(dir_);
    makeTestCertificate(dir_);
    process_ = std::make_unique<BackgroundProcess>(
        kTelegramEmulatorBin, std::vector<std::string>{"--listen", "127.0.0.1:0", "--cert", caFile(), "--key",
                                                       (dir_ / "key.pem").string(), "--token", token_, "--chat",
                                                       chatId(), "--per-chat-burst", "0", "--group-per-minute", "0"});
    if (!process_->waitFor("listening on https://"))
        throw std::runtime_error("the Telegram emulator did not start: " + process_->err());
    std::smatch m;
    const std::string out = process_->out();
    if (!std::regex_search(out, m, std::regex("listening on (https://127\\.0\\.0\\.1:([0-9]+))")))
        throw std::runtime_error("no 'listening on' line from the Telegram emulator: " + out);
    url_ = m[1];
    port_ = static_cast<unsigned short>(std::stoi(m[2]));
    Poco::Net::initializeSSL();
    tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", caFile(),
                                  Poco::Net::Context::VERIFY_RELAXED, 9, false, "HIGH:!aNULL:!MD5");
}

TelegramEmulatorProcess::~TelegramEmulatorProcess() {
    if (process_) {
        ::kill(process_->pid(), SIGTERM);
        process_->wait();
    }
}

std::string TelegramEmulatorProcess::control(const std::string& method, const std::string& path,
                                             const std::string& json) {
    return httpsControl("127.0.0.1", port_, tls_, method, path, json, "telegram emulator");
}

std::vector<TelegramMessage> TelegramEmulatorProcess::messages() {
    Poco::JSON::Parser parser;
    const auto root = parser.parse(control("GET", "/control/messages")).extract<Poco::JSON::Object::Ptr>();
    const auto list = root->getArray("messages");
    std::vector<TelegramMessage> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto m = list->getObject(static_cast<unsigned>(i));
        out.push_back({m->get("chat_id").convert<std::string>(), m->getValue<std::string>("text")});
    }
    return out;
}

}  // namespace tradehost::test
