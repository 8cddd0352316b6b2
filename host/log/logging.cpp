// Process logging: Poco loggers behind a channel that redacts secrets.
#include "log/logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>

#include "log/redactor.h"

namespace tradehost::host {

void RedactingChannel::log(const Poco::Message& msg) {
    Poco::Message copy(msg);
    copy.setText(Redactor::instance().redact(msg.getText()));
    next_->log(copy);
}

void setupLogging(const std::string& level) {
    Poco::AutoPtr<Poco::PatternFormatter> formatter(new Poco::PatternFormatter("%Y-%m-%d %H:%M:%S.%i %p [%s] %t"));
    formatter->setProperty("times", "UTC");
    Poco::AutoPtr<Poco::Channel> console(new Poco::ConsoleChannel);
    Poco::AutoPtr<Poco::Channel> formatting(new Poco::FormattingChannel(formatter, console));
    Poco::AutoPtr<Poco::Channel> redacting(new RedactingChannel(formatting));
    Poco::Logger::root().setChannel(redacting);
    Poco::Logger::root().setLevel(level);
    // Loggers created before this call keep their old channel; give them the new one too.
    Poco::Logger::setChannel("", redacting);
    Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
}

}  // namespace tradehost::host
