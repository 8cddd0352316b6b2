// The disk's serial floor: append ~300-byte records to a file, one fdatasync per record, and time each.
// A journal that syncs every signal on its own can go no faster than this; group commit can.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExitUsage = 64;
constexpr int kExitIo = 74;

const char* const kHelp = R"(Usage: fdatasync_bench DIR [RECORDS] [RECORD_BYTES]

Appends RECORDS records (default 2000) of RECORD_BYTES bytes (default 300) to a new file in DIR,
calling fdatasync after each one (serially, one writer), then deletes the file. Put DIR on the
filesystem whose speed you want: the same one as tradehost's storage dir.

Prints one JSON line: {"records":N,"record_bytes":B,"seconds":S,"ops_per_s":X,
"latency_ms":{"p50":..,"p90":..,"p99":..,"p999":..,"max":..}} where an op is write + fdatasync.
Exit codes: 0 ok, 64 usage error, 74 I/O error.
)";

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    // Nearest rank: the smallest value with at least p of the samples at or below it.
    const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(p * static_cast<double>(sorted.size()))));
    return sorted[std::min(rank, sorted.size()) - 1];
}

void writeAll(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(std::string("write: ") + std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 4 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::fputs(kHelp, argc < 2 || argc > 4 ? stderr : stdout);
        return argc < 2 || argc > 4 ? kExitUsage : 0;
    }
    long records = 2000;
    long recordBytes = 300;
    try {
        if (argc > 2) records = std::stol(argv[2]);
        if (argc > 3) recordBytes = std::stol(argv[3]);
    } catch (const std::exception&) {
        std::fprintf(stderr, "fdatasync_bench: RECORDS and RECORD_BYTES must be numbers (see --help)\n");
        return kExitUsage;
    }
    if (records < 1 || recordBytes < 2) {
        std::fprintf(stderr, "fdatasync_bench: RECORDS must be >= 1 and RECORD_BYTES >= 2 (see --help)\n");
        return kExitUsage;
    }
    const std::string path = std::string(argv[1]) + "/fdatasync_bench." + std::to_string(::getpid()) + ".dat";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        std::fprintf(stderr, "fdatasync_bench: cannot create %s: %s\n", path.c_str(), std::strerror(errno));
        return kExitIo;
    }
    // A signal-journal-like record: JSON text ending in a newline.
    std::string record = R"({"received_ms":1764000000000,"signal":{"signal_id":"bench","legs":[{"venue":"paper"}]}})";
    record.resize(static_cast<std::size_t>(recordBytes) - 1, ' ');
    record += '\n';

    std::vector<double> latencyMs;
    latencyMs.reserve(static_cast<std::size_t>(records));
    int code = 0;
    const auto start = Clock::now();
    try {
        for (long i = 0; i < records; ++i) {
            const auto t0 = Clock::now();
            writeAll(fd, record);
            if (::fdatasync(fd) != 0) throw std::runtime_error(std::string("fdatasync: ") + std::strerror(errno));
            latencyMs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fdatasync_bench: %s: %s\n", path.c_str(), e.what());
        code = kExitIo;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    ::close(fd);
    ::unlink(path.c_str());
    if (code != 0) return code;

    std::sort(latencyMs.begin(), latencyMs.end());
    std::printf(
        "{\"records\":%ld,\"record_bytes\":%ld,\"seconds\":%.3f,\"ops_per_s\":%.0f,"
        "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}}\n",
        records, recordBytes, seconds, static_cast<double>(records) / seconds, percentile(latencyMs, 0.5),
        percentile(latencyMs, 0.9), percentile(latencyMs, 0.99), percentile(latencyMs, 0.999), latencyMs.back());
    return 0;
}
