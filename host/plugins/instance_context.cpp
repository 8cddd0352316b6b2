// The PluginContext the host lends each instance, and the data directory it names.
#include "plugins/instance_context.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tradehost::host {
namespace {

Poco::Message::Priority priorityOf(LogLevel level) {
    switch (level) {
        case LogLevel::Debug:
            return Poco::Message::PRIO_DEBUG;
        case LogLevel::Information:
            return Poco::Message::PRIO_INFORMATION;
        case LogLevel::Warning:
            return Poco::Message::PRIO_WARNING;
        case LogLevel::Error:
            return Poco::Message::PRIO_ERROR;
    }
    return Poco::Message::PRIO_INFORMATION;
}

}  // namespace

SystemClock& SystemClock::instance() {
    static SystemClock clock;
    return clock;
}

std::filesystem::path instanceDataDir(const std::filesystem::path& storageDir, const std::string& instanceName) {
    return std::filesystem::absolute(storageDir / "plugins" / instanceName).lexically_normal();
}

void createInstanceDataDir(const std::filesystem::path& dir) {
    const auto fail = [&](const std::filesystem::path& where, const std::string& why) {
        throw std::runtime_error("cannot create the data directory " + dir.string() + ": " + where.string() + ": " +
                                 why);
    };
    try {
        std::filesystem::create_directories(dir.parent_path().parent_path());
    } catch (const std::filesystem::filesystem_error& e) {
        fail(dir.parent_path().parent_path(), e.code().message());
    }
    for (const auto& level : {dir.parent_path(), dir}) {
        // mkdir's mode is cut by the umask, and an existing directory keeps its own: chmod says it.
        if (::mkdir(level.c_str(), 0700) != 0 && errno != EEXIST) fail(level, std::strerror(errno));
        struct stat st {};
        if (::stat(level.c_str(), &st) != 0) fail(level, std::strerror(errno));
        if (!S_ISDIR(st.st_mode)) fail(level, "exists and is not a directory");
        if ((st.st_mode & 07777) != 0700 && ::chmod(level.c_str(), 0700) != 0)
            fail(level, std::string("cannot set mode 0700: ") + std::strerror(errno));
    }
}

InstanceContext::InstanceContext(std::string instanceName, const std::string& loggerName, const Clock& clock,
                                 MetricsRegistry& metrics, std::string dataDir)
    : name_(std::move(instanceName)),
      dataDir_(std::move(dataDir)),
      logger_(Poco::Logger::get(loggerName)),
      clock_(clock),
      metrics_(name_ + ".", metrics) {}

void PocoLoggerAdapter::log(LogLevel level, const std::string& message) {
    const auto prio = priorityOf(level);
    if (logger_.is(prio)) logger_.log(Poco::Message(logger_.name(), message, prio));
}

bool PocoLoggerAdapter::enabled(LogLevel level) const { return logger_.is(priorityOf(level)); }

}  // namespace tradehost::host
