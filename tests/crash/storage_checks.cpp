// After the host stopped: the event chain verifies, the gate database is intact, the journal re-reads.
#include "storage_checks.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <tradehost/decimal.h>

#include <sstream>
#include <vector>

#include "crash_paths.h"
#include "journal/journal.h"
#include "process_runner.h"

namespace tradehost::test {

using namespace Poco::Data::Keywords;
using tradehost::Decimal;

std::string StorageReport::summary() const {
    std::ostringstream s;
    s << "chain: " << (chainOk ? "ok" : "BROKEN") << " (" << chain << "); gate integrity: " << integrity
      << "; journal: " << (journalOk ? "ok" : "BAD") << " (" << journal << ")";
    return s.str();
}

bool verifyEventChain(const std::string& eventsFile, std::string& detail) {
    const auto r = runProcess(kTradehostBin, {"verify-events", eventsFile});
    detail = r.out + r.err;
    while (!detail.empty() && detail.back() == '\n') detail.pop_back();
    return r.exitCode == 0;
}

std::string gateIntegrity(const std::string& gateFile) {
    Poco::Data::SQLite::Connector::registerConnector();
    try {
        // mode=ro: the checker must never be the thing that changes the database it judges.
        Poco::Data::Session session("SQLite", "file:" + gateFile + "?mode=ro");
        std::vector<std::string> rows;
        session << "PRAGMA integrity_check", into(rows), now;
        // A database without the gate's tables is not the gate (a wrong path would open empty).
        int tables = 0;
        session << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('signals', 'legs')",
            into(tables), now;
        if (tables != 2) return "not a gate database (signals/legs tables missing)";
        std::string out;
        for (const auto& r : rows) out += (out.empty() ? "" : "; ") + r;
        return out;
    } catch (const Poco::Exception& e) {
        return "cannot check: " + e.displayText();
    }
}

std::map<std::string, std::string> gatePositions(const std::string& gateFile, const std::string& venue) {
    Poco::Data::SQLite::Connector::registerConnector();
    try {
        Poco::Data::Session session("SQLite", "file:" + gateFile + "?mode=ro");
        // Expected = the host's fills plus any operator baseline adjustment (gate/position_book.h).
        std::vector<std::string> venues, symbols, sides, fills, adjustments;
        session << "SELECT venue, symbol, position_side, fills, adjustment FROM positions", into(venues), into(symbols),
            into(sides), into(fills), into(adjustments), now;
        std::map<std::string, std::string> out;
        for (std::size_t i = 0; i < venues.size(); ++i) {
            if (venues[i] != venue) continue;
            const Decimal expected = Decimal::of(fills[i]) + Decimal::of(adjustments[i]);
            out[sides[i] == "BOTH" ? symbols[i] : symbols[i] + "/" + sides[i]] = expected.toString();
        }
        return out;
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("cannot read the gate's positions: " + e.displayText());
    }
}

std::map<std::string, std::string> gateLegFills(const std::string& gateFile, const std::string& venue,
                                                const std::string& prefix) {
    Poco::Data::SQLite::Connector::registerConnector();
    try {
        Poco::Data::Session session("SQLite", "file:" + gateFile + "?mode=ro");
        std::vector<std::string> signals, venues, filled;
        std::vector<int> legs;
        session << "SELECT signal_id, leg, venue, filled_qty FROM legs", into(signals), into(legs), into(venues),
            into(filled), now;
        std::map<std::string, std::string> out;
        for (std::size_t i = 0; i < signals.size(); ++i)
            if (venues[i] == venue && signals[i].compare(0, prefix.size(), prefix) == 0)
                out[signals[i] + "#" + std::to_string(legs[i])] = filled[i];
        return out;
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("cannot read the gate's legs: " + e.displayText());
    }
}

std::map<std::string, std::string> gateLegStates(const std::string& gateFile, const std::string& venue,
                                                 const std::string& prefix) {
    Poco::Data::SQLite::Connector::registerConnector();
    try {
        Poco::Data::Session session("SQLite", "file:" + gateFile + "?mode=ro");
        std::vector<std::string> signals, venues, states;
        std::vector<int> legs;
        session << "SELECT signal_id, leg, venue, state FROM legs", into(signals), into(legs), into(venues),
            into(states), now;
        std::map<std::string, std::string> out;
        for (std::size_t i = 0; i < signals.size(); ++i)
            if (venues[i] == venue && signals[i].compare(0, prefix.size(), prefix) == 0)
                out[signals[i] + "#" + std::to_string(legs[i])] = states[i];
        return out;
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("cannot read the gate's legs: " + e.displayText());
    }
}

bool rereadJournal(const std::filesystem::path& journalDir, std::uint64_t& records, std::string& detail) {
    records = 0;
    try {
        const auto journal = host::Journal::open({journalDir.string()});
        std::uint64_t expected = 0;  // retention may have pruned the oldest segments: start where it starts
        bool gap = false;
        journal->readAfter(0, [&](std::uint64_t seq, const std::string&) {
            if (expected != 0 && seq != expected) gap = true;
            expected = seq + 1;
            ++records;
        });
        const auto& recovery = journal->recovery();
        detail = std::to_string(records) + " records, last seq " + std::to_string(journal->lastSequence());
        if (recovery.tornTailRepaired) detail += "; torn tail repaired at this open: " + recovery.tornTailDetail;
        if (gap) detail += "; sequence gap";
        return !gap && !recovery.tornTailRepaired && (records == 0 || expected - 1 == journal->lastSequence());
    } catch (const std::exception& e) {
        detail = e.what();
        return false;
    }
}

StorageReport checkStorage(const std::string& eventsFile, const std::string& gateFile,
                           const std::filesystem::path& journalDir) {
    StorageReport r;
    r.chainOk = verifyEventChain(eventsFile, r.chain);
    r.integrity = gateIntegrity(gateFile);
    r.integrityOk = r.integrity == "ok";
    r.journalOk = rereadJournal(journalDir, r.journalRecords, r.journal);
    return r;
}

}  // namespace tradehost::test
