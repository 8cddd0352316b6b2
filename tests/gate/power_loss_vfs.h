// A SQLite VFS for tests that can show what a power loss would leave on disk.
#pragma once

#include <map>
#include <string>

namespace tradehost::test {

// While one exists, it is SQLite's default VFS (so connections opened through Poco use it too):
// it passes every call to the real one and remembers, for each file, what every write and
// truncation since that file's last sync replaced. imageAfterPowerLoss() copies the database
// files as a power loss could leave them: every unsynced write undone — the worst case a disk
// with a volatile cache allows. One at a time; not thread-safe beyond SQLite's own use of a file.
class PowerLossVfs {
public:
    PowerLossVfs();
    ~PowerLossVfs();
    PowerLossVfs(const PowerLossVfs&) = delete;
    PowerLossVfs& operator=(const PowerLossVfs&) = delete;

    // Copies `database` and its WAL (not the -shm index: SQLite rebuilds it from the WAL) to
    // `copy` and `copy`-wal, with every write not yet synced undone.
    void imageAfterPowerLoss(const std::string& database, const std::string& copy) const;
    // Syncs of files whose name ends with `suffix` ("-wal", ".sqlite") so far.
    int syncs(const std::string& suffix) const;
};

}  // namespace tradehost::test
