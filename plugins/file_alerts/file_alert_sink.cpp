// The "file_alerts" sink: JSON-lines encoding, directory creation, durable appends, reopen after removal.
#include "file_alert_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <tradehost/utf8.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <stdexcept>

#include "tradehost/plugin.h"

namespace tradehost::file_alerts {

namespace {

constexpr std::chrono::milliseconds kRetryAfter{1000};
constexpr const char* kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// strerror() is not thread-safe; glibc's strerror_r returns char* under _GNU_SOURCE (which g++
// always defines) and the POSIX one returns int, so accept either.
[[maybe_unused]] const char* pickMessage(int result, const char* buffer) {
    return result == 0 ? buffer : "unknown error";
}
[[maybe_unused]] const char* pickMessage(const char* result, const char*) { return result; }

std::string errnoText(int error) {
    char buffer[256] = {};
    return pickMessage(strerror_r(error, buffer, sizeof buffer), buffer);
}

// mkdir -p for the directories above `path`. Mode 0700: alert files are 0600, and the
// directories we create hold nothing else. Returns an error text, empty on success.
std::string makeParentDirectories(const std::string& path) {
    const std::size_t lastSlash = path.find_last_of('/');
    if (lastSlash == std::string::npos || lastSlash == 0) return {};
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos && slash <= lastSlash;
         slash = path.find('/', slash + 1)) {
        const std::string directory = path.substr(0, slash);
        // EEXIST also covers a file in the way; the next mkdir or the open then says ENOTDIR.
        if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
            return "cannot create directory '" + directory + "' for alert file '" + path + "': " + errnoText(errno);
        }
    }
    return {};
}

// A new directory entry is only durable once its directory is synced; without this an alert
// that send() reported Ok could vanish with its freshly created file after a power loss.
void syncParentDirectory(const std::string& path) {
    const std::size_t lastSlash = path.find_last_of('/');
    const std::string directory =
        lastSlash == std::string::npos ? "." : (lastSlash == 0 ? "/" : path.substr(0, lastSlash));
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;  // best effort: some file systems refuse to open or sync directories
    (void)::fsync(fd);
    ::close(fd);
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else if (c >= 0x80) {
            const std::size_t length = utf8SequenceLength(text, i);
            if (length == 0) {
                out += kReplacementCharacter;
            } else {
                out.append(text.substr(i, length));
                i += length;
                continue;
            }
        } else {
            out += static_cast<char>(c);
        }
        ++i;
    }
    out += '"';
}

std::string alertToJson(const Alert& alert, std::int64_t nowMs) {
    std::string out;
    out.reserve(256 + alert.title.size() + alert.text.size());
    out += "{\"ts\":";
    out += std::to_string(alert.timestampMs != 0 ? alert.timestampMs : nowMs);
    out += ",\"id\":";
    appendJsonString(out, alert.id);
    out += ",\"key\":";
    appendJsonString(out, alert.key);
    out += ",\"severity\":";
    appendJsonString(out, toString(alert.severity));
    out += ",\"title\":";
    appendJsonString(out, alert.title);
    out += ",\"text\":";
    appendJsonString(out, alert.text);
    out += ",\"fields\":{";
    bool first = true;
    for (const auto& [name, value] : alert.fields) {
        if (!first) out += ',';
        first = false;
        appendJsonString(out, name);
        out += ':';
        appendJsonString(out, value);
    }
    out += "},\"suppressed\":";
    out += std::to_string(alert.suppressedCount);
    out += '}';
    return out;
}

FileAlertSink::FileAlertSink(const Settings& settings, PluginContext& context)
    : context_(context), path_(settings.string("path")) {
    if (path_.empty()) throw std::invalid_argument("file_alerts: setting 'path' must not be empty");
    if (path_.back() == '/')
        throw std::invalid_argument("file_alerts: setting 'path' names a directory: '" + path_ + "'");
    if (path_.find('\0') != std::string::npos) {
        throw std::invalid_argument("file_alerts: setting 'path' contains a NUL character");
    }
}

FileAlertSink::~FileAlertSink() { closeFile(); }

SettingsSchema FileAlertSink::settingsSchema() {
    return {SettingSpec("path", SettingType::String)
                .isRequired()
                .describe("file the alerts are appended to, one JSON line each; missing directories are created")};
}

bool FileAlertSink::openFile(std::string& error) {
    error = makeParentDirectories(path_);
    if (!error.empty()) return false;
    int fd = -1;
    do {
        fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        error = "cannot open alert file '" + path_ + "': " + errnoText(errno);
        return false;
    }
    fd_ = fd;
    // A torn fragment stays at the end of the file it was written to, reopened or not; only an
    // empty file (new, or truncated by someone) needs no separating newline.
    struct stat info {};
    if (::fstat(fd_, &info) == 0 && info.st_size == 0) tornLine_ = false;
    syncParentDirectory(path_);
    return true;
}

void FileAlertSink::start() {
    if (fd_ >= 0) return;
    std::string error;
    if (!openFile(error)) throw std::runtime_error("file_alerts: " + error);
    context_.logger().info("appending alerts to " + path_);
}

void FileAlertSink::closeFile() noexcept {
    if (fd_ < 0) return;
    // No retry on EINTR: on Linux the descriptor is released whatever close() returns.
    ::close(fd_);
    fd_ = -1;
}

void FileAlertSink::stop() noexcept { closeFile(); }

bool FileAlertSink::fileStillAtPath() {
    struct stat opened {};
    struct stat atPath {};
    if (::fstat(fd_, &opened) != 0) {
        // Not ours any more: closing it could close a descriptor reused elsewhere.
        if (errno == EBADF) fd_ = -1;
        return false;
    }
    if (::stat(path_.c_str(), &atPath) != 0) return false;
    return opened.st_dev == atPath.st_dev && opened.st_ino == atPath.st_ino;
}

SendResult FileAlertSink::send(const Alert& alert) {
    try {
        if (fd_ < 0 || !fileStillAtPath()) {
            const bool reopening = fd_ >= 0;
            closeFile();
            std::string error;
            if (!openFile(error)) {
                context_.metrics().add("write_errors", 1);
                return Retry{kRetryAfter, error};
            }
            if (reopening) context_.logger().warning("alert file " + path_ + " was removed or replaced; recreated it");
        }

        std::string line;
        // Ends the fragment an earlier failed write left, so this line is not glued onto it.
        if (tornLine_) line += '\n';
        line += alertToJson(alert, context_.clock().nowMs());
        line += '\n';

        std::size_t written = 0;
        while (written < line.size()) {
            const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
            if (n > 0) {
                written += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            const int error = n < 0 ? errno : EIO;  // 0 bytes for a non-empty write: treat as I/O error
            if (written > 0) tornLine_ = true;
            if (error == EBADF) {
                fd_ = -1;  // as in fileStillAtPath(): forget it, never close it
            } else {
                closeFile();  // reopen on the next attempt, in case the file system came back
            }
            context_.metrics().add("write_errors", 1);
            return Retry{kRetryAfter, "cannot write alert " + alert.id + " to '" + path_ + "': " + errnoText(error)};
        }
        tornLine_ = false;

        int synced = 0;
        do {
            synced = ::fdatasync(fd_);
        } while (synced != 0 && errno == EINTR);
        if (synced != 0) {
            // The line is in the file but may not survive a crash; the retry appends it again,
            // and readers deduplicate on the alert id.
            const int error = errno;
            closeFile();
            context_.metrics().add("write_errors", 1);
            return Retry{kRetryAfter, "cannot sync alert file '" + path_ + "': " + errnoText(error)};
        }
        context_.metrics().add("alerts_written", 1);
        return Ok{};
    } catch (const std::exception& e) {
        return Retry{kRetryAfter, std::string("file_alerts: ") + e.what()};
    }
}

}  // namespace tradehost::file_alerts

TRADEHOST_PLUGIN(tradehost::file_alerts::FileAlertSink, "file_alerts", "1.0.0",
                 "Appends each alert as one JSON line to a local file")
