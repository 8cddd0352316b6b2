// One SQLite connection with its statements prepared once and kept: the SQLite gate's toolkit.
#pragma once

#include <Poco/Data/Session.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace tradehost::host {

class SqliteConnection;

// A prepared statement in use: bind, step, read; reset (bindings cleared) when it goes out of
// scope, so the next user starts clean. Not thread-safe: one connection, one thread at a time.
class SqliteQuery {
public:
    SqliteQuery(SqliteConnection& connection, sqlite3_stmt* statement, const char* sql);
    ~SqliteQuery();
    SqliteQuery(const SqliteQuery&) = delete;
    SqliteQuery& operator=(const SqliteQuery&) = delete;

    // Parameters are numbered from 1, as in SQL's "?". Text is copied.
    SqliteQuery& bind(int index, std::string_view text);
    SqliteQuery& bind(int index, std::int64_t value);
    SqliteQuery& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    SqliteQuery& bind(int index, std::uint64_t value) { return bind(index, static_cast<std::int64_t>(value)); }

    // Advances: true while a row is available. Throws GateError (GateConstraintError for a
    // constraint violation) naming the statement.
    bool step();
    // Runs a statement that returns no rows.
    void run() {
        while (step()) {
        }
    }

    // Columns are numbered from 0.
    std::string text(int column) const;
    std::int64_t int64(int column) const;
    bool isNull(int column) const;

private:
    SqliteConnection& connection_;
    sqlite3_stmt* statement_;
    const char* sql_;
};

// How a transaction's commit reaches the disk (the connection runs in WAL mode).
enum class Commit {
    // On disk when COMMIT returns (synchronous=FULL): it survives a power loss.
    Synced,
    // Written to the WAL but not synced (synchronous=NORMAL): a process crash keeps it, a power
    // loss may undo it. The next Synced commit that changes anything, or syncDeferred(), carries it
    // to disk with everything before it: the WAL is one file, synced as a whole, and SQLite's
    // recovery keeps only the frames before the first one that did not survive.
    Deferred,
};

// Opened through Poco's SQLite connector; statements are prepared with SQLite's own API and kept
// per connection (keyed by the SQL text's address, so SQL must be a string literal or otherwise
// live as long as the connection). Poco::Data prepared every statement on every call: 28 % of the
// old gate's CPU.
class SqliteConnection {
public:
    // Throws GateError if the file cannot be opened.
    SqliteConnection(const std::string& path, int busyTimeoutMs);
    ~SqliteConnection();
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    SqliteQuery query(const char* sql);
    // Runs SQL text with no parameters (pragmas, DDL, BEGIN/COMMIT).
    void exec(const std::string& sql);

    // BEGIN IMMEDIATE ... COMMIT around `body`, ROLLBACK if it throws. IMMEDIATE takes the write
    // lock up front, so a transaction that reads before it writes never fails with SQLITE_BUSY
    // halfway (a deferred one cannot wait: SQLite answers BUSY at once to keep from deadlocking).
    template <class F>
    auto transaction(F&& body, Commit commit = Commit::Synced) -> decltype(body()) {
        if (commit == Commit::Deferred) exec("PRAGMA synchronous=NORMAL");
        const std::int64_t changesBefore = totalChanges();
        exec("BEGIN IMMEDIATE");
        try {
            if constexpr (std::is_void_v<decltype(body())>) {
                body();
                commitAs(commit, changesBefore);
            } else {
                auto result = body();
                commitAs(commit, changesBefore);
                return result;
            }
        } catch (...) {
            rollbackQuietly();
            if (commit == Commit::Deferred) restoreSynced();
            throw;
        }
    }

    // Makes every Deferred commit of this connection durable (one fdatasync of the WAL); does
    // nothing when none is waiting. Throws GateError if the sync fails.
    void syncDeferred();
    bool hasDeferred() const { return deferred_; }

    std::int64_t lastInsertRowId() const;
    int changes() const;
    [[noreturn]] void fail(int rc, const std::string& what) const;

private:
    void rollbackQuietly() noexcept;
    std::int64_t totalChanges() const;
    void commitAs(Commit commit, std::int64_t changesBefore);
    void restoreSynced() noexcept;

    std::string path_;
    std::unique_ptr<Poco::Data::Session> session_;
    sqlite3* db_ = nullptr;
    std::unordered_map<const char*, sqlite3_stmt*> statements_;
    bool deferred_ = false;  // a Deferred commit not yet synced
};

}  // namespace tradehost::host
