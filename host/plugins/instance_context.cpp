// The PluginContext the host lends each instance.
#include "plugins/instance_context.h"

namespace tradehost::host {
namespace {

Poco::Message::Priority priorityOf(LogLevel level) {
    switch (level) {
        case LogLevel::Debug: return Poco::Message::PRIO_DEBUG;
        case LogLevel::Information: return Poco::Message::PRIO_INFORMATION;
        case LogLevel::Warning: return Poco::Message::PRIO_WARNING;
        case LogLevel::Error: return Poco::Message::PRIO_ERROR;
    }
    return Poco::Message::PRIO_INFORMATION;
}

}  // namespace

SystemClock& SystemClock::instance() {
    static SystemClock clock;
    return clock;
}

InstanceContext::InstanceContext(std::string instanceName, const std::string& loggerName, const Clock& clock,
                                 MetricsRegistry& metrics)
    : name_(std::move(instanceName)),
      logger_(Poco::Logger::get(loggerName)),
      clock_(clock),
      metrics_(name_ + ".", metrics) {}

void PocoLoggerAdapter::log(LogLevel level, const std::string& message) {
    const auto prio = priorityOf(level);
    if (logger_.is(prio)) logger_.log(Poco::Message(logger_.name(), message, prio));
}

bool PocoLoggerAdapter::enabled(LogLevel level) const { return logger_.is(priorityOf(level)); }

}  // namespace tradehost::host
