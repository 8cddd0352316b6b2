// Parsing telegram-emulator's command line; every value is checked here, before the server is built.
#include "emulator_options.h"

#include <cstdint>
#include <optional>

namespace tradehost::telegram_emulator {
namespace {

std::optional<std::int64_t> parseInt(const std::string& text) {
    if (text.empty()) return std::nullopt;
    std::size_t used = 0;
    try {
        const long long v = std::stoll(text, &used);
        if (used != text.size()) return std::nullopt;
        return v;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

std::string emulatorUsage() {
    return R"(Usage: telegram-emulator [options]

A local stand-in for the Telegram Bot API (sendMessage, getUpdates, getMe) that records every
delivered message, with run-time faults (429, 5xx, 403, slow, drop) and Telegram's pacing.
Prints "telegram-emulator listening on <url>" on stdout once it accepts connections; stops on
SIGINT/SIGTERM.

Options:
  --listen HOST:PORT        address to listen on; port 0 picks a free port (default 127.0.0.1:0)
  --cert FILE --key FILE    serve HTTPS with this PEM certificate and private key (default: HTTP)
  --token TOKEN             the bot token accepted in /bot<token>/ (default 123456:emulator-token)
  --chat ID                 a chat that exists (repeatable; negative ids are groups; default 1001)
  --per-chat-burst N        messages a chat may take at once before 429 (default 3; 0: no limit)
  --per-chat-interval-ms N  after the burst, one message per chat per N ms (default 1000)
  --group-per-minute N      messages per group chat per 60 s (default 20; 0: no limit)
  --max-poll-s N            cap on getUpdates' timeout in seconds (default 50)
  --threads N               HTTP worker threads; each long poll holds one (default 32)
  --help                    show this text

Test control API (no token, JSON): GET /control/messages, POST /control/faults,
POST /control/updates, POST /control/reset, GET /control/stats.
See tools/telegram_emulator/README.md.
)";
}

std::variant<EmulatorOptions, std::string> parseEmulatorOptions(const std::vector<std::string>& args) {
    EmulatorOptions o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            o.help = true;
            continue;
        }
        if (i + 1 >= args.size()) return a.rfind("--", 0) == 0 ? a + " needs a value" : "unknown argument " + a;
        const std::string& v = args[++i];
        auto number = [&](std::int64_t min, std::int64_t max) -> std::optional<std::int64_t> {
            const auto n = parseInt(v);
            if (!n || *n < min || *n > max) return std::nullopt;
            return n;
        };
        if (a == "--listen") {
            const auto colon = v.rfind(':');
            const auto port = colon == std::string::npos ? std::nullopt : parseInt(v.substr(colon + 1));
            if (!port || *port < 0 || *port > 65535 || colon == 0) return "--listen wants HOST:PORT, got '" + v + "'";
            o.config.host = v.substr(0, colon);
            o.config.port = static_cast<std::uint16_t>(*port);
        } else if (a == "--cert") {
            o.config.certFile = v;
        } else if (a == "--key") {
            o.config.keyFile = v;
        } else if (a == "--token") {
            o.config.token = v;
        } else if (a == "--chat") {
            const auto id = parseInt(v);
            if (!id || *id == 0) return "--chat wants a non-zero integer id, got '" + v + "'";
            o.config.chats.push_back(*id);
        } else if (a == "--per-chat-burst") {
            const auto n = number(0, 1000000);
            if (!n) return "--per-chat-burst wants 0 or more, got '" + v + "'";
            o.config.limits.perChatBurst = static_cast<int>(*n);
        } else if (a == "--per-chat-interval-ms") {
            const auto n = number(1, 3600000);
            if (!n) return "--per-chat-interval-ms wants 1..3600000, got '" + v + "'";
            o.config.limits.perChatIntervalMs = *n;
        } else if (a == "--group-per-minute") {
            const auto n = number(0, 1000000);
            if (!n) return "--group-per-minute wants 0 or more, got '" + v + "'";
            o.config.limits.groupPerMinute = static_cast<int>(*n);
        } else if (a == "--max-poll-s") {
            const auto n = number(0, 3600);
            if (!n) return "--max-poll-s wants 0..3600, got '" + v + "'";
            o.config.maxPollTimeoutS = *n;
        } else if (a == "--threads") {
            const auto n = number(2, 1024);
            if (!n) return "--threads wants 2..1024, got '" + v + "'";
            o.config.threads = static_cast<int>(*n);
        } else {
            return "unknown option " + a;
        }
    }
    if (o.config.certFile.empty() != o.config.keyFile.empty()) return "--cert and --key go together";
    return o;
}

}  // namespace tradehost::telegram_emulator
