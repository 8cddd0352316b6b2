// Test helper: the real telegram-emulator process over HTTPS on loopback, and a client for it.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "process_guard.h"

namespace tradehost::telegram_emulator::test {

using tools::test::ProcessGuard;
using tools::test::TempDir;

constexpr const char* kToken = "123456:emulator-token";

struct Answer {
    int status = 0;
    std::string body;
    Poco::JSON::Object::Ptr json() const {
        Poco::JSON::Parser parser;
        return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    }
};

// One certificate for the whole test run: openssl is slow enough to matter per test.
inline const TempDir& certDir() {
    static TempDir dir;
    static bool made = false;
    if (!made) {
        tools::test::makeSelfSignedCert(dir);
        made = true;
    }
    return dir;
}

class TelegramEmulator {
public:
    explicit TelegramEmulator(std::vector<std::string> extraArgs = {}) {
        std::vector<std::string> args = {
            "--listen", "127.0.0.1:0", "--cert", certDir().file("cert.pem"), "--key", certDir().file("key.pem")};
        args.insert(args.end(), extraArgs.begin(), extraArgs.end());
        process_ = std::make_unique<ProcessGuard>(TELEGRAM_EMULATOR_EXE, args);
        const std::string line = process_->readLine();
        const std::string prefix = "telegram-emulator listening on https://127.0.0.1:";
        INFO(line);
        REQUIRE(line.rfind(prefix, 0) == 0);
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(prefix.size())));
        tls_ = tools::test::trustingClientContext(certDir().file("cert.pem"));
        session_ = newSession();
    }

    std::uint16_t port() const { return port_; }
    ProcessGuard& process() { return *process_; }

    std::unique_ptr<Poco::Net::HTTPSClientSession> newSession() const {
        auto s = std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", port_, tls_);
        s->setTimeout(Poco::Timespan(30, 0));
        return s;
    }

    // Any request on the kept-alive session; throws on a transport failure.
    Answer request(const std::string& method, const std::string& pathAndQuery, const std::string& body = "",
                   const std::string& contentType = "application/json") {
        return requestOn(*session_, method, pathAndQuery, body, contentType);
    }
    static Answer requestOn(Poco::Net::HTTPSClientSession& session, const std::string& method,
                            const std::string& pathAndQuery, const std::string& body, const std::string& contentType) {
        Poco::Net::HTTPRequest req(method, pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!body.empty() || method == "POST") {
            req.setContentType(contentType);
            req.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        session.sendRequest(req) << body;
        Poco::Net::HTTPResponse res;
        std::istream& in = session.receiveResponse(res);
        Answer a;
        a.status = static_cast<int>(res.getStatus());
        Poco::StreamCopier::copyToString(in, a.body);
        return a;
    }

    // POST /bot<token>/<method> with a JSON body.
    Answer bot(const std::string& method, const std::string& json, const std::string& token = kToken) {
        return request("POST", "/bot" + token + "/" + method, json);
    }
    Answer send(std::int64_t chatId, const std::string& text, const std::string& parseMode = "") {
        Poco::JSON::Object o;
        o.set("chat_id", chatId);
        o.set("text", text);
        if (!parseMode.empty()) o.set("parse_mode", parseMode);
        std::ostringstream json;
        o.stringify(json);
        return bot("sendMessage", json.str());
    }
    Answer control(const std::string& method, const std::string& path, const std::string& json = "") {
        return request(method, path, json);
    }
    Poco::JSON::Array::Ptr messages() {
        const Answer a = control("GET", "/control/messages");
        REQUIRE(a.status == 200);
        return a.json()->getArray("messages");
    }
    Poco::JSON::Object::Ptr stats() {
        const Answer a = control("GET", "/control/stats");
        REQUIRE(a.status == 200);
        return a.json();
    }

private:
    std::unique_ptr<ProcessGuard> process_;
    std::uint16_t port_ = 0;
    Poco::Net::Context::Ptr tls_;
    std::unique_ptr<Poco::Net::HTTPSClientSession> session_;
};

}  // namespace tradehost::telegram_emulator::test
