// tradehost as a real process against the emulator: started, killed and restarted on one storage dir.
#pragma once

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tradehost::test {

class BackgroundProcess;
class EmulatorProcess;
std::string randomHex(std::size_t bytes);  // emulator_process.h

// The deployment a test runs. Defaults keep tests fast without weakening the protocol: see
// settleWindowS and recvWindowMs.
struct HostConfig {
    std::string venue = "bn";  // short: client ids are {signal}:{venue}:{leg}:{attempt}, at most 36
    // Body "secret" (passed as ${TH_CRASH_WEBHOOK_SECRET}): a fresh canary per config; empty: none.
    std::string webhookSecret = "crash-webhook-" + randomHex(8);
    std::string pathToken;      // POST /webhook/<token>; empty: none
    std::string signingSecret;  // X-Signature; empty: none
    std::vector<std::string> allowIps;
    std::vector<std::string> trustedProxies;
    std::optional<unsigned short> port;  // the webhook's port; unset: a free one, kept for restarts
    std::optional<long> maxBodyBytes;
    std::optional<long> maxConnections;
    // The resolver declares an order absent only after NotFound answers spanning this window.
    // Production uses 30 s (> Binance's 10 s internal timeout). Tests use 2 s, which stays safe
    // because every late execution the tests inject (the emulator's stand-in for that internal
    // timeout) is shorter: kLateExecuteMs below. Shrinking both together keeps the proof intact.
    int settleWindowS = 2;
    int unresolvedAlertS = 120;  // an UNKNOWN leg older than this raises order_unresolved
    int maxSignalAgeS = 120;
    // recvWindow of signed requests: small, so a request cannot be valid at the venue for longer
    // than the settle window either.
    int recvWindowMs = 1000;
    int requestTimeoutMs = 2000;  // an order without an answer by then is Unknown
    int workingPollMs = 200;      // how often a resting (working) order is asked about
    int workingQueriesPerS = 10;  // resolver.working_queries_per_s
    bool hedgeMode = false;       // the venue plugin's hedge_mode (start the emulator to match)
    // The plugin's own pacing; high by default so that it never shapes a test that is not about it.
    int orderLimitPer10s = 100000;
    int connectTimeoutMs = 3000;
    int reconcileIntervalS = 15;  // reconciler.interval_s
    std::string onDrift;          // the venue instance's on_drift; empty: the default (alert)
    // A Telegram alert sink (token as ${TH_CRASH_TG_TOKEN}); empty url: none.
    struct Telegram {
        std::string url, caFile, token, chatId;
        std::vector<std::string> extraSettings = {};  // more "key: value" lines (flow style) for its settings
    } telegram;
};

// What a one-shot tradehost command (pause, resume, cancel, ...) did.
struct CommandResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};

// The late-execution delay the tests inject; must stay below settleWindowS (see HostConfig).
constexpr int kLateExecuteMs = 1200;

class HostProcess {
public:
    // Writes <dir>/deployment.yaml for `config` against `emulator`; storage is <dir>/var.
    HostProcess(const std::filesystem::path& dir, const EmulatorProcess& emulator, HostConfig config = {});
    ~HostProcess();  // kills a running host (SIGKILL) and waits for it
    HostProcess(const HostProcess&) = delete;
    HostProcess& operator=(const HostProcess&) = delete;

    // Starts tradehost (extra environment, e.g. TRADEHOST_CRASH_AT) and waits until it prints its
    // webhook URL (it does so only once recovery is done and it is ready). The first start picks
    // a free port; restarts reuse it, so senders keep their URL. Returns false if the process
    // exited (or did not get ready within `timeout`) instead; output() says why.
    bool start(const std::map<std::string, std::string>& env = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(30));
    bool running() const;
    // Waits up to `timeout` for the process to end on its own; its exit code, or nullopt.
    std::optional<int> waitExit(std::chrono::milliseconds timeout);
    void kill();  // SIGKILL and wait
    int stop();   // SIGTERM and wait (SIGKILL after 20 s); the exit code

    unsigned short port() const { return port_; }
    int pid() const;  // of the running process (-1 if none)
    std::string webhookUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/webhook"; }
    std::filesystem::path storageDir() const { return dir_ / "var"; }
    std::string eventsFile() const { return (storageDir() / "events.jsonl").string(); }
    std::string gateFile() const { return (storageDir() / "gate.sqlite").string(); }
    std::filesystem::path journalDir() const { return storageDir() / "journal"; }
    std::string deploymentFile() const { return (dir_ / "deployment.yaml").string(); }
    const HostConfig& config() const { return config_; }
    int starts() const { return starts_; }
    // stdout + stderr of the current (or last) run.
    std::string output() const;
    // Waits until the current run's output contains `text` (stdout and stderr are read apart, so
    // a log line written before the webhook URL may still be on its way when start() returns).
    bool waitForOutput(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // The environment every run gets (secrets as the deployment's ${VAR} references expect).
    std::map<std::string, std::string> environment() const;
    // Runs `tradehost ARGS...` to completion with that environment, beside the running host (an
    // operator's command: pause, resume, cancel; give it --config deploymentFile()).
    CommandResult command(const std::vector<std::string>& args) const;

    // The exit code a process killed by `signal` reports through Poco (256 + signal).
    static int killedBy(int signal) { return 256 + signal; }

private:
    void writeDeployment();
    void finish();  // waits for the exit and saves the run's output to <dir>/host-<n>.log

    std::filesystem::path dir_;
    HostConfig config_;
    std::string emulatorUrl_, caFile_, apiKey_, apiSecret_;
    unsigned short port_ = 0;
    int starts_ = 0;
    std::unique_ptr<BackgroundProcess> process_;
    std::shared_future<int> exit_;  // ready once the process has exited (not yet reaped)
    std::string lastOutput_;
};

}  // namespace tradehost::test
