// The Binance futures emulator as a real process over HTTPS: the venue that outlives a crashed host.
#pragma once

#include <Poco/Net/Context.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tradehost::test {

class BackgroundProcess;

// One order in the emulator's ledger. `orderId` is empty for an order that never reached the
// book (a late order still pending, or refused when its time came): only orders with an id exist.
struct VenueOrder {
    std::string clientOrderId;
    std::optional<std::int64_t> orderId;
    std::string symbol;
    std::string side;
    std::string status;
    std::string quantity;
    std::string executedQty;
    std::string fault;            // the fault that fired on the request that created it ("" for none)
    std::string positionSide;     // BOTH in one-way mode; LONG / SHORT (the book used) in hedge mode
    std::string type;             // MARKET / LIMIT
    std::int64_t acceptedAt = 0;  // emulator-clock ms when the order's POST was accepted
};

// How the emulator process starts (defaults: what every scenario so far needs).
struct EmulatorOptions {
    bool hedgeMode = false;  // --hedge-mode: accounts start with dualSidePosition=true
};

class EmulatorProcess {
public:
    // Makes a self-signed certificate for 127.0.0.1 in `dir`, starts the emulator on a free
    // loopback port with canary credentials and order/weight limits high enough that rate
    // limiting never shapes a test, and waits for its "listening on" line. Throws on failure.
    explicit EmulatorProcess(const std::filesystem::path& dir, EmulatorOptions options = {});
    ~EmulatorProcess();
    EmulatorProcess(const EmulatorProcess&) = delete;
    EmulatorProcess& operator=(const EmulatorProcess&) = delete;

    const std::string& url() const { return url_; }  // https://127.0.0.1:PORT
    std::string caFile() const { return (dir_ / "cert.pem").string(); }
    const std::string& apiKey() const { return apiKey_; }
    const std::string& apiSecret() const { return apiSecret_; }

    // The control API: returns the body, throws std::runtime_error unless the status is 200.
    std::string control(const std::string& method, const std::string& path, const std::string& json = "");
    void addFault(const std::string& json) { control("POST", "/control/faults", json); }
    void clearFaults() { control("POST", "/control/faults", R"({"mode":"clear"})"); }
    void setUniqueness(const std::string& mode);  // open | global | none

    std::vector<VenueOrder> ledger();
    // How many times each fault mode actually fired since the emulator started.
    std::map<std::string, long> faultsFired();
    long faultsFiredTotal();
    long pendingLateOrders();
    // How many outages (/control/outage) the emulator has served since it started.
    long outages();
    // GET /fapi/v2/positionRisk, signed with the account's key as a client would ask: positionAmt
    // per "SYMBOL" (one-way BOTH) or "SYMBOL/LONG", "SYMBOL/SHORT" (hedge mode), non-zero ones only.
    std::map<std::string, std::string> positionRisk();
    // A signed Binance API call, as another program on the same account would make it (params
    // form-encoded, without timestamp and signature); the body of a 200, else throws.
    std::string signedCall(const std::string& method, const std::string& path, const std::string& params = "");

private:
    std::filesystem::path dir_;
    std::string apiKey_, apiSecret_, url_;
    std::string host_;
    unsigned short port_ = 0;
    Poco::Net::Context::Ptr tls_;
    std::unique_ptr<BackgroundProcess> process_;
};

// A random hex string, for canary credentials and secrets that must be grep-able in outputs.
std::string randomHex(std::size_t bytes);

// A self-signed certificate for 127.0.0.1: <dir>/cert.pem and <dir>/key.pem (the emulators').
void makeTestCertificate(const std::filesystem::path& dir);

// One request to an emulator's control API over HTTPS; the body, or std::runtime_error naming
// `what` unless the status is 200.
std::string httpsControl(const std::string& host, unsigned short port, const Poco::Net::Context::Ptr& tls,
                         const std::string& method, const std::string& path, const std::string& json,
                         const std::string& what);

}  // namespace tradehost::test
