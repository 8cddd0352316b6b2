// The durable signal journal: append-only checksummed JSON lines, group commit, single writer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "journal/journal_io.h"
#include "metrics/component_metrics.h"

namespace tradehost::host {

// On-disk format
// --------------
// `dir` holds the lock file `LOCK` and segment files `journal-<first seq, 20 digits>.jsonl`
// (e.g. journal-00000000000000000001.jsonl). Files with other names are ignored. Each record is
// one line:
//
//     {"seq":N,"crc32c":"xxxxxxxx","rec":<payload>}\n
//
// N counts 1, 2, 3... without gaps across segments (the first record of a segment has the seq in
// its name); the checksum is CRC-32C of exactly the bytes of <payload>, as 8 lowercase hex digits.
// A segment is only created when a record goes into it, so only the last segment can be empty.
// A reader checks every record's checksum and that sequence numbers are contiguous; a line is a
// record only once its '\n' is on disk.
//
// Durability order, which recovery relies on:
//  - a new segment is created O_EXCL and the directory fsynced before any record in it is
//    acknowledged (a file's fsync does not make its directory entry durable);
//  - the previous segment's records are fdatasynced before the next segment is created, so only
//    the last segment can have a torn tail;
//  - a record is acknowledged (append returns) only after an fdatasync covering it returned 0.

struct JournalOptions {
    std::string dir;                               // created if missing (parents too), fsynced after creation
    std::uint64_t segmentBytes = 64ull << 20;      // rotate when the active segment would exceed this
    std::chrono::microseconds groupCommitWait{0};  // optional extra wait to gather a batch (0: none;
                                                   // batching still happens naturally while an fdatasync is in flight)
};

// An I/O failure. Thrown by append/pruneThrough, the journal is now failed for good (fail-stop).
// Thrown by open, nothing was acknowledged and nothing was repaired past the point it names.
class JournalError : public std::runtime_error {
public:
    using runtime_error::runtime_error;
};

// Corruption found at open (or by readAfter): the message names the segment file, the byte offset
// and what is wrong. Never skipped silently: a damaged record followed by a valid one anywhere
// cannot be a torn tail, so open refuses to start rather than drop acknowledged signals.
class JournalCorrupt : public JournalError {
public:
    using JournalError::JournalError;
};

// Another open Journal (in this or another process) holds the directory's flock. The message
// says so and names the lock file and, when known, the holder's pid.
class JournalLocked : public JournalError {
public:
    using JournalError::JournalError;
};

class Journal {
public:
    // Creates `dir` if needed (fsyncing each parent that gained an entry), takes the single-writer
    // lock (flock(LOCK_EX|LOCK_NB) on dir/LOCK), recovers, and returns a journal ready to append.
    // Recovery reads every segment in order and checks every record. A torn tail of the LAST
    // segment (an unterminated last line: truncated, garbage, zero-filled; and/or one invalid last
    // line: bad checksum, unparsable) is cut off with ftruncate + fsync and reported in
    // recovery(). Anything else invalid -- an invalid record followed by a valid one, damage in an
    // earlier segment, more than one invalid line at the end, a sequence gap between records or
    // segments, an empty segment that is not the last -- throws JournalCorrupt and changes nothing.
    // The last segment is fdatasynced and the directory fsynced before records are trusted, so
    // records a crashed predecessor wrote but never synced are durable before anyone acts on them.
    // Throws std::invalid_argument for an empty dir, JournalLocked, JournalCorrupt, or JournalError
    // (I/O failure while opening or repairing).
    static std::unique_ptr<Journal> open(const JournalOptions& options);

    // The same, with the system calls of `io` instead of the real ones: the failure-injection seam
    // for tests. Production code calls open(options).
    static std::unique_ptr<Journal> open(const JournalOptions& options, JournalIo io);

    // Destroying the journal closes its files and releases the lock. No call may be in progress.
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    // Appends one record and returns only after an fdatasync covering it has returned (group
    // commit: concurrent appenders share one write() and one fdatasync per segment touched).
    // Returns the record's sequence number: 1, 2, 3..., gapless, never reused for another
    // acknowledged record. Thread-safe.
    // `payload` is one JSON object text: it must start with '{', end with '}' and hold no '\n'
    // (the line separator); otherwise std::invalid_argument, and nothing is written. The JSON
    // inside is not validated: the caller serialized it.
    // Throws JournalError on any write/fdatasync/fsync/segment-creation error. After the FIRST
    // such error the journal is failed for good (as PostgreSQL after fsyncgate: Linux may mark the
    // failed pages clean, so a retried fsync can succeed with the data gone): every append in the
    // failed batch and every later one throws, later ones without touching the disk. The caller
    // restarts the process; recovery then finds each unacknowledged record either whole or absent.
    std::uint64_t append(const std::string& payload);

    // The same for several records at once (a caller that gathers its own batch, like the webhook's
    // committer): they get consecutive sequence numbers, go out in one write() and one fdatasync
    // (with whatever else is queued), and the call returns the first one's number once all are
    // durable. Nothing is written if any payload is invalid (std::invalid_argument) or none given.
    std::uint64_t appendAll(const std::vector<std::string>& payloads);

    // Calls fn(seq, payload) for every durable record with seq > after, in order, across segments.
    // Safe while appends run: sees every record durable when it started (and stops there). Does
    // not hold the journal's lock while calling fn, so fn may append. Segments pruned while it
    // runs stay readable through the descriptors it opened. If records after `after` were already
    // pruned, delivery starts at the oldest retained record (fn sees the jump in seq). Re-checks
    // the checksum of every record it reads: throws JournalCorrupt naming file and offset if data
    // went bad since open; JournalError if a segment cannot be read. Exceptions from fn propagate.
    // Works on a failed journal too.
    // A tailing reader (each call passing the last seq the previous call delivered) costs only the
    // new records: the journal remembers where the last read ended and seeks there. At most
    // `maxRecords` records are delivered per call (a reader catching up on a backlog reads it in
    // bounded batches).
    void readAfter(std::uint64_t after, const std::function<void(std::uint64_t seq, const std::string& payload)>& fn,
                   std::uint64_t maxRecords = UINT64_MAX) const;

    // The highest durable sequence number: the last record recovered at open, then the last one
    // whose fdatasync returned. 0 for an empty journal.
    std::uint64_t lastSequence() const;

    // True once an I/O error made the journal fail-stop.
    bool failed() const;

    // What open() found and did, for logs and tests. `records` counts valid records read,
    // `segments` the segment files found (before any was created).
    struct Recovery {
        std::uint64_t records = 0;
        std::uint64_t segments = 0;
        bool tornTailRepaired = false;
        std::string tornTailDetail;  // file, offset, bytes dropped and why; empty if nothing was cut
    };
    const Recovery& recovery() const;

    // Deletes, oldest first, whole segments whose every record has seq <= upTo (retention), and
    // fsyncs the directory after each unlink so a crash can only bring back the oldest ones,
    // never leave a gap. `upTo` is clamped to lastSequence(). The active (last) segment is always
    // kept: its name carries the sequence numbering across restarts. Thread-safe with append and
    // readAfter. Throws JournalError (and the journal fails) if an unlink or fsync fails, or if the
    // journal has already failed.
    void pruneThrough(std::uint64_t upTo);

    // fdatasync calls made by append so far: with concurrent appenders, fewer than the appends.
    // For tests and metrics.
    std::uint64_t syncCount() const;

    // Each fdatasync's duration and the records it made durable, from now on. Before the first
    // append (the handles are read without a lock); their series must outlive the journal.
    void setMetrics(JournalMetrics metrics) { metrics_ = metrics; }

private:
    struct Segment {
        std::uint64_t firstSeq = 0;
        std::string path;
    };

    Journal(const JournalOptions& options, JournalIo io);
    std::string pathOf(const std::string& name) const;
    void lockDirectory();
    void recover();
    void createSegment(std::uint64_t firstSeq);
    void writeBatch(const std::vector<std::string>& lines, std::uint64_t firstSeq);
    void writeAll(const std::string& bytes);
    void failLocked(const std::string& reason);
    [[noreturn]] void throwFailed() const;

    const JournalOptions options_;
    const JournalIo io_;
    int lockFd_ = -1;
    int dirFd_ = -1;
    // The last segment, O_APPEND. After open, touched only by the batch leader (one at a time).
    int activeFd_ = -1;
    std::string activePath_;
    std::uint64_t activeSize_ = 0;
    Recovery recovery_;

    mutable std::mutex mutex_;  // guards everything below
    std::condition_variable committed_;
    std::vector<Segment> segments_;     // in order; the last one is active
    std::vector<std::string> pending_;  // formatted lines waiting for the next batch, seq order
    std::uint64_t lastAssigned_ = 0;
    std::uint64_t durable_ = 0;
    bool leaderActive_ = false;
    bool failed_ = false;
    std::string failReason_;

    // Where the last readAfter stopped: the next record's seq and byte offset in `path`.
    struct ReadCursor {
        std::string path;
        std::uint64_t nextSeq = 0;
        std::uint64_t offset = 0;
    };
    mutable std::mutex cursorMutex_;
    mutable ReadCursor cursor_;

    std::mutex pruneMutex_;  // one pruneThrough at a time
    std::atomic<std::uint64_t> syncCount_{0};
    JournalMetrics metrics_;
};

}  // namespace tradehost::host
