// The audit trail: an append-only, hash-chained JSON-lines file fed from the gate's outbox.
#include "events/event_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

namespace tradehost::host {

namespace fs = std::filesystem;

namespace {

std::string errnoText(int error) { return std::system_category().message(error); }

// Closes the descriptor unless ownership was handed on, so every early throw in open() is clean.
class FdGuard {
public:
    explicit FdGuard(int fd) : fd_(fd) {}
    ~FdGuard() {
        if (fd_ >= 0) ::close(fd_);
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// fsync on a file does not make its directory entry durable (POSIX leaves that to the
// directory), so a file or directory just created could vanish in a crash without this.
void syncDirectory(const fs::path& dir, const std::string& path) {
    const std::string name = dir.empty() ? "." : dir.string();
    FdGuard fd(::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) throw EventLogError(path + ": cannot open directory " + name + ": " + errnoText(errno));
    if (::fsync(fd.get()) != 0) throw EventLogError(path + ": cannot sync directory " + name + ": " + errnoText(errno));
}

void createParentDirectories(const fs::path& dir, const std::string& path) {
    if (dir.empty()) return;
    std::vector<fs::path> missing;
    std::error_code ec;
    for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    if (missing.empty()) return;
    fs::create_directories(dir, ec);
    if (ec) throw EventLogError(path + ": cannot create directory " + dir.string() + ": " + ec.message());
    for (const auto& created : missing) syncDirectory(created.parent_path(), path);
}

// The outcome of reading a file's chain from the start up to its first break.
struct ChainScan {
    std::uint64_t goodLines = 0;
    std::uint64_t goodBytes = 0;  // offset just past the last intact line
    std::uint64_t lastId = 0;
    std::string lastHash = kGenesisHash;
    bool broken = false;
    bool tornTail = false;  // the break is the file's last line and is what an interrupted write leaves
    std::uint64_t badLine = 0;
    std::string reason;
};

// Judges one complete line against its predecessor; returns false (with scan.reason) on a break.
bool acceptLine(ChainScan& scan, std::string_view line, bool overlong, bool& tornKind) {
    tornKind = false;
    if (overlong) {
        scan.reason = "malformed: longer than " + std::to_string(kMaxEventLineBytes) + " bytes";
        tornKind = true;
        return false;
    }
    EventLineCheck check = checkEventLine(line);
    if (check.fault != EventLineCheck::Fault::kNone) {
        scan.reason = check.reason;
        // A crash mid-write leaves a garbled or partial line; a complete line whose hash is right
        // but whose links are wrong cannot come from that, only from damage or tampering.
        tornKind = true;
        return false;
    }
    if (check.id <= scan.lastId) {
        scan.reason = scan.goodLines == 0
                          ? "id 0: ids start at 1"
                          : "id " + std::to_string(check.id) + " does not follow id " + std::to_string(scan.lastId) +
                                " of line " + std::to_string(scan.goodLines);
        return false;
    }
    if (check.prev != scan.lastHash) {
        scan.reason = scan.goodLines == 0 ? "prev of the first line is not the genesis hash (64 zeros)"
                                          : "prev does not match the hash of line " + std::to_string(scan.goodLines);
        return false;
    }
    ++scan.goodLines;
    scan.lastId = check.id;
    scan.lastHash = std::move(check.hash);
    return true;
}

bool hasByteAt(int fd, std::uint64_t offset, const std::string& path) {
    char byte = 0;
    for (;;) {
        const ssize_t n = ::pread(fd, &byte, 1, static_cast<off_t>(offset));
        if (n >= 0) return n == 1;
        if (errno != EINTR) throw EventLogError(path + ": cannot read: " + errnoText(errno));
    }
}

// Reads from offset 0 with pread (independent of the descriptor's position and O_APPEND).
ChainScan scanChain(int fd, const std::string& path) {
    ChainScan scan;
    std::string line;
    bool overlong = false;
    std::uint64_t offset = 0;
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw EventLogError(path + ": cannot read: " + errnoText(errno));
        }
        if (n == 0) break;
        const auto size = static_cast<std::size_t>(n);
        std::size_t start = 0;
        while (start < size) {
            const void* found = std::memchr(buffer + start, '\n', size - start);
            const std::size_t end = found ? static_cast<std::size_t>(static_cast<const char*>(found) - buffer) : size;
            if (!overlong) {
                if (line.size() + (end - start) > kMaxEventLineBytes) {
                    overlong = true;
                    line.clear();
                    line.shrink_to_fit();
                } else {
                    line.append(buffer + start, end - start);
                }
            }
            if (!found) break;
            const std::uint64_t lineEnd = offset + end + 1;
            bool tornKind = false;
            if (!acceptLine(scan, line, overlong, tornKind)) {
                scan.broken = true;
                scan.badLine = scan.goodLines + 1;
                scan.tornTail = tornKind && !hasByteAt(fd, lineEnd, path);
                return scan;
            }
            scan.goodBytes = lineEnd;
            line.clear();
            overlong = false;
            start = end + 1;
        }
        offset += size;
    }
    if (!line.empty() || overlong) {
        scan.broken = true;
        scan.tornTail = true;
        scan.badLine = scan.goodLines + 1;
        scan.reason = "incomplete last line (no newline at end of file)";
    }
    return scan;
}

}  // namespace

EventLogCorrupt::EventLogCorrupt(const std::string& path, std::uint64_t line, const std::string& reason)
    : EventLogError(path + ": line " + std::to_string(line) + ": " + reason), line_(line), reason_(reason) {}

EventLog::EventLog(std::string path, int fd, EventRedactor redact)
    : path_(std::move(path)), fd_(fd), redact_(std::move(redact)) {}

EventLog::~EventLog() { ::close(fd_); }

std::unique_ptr<EventLog> EventLog::open(const std::string& path, EventRedactor redact) {
    const fs::path file(path);
    createParentDirectories(file.parent_path(), path);
    // 0640: the audit trail holds trading activity, which is nobody else's business on the box.
    FdGuard fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (fd.get() < 0) throw EventLogError(path + ": cannot open: " + errnoText(errno));
    // Two writers would interleave two chains into one broken file.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) throw EventLogError(path + ": already open for writing (by this or another process)");
        throw EventLogError(path + ": cannot lock: " + errnoText(errno));
    }
    // Always, not only on creation: a file created just before a crash may not have a durable
    // directory entry yet.
    syncDirectory(file.parent_path(), path);

    ChainScan scan = scanChain(fd.get(), path);
    Recovery recovery;
    if (scan.broken) {
        if (!scan.tornTail) throw EventLogCorrupt(path, scan.badLine, scan.reason);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) throw EventLogError(path + ": cannot stat: " + errnoText(errno));
        if (::ftruncate(fd.get(), static_cast<off_t>(scan.goodBytes)) != 0)
            throw EventLogError(path + ": cannot truncate the torn last line: " + errnoText(errno));
        if (::fsync(fd.get()) != 0) throw EventLogError(path + ": cannot sync after truncating: " + errnoText(errno));
        recovery.truncated = true;
        recovery.line = scan.badLine;
        recovery.bytesRemoved = static_cast<std::uint64_t>(st.st_size) - scan.goodBytes;
        recovery.reason = scan.reason;
    }

    std::unique_ptr<EventLog> log(new EventLog(path, fd.release(), std::move(redact)));
    log->recovery_ = std::move(recovery);
    log->lastId_ = scan.lastId;
    log->lastHash_ = std::move(scan.lastHash);
    return log;
}

std::uint64_t EventLog::lastId() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lastId_;
}

std::string EventLog::lastHash() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lastHash_;
}

void EventLog::append(const std::vector<Event>& events) {
    if (events.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failure_.empty()) throw EventLogError(path_ + ": failed earlier (" + failure_ + "); restart to recover");

    std::string batch;
    std::string hash = lastHash_;
    std::uint64_t id = lastId_;
    for (const Event& event : events) {
        if (event.id <= id)
            throw std::invalid_argument(path_ + ": event id " + std::to_string(event.id) + " is not greater than " +
                                        (&event == &events.front() ? "the last id written, " : "the previous id, ") +
                                        std::to_string(id));
        hash = appendEventLine(batch, event, hash, redact_);
        id = event.id;
    }

    // One write() for the batch: a crash can then tear at most the batch's tail, which open()
    // cuts back to the last whole line.
    const char* data = batch.data();
    std::size_t left = batch.size();
    while (left > 0) {
        const ssize_t n = ::write(fd_, data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            failure_ = "write failed: " + (n < 0 ? errnoText(errno) : std::string("wrote nothing"));
            throw EventLogError(path_ + ": " + failure_);
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    // Never retried: after a failed fdatasync the kernel may have dropped the dirty pages and
    // cleared the error, so a retry that succeeds proves nothing (the 2018 "fsyncgate" lesson).
    if (::fdatasync(fd_) != 0) {
        failure_ = "fdatasync failed: " + errnoText(errno);
        throw EventLogError(path_ + ": " + failure_);
    }
    lastId_ = id;
    lastHash_ = std::move(hash);
}

EventLog::Verification EventLog::verify(const std::string& path) {
    FdGuard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw EventLogError(path + ": cannot open: " + errnoText(errno));
    const ChainScan scan = scanChain(fd.get(), path);
    Verification result;
    result.lines = scan.goodLines;
    if (scan.broken) {
        result.ok = false;
        result.firstBadLine = scan.badLine;
        result.reason = scan.reason;
    }
    return result;
}

}  // namespace tradehost::host
