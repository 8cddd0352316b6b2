// Process logging: Poco loggers behind a channel that redacts secrets before anything is written.
#pragma once

#include <string>

#include <Poco/Channel.h>
#include <Poco/Message.h>

namespace tradehost::host {

// Forwards every message to `next` with known secrets replaced by "***".
class RedactingChannel : public Poco::Channel {
public:
    explicit RedactingChannel(Poco::Channel::Ptr next) : next_(std::move(next)) {}
    void log(const Poco::Message& msg) override;
    void open() override { next_->open(); }
    void close() override { next_->close(); }

private:
    Poco::Channel::Ptr next_;
};

// Sends the root logger to stderr through the redactor ("information" unless `level` says
// otherwise: trace, debug, information, notice, warning, error).
void setupLogging(const std::string& level);

}  // namespace tradehost::host
