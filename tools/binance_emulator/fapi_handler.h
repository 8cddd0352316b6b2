// The handler for every /fapi request: rate limits, faults, authentication, then the endpoint itself.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "emulator_state.h"
#include "request_params.h"

namespace tradehost::binance_emulator {

enum class Endpoint {
    Ping,
    Time,
    ExchangeInfo,
    TickerPrice,
    NewOrder,
    QueryOrder,
    CancelOrder,
    OpenOrders,
    OpenOrder,
    PositionRiskV2,
    PositionRiskV3,
    DualGet,
    DualPost,
};

struct Route {
    const char* method;
    const char* path;
    Endpoint endpoint;
    int weight;     // IP weight (reference A9); openOrders without a symbol costs 40
    bool isSigned;  // TRADE / USER_DATA: key, signature and timestamp required
};

// The route for a method and path, or nullptr.
const Route* findRoute(const std::string& method, const std::string& path);

class FapiHandler : public Poco::Net::HTTPRequestHandler {
public:
    explicit FapiHandler(EmulatorState& state) : state_(state) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

    struct Reply {
        int status = 200;
        std::string body;
        std::string contentType = "application/json";
        std::vector<std::pair<std::string, std::string>> headers;
        bool weightHeader = true;  // gateway HTML pages come without Binance's headers
        enum class Abort { None, Drop, Reset } abort = Abort::None;
    };

private:
    Reply process(const Route& route, const RequestParams& params, const Poco::Net::HTTPServerRequest& request,
                  const std::string& ip, std::int64_t receivedAtUs);
    Reply dispatch(const Route& route, const RequestParams& params, std::size_t account, const RequestContext& context,
                   const std::optional<Fault>& late, bool& lateAccepted);
    Reply newOrder(const RequestParams& params, std::size_t account, const RequestContext& context,
                   const std::optional<Fault>& late, bool& lateAccepted);

    EmulatorState& state_;
};

}  // namespace tradehost::binance_emulator
