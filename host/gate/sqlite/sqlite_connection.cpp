// One SQLite connection with its statements prepared once and kept: the SQLite gate's toolkit.
#include "gate/sqlite/sqlite_connection.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include "gate/gate.h"

namespace tradehost::host {

SqliteQuery::SqliteQuery(SqliteConnection& connection, sqlite3_stmt* statement, const char* sql)
    : connection_(connection), statement_(statement), sql_(sql) {}

SqliteQuery::~SqliteQuery() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

SqliteQuery& SqliteQuery::bind(int index, std::string_view text) {
    const int rc = sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) connection_.fail(rc, std::string("bind in: ") + sql_);
    return *this;
}

SqliteQuery& SqliteQuery::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(statement_, index, value);
    if (rc != SQLITE_OK) connection_.fail(rc, std::string("bind in: ") + sql_);
    return *this;
}

bool SqliteQuery::step() {
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    connection_.fail(rc, sql_);
}

std::string SqliteQuery::text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column))) : std::string();
}

std::int64_t SqliteQuery::int64(int column) const { return sqlite3_column_int64(statement_, column); }

bool SqliteQuery::isNull(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

SqliteConnection::SqliteConnection(const std::string& path, int busyTimeoutMs) : path_(path) {
    Poco::Data::SQLite::Connector::registerConnector();
    try {
        session_ = std::make_unique<Poco::Data::Session>("SQLite", path);
    } catch (const Poco::Exception& e) {
        throw GateError("cannot open the gate database " + path + ": " + e.displayText());
    }
    db_ = Poco::Data::SQLite::Utility::dbHandle(*session_);
    sqlite3_busy_timeout(db_, busyTimeoutMs);
}

SqliteConnection::~SqliteConnection() {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
}

SqliteQuery SqliteConnection::query(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
        sqlite3_stmt* statement = nullptr;
        const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
        if (rc != SQLITE_OK) fail(rc, std::string("prepare: ") + sql);
        it = statements_.emplace(sql, statement).first;
    }
    return SqliteQuery(*this, it->second, sql);
}

void SqliteConnection::exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        const std::string text = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            throw GateConstraintError("gate database " + path_ + ": " + text + " (" + sql + ")");
        throw GateError("gate database " + path_ + ": " + text + " (" + sql + ")");
    }
}

std::int64_t SqliteConnection::lastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int SqliteConnection::changes() const { return sqlite3_changes(db_); }

void SqliteConnection::fail(int rc, const std::string& what) const {
    const std::string text = "gate database " + path_ + ": " + sqlite3_errmsg(db_) + " (" + what + ")";
    if ((rc & 0xff) == SQLITE_CONSTRAINT) throw GateConstraintError(text);
    throw GateError(text);
}

std::int64_t SqliteConnection::totalChanges() const { return sqlite3_total_changes64(db_); }

void SqliteConnection::commitAs(Commit commit, std::int64_t changesBefore) {
    exec("COMMIT");
    if (commit == Commit::Deferred) {
        deferred_ = true;
        restoreSynced();
    } else if (totalChanges() != changesBefore) {
        // A synced commit that wrote something synced the whole WAL, deferred frames included. One
        // that changed nothing wrote no frame and synced nothing.
        deferred_ = false;
    }
}

void SqliteConnection::restoreSynced() noexcept {
    sqlite3_exec(db_, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
}

void SqliteConnection::syncDeferred() {
    if (!deferred_) return;
    // In WAL mode the "journal" SQLite hands out is the WAL file itself.
    sqlite3_file* wal = nullptr;
    int rc = sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    if (rc != SQLITE_OK || wal == nullptr || wal->pMethods == nullptr)
        throw GateError("gate database " + path_ + ": its write-ahead log cannot be synced (no WAL file)");
    rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
    if (rc != SQLITE_OK)
        throw GateError("gate database " + path_ + ": " + sqlite3_errstr(rc) + " (fdatasync of the write-ahead log)");
    deferred_ = false;
}

void SqliteConnection::rollbackQuietly() noexcept {
    if (sqlite3_get_autocommit(db_)) return;  // SQLite already rolled back (e.g. after SQLITE_FULL)
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace tradehost::host
