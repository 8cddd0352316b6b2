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
    auto transaction(F&& body) -> decltype(body()) {
        exec("BEGIN IMMEDIATE");
        try {
            if constexpr (std::is_void_v<decltype(body())>) {
                body();
                exec("COMMIT");
            } else {
                auto result = body();
                exec("COMMIT");
                return result;
            }
        } catch (...) {
            rollbackQuietly();
            throw;
        }
    }

    std::int64_t lastInsertRowId() const;
    int changes() const;
    [[noreturn]] void fail(int rc, const std::string& what) const;

private:
    void rollbackQuietly() noexcept;

    std::string path_;
    std::unique_ptr<Poco::Data::Session> session_;
    sqlite3* db_ = nullptr;
    std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace tradehost::host
