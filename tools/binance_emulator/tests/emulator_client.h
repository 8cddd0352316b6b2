// Test helper: a keep-alive HTTP(S) client for the emulator that signs fapi requests like a real client.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tradehost::binance_emulator::test {

struct HttpResult {
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    std::string header(const std::string& name) const;  // "" when absent
    Poco::JSON::Object::Ptr object() const;             // throws unless the body is an object
    Poco::JSON::Array::Ptr array() const;
    int code() const;                               // the envelope's "code"
    std::string str(const std::string& key) const;  // a field of the object body, as text
};

// Where the signed parameters travel (the docs allow all three for POST/DELETE).
enum class ParamsIn { Query, Body, Split };

class EmulatorClient {
public:
    EmulatorClient(std::string host, std::uint16_t port, std::string apiKey, std::string apiSecret,
                   Poco::Net::Context::Ptr tls = nullptr);

    HttpResult get(const std::string& pathAndQuery);
    // Appends timestamp (unless present) and signature, as the last parameter.
    HttpResult send(const std::string& method, const std::string& path, const std::string& params,
                    ParamsIn where = ParamsIn::Query);
    // Raw request with a pre-built query and body; no signing.
    HttpResult raw(const std::string& method, const std::string& pathAndQuery, const std::string& body = "",
                   const std::string& apiKey = "");
    HttpResult control(const std::string& method, const std::string& path, const std::string& json = "");

    // serverTime - local clock, as a client measures it after the emulator's clock moved.
    void syncTime();
    std::int64_t timestamp() const;
    void setTimeoutMs(int ms);
    std::string sign(const std::string& payload) const;
    const std::string& apiKey() const { return apiKey_; }

private:
    HttpResult exchange(Poco::Net::HTTPClientSession& session, const std::string& method,
                        const std::string& pathAndQuery, const std::string& body, const std::string& contentType,
                        const std::string& apiKey);

    std::string apiKey_;
    std::string apiSecret_;
    std::unique_ptr<Poco::Net::HTTPClientSession> fapi_;
    std::unique_ptr<Poco::Net::HTTPClientSession> control_;
    std::int64_t offsetMs_ = 0;
};

}  // namespace tradehost::binance_emulator::test
