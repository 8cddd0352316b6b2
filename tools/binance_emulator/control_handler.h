// The test-only control API under /control: faults, prices, fills, positions, clock, limits, ledger, outages, reset.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "emulator_state.h"

namespace tradehost::binance_emulator {

// JSON in, JSON out; errors are {"error": "..."} with 400 (bad input) or 404 (unknown path).
// Unauthenticated on purpose: the emulator listens on loopback for tests and never holds value.
class ControlHandler : public Poco::Net::HTTPRequestHandler {
public:
    explicit ControlHandler(EmulatorState& state) : state_(state) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
    EmulatorState& state_;
};

}  // namespace tradehost::binance_emulator
