// The test client: one kept-alive session for /fapi, another for /control.
#include "emulator_client.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include "emulator_clock.h"
#include "signature.h"

namespace tradehost::binance_emulator::test {

std::string HttpResult::header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
        if (Poco::icompare(n, name) == 0) return v;
    }
    return "";
}

Poco::JSON::Object::Ptr HttpResult::object() const {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr HttpResult::array() const {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Array::Ptr>();
}

int HttpResult::code() const { return object()->getValue<int>("code"); }

std::string HttpResult::str(const std::string& key) const { return object()->get(key).toString(); }

EmulatorClient::EmulatorClient(std::string host, std::uint16_t port, std::string apiKey, std::string apiSecret,
                               Poco::Net::Context::Ptr tls)
    : apiKey_(std::move(apiKey)), apiSecret_(std::move(apiSecret)) {
    if (tls) {
        fapi_ = std::make_unique<Poco::Net::HTTPSClientSession>(host, port, tls);
        control_ = std::make_unique<Poco::Net::HTTPSClientSession>(host, port, tls);
    } else {
        fapi_ = std::make_unique<Poco::Net::HTTPClientSession>(host, port);
        control_ = std::make_unique<Poco::Net::HTTPClientSession>(host, port);
    }
    fapi_->setKeepAlive(true);
    control_->setKeepAlive(true);
    setTimeoutMs(10000);
}

void EmulatorClient::setTimeoutMs(int ms) {
    fapi_->setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms) * 1000));
}

std::int64_t EmulatorClient::timestamp() const { return EmulatorClock::wallMs() + offsetMs_; }

std::string EmulatorClient::sign(const std::string& payload) const { return hmacSha256Hex(apiSecret_, payload); }

void EmulatorClient::syncTime() {
    const std::int64_t before = EmulatorClock::wallMs();
    HttpResult r = get("/fapi/v1/time");
    const std::int64_t after = EmulatorClock::wallMs();
    offsetMs_ = r.object()->getValue<Poco::Int64>("serverTime") - (before + after) / 2;
}

HttpResult EmulatorClient::get(const std::string& pathAndQuery) {
    return exchange(*fapi_, "GET", pathAndQuery, "", "", apiKey_);
}

HttpResult EmulatorClient::send(const std::string& method, const std::string& path, const std::string& params,
                                ParamsIn where) {
    std::string payload = params;
    if (payload.find("timestamp=") == std::string::npos)
        payload += (payload.empty() ? "" : "&") + std::string("timestamp=") + std::to_string(timestamp());
    const std::string form = "application/x-www-form-urlencoded";
    switch (where) {
        case ParamsIn::Query:
            return exchange(*fapi_, method, path + "?" + payload + "&signature=" + sign(payload), "", "", apiKey_);
        case ParamsIn::Body:
            return exchange(*fapi_, method, path, payload + "&signature=" + sign(payload), form, apiKey_);
        case ParamsIn::Split: {
            // Everything up to the first '&' in the query, the rest in the body: totalParams is
            // their plain concatenation, with no '&' in between.
            const auto amp = payload.find('&');
            const std::string query = payload.substr(0, amp);
            const std::string body = amp == std::string::npos ? "" : payload.substr(amp + 1);
            return exchange(*fapi_, method, path + "?" + query, body + "&signature=" + sign(query + body), form,
                            apiKey_);
        }
    }
    return {};
}

HttpResult EmulatorClient::raw(const std::string& method, const std::string& pathAndQuery, const std::string& body,
                               const std::string& apiKey) {
    return exchange(*fapi_, method, pathAndQuery, body, body.empty() ? "" : "application/x-www-form-urlencoded",
                    apiKey);
}

HttpResult EmulatorClient::control(const std::string& method, const std::string& path, const std::string& json) {
    return exchange(*control_, method, path, json, json.empty() ? "" : "application/json", "");
}

HttpResult EmulatorClient::exchange(Poco::Net::HTTPClientSession& session, const std::string& method,
                                    const std::string& pathAndQuery, const std::string& body,
                                    const std::string& contentType, const std::string& apiKey) {
    Poco::Net::HTTPRequest request(method, pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    if (!apiKey.empty()) request.set("X-MBX-APIKEY", apiKey);
    if (!contentType.empty()) request.setContentType(contentType);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    try {
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        HttpResult r;
        r.status = static_cast<int>(response.getStatus());
        Poco::StreamCopier::copyToString(in, r.body);
        for (const auto& [name, value] : response) r.headers.emplace_back(name, value);
        return r;
    } catch (...) {
        // A dropped or reset connection leaves the session unusable; the next call reconnects.
        session.reset();
        throw;
    }
}

}  // namespace tradehost::binance_emulator::test
