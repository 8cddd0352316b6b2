// Command-line parsing: flags, key/secret pairing, environment fallback, errors.
#include <catch2/catch.hpp>

#include "emulator_options.h"

using namespace tradehost::binance_emulator;

namespace {

EmulatorOptions parseOk(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
    auto r = parseEmulatorOptions(args, env);
    if (auto* e = std::get_if<std::string>(&r)) FAIL(*e);
    return std::get<EmulatorOptions>(r);
}

std::string parseError(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
    auto r = parseEmulatorOptions(args, env);
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r);
}

}  // namespace

TEST_CASE("options: listen, TLS files, key pairs and limits", "[options]") {
    auto o = parseOk({"--listen",
                      "0.0.0.0:8443",
                      "--cert",
                      "c.pem",
                      "--key",
                      "k.pem",
                      "--api-key",
                      "a",
                      "--api-secret",
                      "s",
                      "--api-key",
                      "b",
                      "--api-secret",
                      "t",
                      "--weight-per-minute",
                      "100",
                      "--hedge-mode",
                      "--symbols",
                      "BTCUSDT",
                      "--price",
                      "BTCUSDT=70000.5"});
    CHECK(o.config.host == "0.0.0.0");
    CHECK(o.config.port == 8443);
    CHECK(o.config.certFile == "c.pem");
    REQUIRE(o.config.credentials.size() == 2);
    CHECK(o.config.credentials[1].apiKey == "b");
    CHECK(o.config.credentials[1].apiSecret == "t");
    CHECK(o.config.limits.weightPerMinute == 100);
    CHECK(o.config.hedgeMode);
    CHECK(o.config.symbols == std::vector<std::string>{"BTCUSDT"});
    CHECK(o.config.prices.at("BTCUSDT") == "70000.5");
    CHECK_FALSE(o.defaultCredentials);
}

TEST_CASE("options: secrets from the environment, or the documented test pair", "[options]") {
    auto env = parseOk({}, {{"BINANCE_EMULATOR_API_KEY", "k"}, {"BINANCE_EMULATOR_API_SECRET", "s"}});
    REQUIRE(env.config.credentials.size() == 1);
    CHECK(env.config.credentials[0].apiSecret == "s");
    auto none = parseOk({});
    CHECK(none.defaultCredentials);
    CHECK(none.config.credentials[0].apiKey == kDefaultApiKey);
    CHECK(none.config.port == 0);
}

TEST_CASE("options: mistakes are reported, not guessed at", "[options]") {
    CHECK(parseError({"--listen", "8080"}).find("HOST:PORT") != std::string::npos);
    CHECK(parseError({"--api-key", "a"}).find("--api-secret") != std::string::npos);
    CHECK(parseError({"--cert", "c.pem"}).find("--key") != std::string::npos);
    CHECK(parseError({"--frobnicate"}).find("unknown option") != std::string::npos);
    CHECK(parseError({"--threads", "1"}).find(">= 2") != std::string::npos);
    CHECK(parseError({}, {{"BINANCE_EMULATOR_API_KEY", "k"}}).find("both") != std::string::npos);
    CHECK(parseOk({"--help"}).help);
    CHECK_THROWS_AS(EmulatorServer([] {
                        EmulatorConfig c;
                        c.credentials = {{"k", "s"}};
                        c.symbols = {"DOGEUSDT"};
                        return c;
                    }()),
                    std::invalid_argument);
}
