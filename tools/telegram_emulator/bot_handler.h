// HTTP handlers of the Telegram emulator: the Bot API under /bot<token>/ and the test control API under /control/.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <cstdint>
#include <string>

#include "bot_state.h"

namespace tradehost::telegram_emulator {

struct BotIdentity {
    std::string token;
    std::int64_t maxPollTimeoutMs = 50000;  // getUpdates timeout cap
};

// Picks the handler by path; called from many threads, it only reads the path.
class BotRouter : public Poco::Net::HTTPRequestHandlerFactory {
public:
    BotRouter(BotState& state, BotIdentity identity) : state_(state), identity_(std::move(identity)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

private:
    BotState& state_;
    const BotIdentity identity_;
};

}  // namespace tradehost::telegram_emulator
