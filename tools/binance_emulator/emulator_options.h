// Command-line parsing for binance-emulator: flags, environment fallbacks, and the --help text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "emulator_server.h"

namespace tradehost::binance_emulator {

struct EmulatorOptions {
    EmulatorConfig config;
    bool help = false;
    bool defaultCredentials = false;  // no key given anywhere: the documented test pair is used
};

// The test credentials used when neither flags nor environment name any.
inline constexpr const char* kDefaultApiKey = "emulator-api-key";
inline constexpr const char* kDefaultApiSecret = "emulator-api-secret";

// `env` is the environment to read BINANCE_EMULATOR_API_KEY / _SECRET from (injected for tests).
// Returns the options or an error message for the user.
std::variant<EmulatorOptions, std::string> parseEmulatorOptions(const std::vector<std::string>& args,
                                                                const std::map<std::string, std::string>& env);

std::string emulatorUsage();

}  // namespace tradehost::binance_emulator
