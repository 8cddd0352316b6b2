// binance-emulator flags: each one documented in emulatorUsage(), which README.md reproduces.
#include "emulator_options.h"

#include <sstream>

namespace tradehost::binance_emulator {
namespace {

std::optional<long long> parseNumber(const std::string& text) {
    if (text.empty()) return std::nullopt;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    try {
        return std::stoll(text);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

}  // namespace

std::string emulatorUsage() {
    return R"(Usage: binance-emulator [options]

A local emulator of the Binance USD-M Futures REST API (fapi) with run-time fault injection.
Prints "listening on <url>" on stdout once it accepts connections; stops on SIGINT/SIGTERM.

Options:
  --listen HOST:PORT       address to listen on; port 0 picks a free port (default 127.0.0.1:0)
  --cert FILE --key FILE   serve HTTPS with this PEM certificate and private key (default: HTTP)
  --api-key KEY            an API key accepted on signed endpoints; repeat --api-key/--api-secret
  --api-secret SECRET        pairs for several accounts (or set BINANCE_EMULATOR_API_KEY and
                             BINANCE_EMULATOR_API_SECRET to keep the secret off the command line;
                             with neither, the test pair emulator-api-key/emulator-api-secret)
  --symbols LIST           comma-separated subset of the built-in symbols (default BTCUSDT,ETHUSDT)
  --price SYMBOL=PRICE     initial last/mark price (repeatable; default BTCUSDT=65000.00,
                             ETHUSDT=3500.00)
  --hedge-mode             start accounts in hedge mode (dualSidePosition=true)
  --weight-per-minute N    REQUEST_WEIGHT limit per IP (default 2400)
  --orders-per-10s N       ORDERS limit per account per 10 s (default 300)
  --orders-per-minute N    ORDERS limit per account per minute (default 1200)
  --ban-ms N               how long a 418 ban lasts (default 120000)
  --ban-after-429s N       requests answered 429 after the first one before a ban (default 5)
  --sliding-window         count weight over a sliding minute instead of the calendar minute
  --threads N              HTTP worker threads; each open keep-alive connection holds one (default 64)
  --verbose                log "METHOD PATH -> STATUS" per fapi request on stderr (never secrets)
  --help                   show this text

Test control API (no auth, JSON): /control/faults, /control/price, /control/fill,
/control/position, /control/clock, /control/limits, /control/settings, /control/ledger,
/control/state, /control/outage, /control/reset. See tools/binance_emulator/README.md.
)";
}

std::variant<EmulatorOptions, std::string> parseEmulatorOptions(const std::vector<std::string>& args,
                                                                const std::map<std::string, std::string>& env) {
    EmulatorOptions o;
    std::vector<std::string> keys;
    std::vector<std::string> secrets;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= args.size()) return std::nullopt;
            return args[++i];
        };
        auto number = [&](const char* flag, long long min) -> std::variant<long long, std::string> {
            auto v = value();
            if (!v) return std::string(flag) + " needs a value";
            auto n = parseNumber(*v);
            if (!n || *n < min) return std::string(flag) + " needs a whole number >= " + std::to_string(min);
            return *n;
        };
        if (a == "--help" || a == "-h") {
            o.help = true;
        } else if (a == "--listen") {
            auto v = value();
            if (!v) return std::string("--listen needs HOST:PORT");
            const auto colon = v->rfind(':');
            if (colon == std::string::npos || colon == 0) return "--listen needs HOST:PORT, got '" + *v + "'";
            auto port = parseNumber(v->substr(colon + 1));
            if (!port || *port > 65535) return "--listen: bad port in '" + *v + "'";
            o.config.host = v->substr(0, colon);
            o.config.port = static_cast<std::uint16_t>(*port);
        } else if (a == "--cert" || a == "--key" || a == "--api-key" || a == "--api-secret" || a == "--symbols") {
            auto v = value();
            if (!v || v->empty()) return a + " needs a value";
            if (a == "--cert") o.config.certFile = *v;
            if (a == "--key") o.config.keyFile = *v;
            if (a == "--api-key") keys.push_back(*v);
            if (a == "--api-secret") secrets.push_back(*v);
            if (a == "--symbols") o.config.symbols = splitList(*v);
        } else if (a == "--price") {
            auto v = value();
            const auto eq = v ? v->find('=') : std::string::npos;
            if (eq == std::string::npos) return std::string("--price needs SYMBOL=PRICE");
            o.config.prices[v->substr(0, eq)] = v->substr(eq + 1);
        } else if (a == "--hedge-mode") {
            o.config.hedgeMode = true;
        } else if (a == "--sliding-window") {
            o.config.limits.slidingWindow = true;
        } else if (a == "--verbose") {
            o.config.verbose = true;
        } else if (a == "--weight-per-minute" || a == "--orders-per-10s" || a == "--orders-per-minute" ||
                   a == "--ban-ms" || a == "--ban-after-429s" || a == "--threads") {
            auto n = number(a.c_str(), a == "--threads" ? 2 : 0);
            if (auto* error = std::get_if<std::string>(&n)) return *error;
            const long long v = std::get<long long>(n);
            if (a == "--weight-per-minute") o.config.limits.weightPerMinute = static_cast<int>(v);
            if (a == "--orders-per-10s") o.config.limits.ordersPer10s = static_cast<int>(v);
            if (a == "--orders-per-minute") o.config.limits.ordersPerMinute = static_cast<int>(v);
            if (a == "--ban-ms") o.config.limits.banMs = v;
            if (a == "--ban-after-429s") o.config.limits.banAfter429s = static_cast<int>(v);
            if (a == "--threads") o.config.threads = static_cast<int>(v);
        } else {
            return "unknown option '" + a + "'";
        }
    }
    if (o.help) return o;

    if (keys.size() != secrets.size()) return std::string("every --api-key needs its --api-secret, in the same order");
    for (std::size_t i = 0; i < keys.size(); ++i) o.config.credentials.push_back({keys[i], secrets[i]});
    auto envKey = env.find("BINANCE_EMULATOR_API_KEY");
    auto envSecret = env.find("BINANCE_EMULATOR_API_SECRET");
    const bool haveEnvKey = envKey != env.end() && !envKey->second.empty();
    const bool haveEnvSecret = envSecret != env.end() && !envSecret->second.empty();
    if (haveEnvKey != haveEnvSecret)
        return std::string("set both BINANCE_EMULATOR_API_KEY and BINANCE_EMULATOR_API_SECRET, or neither");
    if (haveEnvKey) o.config.credentials.push_back({envKey->second, envSecret->second});
    if (o.config.credentials.empty()) {
        o.config.credentials.push_back({kDefaultApiKey, kDefaultApiSecret});
        o.defaultCredentials = true;
    }
    if (o.config.certFile.empty() != o.config.keyFile.empty()) return std::string("--cert and --key go together");
    return o;
}

}  // namespace tradehost::binance_emulator
