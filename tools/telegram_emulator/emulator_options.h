// Command-line options of telegram-emulator.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "telegram_server.h"

namespace tradehost::telegram_emulator {

struct EmulatorOptions {
    TelegramConfig config;
    bool help = false;
};

// The options, or a message saying what is wrong with them.
std::variant<EmulatorOptions, std::string> parseEmulatorOptions(const std::vector<std::string>& args);
std::string emulatorUsage();

}  // namespace tradehost::telegram_emulator
