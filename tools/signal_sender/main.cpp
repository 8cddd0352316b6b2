// tradehost-sender: the command line around SignalSender (a TradingView stand-in for tests and benchmarks).
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>

#include "signal_sender.h"

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitIo = 74;

const char* const kHelp = R"(Usage: tradehost-sender --url URL [options]

Sends trading signals to a webhook the way TradingView does, and records what it was told about
each delivery in a ledger (JSON lines: signal_id, delivery, sha256 of the body, outcome
ok|fail|indeterminate, last status, attempts, every status, last error, last answer).
ok = a 2xx answer; fail = a 4xx; indeterminate = a timeout, reset, refusal or 5xx after the last resend.

Options:
  --url URL              webhook URL, http://host:port/webhook (a path token goes in the path)
  --secret S             put "secret": S in every body (or --secret-env VAR to read it from VAR)
  --count N              how many signals (default 1); ids are PREFIX<first>..PREFIX<first+N-1>
  --first N              index of the first signal (default 1)
  --prefix P             signal id prefix (default "sig-"); keep ids short and [A-Za-z0-9-]
  --legs L               legs per signal (default 1: the flat form; more: the "legs" form,
                           sides alternating buy/sell)
  --venue NAME           venue instance of every leg (default bn)
  --symbol S             symbol of every leg (default BTCUSDT)
  --quantity Q           quantity of every leg (default 0.002)
  --price P              limit orders (GTC) at price P instead of market orders
  --position-side S      send "position_side": S on every leg (LONG or SHORT, for hedge mode)
  --concurrency C        connections, one keep-alive session each (default 4)
  --rate PER_S           first sends per second over all connections (default 0: no pacing)
  --duplicates MAX       deliver each signal 1..MAX times (random, byte-identical), shuffled (default 1)
  --race                 instead, send each signal exactly MAX times at once on MAX connections
  --resend-on-5xx        as TradingView: resend the identical body after a 5xx, up to 3 more times
  --resend-on-error      harsher client: also resend after a timeout, reset or refused connection
  --resend-delay-ms MS   wait before a resend (default 5000, TradingView's)
  --max-resends N        resends per delivery (default 3, TradingView's)
  --timeout-ms MS        give up on an answer after MS (default 3000, TradingView's cut-off)
  --ledger FILE          append one JSON line per delivery to FILE
  --skip-settled FILE    do not send signals that FILE (a ledger) shows ok or fail: resend the rest
  --seed N               seed for duplicates and shuffling (default 1)
  --help                 show this text

Prints one summary line at the end. Exit codes: 0 every signal got a 2xx, 1 some did not,
64 usage error, 74 the ledger could not be written.
)";

}  // namespace

int main(int argc, char** argv) {
    using tradehost::tools::SenderOptions;
    SenderOptions o;
    std::map<std::string, std::function<void(const std::string&)>> withValue = {
        {"--url", [&](const std::string& v) { o.url = v; }},
        {"--secret", [&](const std::string& v) { o.secret = v; }},
        {"--secret-env",
         [&](const std::string& v) {
             const char* s = std::getenv(v.c_str());
             if (!s) throw std::invalid_argument("--secret-env: " + v + " is not set");
             o.secret = s;
         }},
        {"--count", [&](const std::string& v) { o.count = std::stoi(v); }},
        {"--first", [&](const std::string& v) { o.firstIndex = std::stoi(v); }},
        {"--prefix", [&](const std::string& v) { o.prefix = v; }},
        {"--legs", [&](const std::string& v) { o.legs = std::stoi(v); }},
        {"--venue", [&](const std::string& v) { o.venue = v; }},
        {"--symbol", [&](const std::string& v) { o.symbol = v; }},
        {"--quantity", [&](const std::string& v) { o.quantity = v; }},
        {"--price", [&](const std::string& v) { o.price = v; }},
        {"--position-side", [&](const std::string& v) { o.positionSide = v; }},
        {"--concurrency", [&](const std::string& v) { o.concurrency = std::stoi(v); }},
        {"--rate", [&](const std::string& v) { o.rate = std::stod(v); }},
        {"--duplicates", [&](const std::string& v) { o.duplicates = std::stoi(v); }},
        {"--resend-delay-ms", [&](const std::string& v) { o.resendDelayMs = std::stoi(v); }},
        {"--max-resends", [&](const std::string& v) { o.maxResends = std::stoi(v); }},
        {"--timeout-ms", [&](const std::string& v) { o.timeoutMs = std::stoi(v); }},
        {"--ledger", [&](const std::string& v) { o.ledgerPath = v; }},
        {"--skip-settled",
         [&](const std::string& v) { o.skip = tradehost::tools::settledSignals(tradehost::tools::readLedger(v)); }},
        {"--seed", [&](const std::string& v) { o.seed = static_cast<std::uint32_t>(std::stoul(v)); }},
    };
    std::map<std::string, std::function<void()>> flags = {
        {"--race", [&] { o.race = true; }},
        {"--resend-on-5xx", [&] { o.resendOn5xx = true; }},
        {"--resend-on-error", [&] { o.resendOnError = true; }},
    };
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                std::cout << kHelp;
                return 0;
            }
            if (auto f = flags.find(arg); f != flags.end()) {
                f->second();
            } else if (auto w = withValue.find(arg); w != withValue.end()) {
                if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
                try {
                    w->second(argv[++i]);
                } catch (const std::logic_error& e) {
                    // std::stoi's own messages ("stoi") say nothing useful.
                    if (dynamic_cast<const std::invalid_argument*>(&e) && std::string(e.what()).rfind("--", 0) == 0)
                        throw;
                    throw std::invalid_argument(arg + ": '" + argv[i] + "' is not a valid value");
                }
            } else {
                throw std::invalid_argument("unknown option '" + arg + "'");
            }
        }
        const auto summary = tradehost::tools::SignalSender(o).run();
        std::cout << summary.line() << std::endl;
        return summary.signalsOk == summary.signals ? 0 : 1;
    } catch (const std::invalid_argument& e) {
        std::cerr << "tradehost-sender: " << e.what() << " (see --help)\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        std::cerr << "tradehost-sender: " << e.what() << "\n";
        return kExitIo;
    }
}
