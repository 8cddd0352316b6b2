// The durable signal journal: lock, recovery, group-committed appends, reads and retention.
#include "journal/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "journal/journal_record.h"

namespace tradehost::host {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSegmentPrefix = "journal-";
constexpr std::string_view kSegmentSuffix = ".jsonl";
constexpr std::size_t kSeqNameDigits = 20;
constexpr const char* kLockFileName = "LOCK";
constexpr mode_t kDirMode = 0700;  // signals are trading intent: nobody else's business
constexpr mode_t kFileMode = 0600;
constexpr std::size_t kReadChunk = 1 << 16;

std::string errnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

std::string segmentName(std::uint64_t firstSeq) {
    char digits[kSeqNameDigits + 1];
    std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(firstSeq));
    return std::string(kSegmentPrefix) + digits + std::string(kSegmentSuffix);
}

// The first sequence number a segment file's name declares, or nullopt if `name` is not a segment.
std::optional<std::uint64_t> parseSegmentName(std::string_view name) {
    if (name.size() != kSegmentPrefix.size() + kSeqNameDigits + kSegmentSuffix.size()) return std::nullopt;
    if (name.substr(0, kSegmentPrefix.size()) != kSegmentPrefix) return std::nullopt;
    if (name.substr(name.size() - kSegmentSuffix.size()) != kSegmentSuffix) return std::nullopt;
    const std::string_view digits = name.substr(kSegmentPrefix.size(), kSeqNameDigits);
    std::uint64_t value = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - d) / 10) return std::nullopt;
        value = value * 10 + d;
    }
    return value;
}

// Closes on scope exit unless released.
class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = other.release();
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset() {
        // close() is not retried on EINTR: on Linux the descriptor is gone either way.
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

void closeFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

int openRetrying(const std::string& path, int flags, mode_t mode = 0) {
    int fd;
    do {
        fd = ::open(path.c_str(), flags, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

// Splits a file into lines. A line is complete only with its '\n'; bytes after the last '\n' come
// back once, as an unterminated line. Each string_view is valid until the next call.
class LineReader {
public:
    // Reads from `startOffset` (the caller positioned fd there).
    LineReader(int fd, std::string path, std::uint64_t startOffset = 0)
        : fd_(fd), path_(std::move(path)), bufOffset_(startOffset) {}

    bool next(std::string_view& line, std::uint64_t& offset, bool& terminated) {
        for (;;) {
            const std::size_t nl = buf_.find('\n', scanFrom_);
            if (nl != std::string::npos) {
                line = std::string_view(buf_).substr(start_, nl - start_);
                offset = bufOffset_ + start_;
                terminated = true;
                start_ = scanFrom_ = nl + 1;
                return true;
            }
            if (eof_) {
                if (start_ >= buf_.size()) return false;
                line = std::string_view(buf_).substr(start_);
                offset = bufOffset_ + start_;
                terminated = false;
                start_ = scanFrom_ = buf_.size();
                return true;
            }
            buf_.erase(0, start_);
            bufOffset_ += start_;
            start_ = 0;
            scanFrom_ = buf_.size();
            const std::size_t old = buf_.size();
            buf_.resize(old + kReadChunk);
            ssize_t n;
            do {
                n = ::read(fd_, &buf_[old], kReadChunk);
            } while (n < 0 && errno == EINTR);
            if (n < 0) {
                const int err = errno;
                throw JournalError("journal: cannot read '" + path_ + "': " + errnoText(err));
            }
            buf_.resize(old + static_cast<std::size_t>(n));
            if (n == 0) eof_ = true;
        }
    }

private:
    int fd_;
    std::string path_;
    std::string buf_;
    std::size_t start_ = 0;     // first byte of the next line in buf_
    std::size_t scanFrom_ = 0;  // where to resume looking for '\n'
    std::uint64_t bufOffset_ = 0;
    bool eof_ = false;
};

bool allZero(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == '\0'; });
}

// mkdir -p that fsyncs each parent that gained an entry: a new directory is only durable once
// its parent's entry for it is (fsync(2)).
void makeDirectories(const std::string& dir, const JournalIo& io) {
    fs::path prefix;
    for (const auto& part : fs::path(dir)) {
        if (part.empty()) continue;
        prefix /= part;
        const std::string p = prefix.string();
        if (::mkdir(p.c_str(), kDirMode) == 0) {
            fs::path parent = prefix.parent_path();
            if (parent.empty()) parent = ".";
            const UniqueFd parentFd(openRetrying(parent.string(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (parentFd.get() < 0 || io.fsync(parentFd.get()) != 0) {
                const int err = errno;
                throw JournalError("journal: cannot fsync directory '" + parent.string() + "' after creating '" + p +
                                   "': " + errnoText(err));
            }
        } else if (errno != EEXIST) {
            const int err = errno;
            throw JournalError("journal: cannot create directory '" + p + "': " + errnoText(err));
        }
    }
}

}  // namespace

std::unique_ptr<Journal> Journal::open(const JournalOptions& options) { return open(options, JournalIo::posix()); }

std::unique_ptr<Journal> Journal::open(const JournalOptions& options, JournalIo io) {
    if (options.dir.empty()) throw std::invalid_argument("journal: options.dir is empty");
    if (!io.write || !io.fdatasync || !io.fsync || !io.ftruncate)
        throw std::invalid_argument("journal: every JournalIo member must be set");
    // The destructor closes whatever was opened if any step below throws.
    std::unique_ptr<Journal> journal(new Journal(options, std::move(io)));
    journal->lockDirectory();
    journal->recover();
    return journal;
}

Journal::Journal(const JournalOptions& options, JournalIo io) : options_(options), io_(std::move(io)) {}

Journal::~Journal() {
    closeFd(activeFd_);
    closeFd(dirFd_);
    // Closing the last descriptor of the open file description releases the flock.
    closeFd(lockFd_);
}

std::string Journal::pathOf(const std::string& name) const { return (fs::path(options_.dir) / name).string(); }

void Journal::lockDirectory() {
    makeDirectories(options_.dir, io_);
    dirFd_ = openRetrying(options_.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd_ < 0) {
        const int err = errno;
        throw JournalError("journal: cannot open directory '" + options_.dir + "': " + errnoText(err));
    }
    const std::string lockPath = pathOf(kLockFileName);
    // O_CLOEXEC matters here: a child process that inherited the descriptor would keep holding
    // the lock after we exit, and the restarted host would find its own directory locked.
    lockFd_ = openRetrying(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, kFileMode);
    if (lockFd_ < 0) {
        const int err = errno;
        throw JournalError("journal: cannot open lock file '" + lockPath + "': " + errnoText(err));
    }
    // flock, not fcntl: an fcntl lock belongs to the process and vanishes when ANY descriptor the
    // process has on the file is closed (a library opening and closing it, say); a flock belongs
    // to this open file description and lasts until its last descriptor closes.
    if (::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        if (err != EWOULDBLOCK) throw JournalError("journal: cannot lock '" + lockPath + "': " + errnoText(err));
        char buf[32] = {};
        const ssize_t n = ::pread(lockFd_, buf, sizeof buf - 1, 0);
        const long holder = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
        std::string who = "another process";
        if (holder > 0 && holder == static_cast<long>(::getpid()))
            who = "another Journal in this same process (pid " + std::to_string(holder) + ")";
        else if (holder > 0)
            who = "another process (pid " + std::to_string(holder) + ")";
        throw JournalLocked("journal directory '" + options_.dir + "' is locked by " + who + ": it holds flock on '" +
                            lockPath + "'. Only one tradehost may use a storage directory at a time.");
    }
    // The pid is only a hint for the message above; the lock itself is the flock.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lockFd_, 0) == 0) {
        [[maybe_unused]] const ssize_t ignored = ::pwrite(lockFd_, pid.data(), pid.size(), 0);
    }
}

void Journal::recover() {
    std::vector<Segment> found;
    std::error_code ec;
    for (fs::directory_iterator it(options_.dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (const auto first = parseSegmentName(name)) found.push_back({*first, it->path().string()});
    }
    if (ec) throw JournalError("journal: cannot list '" + options_.dir + "': " + ec.message());
    std::sort(found.begin(), found.end(), [](const Segment& a, const Segment& b) { return a.firstSeq < b.firstSeq; });
    recovery_.segments = found.size();

    std::uint64_t expected = found.empty() ? 1 : found.front().firstSeq;
    for (std::size_t i = 0; i < found.size(); ++i) {
        const Segment& seg = found[i];
        const bool last = i + 1 == found.size();
        if (seg.firstSeq == 0)
            throw JournalCorrupt("journal corrupt: '" + seg.path + "': a segment cannot start at seq 0");
        if (seg.firstSeq != expected)
            throw JournalCorrupt("journal corrupt: sequence gap between segments: '" + found[i - 1].path +
                                 "' ends at seq " + std::to_string(expected - 1) + " but '" + seg.path +
                                 "' starts at seq " + std::to_string(seg.firstSeq));
        if (last) {
            activePath_ = seg.path;
            activeFd_ = openRetrying(seg.path, O_WRONLY | O_APPEND | O_CLOEXEC);
            // A crashed predecessor may have written records it never synced; make them durable
            // before anyone acts on them, so they cannot vanish later and their seq be reused.
            if (activeFd_ < 0 || io_.fdatasync(activeFd_) != 0) {
                const int err = errno;
                throw JournalError("journal: cannot open and sync '" + seg.path + "': " + errnoText(err));
            }
        }
        const UniqueFd readFd(openRetrying(seg.path, O_RDONLY | O_CLOEXEC));
        if (readFd.get() < 0) {
            const int err = errno;
            throw JournalError("journal: cannot open '" + seg.path + "': " + errnoText(err));
        }
        // After a failed write-back Linux may keep the lost data as clean cached pages; dropping
        // the cache makes recovery read what the disk actually holds. Advisory: errors ignored.
        if (last) ::posix_fadvise(readFd.get(), 0, 0, POSIX_FADV_DONTNEED);

        struct Bad {
            std::uint64_t offset;
            std::string what;
        };
        std::optional<Bad> bad;
        int badLines = 0;  // complete (terminated) invalid lines from the first bad one on
        bool unterminatedTail = false;
        std::uint64_t size = 0;
        LineReader reader(readFd.get(), seg.path);
        std::string_view line;
        std::uint64_t offset = 0;
        bool terminated = false;
        std::string why;
        while (reader.next(line, offset, terminated)) {
            size = offset + line.size() + (terminated ? 1 : 0);
            if (!terminated) {
                const std::string what = "unterminated last line of " + std::to_string(line.size()) + " bytes" +
                                         (allZero(line) ? " (zero-filled)" : "");
                if (!bad) bad = Bad{offset, what};
                unterminatedTail = true;
                break;
            }
            const auto rec = JournalRecord::parse(line, why);
            if (rec) {
                if (bad)
                    throw JournalCorrupt("journal corrupt: '" + seg.path + "' at byte " + std::to_string(bad->offset) +
                                         ": " + bad->what + ", followed by a valid record (seq " +
                                         std::to_string(rec->seq) + " at byte " + std::to_string(offset) +
                                         "); this is damage, not a torn tail -- refusing to start");
                if (rec->seq != expected)
                    throw JournalCorrupt("journal corrupt: '" + seg.path + "' at byte " + std::to_string(offset) +
                                         ": sequence gap: expected seq " + std::to_string(expected) + ", found seq " +
                                         std::to_string(rec->seq));
                ++expected;
                ++recovery_.records;
                continue;
            }
            if (!bad) bad = Bad{offset, why};
            ++badLines;
        }
        if (bad && !last)
            throw JournalCorrupt("journal corrupt: '" + seg.path + "' at byte " + std::to_string(bad->offset) + ": " +
                                 bad->what + "; a later segment ('" + found[i + 1].path +
                                 "') exists, so this cannot be a torn tail -- refusing to start");
        if (!bad && size == 0 && !last)
            throw JournalCorrupt("journal corrupt: '" + seg.path + "' at byte 0: empty segment followed by '" +
                                 found[i + 1].path + "'");
        // A crash tears at most the write in flight: its complete lines either all reached the
        // disk or left one damaged line plus an unterminated remainder. More is not a crash.
        if (badLines > 1)
            throw JournalCorrupt("journal corrupt: '" + seg.path + "' at byte " + std::to_string(bad->offset) + ": " +
                                 bad->what + ", and " + std::to_string(badLines - 1 + (unterminatedTail ? 1 : 0)) +
                                 " more invalid lines after it; only a single torn last record is repaired "
                                 "automatically -- refusing to start");
        if (bad) {
            if (io_.ftruncate(activeFd_, static_cast<off_t>(bad->offset)) != 0 || io_.fsync(activeFd_) != 0) {
                const int err = errno;
                throw JournalError("journal: cannot cut the torn tail of '" + seg.path + "' at byte " +
                                   std::to_string(bad->offset) + ": " + errnoText(err));
            }
            recovery_.tornTailRepaired = true;
            recovery_.tornTailDetail = "'" + seg.path + "': dropped " + std::to_string(size - bad->offset) +
                                       " bytes from byte " + std::to_string(bad->offset) + ": " + bad->what;
            size = bad->offset;
        }
        activeSize_ = size;
    }
    segments_ = std::move(found);
    lastAssigned_ = durable_ = expected - 1;
    if (segments_.empty()) {
        createSegment(expected);
    } else if (io_.fsync(dirFd_) != 0) {
        // The last segment's directory entry may be as unsynced as its records were.
        const int err = errno;
        throw JournalError("journal: cannot fsync directory '" + options_.dir + "': " + errnoText(err));
    }
}

void Journal::createSegment(std::uint64_t firstSeq) {
    const std::string path = pathOf(segmentName(firstSeq));
    // O_EXCL: a segment by that name already existing means our bookkeeping is wrong; never
    // append to a file we did not account for. O_APPEND: every write lands at the end.
    const int fd = openRetrying(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, kFileMode);
    if (fd < 0) {
        const int err = errno;
        throw JournalError("journal: cannot create segment '" + path + "': " + errnoText(err));
    }
    // fsync of the file does not make its directory entry durable; the directory's does.
    if (io_.fsync(dirFd_) != 0) {
        const int err = errno;
        ::close(fd);
        throw JournalError("journal: cannot fsync directory '" + options_.dir + "' after creating '" + path +
                           "': " + errnoText(err));
    }
    closeFd(activeFd_);
    activeFd_ = fd;
    activePath_ = path;
    activeSize_ = 0;
    const std::lock_guard<std::mutex> lock(mutex_);
    segments_.push_back({firstSeq, path});
}

std::uint64_t Journal::append(const std::string& payload) { return appendAll({payload}); }

std::uint64_t Journal::appendAll(const std::vector<std::string>& payloads) {
    if (payloads.empty()) throw std::invalid_argument("journal: appendAll needs at least one payload");
    for (const auto& payload : payloads) {
        if (payload.size() < 2 || payload.front() != '{' || payload.back() != '}')
            throw std::invalid_argument("journal: a payload must be one JSON object text ({...})");
        if (payload.find('\n') != std::string::npos)
            throw std::invalid_argument("journal: a payload must not contain a newline (it separates records)");
    }

    std::unique_lock<std::mutex> lock(mutex_);
    if (failed_) throwFailed();
    // The numbers are taken only once the lines are queued: a throw in between must not leave a gap.
    const std::uint64_t first = lastAssigned_ + 1;
    for (std::size_t i = 0; i < payloads.size(); ++i) pending_.push_back(JournalRecord::format(first + i, payloads[i]));
    lastAssigned_ = first + payloads.size() - 1;
    const std::uint64_t seq = lastAssigned_;  // durable once this one is
    for (;;) {
        if (durable_ >= seq) return first;
        if (failed_) throwFailed();
        if (!leaderActive_) {
            // Lead the next batch: everything queued by now (our own record included) goes out in
            // one write() and one fdatasync while newcomers queue up for the batch after.
            leaderActive_ = true;
            if (options_.groupCommitWait.count() > 0) {
                const auto deadline = std::chrono::steady_clock::now() + options_.groupCommitWait;
                while (std::chrono::steady_clock::now() < deadline) committed_.wait_until(lock, deadline);
            }
            std::vector<std::string> batch;
            batch.swap(pending_);
            const std::uint64_t batchLast = lastAssigned_;
            const std::uint64_t batchFirst = batchLast - batch.size() + 1;
            lock.unlock();
            std::string error;
            try {
                writeBatch(batch, batchFirst);
            } catch (const std::exception& e) {
                error = e.what();
            } catch (...) {
                error = "journal: unexpected exception while writing a batch";
            }
            lock.lock();
            leaderActive_ = false;
            if (error.empty()) {
                durable_ = batchLast;
            } else {
                failLocked(error);
            }
            committed_.notify_all();
            continue;
        }
        committed_.wait(lock);
    }
}

void Journal::writeBatch(const std::vector<std::string>& lines, std::uint64_t firstSeq) {
    std::size_t i = 0;
    std::string chunk;
    while (i < lines.size()) {
        if (activeSize_ > 0 && activeSize_ + lines[i].size() > options_.segmentBytes) createSegment(firstSeq + i);
        // Whatever fits in the active segment goes out in one write() (at least one record, even
        // one larger than segmentBytes on its own).
        chunk.clear();
        const std::size_t chunkFirst = i;
        std::uint64_t size = activeSize_;
        while (i < lines.size() && (size == 0 || size + lines[i].size() <= options_.segmentBytes)) {
            chunk += lines[i];
            size += lines[i].size();
            ++i;
        }
        writeAll(chunk);
        activeSize_ = size;
        // Also orders the segments: this one is complete on disk before the next one exists.
        ++syncCount_;
        const auto syncStart = std::chrono::steady_clock::now();
        if (io_.fdatasync(activeFd_) != 0) {
            const int err = errno;
            throw JournalError("journal: fdatasync of '" + activePath_ + "' failed: " + errnoText(err));
        }
        if (metrics_.fdatasyncSeconds)
            metrics_.fdatasyncSeconds->observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - syncStart).count());
        if (metrics_.groupCommitRecords) metrics_.groupCommitRecords->observe(static_cast<double>(i - chunkFirst));
    }
}

void Journal::writeAll(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = io_.write(activeFd_, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : EIO;
            throw JournalError("journal: write to '" + activePath_ + "' failed after " + std::to_string(done) + " of " +
                               std::to_string(bytes.size()) + " bytes: " + errnoText(err));
        }
        done += static_cast<std::size_t>(n);
    }
}

void Journal::failLocked(const std::string& reason) {
    if (failed_) return;
    failed_ = true;
    failReason_ = reason +
                  ". The journal has failed (fail-stop): no append is accepted until the process restarts and "
                  "recovers it.";
}

void Journal::throwFailed() const { throw JournalError(failReason_); }

void Journal::readAfter(std::uint64_t after,
                        const std::function<void(std::uint64_t seq, const std::string& payload)>& fn,
                        std::uint64_t maxRecords) const {
    struct Source {
        Segment segment;
        std::uint64_t lastSeq;  // the last record to read from it
        UniqueFd fd;
    };
    std::vector<Source> sources;
    {
        // Opened under the lock so that a concurrent pruneThrough cannot unlink a segment between
        // the snapshot and the open: an unlinked file stays readable through an open descriptor.
        const std::lock_guard<std::mutex> lock(mutex_);
        const std::uint64_t limit = durable_;
        for (std::size_t i = 0; i < segments_.size(); ++i) {
            const Segment& seg = segments_[i];
            if (seg.firstSeq > limit) break;
            const std::uint64_t lastSeq =
                i + 1 < segments_.size() ? std::min(segments_[i + 1].firstSeq - 1, limit) : limit;
            if (lastSeq <= after) continue;
            UniqueFd fd(openRetrying(seg.path, O_RDONLY | O_CLOEXEC));
            if (fd.get() < 0) {
                const int err = errno;
                throw JournalError("journal: cannot open '" + seg.path + "': " + errnoText(err));
            }
            sources.push_back({seg, lastSeq, std::move(fd)});
        }
    }
    ReadCursor cursor;
    {
        const std::lock_guard<std::mutex> lock(cursorMutex_);
        cursor = cursor_;
    }
    std::string why;
    std::string payload;
    std::uint64_t delivered = 0;
    for (const Source& src : sources) {
        if (delivered >= maxRecords) break;
        // Resume where the last read of this segment stopped if that is not past what we want.
        std::uint64_t expected = src.segment.firstSeq;
        std::uint64_t start = 0;
        if (cursor.path == src.segment.path && cursor.nextSeq > expected && cursor.nextSeq <= after + 1) {
            expected = cursor.nextSeq;
            start = cursor.offset;
            if (::lseek(src.fd.get(), static_cast<off_t>(start), SEEK_SET) < 0) {
                const int err = errno;
                throw JournalError("journal: cannot seek in '" + src.segment.path + "': " + errnoText(err));
            }
        }
        LineReader reader(src.fd.get(), src.segment.path, start);
        std::string_view line;
        std::uint64_t offset = 0;
        bool terminated = false;
        while (expected <= src.lastSeq && delivered < maxRecords) {
            if (!reader.next(line, offset, terminated) || !terminated)
                throw JournalCorrupt("journal corrupt: '" + src.segment.path + "' ends before durable record seq " +
                                     std::to_string(expected));
            const auto rec = JournalRecord::parse(line, why);
            if (!rec || rec->seq != expected)
                throw JournalCorrupt("journal corrupt: '" + src.segment.path + "' at byte " + std::to_string(offset) +
                                     ": " + (rec ? "expected seq " + std::to_string(expected) : why));
            if (rec->seq > after) {
                payload.assign(rec->payload);
                fn(rec->seq, payload);
                ++delivered;
            }
            ++expected;
            cursor = {src.segment.path, expected, offset + line.size() + 1};
        }
    }
    const std::lock_guard<std::mutex> lock(cursorMutex_);
    if (cursor.nextSeq > cursor_.nextSeq) cursor_ = cursor;
}

std::uint64_t Journal::lastSequence() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return durable_;
}

bool Journal::failed() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return failed_;
}

const Journal::Recovery& Journal::recovery() const { return recovery_; }

std::uint64_t Journal::syncCount() const { return syncCount_.load(); }

void Journal::pruneThrough(std::uint64_t upTo) {
    const std::lock_guard<std::mutex> pruneLock(pruneMutex_);
    std::vector<Segment> victims;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (failed_) throwFailed();
        upTo = std::min(upTo, durable_);
        // segments_[1].firstSeq - 1 is the last record of segments_[0].
        while (segments_.size() > 1 && segments_[1].firstSeq - 1 <= upTo) {
            victims.push_back(segments_.front());
            segments_.erase(segments_.begin());
        }
    }
    for (const Segment& seg : victims) {
        // One directory fsync per unlink keeps deletions in order on disk: a crash may bring back
        // the oldest segments, never leave a hole between survivors.
        std::string error;
        if (::unlink(seg.path.c_str()) != 0 && errno != ENOENT) {
            error = "journal: cannot delete '" + seg.path + "': " + errnoText(errno);
        } else if (io_.fsync(dirFd_) != 0) {
            error = "journal: cannot fsync directory '" + options_.dir + "' after deleting '" + seg.path +
                    "': " + errnoText(errno);
        }
        if (!error.empty()) {
            const std::lock_guard<std::mutex> lock(mutex_);
            failLocked(error);
            throwFailed();
        }
    }
}

}  // namespace tradehost::host
