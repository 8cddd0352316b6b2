// The audit trail: an append-only, hash-chained JSON-lines file fed from the gate's outbox.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "events/event.h"
#include "events/event_line.h"

namespace tradehost::host {

// The file could not be opened, read, written or synced; the message starts with the path.
class EventLogError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The chain is broken before its last line: not a torn write but damage or tampering, which no
// automatic repair may paper over. Startup stops; an operator looks (verify-events).
class EventLogCorrupt : public EventLogError {
public:
    EventLogCorrupt(const std::string& path, std::uint64_t line, const std::string& reason);
    std::uint64_t line() const { return line_; }
    const std::string& reason() const { return reason_; }

private:
    std::uint64_t line_;
    std::string reason_;
};

// One writer per file (flock; a second open, in this process or another, fails). The line format
// is documented in events/event_line.h. Ids come from the gate's outbox; after a crash the writer
// resumes at lastId() + 1 so the file has neither duplicates nor gaps relative to the outbox.
class EventLog {
public:
    // What open() cut off the end of the file; empty (`truncated` false) on a clean open.
    struct Recovery {
        bool truncated = false;
        std::uint64_t line = 0;  // 1-based number of the first line removed
        std::uint64_t bytesRemoved = 0;
        std::string reason;  // why that line was unusable
    };

    struct Verification {
        bool ok = true;
        std::uint64_t lines = 0;         // intact lines (all of them when ok, those before the bad one otherwise)
        std::uint64_t firstBadLine = 0;  // 1-based; 0 when ok
        std::string reason;              // empty when ok
    };

    // Opens or creates `path` (creating parent directories) and recovers it. A torn last line —
    // no trailing newline, malformed, or failing its own hash — is what a crash mid-append leaves:
    // it is truncated away (ftruncate + fsync) and described by recovery(). Any other break
    // throws EventLogCorrupt naming the line. `redact`, if set, is applied to signal_id,
    // client_order_id, venue and every string inside data before a line is hashed — a last
    // defence, since callers must keep secrets out of events in the first place.
    // Throws EventLogError if the file cannot be opened, locked, read or repaired.
    static std::unique_ptr<EventLog> open(const std::string& path, EventRedactor redact = {});

    ~EventLog();
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    const std::string& path() const { return path_; }
    const Recovery& recovery() const { return recovery_; }
    // 0 for an empty log.
    std::uint64_t lastId() const;
    // Hash of the last line, kGenesisHash for an empty log. Worth storing elsewhere (the gate):
    // anyone able to rewrite the whole file can recompute every hash, and only an anchor kept
    // outside the file shows that.
    std::string lastHash() const;

    // Appends `events` in order with one write() and one fdatasync, then returns; thread-safe.
    // Ids must exceed lastId() and increase strictly (gaps are allowed); any invalid event throws
    // std::invalid_argument before anything is written. An I/O failure throws EventLogError and
    // fails the log for good, like the journal: after a failed write or fdatasync nobody knows
    // what reached the disk, so the process must restart and let open() recover the file.
    void append(const std::vector<Event>& events);

    // Checks every line: format, own hash, ids increasing, prev == hash of the previous line; an
    // unterminated last line counts as broken. Reports the first bad line. Throws EventLogError if
    // the file cannot be opened or read. Takes no lock, so it can check a live log.
    static Verification verify(const std::string& path);

private:
    EventLog(std::string path, int fd, EventRedactor redact);

    const std::string path_;
    const int fd_;
    const EventRedactor redact_;
    Recovery recovery_;

    mutable std::mutex mutex_;
    std::uint64_t lastId_ = 0;
    std::string lastHash_ = kGenesisHash;
    std::string failure_;  // non-empty once failed for good
};

}  // namespace tradehost::host
