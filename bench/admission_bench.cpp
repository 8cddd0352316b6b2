// Gate admission benchmark: journaled signals admitted into the SQLite gate, and a prefilled gate.
//
// `admit` measures what drains a backlog: N signal records appended to a real journal (16 writers,
// group commit), then the host's own Admitter over a SQLite gate, timed over catchUp() alone.
// `prefill` builds the storage dir of a host that has already admitted and traded 1,000,000
// signals, once, through the gate's own interfaces (the tool's own SQL only measures the file),
// for the scenarios that measure a big gate against an empty one.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "events/json_text.h"
#include "gate/gate.h"
#include "gate/sqlite/sqlite_connection.h"
#include "ids/client_order_id.h"
#include "intake/signal/signal_parser.h"
#include "journal/journal.h"
#include "pipeline/admitter.h"
#include "pipeline/journal_record.h"
#include "pipeline/leg_outcomes.h"
#include "pipeline/pipeline_options.h"
#include "pipeline/venue_lane.h"

namespace {

namespace fs = std::filesystem;
using namespace tradehost;
using namespace tradehost::host;
using Steady = std::chrono::steady_clock;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 64;
constexpr int kExitIo = 74;

// Bumped whenever what `prefill` builds changes (ids, times, states, events, schema of the stamp):
// a cached dir with another stamp is rebuilt, never reused.
constexpr int kPrefillVersion = 2;
constexpr const char* kStampFile = "bench-prefill.json";
constexpr const char* kVenue = "paper";
constexpr std::int64_t kDayMs = 24 * 3600'000LL;

const char* const kHelp =
    R"(Usage: admission_bench admit DIR [--signals N] [--threads T] [--admit-batch B] [--label TEXT]
       admission_bench prefill DIR [--signals N] [--batch B] [--days D] [--force]

admit: DIR is a tradehost storage dir, new (a fresh gate) or a copy of a prefilled one (its gate
  is used as it is). Appends N one-leg signal records (default 50000) to DIR/journal from T
  threads (default 16; group commit), each encodeSignalRecord(now, canonical) of a flat webhook
  body run through parseSignal, venue "paper", BTCUSDT / ETHUSDT, buy / sell, like bench/wrk.
  Then opens DIR/gate.sqlite (openSqliteGate) and runs the host's Admitter over it with one route,
  "paper" (a VenueLane, ClientOrderIdCodec(ClientOrderIdRules{}, "paper"), no executor), and
  times catchUp() alone. The journal must be empty at the start. Afterwards the gate is closed,
  its WAL checkpointed, and the files measured.
  Prints one JSON line: signals, gate_signals_before, append {seconds, per_s, syncs,
  per_sync}, gate_open_ms, admitter_ms (construction), catch_up {seconds, per_s, records,
  transactions, records_per_transaction, admitted, queued}, bytes {gate, wal_before_checkpoint,
  wal, journal, gate_signals, gate_per_signal, journal_per_signal, freelist, tables {...}}.

prefill: builds DIR as the storage of a host that admitted and traded N signals (default
  1000000): admitted through SignalAdmission::admit in batches of B (default 10000) with
  journal_seq 0 (history without journal positions: an empty journal is at 0 too), received over
  the last D days (default 3, ending 10 minutes ago; inside the 7-day retention), each leg then
  PENDING -> SUBMITTED -> ACCEPTED and filled through LegStore::apply (the executor's events
  and position moves), the event outbox consumed as the host's event-log writer would
  (cursor "event_log", pruned after each batch and at the end). No journal, no events.jsonl:
  tradehost creates both. Built in DIR.building and renamed, with DIR/bench-prefill.json as its
  stamp; a DIR whose stamp matches (tool version, N, B, D) and whose oldest signal is still at
  least a day inside the retention is reused (--force rebuilds).
  Prints one JSON line: reused, then the stamp's fields (also when reused: the build's figures):
  signals, batch, days, built_ms, oldest/newest_received_ms, seconds, admit_seconds,
  apply_seconds, admit_per_s, bytes {...}.

Exit codes: 0 ok, 1 a check failed (a signal not admitted, a change not applied), 64 usage,
74 I/O or gate error.
)";

class WallClock final : public tradehost::Clock {
public:
    std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
    std::chrono::steady_clock::time_point monotonic() const override { return std::chrono::steady_clock::now(); }
};

double secondsSince(Steady::time_point t0) { return std::chrono::duration<double>(Steady::now() - t0).count(); }

std::string number(double v, int decimals = 3) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// The admitter's view of the gate, counting what it sees: one admit() call is one transaction.
class CountingAdmission final : public SignalAdmission {
public:
    explicit CountingAdmission(SignalAdmission& inner) : inner_(inner) {}

    std::vector<AdmissionResult> admit(const std::vector<AdmissionRequest>& batch, const std::string& owner,
                                       std::int64_t oldestAcceptedMs, std::int64_t nowMs) override {
        auto results = inner_.admit(batch, owner, oldestAcceptedMs, nowMs);
        ++transactions_;
        records_ += batch.size();
        for (const auto& r : results) ++outcomes_[toString(r.outcome)];
        return results;
    }
    std::uint64_t processedSeq() override { return inner_.processedSeq(); }
    std::size_t forgetSignalsBefore(std::int64_t beforeMs) override { return inner_.forgetSignalsBefore(beforeMs); }

    std::uint64_t transactions() const { return transactions_; }
    std::uint64_t records() const { return records_; }
    std::uint64_t count(Admission a) const {
        const auto it = outcomes_.find(toString(a));
        return it == outcomes_.end() ? 0 : it->second;
    }

private:
    SignalAdmission& inner_;
    std::uint64_t transactions_ = 0;
    std::uint64_t records_ = 0;
    std::map<std::string, std::uint64_t> outcomes_;
};

// A realistic one-leg webhook body, flat form (docs/signals.md), as bench/wrk/signals.lua sends.
std::string flatBody(const std::string& signalId, long index) {
    const char* symbol = index % 2 == 0 ? "BTCUSDT" : "ETHUSDT";
    const char* quantity = index % 2 == 0 ? "0.002" : "0.01";
    const char* side = (index / 2) % 2 == 0 ? "buy" : "sell";
    return std::string("{\"signal_id\":\"") + signalId + "\",\"venue\":\"" + kVenue + "\",\"symbol\":\"" + symbol +
           "\",\"side\":\"" + side + "\",\"type\":\"market\",\"quantity\":\"" + quantity + "\"}";
}

Signal parsedSignal(const std::string& body) {
    auto parsed = parseSignal(body);
    if (const auto* e = std::get_if<ParseError>(&parsed))
        throw std::logic_error("the benchmark's own signal does not parse: " + e->field + ": " + e->message);
    return std::get<Parsed>(std::move(parsed)).signal;
}

std::uint64_t fileSize(const fs::path& p) {
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? 0 : n;
}

std::uint64_t dirBytes(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return 0;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) total += e.file_size();
    return total;
}

// The gate file once no one else has it open: checkpointed (WAL truncated), then measured, with
// the bytes of each table and index (SQLite's dbstat, when compiled in; Debian's is).
struct GateBytes {
    std::uint64_t walBeforeCheckpoint = 0;
    std::uint64_t file = 0;
    std::uint64_t wal = 0;
    std::int64_t pageSize = 0;
    std::int64_t freelistPages = 0;
    std::int64_t signals = 0;
    std::int64_t legs = 0;
    std::int64_t events = 0;
    std::vector<std::pair<std::string, std::int64_t>> tables;
};

GateBytes measureGate(const std::string& path, std::uint64_t walBeforeCheckpoint) {
    GateBytes b;
    b.walBeforeCheckpoint = walBeforeCheckpoint;
    {
        SqliteConnection c(path, 10'000);
        c.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        auto one = [&](const char* sql) {
            auto q = c.query(sql);
            return q.step() ? q.int64(0) : 0;
        };
        b.pageSize = one("PRAGMA page_size");
        b.freelistPages = one("PRAGMA freelist_count");
        b.signals = one("SELECT COUNT(*) FROM signals");
        b.legs = one("SELECT COUNT(*) FROM legs");
        b.events = one("SELECT COUNT(*) FROM events");
        try {
            auto q = c.query("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC");
            while (q.step()) b.tables.emplace_back(q.text(0), q.int64(1));
        } catch (const GateError&) {
            // No dbstat in this SQLite: the totals still stand.
        }
        b.file = fileSize(path);
        b.wal = fileSize(path + "-wal");
    }
    return b;
}

std::string gateBytesJson(const GateBytes& b, std::uint64_t journalBytes, std::uint64_t newSignals) {
    const double perSignal = b.signals > 0 ? static_cast<double>(b.file + b.wal) / static_cast<double>(b.signals) : 0;
    std::string out =
        "{\"gate\":" + std::to_string(b.file) + ",\"wal_before_checkpoint\":" + std::to_string(b.walBeforeCheckpoint) +
        ",\"wal\":" + std::to_string(b.wal) + ",\"journal\":" + std::to_string(journalBytes) +
        ",\"gate_signals\":" + std::to_string(b.signals) + ",\"gate_legs\":" + std::to_string(b.legs) +
        ",\"gate_events\":" + std::to_string(b.events) + ",\"gate_per_signal\":" + number(perSignal, 1) +
        ",\"journal_per_signal\":" +
        number(newSignals > 0 ? static_cast<double>(journalBytes) / static_cast<double>(newSignals) : 0, 1) +
        ",\"page_size\":" + std::to_string(b.pageSize) +
        ",\"freelist_bytes\":" + std::to_string(b.freelistPages * b.pageSize) + ",\"tables\":{";
    bool first = true;
    for (const auto& [name, bytes] : b.tables) {
        out += (first ? "" : ",");
        appendJsonString(out, name);
        out += ":" + std::to_string(bytes);
        first = false;
    }
    return out + "}}";
}

// ---- admit ----------------------------------------------------------------------------------

struct AdmitOptions {
    fs::path dir;
    long signals = 50'000;
    int threads = 16;
    std::size_t admitBatch = PipelineOptions{}.admitBatch;
    std::string label;
};

int runAdmit(const AdmitOptions& o) {
    const WallClock clock;
    const std::string gatePath = (o.dir / "gate.sqlite").string();
    const bool prefilled = fs::exists(gatePath);
    auto journal = Journal::open({(o.dir / "journal").string()});
    if (journal->lastSequence() != 0)
        throw std::invalid_argument(o.dir.string() + "/journal already holds " +
                                    std::to_string(journal->lastSequence()) +
                                    " records: admit needs an empty journal (a fresh dir, or a fresh copy of a "
                                    "prefilled one)");

    // The bodies are parsed before the clock starts: intake parses before it journals, and the
    // append phase measures the journal, not the parser.
    char tag[16];
    std::snprintf(tag, sizeof tag, "%06x", static_cast<unsigned>(std::random_device{}() & 0xffffff));
    std::vector<std::string> canonical(static_cast<std::size_t>(o.signals));
    for (long i = 0; i < o.signals; ++i)
        canonical[static_cast<std::size_t>(i)] =
            parsedSignal(flatBody(std::string("ab") + tag + "-" + std::to_string(i), i)).canonical;

    const auto appendStart = Steady::now();
    std::atomic<long> next{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < o.threads; ++t) {
        writers.emplace_back([&] {
            for (long i = next++; i < o.signals; i = next++)
                journal->append(encodeSignalRecord(clock.nowMs(), canonical[static_cast<std::size_t>(i)]));
        });
    }
    for (auto& w : writers) w.join();
    const double appendSeconds = secondsSince(appendStart);
    const std::uint64_t syncs = journal->syncCount();
    canonical.clear();
    canonical.shrink_to_fit();

    const auto openStart = Steady::now();
    auto gate = openSqliteGate(gatePath);
    const double gateOpenMs = secondsSince(openStart) * 1000;
    CountingAdmission counting(*gate);
    VenueLane lane(kVenue);
    const ClientOrderIdCodec ids(ClientOrderIdRules{}, kVenue);
    std::map<std::string, VenueRoute> routes;
    routes[kVenue] = VenueRoute{&lane, &ids, [] {}};
    PipelineOptions options;
    options.admitBatch = o.admitBatch;
    std::string fatal;
    std::int64_t gateSignalsBefore = 0;
    if (prefilled) {
        SqliteConnection c(gatePath, 10'000);
        auto q = c.query("SELECT COUNT(*) FROM signals");
        if (q.step()) gateSignalsBefore = q.int64(0);
    }
    const auto admitterStart = Steady::now();
    Admitter admitter(*journal, counting, std::move(routes), options, clock, {},
                      [&](const std::string& why) { fatal = why; });
    const double admitterMs = secondsSince(admitterStart) * 1000;

    const auto catchUpStart = Steady::now();
    const std::size_t handled = admitter.catchUp();
    const double catchUpSeconds = secondsSince(catchUpStart);

    const std::uint64_t admitted = counting.count(Admission::Admitted);
    const std::size_t queued = lane.queued();
    // The WAL as the run left it (SQLite checkpoints it when the last connection closes).
    const std::uint64_t walAfterRun = fileSize(gatePath + "-wal");
    gate.reset();
    const GateBytes bytes = measureGate(gatePath, walAfterRun);
    const std::uint64_t journalBytes = dirBytes(o.dir / "journal");
    journal.reset();

    const auto perSecond = [](double n, double s) { return s > 0 ? n / s : 0.0; };
    std::cout << "{\"mode\":\"admit\",\"label\":";
    std::string label;
    appendJsonString(label, o.label);
    std::cout << label << ",\"prefilled\":" << (prefilled ? "true" : "false") << ",\"signals\":" << o.signals
              << ",\"gate_signals_before\":" << gateSignalsBefore << ",\"append\":{\"threads\":" << o.threads
              << ",\"seconds\":" << number(appendSeconds)
              << ",\"per_s\":" << number(perSecond(static_cast<double>(o.signals), appendSeconds), 0)
              << ",\"syncs\":" << syncs << ",\"per_sync\":"
              << number(static_cast<double>(o.signals) / static_cast<double>(std::max<std::uint64_t>(1, syncs)), 2)
              << "},\"gate_open_ms\":" << number(gateOpenMs, 1) << ",\"admitter_ms\":" << number(admitterMs, 1)
              << ",\"catch_up\":{\"seconds\":" << number(catchUpSeconds)
              << ",\"per_s\":" << number(perSecond(static_cast<double>(handled), catchUpSeconds), 0)
              << ",\"records\":" << handled << ",\"admit_batch\":" << o.admitBatch
              << ",\"transactions\":" << counting.transactions() << ",\"records_per_transaction\":"
              << number(static_cast<double>(counting.records()) /
                            static_cast<double>(std::max<std::uint64_t>(1, counting.transactions())),
                        1)
              << ",\"admitted\":" << admitted << ",\"queued\":" << queued
              << "},\"bytes\":" << gateBytesJson(bytes, journalBytes, static_cast<std::uint64_t>(o.signals)) << "}"
              << std::endl;
    if (!fatal.empty()) {
        std::cerr << "admission_bench: the admitter failed: " << fatal << "\n";
        return kExitFailed;
    }
    if (handled != static_cast<std::size_t>(o.signals) || admitted != static_cast<std::uint64_t>(o.signals) ||
        queued != static_cast<std::size_t>(o.signals)) {
        std::cerr << "admission_bench: " << o.signals << " signals journaled, but " << handled << " records handled, "
                  << admitted << " admitted, " << queued << " legs queued\n";
        return kExitFailed;
    }
    return 0;
}

// ---- prefill --------------------------------------------------------------------------------

struct PrefillOptions {
    fs::path dir;
    long signals = 1'000'000;
    long batch = 10'000;
    int days = 3;
    bool force = false;
};

// The stamp of a cached dir (one JSON object: what was built, and the build's figures), if it is
// there and the dir is still usable; nullopt means build it again.
std::optional<std::string> reusableStamp(const PrefillOptions& o, std::int64_t nowMs) {
    std::ifstream in(o.dir / kStampFile);
    if (!in || !fs::exists(o.dir / "gate.sqlite")) return std::nullopt;
    std::string text;
    std::getline(in, text);
    try {
        Poco::JSON::Parser parser;
        auto stamp = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
        const std::int64_t retentionMs = PipelineOptions{}.retentionMs;
        if (stamp->getValue<int>("version") != kPrefillVersion || stamp->getValue<long>("signals") != o.signals ||
            stamp->getValue<long>("batch") != o.batch || stamp->getValue<int>("days") != o.days)
            return std::nullopt;
        // Signals about to leave the retention window would make the host's janitor start by
        // forgetting them: that is not the gate this scenario means to measure.
        if (stamp->getValue<std::int64_t>("oldest_received_ms") < nowMs - retentionMs + kDayMs) return std::nullopt;
        return text;
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

int runPrefill(const PrefillOptions& o) {
    const WallClock clock;
    const std::int64_t startMs = clock.nowMs();
    std::string dir;
    appendJsonString(dir, o.dir.string());
    if (!o.force) {
        if (const auto stamp = reusableStamp(o, startMs)) {
            std::cout << "{\"mode\":\"prefill\",\"reused\":true,\"dir\":" << dir << "," << stamp->substr(1)
                      << std::endl;
            return 0;
        }
    }
    const fs::path building = o.dir.string() + ".building";
    fs::remove_all(building);
    fs::create_directories(building);
    const std::string gatePath = (building / "gate.sqlite").string();

    const auto t0 = Steady::now();
    const PipelineOptions pipeline;
    const ClientOrderIdCodec ids(ClientOrderIdRules{}, kVenue);
    // Received from `days` ago up to 10 minutes ago, in signal order; sent 3 ms and filled 5 ms
    // after receipt, as a paper venue would.
    const std::int64_t firstMs = startMs - o.days * kDayMs;
    const std::int64_t lastMs = startMs - 600'000;
    const auto receivedAt = [&](long i) {
        return firstMs + static_cast<std::int64_t>(static_cast<double>(lastMs - firstMs) * static_cast<double>(i) /
                                                   static_cast<double>(std::max(1L, o.signals - 1)));
    };

    double admitSeconds = 0, applySeconds = 0;
    {
        auto gate = openSqliteGate(gatePath);
        // The host's event-log writer reads the outbox through this cursor; events it has passed
        // are pruned as the janitor would, so the file holds what a running host's would.
        gate->openCursor("event_log", 0);
        for (long first = 0; first < o.signals; first += o.batch) {
            const long end = std::min(o.signals, first + o.batch);
            std::vector<AdmissionRequest> batch;
            batch.reserve(static_cast<std::size_t>(end - first));
            for (long i = first; i < end; ++i) {
                char id[32];
                std::snprintf(id, sizeof id, "pf-%07ld", i);
                AdmissionRequest r;
                r.journalSeq = 0;
                r.receivedMs = receivedAt(i);
                r.signal = parsedSignal(flatBody(id, i));
                r.legs.push_back({ids.encode(id, 0, 0), ""});
                batch.push_back(std::move(r));
            }
            const std::int64_t batchNowMs = batch.back().receivedMs;
            auto phase = Steady::now();
            const auto results = gate->admit(batch, pipeline.owner, startMs - pipeline.retentionMs, batchNowMs);
            admitSeconds += secondsSince(phase);

            std::vector<LegChange> submits;
            submits.reserve(results.size());
            for (const auto& result : results) {
                if (result.outcome != Admission::Admitted || result.legs.size() != 1 ||
                    result.legs.front().state != LegState::Pending) {
                    std::cerr << "admission_bench: prefill: a signal was not admitted PENDING ("
                              << toString(result.outcome) << ")\n";
                    return kExitFailed;
                }
                const LegRecord& leg = result.legs.front();
                LegChange c{leg, leg, {}};
                c.after.state = LegState::Submitted;
                c.after.sentMs = leg.receivedMs + 3;
                c.events.push_back(legEvent("order_submitted", c.after,
                                            jsonObject({{"symbol", leg.intent.symbol},
                                                        {"side", toString(leg.intent.side)},
                                                        {"type", toString(leg.intent.type)},
                                                        {"quantity", leg.intent.quantity.toString()},
                                                        {"attempt", "0"}})));
                submits.push_back(std::move(c));
            }
            std::vector<LegChange> fills;
            fills.reserve(submits.size());
            for (const auto& s : submits) {
                OrderState order;
                order.clientOrderId = s.after.clientOrderId;
                order.exchangeOrderId = "P" + s.after.signalId.substr(3);
                order.symbol = s.after.intent.symbol;
                order.side = s.after.intent.side;
                order.type = s.after.intent.type;
                order.status = OrderStatus::Filled;
                order.quantity = s.after.intent.quantity;
                order.filledQuantity = s.after.intent.quantity;
                order.averagePrice = Decimal::of(s.after.intent.symbol == "BTCUSDT" ? "65000" : "3200");
                order.updateTimeMs = s.after.sentMs + 2;
                fills.push_back(*adoptOrder(s.after, order, "order_ack", {}));
            }
            phase = Steady::now();
            for (const auto* changes : {&submits, &fills}) {
                const auto applied = gate->apply(*changes, batchNowMs + 5);
                const auto lost = std::count_if(applied.begin(), applied.end(),
                                                [](ChangeResult r) { return r != ChangeResult::Applied; });
                if (lost > 0) {
                    std::cerr << "admission_bench: prefill: " << lost << " leg change(s) not applied\n";
                    return kExitFailed;
                }
            }
            applySeconds += secondsSince(phase);
            gate->advanceCursor("event_log", gate->lastEventId());
            gate->pruneConsumed();
            if ((end / o.batch) % 10 == 0 || end == o.signals)
                std::cerr << "admission_bench: prefill: " << end << " / " << o.signals << " signals, "
                          << number(secondsSince(t0), 1) << " s\n";
        }
        // What a host starting on this dir finds: every event consumed and pruned.
        gate->openCursor("event_log", 0);
        gate->advanceCursor("event_log", gate->lastEventId());
        gate->pruneConsumed();
        const std::string integrity = gate->integrityCheck();
        if (integrity != "ok") {
            std::cerr << "admission_bench: prefill: integrity check: " << integrity << "\n";
            return kExitFailed;
        }
    }
    const GateBytes bytes = measureGate(gatePath, 0);
    const double seconds = secondsSince(t0);
    std::ostringstream figures;
    figures << "\"tool\":\"admission_bench prefill\",\"version\":" << kPrefillVersion << ",\"signals\":" << o.signals
            << ",\"batch\":" << o.batch << ",\"days\":" << o.days << ",\"built_ms\":" << startMs
            << ",\"oldest_received_ms\":" << firstMs << ",\"newest_received_ms\":" << lastMs
            << ",\"seconds\":" << number(seconds) << ",\"admit_seconds\":" << number(admitSeconds)
            << ",\"apply_seconds\":" << number(applySeconds)
            << ",\"admit_per_s\":" << number(admitSeconds > 0 ? static_cast<double>(o.signals) / admitSeconds : 0, 0)
            << ",\"bytes\":" << gateBytesJson(bytes, 0, 0) << "}";
    {
        std::ofstream stamp(building / kStampFile);
        stamp << "{" << figures.str() << "\n";
        if (!stamp.flush()) throw std::runtime_error("cannot write " + (building / kStampFile).string());
    }
    fs::remove_all(o.dir);
    fs::rename(building, o.dir);
    std::cout << "{\"mode\":\"prefill\",\"reused\":false,\"dir\":" << dir << "," << figures.str() << std::endl;
    return 0;
}

// ---- command line ---------------------------------------------------------------------------

long positive(const std::string& option, const std::string& value) {
    std::size_t used = 0;
    long n = 0;
    try {
        n = std::stol(value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != value.size() || n < 1)
        throw std::invalid_argument(option + " needs a positive integer (got '" + value + "')");
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "--help" || mode == "-h") {
        std::cout << kHelp;
        return 0;
    }
    if ((mode != "admit" && mode != "prefill") || argc < 3 || std::string(argv[2]).rfind("--", 0) == 0) {
        std::cerr << kHelp;
        return kExitUsage;
    }
    AdmitOptions admit;
    PrefillOptions prefill;
    admit.dir = prefill.dir = argv[2];
    try {
        for (int i = 3; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--force" && mode == "prefill") {
                prefill.force = true;
                continue;
            }
            if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
            const std::string value = argv[++i];
            if (arg == "--signals") {
                admit.signals = prefill.signals = positive(arg, value);
            } else if (arg == "--threads" && mode == "admit") {
                admit.threads = static_cast<int>(positive(arg, value));
            } else if (arg == "--admit-batch" && mode == "admit") {
                admit.admitBatch = static_cast<std::size_t>(positive(arg, value));
            } else if (arg == "--label" && mode == "admit") {
                admit.label = value;
            } else if (arg == "--batch" && mode == "prefill") {
                prefill.batch = positive(arg, value);
            } else if (arg == "--days" && mode == "prefill") {
                prefill.days = static_cast<int>(positive(arg, value));
                if (prefill.days > 6) throw std::invalid_argument("--days must be 1..6 (inside the 7-day retention)");
            } else {
                throw std::invalid_argument(mode + " has no option " + arg);
            }
        }
    } catch (const std::invalid_argument& e) {
        std::cerr << "admission_bench: " << e.what() << " (see --help)\n";
        return kExitUsage;
    }
    try {
        return mode == "admit" ? runAdmit(admit) : runPrefill(prefill);
    } catch (const std::invalid_argument& e) {
        std::cerr << "admission_bench: " << e.what() << "\n";
        return kExitUsage;
    } catch (const Poco::Exception& e) {
        std::cerr << "admission_bench: " << e.displayText() << "\n";
        return kExitIo;
    } catch (const std::exception& e) {
        std::cerr << "admission_bench: " << e.what() << "\n";
        return kExitIo;
    }
}
