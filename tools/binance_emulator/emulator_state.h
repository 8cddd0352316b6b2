// Everything the request handlers share: clock, exchange, limits, faults and run-time switches.
#pragma once

#include <Poco/Net/TCPServer.h>

#include <atomic>
#include <vector>

#include "emulator_clock.h"
#include "exchange.h"
#include "fault_injector.h"
#include "outage_switch.h"
#include "rate_limiter.h"

namespace tradehost::binance_emulator {

struct EmulatorState {
    EmulatorState(std::vector<SymbolSpec> symbols, std::vector<Credential> credentials, bool hedgeMode,
                  RateLimits limits)
        : exchange(clock, std::move(symbols), std::move(credentials), hedgeMode),
          limiter(clock, limits),
          initialLimits(limits) {}

    EmulatorClock clock;  // first: the others keep a reference to it
    Exchange exchange;
    RateLimiter limiter;
    FaultInjector faults;
    const RateLimits initialLimits;
    // Off: a bad signature is accepted and the ledger says signatureValid=false (to test clients
    // whose signing is being debugged without failing every order).
    std::atomic<bool> verifySignatures{true};
    std::atomic<bool> verbose{false};
    // Set while the server runs, for connection counts in /control/state.
    std::atomic<const Poco::Net::TCPServer*> server{nullptr};
    OutageSwitch outages;
};

}  // namespace tradehost::binance_emulator
