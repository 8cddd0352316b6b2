// Journal benchmark: durable appends per second and fsyncs per append under concurrent writers.
// Usage: journal_bench [DIR] [THREADS] [APPENDS_PER_THREAD]   (DIR should be on the real disk)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "journal/journal.h"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    const std::string dir = argc > 1 ? argv[1] : "bench-journal";
    const int threads = argc > 2 ? std::stoi(argv[2]) : 16;
    const int each = argc > 3 ? std::stoi(argv[3]) : 500;
    std::filesystem::remove_all(dir);
    auto journal = tradehost::host::Journal::open({dir});
    const std::string payload =
        R"({"received_ms":1764000000000,"signal":{"legs":[{"price":null,"quantity":"0.002","reduce_only":false,"side":"buy","symbol":"BTCUSDT","time_in_force":null,"type":"market","venue":"bn_main"}],"sent_at":null,"signal_id":"bench-000000"}})";
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
    const auto start = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            auto& mine = latencies[static_cast<std::size_t>(t)];
            for (int i = 0; i < each; ++i) {
                const auto t0 = Clock::now();
                journal->append(payload);
                mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            }
        });
    }
    for (auto& th : pool) th.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))]; };
    const auto appends = static_cast<double>(all.size());
    std::printf("journal_bench: %d threads x %d appends in %.2f s: %.0f appends/s, %llu fdatasyncs (%.2f appends per sync), "
                "append latency p50 %.2f ms p99 %.2f ms max %.2f ms\n",
                threads, each, seconds, appends / seconds, static_cast<unsigned long long>(journal->syncCount()),
                appends / static_cast<double>(std::max<std::uint64_t>(1, journal->syncCount())), pct(0.5), pct(0.99), all.back());
    journal.reset();
    std::filesystem::remove_all(dir);
    return 0;
}
