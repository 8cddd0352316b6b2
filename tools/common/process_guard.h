// Test helpers for the emulators: a child process and a temporary directory cleaned up even when a test fails, a
// self-signed certificate made at test time and a client context that trusts it.
#pragma once

#include <Poco/File.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tradehost::tools::test {

class TempDir {
public:
    TempDir() {
        std::string pattern = "/tmp/tradehost-tools-test-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        try {
            Poco::File(path_).remove(true);
        } catch (...) {
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Owns a launched process: SIGTERM, then SIGKILL after 5 s, on destruction if still running.
class ProcessGuard {
public:
    ProcessGuard(const std::string& command, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {})
        : handle_(launch(command, args, env)) {}
    ~ProcessGuard() { stop(); }
    ProcessGuard(const ProcessGuard&) = delete;
    ProcessGuard& operator=(const ProcessGuard&) = delete;

    // The next line of the child's stdout ("" at end of stream).
    std::string readLine() {
        std::string line;
        std::getline(out_, line);
        return line;
    }
    std::string readAll() {
        std::string all;
        std::string line;
        while (std::getline(out_, line)) all += line + "\n";
        return all;
    }
    // Sends `signal` and waits up to `timeoutMs` for the exit; returns the exit code or -1.
    int terminate(int signal, int timeoutMs) {
        if (exited_) return exitCode_;
        ::kill(handle_.id(), signal);
        return waitFor(timeoutMs);
    }
    int waitFor(int timeoutMs) {
        for (int waited = 0; !exited_ && waited <= timeoutMs; waited += 20) {
            const int rc = handle_.tryWait();
            if (rc != -1) {
                exited_ = true;
                exitCode_ = rc;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return exited_ ? exitCode_ : -1;
    }
    void stop() {
        if (exited_) return;
        if (terminate(SIGTERM, 5000) == -1) {
            ::kill(handle_.id(), SIGKILL);
            waitFor(5000);
        }
    }

private:
    Poco::ProcessHandle launch(const std::string& command, const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& env) {
        Poco::Process::Env penv(env.begin(), env.end());
        return Poco::Process::launch(command, Poco::Process::Args(args.begin(), args.end()), nullptr, &outPipe_,
                                     nullptr, penv);
    }

    Poco::Pipe outPipe_;
    Poco::ProcessHandle handle_;
    Poco::PipeInputStream out_{outPipe_};
    bool exited_ = false;
    int exitCode_ = -1;
};

// A self-signed certificate for 127.0.0.1 in dir (cert.pem, key.pem), made with the openssl CLI.
inline void makeSelfSignedCert(const TempDir& dir) {
    ProcessGuard openssl("/usr/bin/openssl", {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                                              "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                                              dir.file("key.pem"), "-out", dir.file("cert.pem")});
    openssl.readAll();  // openssl's chatter goes to stderr; stdout closes when it exits
    if (openssl.waitFor(20000) != 0) throw std::runtime_error("openssl could not make a test certificate");
}

// A client context that trusts exactly the test certificate and checks the peer against it.
inline Poco::Net::Context::Ptr trustingClientContext(const std::string& certFile) {
    Poco::Net::initializeSSL();
    return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", certFile,
                                  Poco::Net::Context::VERIFY_RELAXED, 9, false, "HIGH:!aNULL:!MD5");
}

}  // namespace tradehost::tools::test
