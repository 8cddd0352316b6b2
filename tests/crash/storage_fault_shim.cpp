// LD_PRELOAD shim for storage faults on the journal (reliability-tests.md C1/C2), test builds only.
// It touches only files under a ".../journal/journal-*.jsonl" path; everything else passes through.
//
//   TRADEHOST_SHIM_FDATASYNC_EIO_AT=k  the k-th fdatasync of a journal segment fails with EIO, once.
//       Like Linux after a failed writeback, the unsynced bytes are then gone: the file is cut back
//       to its length at the last successful sync. A record acknowledged from that batch would be
//       lost — which is exactly what the test must never see.
//   TRADEHOST_SHIM_WRITE_ENOSPC_AT=k   the k-th write to a journal segment fails with ENOSPC, once,
//       writing nothing (the disk is full).
//
// Each injection is announced on stderr ("storage-fault-shim: ...") so the test can prove it fired.
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

namespace {

long envLong(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::strtol(v, nullptr, 10) : 0;
}

std::string pathOf(int fd) {
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    char target[4096];
    const ssize_t n = ::readlink(link, target, sizeof target - 1);
    return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

bool isJournalSegment(int fd) {
    const std::string p = pathOf(fd);
    return p.find("/journal/journal-") != std::string::npos && p.size() > 6 &&
           p.compare(p.size() - 6, 6, ".jsonl") == 0;
}

void announce(const std::string& what) {
    const std::string line = "storage-fault-shim: " + what + "\n";
    const ssize_t ignored = ::write(2, line.data(), line.size());
    (void)ignored;
}

struct Shim {
    long fdatasyncEioAt = envLong("TRADEHOST_SHIM_FDATASYNC_EIO_AT");
    long writeEnospcAt = envLong("TRADEHOST_SHIM_WRITE_ENOSPC_AT");
    std::atomic<long> syncs{0};
    std::atomic<long> writes{0};
    std::mutex mutex;
    std::unordered_map<std::string, off_t> syncedLength;  // per segment, at its last good fdatasync
};

Shim& shim() {
    static Shim s;
    return s;
}

template <typename F>
F real(const char* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

// Exported despite the project's hidden-by-default visibility: these must interpose libc's.
extern "C" __attribute__((visibility("default"))) int fdatasync(int fd) {
    static const auto next = real<int (*)(int)>("fdatasync");
    Shim& s = shim();
    if (s.fdatasyncEioAt <= 0 || !isJournalSegment(fd)) return next(fd);
    const std::string path = pathOf(fd);
    if (++s.syncs == s.fdatasyncEioAt) {
        off_t keep = 0;
        {
            std::lock_guard<std::mutex> lock(s.mutex);
            keep = s.syncedLength[path];
        }
        const int cut = ::ftruncate(fd, keep);
        announce("fdatasync of " + path + " failed with EIO; unsynced bytes dropped (cut to " + std::to_string(keep) +
                 (cut == 0 ? "" : ", cut failed") + ")");
        errno = EIO;
        return -1;
    }
    const int rc = next(fd);
    if (rc == 0) {
        struct stat st {};
        if (::fstat(fd, &st) == 0) {
            std::lock_guard<std::mutex> lock(s.mutex);
            s.syncedLength[path] = st.st_size;
        }
    }
    return rc;
}

extern "C" __attribute__((visibility("default"))) ssize_t write(int fd, const void* data, size_t size) {
    static const auto next = real<ssize_t (*)(int, const void*, size_t)>("write");
    Shim& s = shim();
    // fd 2 is where announce() writes: never inspect it (nor any other standard stream).
    if (s.writeEnospcAt <= 0 || fd <= 2 || !isJournalSegment(fd)) return next(fd, data, size);
    if (++s.writes == s.writeEnospcAt) {
        announce("write of " + std::to_string(size) + " bytes to " + pathOf(fd) + " failed with ENOSPC");
        errno = ENOSPC;
        return -1;
    }
    return next(fd, data, size);
}
