// The admin page's read model on the outbox dispatcher's thread: what projecting events costs,
// beside the consumer that thread already runs for every event, the event-log writer (hash chain,
// one write and one fdatasync per batch). Both get the same batches of a market order's events
// (signal_received, order_submitted, order_ack, order_fill), 1000 per batch as the dispatcher
// hands them over. Prints one JSON line.
//
// Usage: read_model_bench DIR SIGNALS
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "events/event_log.h"
#include "pipeline/event_log_writer.h"
#include "readmodel/live_feed.h"
#include "readmodel/read_model.h"

using namespace tradehost::host;

namespace {

std::vector<std::vector<StoredEvent>> batches(int signals) {
    std::vector<std::vector<StoredEvent>> out(1);
    std::uint64_t id = 0;
    const auto add = [&](const std::string& kind, const std::string& signal, const std::string& clientId,
                         const std::string& venue, const std::string& data) {
        if (out.back().size() == 1000) out.emplace_back();
        ++id;
        out.back().push_back(
            {id, 1'790'000'000'000 + static_cast<std::int64_t>(id), {kind, signal, clientId, venue, data}});
    };
    for (int i = 0; i < signals; ++i) {
        const std::string s = "bench-" + std::to_string(i);
        const std::string c = s + ":bn:0:0";
        add("signal_received", s, "", "",
            R"({"legs":1,"orders":[{"leg":0,"venue":"bn","symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.002"}],"journal_seq":)" +
                std::to_string(i + 1) + "}");
        add("order_submitted", s, c, "bn",
            R"({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.002","reduce_only":"false","position_side":"BOTH","attempt":"0"})");
        add("order_ack", s, c, "bn",
            R"({"note":"","exchange_order_id":"1","status":"FILLED","filled":"0.002","avg_price":"65000"})");
        add("order_fill", s, c, "bn",
            R"({"fill_qty":"0.002","filled":"0.002","quantity":"0.002","avg_price":"65000","position_side":"BOTH","status":"FILLED"})");
    }
    return out;
}

template <class F>
double eventsPerSecond(std::size_t events, F&& run) {
    const auto start = std::chrono::steady_clock::now();
    run();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    return static_cast<double>(events) / took.count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: read_model_bench DIR SIGNALS\n";
        return 64;
    }
    const std::filesystem::path dir = argv[1];
    const int signals = std::stoi(argv[2]);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto work = batches(signals);
    const std::size_t events = static_cast<std::size_t>(signals) * 4;

    // The read model as the host runs it: deferred commits, synced at the end (about once a
    // second in the host), every event told to a live feed.
    LiveFeed feed;
    ReadModel model((dir / "readmodel.sqlite").string(), &feed);
    const double projected = eventsPerSecond(events, [&] {
        for (const auto& b : work) model.consume(b);
        model.flush();
    });

    auto log = EventLog::open((dir / "events.jsonl").string());
    EventLogWriter writer(*log);
    const double logged = eventsPerSecond(events, [&] {
        for (const auto& b : work) writer.consume(b);
    });

    std::printf(
        "{\"events\":%zu,\"read_model_events_per_s\":%.0f,\"event_log_events_per_s\":%.0f,"
        "\"read_model_bytes_per_event\":%.0f}\n",
        events, projected, logged,
        static_cast<double>(std::filesystem::file_size(dir / "readmodel.sqlite")) / static_cast<double>(events));
    std::filesystem::remove_all(dir);
    return 0;
}
