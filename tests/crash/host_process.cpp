// tradehost as a real process against the emulator: started, killed and restarted on one storage dir.
#include "host_process.h"

#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <stdexcept>

#include "crash_paths.h"
#include "emulator_process.h"
#include "process_runner.h"

namespace tradehost::test {

HostProcess::HostProcess(const std::filesystem::path& dir, const EmulatorProcess& emulator, HostConfig config)
    : dir_(dir),
      config_(std::move(config)),
      emulatorUrl_(emulator.url()),
      caFile_(emulator.caFile()),
      apiKey_(emulator.apiKey()),
      apiSecret_(emulator.apiSecret()),
      port_(config_.port.value_or(0)) {
    std::filesystem::create_directories(dir_);
    writeDeployment();
}

HostProcess::~HostProcess() {
    try {
        if (running()) kill();
        finish();
        // For post-mortems: TRADEHOST_CRASH_KEEP=DIR keeps a copy of every host's files there.
        if (const char* keep = std::getenv("TRADEHOST_CRASH_KEEP"); keep && *keep) {
            const auto target = std::filesystem::path(keep) / dir_.filename();
            std::filesystem::create_directories(target);
            std::filesystem::copy(
                dir_, target,
                std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
        }
    } catch (...) {
    }
}

std::map<std::string, std::string> HostProcess::environment() const {
    std::map<std::string, std::string> env = {{"BINANCE_API_KEY", apiKey_}, {"BINANCE_API_SECRET", apiSecret_}};
    if (!config_.webhookSecret.empty()) env["TH_CRASH_WEBHOOK_SECRET"] = config_.webhookSecret;
    if (!config_.pathToken.empty()) env["TH_CRASH_PATH_TOKEN"] = config_.pathToken;
    if (!config_.signingSecret.empty()) env["TH_CRASH_SIGNING_SECRET"] = config_.signingSecret;
    if (!config_.telegram.url.empty()) env["TH_CRASH_TG_TOKEN"] = config_.telegram.token;
    return env;
}

void HostProcess::writeDeployment() {
    const HostConfig& c = config_;
    std::ofstream y(deploymentFile(), std::ios::trunc);
    y << "# Written by tests/crash/host_process.cpp: one Binance venue on the local emulator.\n";
    y << "webhook:\n  listen: \"127.0.0.1:" << port_ << "\"\n";
    if (!c.webhookSecret.empty()) y << "  secret: \"${TH_CRASH_WEBHOOK_SECRET}\"\n";
    if (!c.pathToken.empty()) y << "  path_token: \"${TH_CRASH_PATH_TOKEN}\"\n";
    if (!c.signingSecret.empty()) y << "  signing_secret: \"${TH_CRASH_SIGNING_SECRET}\"\n";
    if (!c.allowIps.empty()) {
        y << "  allow_ips: [";
        for (std::size_t i = 0; i < c.allowIps.size(); ++i) y << (i ? ", " : "") << "\"" << c.allowIps[i] << "\"";
        y << "]\n";
    }
    if (!c.trustedProxies.empty()) {
        y << "  trusted_proxies: [";
        for (std::size_t i = 0; i < c.trustedProxies.size(); ++i)
            y << (i ? ", " : "") << "\"" << c.trustedProxies[i] << "\"";
        y << "]\n";
    }
    if (c.maxBodyBytes) y << "  max_body_bytes: " << *c.maxBodyBytes << "\n";
    if (c.maxConnections) y << "  max_connections: " << *c.maxConnections << "\n";
    y << "storage:\n  dir: \"" << storageDir().string() << "\"\n";
    y << "risk:\n  max_signal_age_s: " << c.maxSignalAgeS << "\n";
    y << "resolver:\n  settle_window_s: " << c.settleWindowS << "\n  unresolved_alert_s: " << c.unresolvedAlertS
      << "\n  working_poll_ms: " << c.workingPollMs << "\n  working_queries_per_s: " << c.workingQueriesPerS << "\n";
    y << "reconciler:\n  interval_s: " << c.reconcileIntervalS << "\n";
    y << "venues:\n  - name: " << c.venue << "\n    type: binance_futures\n";
    if (!c.onDrift.empty()) y << "    on_drift: " << c.onDrift << "\n";
    y << "    settings:\n";
    y << "      base_url: \"" << emulatorUrl_ << "\"\n";
    y << "      api_key: \"${BINANCE_API_KEY}\"\n      api_secret: \"${BINANCE_API_SECRET}\"\n";
    y << "      ca_file: \"" << caFile_ << "\"\n";
    y << "      recv_window_ms: " << c.recvWindowMs << "\n";
    y << "      request_timeout_ms: " << c.requestTimeoutMs << "\n";
    y << "      connect_timeout_ms: " << c.connectTimeoutMs << "\n";
    y << "      weight_limit_per_minute: 1000000\n      order_limit_per_10s: " << c.orderLimitPer10s << "\n";
    if (c.hedgeMode) y << "      hedge_mode: true\n";
    if (!c.telegram.url.empty()) {
        y << "alerts:\n  - name: tg\n    type: telegram\n    settings:\n";
        y << "      token: \"${TH_CRASH_TG_TOKEN}\"\n      chat_id: \"" << c.telegram.chatId << "\"\n";
        y << "      base_url: \"" << c.telegram.url << "\"\n      ca_file: \"" << c.telegram.caFile << "\"\n";
        for (const auto& line : c.telegram.extraSettings) y << "      " << line << "\n";
    }
    if (!y) throw std::runtime_error("cannot write " + deploymentFile());
}

CommandResult HostProcess::command(const std::vector<std::string>& args) const {
    const RunResult r = runProcess(kTradehostBin, args, environment());
    return {r.exitCode, r.out, r.err};
}

bool HostProcess::start(const std::map<std::string, std::string>& env, std::chrono::milliseconds timeout) {
    if (running()) throw std::logic_error("tradehost is already running");
    finish();
    auto all = environment();
    for (const auto& [k, v] : env) all[k] = v;
    ++starts_;
    process_ =
        std::make_unique<BackgroundProcess>(kTradehostBin, std::vector<std::string>{"--config", deploymentFile()}, all);
    // Watches for the exit without reaping (WNOWAIT): the pid stays ours until wait() below, so
    // a kill() can never hit an unrelated process that reused it.
    const pid_t pid = process_->pid();
    exit_ = std::async(std::launch::async, [pid] {
                siginfo_t info{};
                while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
                }
                return 0;
            }).share();
    if (!process_->waitFor("Webhook: http://", timeout)) return false;
    std::smatch m;
    const std::string out = process_->out();
    if (!std::regex_search(out, m, std::regex("Webhook: http://127\\.0\\.0\\.1:([0-9]+)/webhook")))
        throw std::runtime_error("tradehost printed no webhook URL: " + out);
    const auto port = static_cast<unsigned short>(std::stoi(m[1]));
    if (port_ == 0) {
        // Pin the port for every later start: a sender keeps streaming to one URL across restarts.
        port_ = port;
        writeDeployment();
    }
    return true;
}

bool HostProcess::running() const {
    return process_ && exit_.valid() && exit_.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
}

std::optional<int> HostProcess::waitExit(std::chrono::milliseconds timeout) {
    if (!process_ || !exit_.valid()) return std::nullopt;
    if (exit_.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return process_->wait();
}

void HostProcess::kill() {
    if (!running()) return;
    ::kill(process_->pid(), SIGKILL);
    exit_.wait();
}

int HostProcess::stop() {
    if (!process_) return -1;
    if (running()) {
        ::kill(process_->pid(), SIGTERM);
        if (exit_.wait_for(std::chrono::seconds(20)) != std::future_status::ready) kill();
    }
    exit_.wait();
    const int code = process_->wait();
    if (code != 0) {
        // A stop that did not end cleanly: show how it ended (the test fails on the code).
        const std::string out = output();
        std::cout << "[host] SIGTERM ended with exit code " << code << "; the end of its output:\n"
                  << out.substr(out.size() > 3000 ? out.size() - 3000 : 0) << std::endl;
    }
    return code;
}

bool HostProcess::waitForOutput(const std::string& text, std::chrono::milliseconds timeout) {
    return process_ && process_->waitFor(text, timeout);
}

int HostProcess::pid() const { return process_ ? process_->pid() : -1; }

std::string HostProcess::output() const {
    if (!process_) return lastOutput_;
    return process_->out() + process_->err();
}

void HostProcess::finish() {
    if (!process_) return;
    exit_.wait();
    process_->wait();
    lastOutput_ = process_->out() + process_->err();
    std::ofstream((dir_ / ("host-" + std::to_string(starts_) + ".log")).string(), std::ios::trunc) << lastOutput_;
    process_.reset();
    exit_ = {};
}

}  // namespace tradehost::test
