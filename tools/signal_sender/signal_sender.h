// Sends webhook signals the way TradingView does and records what the receiver said to each one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tradehost::tools {

struct SenderOptions {
    std::string url;     // http://host:port/path (the webhook; a path token goes in the path)
    std::string secret;  // put in the body as "secret"; empty: no secret field
    int count = 1;       // signals: ids prefix + firstIndex .. prefix + firstIndex + count - 1
    int firstIndex = 1;
    int legs = 1;  // 1: the flat form; more: the "legs" form (sides alternate buy/sell)
    std::string venue = "bn";
    std::string symbol = "BTCUSDT";
    std::string quantity = "0.002";
    std::string price;            // empty: market orders; otherwise limit orders (GTC) at this price
    std::string positionSide;     // empty: none sent (BOTH); LONG / SHORT for hedge mode
    int concurrency = 4;          // connections (one keep-alive session per thread)
    double rate = 0;              // first sends per second over all connections; 0: as fast as possible
    int duplicates = 1;           // each signal is delivered 1..duplicates times (random), shuffled
    bool race = false;            // instead: each signal exactly `duplicates` times, all at once
    bool resendOn5xx = false;     // TradingView: a 5xx answer is resent, identical, after a delay
    bool resendOnError = false;   // harsher client: also resend after a timeout, reset or refusal
    int resendDelayMs = 5000;     // TradingView waits 5 s
    int maxResends = 3;           // TradingView resends at most 3 times (4 sends)
    int timeoutMs = 3000;         // TradingView gives up after 3 s
    std::string ledgerPath;       // JSON lines, one per delivery; empty: none
    std::string prefix = "sig-";  // signal id prefix; keep ids short and [A-Za-z0-9-] to stay raw in client ids
    std::uint32_t seed = 1;       // duplicates and shuffling are repeatable
    std::set<std::string> skip;   // signal ids not to send (already settled)
};

// The outcome of one delivery (one alert firing, with its resends), as the sender was told it.
enum class Outcome { Ok, Fail, Indeterminate };
const char* toString(Outcome o);

struct DeliveryRecord {
    std::string signalId;
    int delivery = 0;  // 0..n-1 among the deliveries of this signal
    std::string bodySha256;
    Outcome outcome = Outcome::Indeterminate;
    int status = 0;             // HTTP status of the last answer; 0: no answer (timeout, reset, refused)
    int attempts = 0;           // sends, resends included
    std::vector<int> statuses;  // every send's status (0 for no answer)
    std::string error;          // the last transport error, if any
    std::string answer;         // the last answer's body (short JSON from the webhook)
};

struct SenderSummary {
    int signals = 0;
    int deliveries = 0;
    int requests = 0;
    int resends = 0;
    int ok = 0, fail = 0, indeterminate = 0;  // deliveries
    int signalsOk = 0;                        // signals with at least one ok delivery
    std::map<int, int> statuses;              // answers by status (0: no answer)
    double elapsedS = 0;
    std::string line() const;  // the one-line summary printed at the end
};

// The body of signal `signalId` under `options`: deterministic, so a resend is byte-identical.
std::string signalBody(const SenderOptions& options, const std::string& signalId);
std::string signalId(const SenderOptions& options, int index);

// Reads a ledger: every delivery record in it (lines that do not parse are skipped).
std::vector<DeliveryRecord> readLedger(const std::string& path);
// Signal ids with at least one delivery that settled: ok (2xx) or fail (4xx).
std::set<std::string> settledSignals(const std::vector<DeliveryRecord>& records);

class SignalSender {
public:
    explicit SignalSender(SenderOptions options);
    // Sends everything, appends each delivery to the ledger as it settles, returns the totals.
    // Throws std::invalid_argument for bad options and std::runtime_error if the ledger cannot be written.
    SenderSummary run();
    // Every delivery of the last run, in the order they settled.
    const std::vector<DeliveryRecord>& records() const { return records_; }

private:
    SenderOptions options_;
    std::vector<DeliveryRecord> records_;
};

}  // namespace tradehost::tools
