// Runs a real child process (the tradehost binary) and collects its exit code and output.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

namespace tradehost::test {

struct RunResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};

// Runs to completion; `env` adds to (or overrides) the inherited environment.
inline RunResult runProcess(const std::string& exe, const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env = {}) {
    Poco::Pipe outPipe, errPipe;
    Poco::Process::Env penv(env.begin(), env.end());
    auto handle = Poco::Process::launch(exe, args, "", nullptr, &outPipe, &errPipe, penv);
    RunResult r;
    std::thread errReader([&] {
        Poco::PipeInputStream s(errPipe);
        Poco::StreamCopier::copyToString(s, r.err);
    });
    Poco::PipeInputStream s(outPipe);
    Poco::StreamCopier::copyToString(s, r.out);
    errReader.join();
    r.exitCode = handle.wait();
    return r;
}

// A long-running child whose combined output is read in the background, so a test can wait
// for a line, talk to the process, then stop it with a signal. Killed at destruction if alive.
class BackgroundProcess {
public:
    BackgroundProcess(const std::string& exe, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {})
        : handle_(launch(exe, args, env)) {
        reader_ = std::thread([this] { pump(out_, outPipe_); });
        errReader_ = std::thread([this] { pump(err_, errPipe_); });
    }
    ~BackgroundProcess() {
        if (!exited_) {
            try {
                Poco::Process::kill(handle_);
            } catch (...) {
            }
            wait();
        }
    }

    int pid() const { return handle_.id(); }

    // Waits until stdout or stderr contains `text`; false after `timeout`.
    bool waitFor(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] {
            return out_.find(text) != std::string::npos || err_.find(text) != std::string::npos || eof_ == 2;
        }) && (out_.find(text) != std::string::npos || err_.find(text) != std::string::npos);
    }

    int wait() {
        if (!exited_) {
            exitCode_ = handle_.wait();
            exited_ = true;
            reader_.join();
            errReader_.join();
        }
        return exitCode_;
    }
    std::string out() {
        std::lock_guard<std::mutex> lock(mutex_);
        return out_;
    }
    std::string err() {
        std::lock_guard<std::mutex> lock(mutex_);
        return err_;
    }

private:
    Poco::ProcessHandle launch(const std::string& exe, const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& env) {
        Poco::Process::Env penv(env.begin(), env.end());
        return Poco::Process::launch(exe, args, "", nullptr, &outPipe_, &errPipe_, penv);
    }
    void pump(std::string& sink, Poco::Pipe& pipe) {
        char buf[4096];
        for (;;) {
            const int n = pipe.readBytes(buf, sizeof buf);
            std::lock_guard<std::mutex> lock(mutex_);
            if (n <= 0) {
                ++eof_;
                changed_.notify_all();
                return;
            }
            sink.append(buf, static_cast<std::size_t>(n));
            changed_.notify_all();
        }
    }

    Poco::Pipe outPipe_, errPipe_;
    Poco::ProcessHandle handle_;
    std::thread reader_, errReader_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::string out_, err_;
    int eof_ = 0;
    bool exited_ = false;
    int exitCode_ = -1;
};

}  // namespace tradehost::test
