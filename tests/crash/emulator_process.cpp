// The Binance futures emulator as a real process over HTTPS: the venue that outlives a crashed host.
#include "emulator_process.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <csignal>
#include <random>
#include <regex>
#include <stdexcept>

#include "crash_paths.h"
#include "process_runner.h"

namespace tradehost::test {
namespace {

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::string textOf(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o->has(key) || o->isNull(key)) return "";
    return o->get(key).convert<std::string>();
}

}  // namespace

void makeTestCertificate(const std::filesystem::path& dir) {
    const auto cert = runProcess(kOpenSslBin, {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                                               "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                                               (dir / "key.pem").string(), "-out", (dir / "cert.pem").string()});
    if (cert.exitCode != 0) throw std::runtime_error("openssl could not make a test certificate: " + cert.err);
}

std::string httpsControl(const std::string& host, unsigned short port, const Poco::Net::Context::Ptr& tls,
                         const std::string& method, const std::string& path, const std::string& json,
                         const std::string& what) {
    Poco::Net::HTTPSClientSession session(host, port, tls);
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(json.size()));
    session.sendRequest(request) << json;
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
        throw std::runtime_error(what + " " + method + " " + path + " " + json + ": HTTP " +
                                 std::to_string(static_cast<int>(response.getStatus())) + " " + body);
    return body;
}

std::string randomHex(std::size_t bytes) {
    static const char* kHex = "0123456789abcdef";
    std::random_device device;
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        const auto b = static_cast<unsigned>(device()) & 0xffu;
        out += kHex[b >> 4];
        out += kHex[b & 15u];
    }
    return out;
}

EmulatorProcess::EmulatorProcess(const std::filesystem::path& dir, EmulatorOptions options)
    : dir_(dir), apiKey_("crash-key-" + randomHex(8)), apiSecret_("crash-secret-" + randomHex(16)) {
    std::filesystem::create_directories(dir_);
    makeTestCertificate(dir_);

    // Limits far above any test's load: rate limiting has its own tests; here it would only
    // shape timings (a test about limits sets them through /control/limits). The secret travels
    // in the environment, never on the command line.
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--cert", caFile(), "--key", (dir_ / "key.pem").string()};
    for (const char* limit : {"--orders-per-10s", "1000000", "--orders-per-minute", "10000000", "--weight-per-minute",
                              "10000000", "--sliding-window"})
        args.emplace_back(limit);
    if (options.hedgeMode) args.push_back("--hedge-mode");
    process_ = std::make_unique<BackgroundProcess>(
        kEmulatorBin, args,
        std::map<std::string, std::string>{{"BINANCE_EMULATOR_API_KEY", apiKey_},
                                           {"BINANCE_EMULATOR_API_SECRET", apiSecret_}});
    if (!process_->waitFor("listening on https://"))
        throw std::runtime_error("the emulator did not start: " + process_->err());
    std::smatch m;
    const std::string out = process_->out();
    if (!std::regex_search(out, m, std::regex("listening on (https://127\\.0\\.0\\.1:([0-9]+))")))
        throw std::runtime_error("no 'listening on' line from the emulator: " + out);
    url_ = m[1];
    host_ = "127.0.0.1";
    port_ = static_cast<unsigned short>(std::stoi(m[2]));

    Poco::Net::initializeSSL();
    // Trusts exactly the test certificate and checks the peer against it.
    tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", caFile(),
                                  Poco::Net::Context::VERIFY_RELAXED, 9, false, "HIGH:!aNULL:!MD5");
}

EmulatorProcess::~EmulatorProcess() {
    if (process_) {
        ::kill(process_->pid(), SIGTERM);
        process_->wait();
    }
}

std::string EmulatorProcess::control(const std::string& method, const std::string& path, const std::string& json) {
    return httpsControl(host_, port_, tls_, method, path, json, "emulator");
}

void EmulatorProcess::setUniqueness(const std::string& mode) {
    control("POST", "/control/settings", "{\"client_id_uniqueness\":\"" + mode + "\"}");
}

std::vector<VenueOrder> EmulatorProcess::ledger() {
    const auto root = parseObject(control("GET", "/control/ledger"));
    const auto orders = root->getArray("orders");
    std::vector<VenueOrder> out;
    for (std::size_t i = 0; i < orders->size(); ++i) {
        const auto o = orders->getObject(static_cast<unsigned>(i));
        VenueOrder v;
        v.clientOrderId = textOf(o, "clientOrderId");
        if (o->has("orderId") && !o->isNull("orderId")) v.orderId = o->getValue<Poco::Int64>("orderId");
        v.symbol = textOf(o, "symbol");
        v.side = textOf(o, "side");
        v.status = textOf(o, "status");
        v.quantity = textOf(o, "quantity");
        v.executedQty = textOf(o, "executedQty");
        v.fault = textOf(o, "fault");
        v.positionSide = textOf(o, "positionSide");
        v.type = textOf(o, "type");
        if (o->has("acceptedAt") && !o->isNull("acceptedAt")) v.acceptedAt = o->getValue<Poco::Int64>("acceptedAt");
        out.push_back(std::move(v));
    }
    return out;
}

std::map<std::string, long> EmulatorProcess::faultsFired() {
    const auto root = parseObject(control("GET", "/control/faults"));
    std::map<std::string, long> out;
    if (const auto totals = root->getObject("fired_total"))
        for (const auto& [mode, n] : *totals) out[mode] = n.convert<long>();
    return out;
}

long EmulatorProcess::faultsFiredTotal() {
    long total = 0;
    for (const auto& [mode, n] : faultsFired()) total += n;
    return total;
}

long EmulatorProcess::pendingLateOrders() {
    return parseObject(control("GET", "/control/state"))->getValue<long>("pendingLateOrders");
}

long EmulatorProcess::outages() { return parseObject(control("GET", "/control/state"))->getValue<long>("outages"); }

std::string EmulatorProcess::signedCall(const std::string& method, const std::string& path, const std::string& params) {
    const std::int64_t nowMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    const std::string query =
        (params.empty() ? "" : params + "&") + "recvWindow=5000&timestamp=" + std::to_string(nowMs);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int macLength = 0;
    HMAC(EVP_sha256(), apiSecret_.data(), static_cast<int>(apiSecret_.size()),
         reinterpret_cast<const unsigned char*>(query.data()), query.size(), mac, &macLength);
    static const char* kHex = "0123456789abcdef";
    std::string signature;
    for (unsigned int i = 0; i < macLength; ++i) {
        signature += kHex[mac[i] >> 4];
        signature += kHex[mac[i] & 15u];
    }
    Poco::Net::HTTPSClientSession session(host_, port_, tls_);
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, path + "?" + query + "&signature=" + signature,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("X-MBX-APIKEY", apiKey_);
    request.setContentLength(0);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
        throw std::runtime_error("emulator " + method + " " + path + ": HTTP " +
                                 std::to_string(static_cast<int>(response.getStatus())) + " " + body);
    return body;
}

std::map<std::string, std::string> EmulatorProcess::positionRisk() {
    const std::string body = signedCall("GET", "/fapi/v2/positionRisk");
    Poco::JSON::Parser parser;
    const auto rows = parser.parse(body).extract<Poco::JSON::Array::Ptr>();
    std::map<std::string, std::string> out;
    for (std::size_t i = 0; i < rows->size(); ++i) {
        const auto row = rows->getObject(static_cast<unsigned>(i));
        const std::string amount = textOf(row, "positionAmt");
        if (amount.find_first_not_of("0.-") == std::string::npos) continue;  // zero: no position
        const std::string side = textOf(row, "positionSide");
        out[side == "BOTH" || side.empty() ? textOf(row, "symbol") : textOf(row, "symbol") + "/" + side] = amount;
    }
    return out;
}

}  // namespace tradehost::test
