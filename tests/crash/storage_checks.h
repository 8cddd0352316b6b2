// After the host stopped: the event chain verifies, the gate database is intact, the journal re-reads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace tradehost::test {

struct StorageReport {
    bool chainOk = false;
    std::string chain;  // what `tradehost verify-events` said
    bool integrityOk = false;
    std::string integrity;  // PRAGMA integrity_check of the gate, or why it could not run
    bool journalOk = false;
    std::string journal;  // records re-read with valid checksums, or the error
    std::uint64_t journalRecords = 0;

    bool clean() const { return chainOk && integrityOk && journalOk; }
    std::string summary() const;
};

// `tradehost verify-events FILE`; true on exit 0. `detail` gets its output.
bool verifyEventChain(const std::string& eventsFile, std::string& detail);
// PRAGMA integrity_check through Poco::Data SQLite, opened read-only; "ok" when intact.
std::string gateIntegrity(const std::string& gateFile);
// Opens the journal as the host does (lock, checksums, sequence) and re-reads every record.
// Never run it while a host is up: it takes the journal's lock.
bool rereadJournal(const std::filesystem::path& journalDir, std::uint64_t& records, std::string& detail);

// The host's expected positions for venue instance `venue`, per symbol ("SYMBOL" for the one-way
// BOTH side, "SYMBOL/LONG" etc. in hedge mode), as the gate stores them. Opened read-only;
// throws std::runtime_error if the gate cannot be read.
std::map<std::string, std::string> gatePositions(const std::string& gateFile, const std::string& venue);

// The filled quantity the gate recorded per leg ("signal#leg") of venue instance `venue`, for
// signals whose id starts with `prefix`. Read-only; throws std::runtime_error on failure.
std::map<std::string, std::string> gateLegFills(const std::string& gateFile, const std::string& venue,
                                                const std::string& prefix);

// The state the gate recorded per leg ("signal#leg" -> PENDING, WORKING, ACCEPTED, CANCELLED, ...)
// of venue instance `venue`, for signals whose id starts with `prefix`. Read-only; throws
// std::runtime_error on failure.
std::map<std::string, std::string> gateLegStates(const std::string& gateFile, const std::string& venue,
                                                 const std::string& prefix);

StorageReport checkStorage(const std::string& eventsFile, const std::string& gateFile,
                           const std::filesystem::path& journalDir);

}  // namespace tradehost::test
