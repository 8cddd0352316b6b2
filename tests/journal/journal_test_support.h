// Helpers shared by the journal tests: file surgery, reading everything back, a scriptable JournalIo.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "journal/journal.h"
#include "temp_dir.h"

namespace tradehost::test {

using host::Journal;
using host::JournalIo;
using host::JournalOptions;

inline std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void writeFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out) throw std::runtime_error("cannot write " + path);
}

inline void appendFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << bytes;
    if (!out) throw std::runtime_error("cannot append to " + path);
}

// Segment files in `dir`, oldest first.
inline std::vector<std::string> segmentFiles(const std::filesystem::path& dir) {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("journal-", 0) == 0 && name.size() == 34) out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Byte offset where each line of `content` starts.
inline std::vector<std::size_t> lineOffsets(const std::string& content) {
    std::vector<std::size_t> out;
    std::size_t pos = 0;
    while (pos < content.size()) {
        out.push_back(pos);
        const std::size_t nl = content.find('\n', pos);
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    return out;
}

inline std::string payloadFor(std::uint64_t i) {
    return "{\"signal_id\":\"sig-" + std::to_string(i) + "\",\"side\":\"buy\",\"quantity\":\"0.00" +
           std::to_string(i % 10) + "\"}";
}

inline JournalOptions optionsFor(const std::filesystem::path& dir, std::uint64_t segmentBytes = 64ull << 20) {
    JournalOptions o;
    o.dir = dir.string();
    o.segmentBytes = segmentBytes;
    return o;
}

inline std::vector<std::pair<std::uint64_t, std::string>> readAll(const Journal& journal, std::uint64_t after = 0) {
    std::vector<std::pair<std::uint64_t, std::string>> out;
    journal.readAfter(after, [&](std::uint64_t seq, const std::string& payload) { out.emplace_back(seq, payload); });
    return out;
}

inline std::string fdPath(int fd) {
    char buf[4096];
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
}

// A JournalIo whose calls are counted and logged ("write <path>", "fdatasync <path>", ...) and
// can be made to fail: set a fail*At field to the 1-based index of the call that must fail,
// counting every call since this script was created (tests usually write `calls + 1`).
struct IoScript {
    std::mutex mutex;
    int writes = 0;
    int fdatasyncs = 0;
    int fsyncs = 0;
    int ftruncates = 0;
    std::vector<std::string> ops;

    int failWriteAt = 0;
    int writeErrno = EIO;
    bool shortWriteFirst = false;      // call failWriteAt writes half and succeeds; the next one fails
    bool eintrAndShortWrites = false;  // every other call is EINTR, the rest write at most 7 bytes
    int failFdatasyncAt = 0;
    int failFsyncAt = 0;
    int failFtruncateAt = 0;
    bool realSyncs = true;  // false: syncs are no-ops (tests that are not about durability run faster)
    std::chrono::microseconds syncDelay{0};

    int count(int IoScript::*counter) {
        const std::lock_guard<std::mutex> lock(mutex);
        return this->*counter;
    }
    std::vector<std::string> opLog() {
        const std::lock_guard<std::mutex> lock(mutex);
        return ops;
    }
};

inline JournalIo scriptedIo(const std::shared_ptr<IoScript>& script) {
    JournalIo io;
    io.write = [script](int fd, const void* data, std::size_t size) -> ssize_t {
        int call;
        bool fail = false, half = false, eintr = false;
        {
            const std::lock_guard<std::mutex> lock(script->mutex);
            call = ++script->writes;
            script->ops.push_back("write " + fdPath(fd));
            if (script->failWriteAt > 0) {
                if (script->shortWriteFirst) {
                    half = call == script->failWriteAt;
                    fail = call == script->failWriteAt + 1;
                } else {
                    fail = call == script->failWriteAt;
                }
            }
            eintr = script->eintrAndShortWrites && call % 2 == 1;
        }
        if (fail) {
            errno = script->writeErrno;
            return -1;
        }
        if (eintr) {
            errno = EINTR;
            return -1;
        }
        if (half && size > 1) size /= 2;
        if (script->eintrAndShortWrites) size = std::min<std::size_t>(size, 1 + static_cast<std::size_t>(call) % 7);
        return ::write(fd, data, size);
    };
    io.fdatasync = [script](int fd) {
        bool fail;
        {
            const std::lock_guard<std::mutex> lock(script->mutex);
            fail = ++script->fdatasyncs == script->failFdatasyncAt;
            script->ops.push_back("fdatasync " + fdPath(fd));
        }
        if (script->syncDelay.count() > 0) std::this_thread::sleep_for(script->syncDelay);
        if (fail) {
            errno = EIO;
            return -1;
        }
        return script->realSyncs ? ::fdatasync(fd) : 0;
    };
    io.fsync = [script](int fd) {
        bool fail;
        {
            const std::lock_guard<std::mutex> lock(script->mutex);
            fail = ++script->fsyncs == script->failFsyncAt;
            script->ops.push_back("fsync " + fdPath(fd));
        }
        if (fail) {
            errno = EIO;
            return -1;
        }
        return script->realSyncs ? ::fsync(fd) : 0;
    };
    io.ftruncate = [script](int fd, off_t length) {
        bool fail;
        {
            const std::lock_guard<std::mutex> lock(script->mutex);
            fail = ++script->ftruncates == script->failFtruncateAt;
            script->ops.push_back("ftruncate " + fdPath(fd));
        }
        if (fail) {
            errno = EIO;
            return -1;
        }
        return ::ftruncate(fd, length);
    };
    return io;
}

// Syncs as no-ops: for tests about parsing and bookkeeping, not durability.
inline JournalIo fastIo() {
    auto script = std::make_shared<IoScript>();
    script->realSyncs = false;
    return scriptedIo(script);
}

}  // namespace tradehost::test
