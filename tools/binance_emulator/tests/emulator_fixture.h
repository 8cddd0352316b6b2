// Test helper: an in-process emulator on 127.0.0.1, port 0, with a client already pointed at it.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <csignal>
#include <memory>
#include <string>

#include "emulator_client.h"
#include "emulator_server.h"

namespace tradehost::binance_emulator::test {

inline constexpr const char* kTestKey = "test-api-key";
inline constexpr const char* kTestSecret = "test-api-secret";

// Sliding windows so a test never straddles the calendar minute in the limiter's eyes.
inline EmulatorConfig testConfig() {
    EmulatorConfig c;
    c.host = "127.0.0.1";
    c.port = 0;
    c.credentials.push_back({kTestKey, kTestSecret});
    c.limits.slidingWindow = true;
    c.threads = 16;
    return c;
}

struct RunningEmulator {
    explicit RunningEmulator(EmulatorConfig config = testConfig()) : server(std::move(config)) {
        // A dropped connection must fail the client's write, not kill the test process.
        std::signal(SIGPIPE, SIG_IGN);
        server.start();
        client = std::make_unique<EmulatorClient>("127.0.0.1", server.port(), kTestKey, kTestSecret);
    }
    ~RunningEmulator() { server.stop(); }

    EmulatorClient& api() { return *client; }

    EmulatorServer server;
    std::unique_ptr<EmulatorClient> client;
};

inline std::string field(const Poco::JSON::Object::Ptr& o, const std::string& key) { return o->get(key).toString(); }
inline Poco::JSON::Object::Ptr at(const Poco::JSON::Array::Ptr& a, unsigned i) { return a->getObject(i); }

}  // namespace tradehost::binance_emulator::test
