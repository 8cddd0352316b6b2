// A pass-through SQLite VFS that keeps an undo log of every write since each file's last sync.
#include "power_loss_vfs.h"

#include <sqlite3.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace tradehost::test {
namespace {

// What one write or truncation replaced: `size` bytes of the file's old length, and the old
// bytes from `offset` on (only those that existed).
struct Undo {
    sqlite3_int64 offset = 0;
    std::string old;
    sqlite3_int64 oldSize = 0;
};

struct State {
    std::mutex mutex;
    sqlite3_vfs* real = nullptr;
    sqlite3_vfs vfs{};
    std::map<std::string, std::vector<Undo>> pending;  // by path, oldest first
    std::map<std::string, int> syncs;
};
State* state = nullptr;

struct File {
    sqlite3_file base;
    sqlite3_file* real;
    const char* path;  // SQLite keeps the name alive while the file is open (null: a temp file)
};

sqlite3_file* realOf(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

sqlite3_int64 sizeOf(sqlite3_file* real) {
    sqlite3_int64 size = 0;
    if (real->pMethods->xFileSize(real, &size) != SQLITE_OK) throw std::runtime_error("xFileSize failed");
    return size;
}

// Remembers what [offset, offset + amount) holds now, before it is overwritten or cut off.
void remember(File* f, sqlite3_int64 offset, sqlite3_int64 amount) {
    if (!f->path) return;
    Undo u;
    u.offset = offset;
    u.oldSize = sizeOf(f->real);
    const sqlite3_int64 existing = std::max<sqlite3_int64>(0, std::min(amount, u.oldSize - offset));
    u.old.resize(static_cast<std::size_t>(existing));
    if (existing > 0 &&
        f->real->pMethods->xRead(f->real, u.old.data(), static_cast<int>(existing), offset) != SQLITE_OK)
        throw std::runtime_error("xRead failed");
    std::lock_guard<std::mutex> lock(state->mutex);
    state->pending[f->path].push_back(std::move(u));
}

int xClose(sqlite3_file* f) {
    const int rc = realOf(f)->pMethods->xClose(realOf(f));
    f->pMethods = nullptr;
    return rc;
}
int xRead(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
    return realOf(f)->pMethods->xRead(realOf(f), buffer, amount, offset);
}
int xWrite(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
    remember(reinterpret_cast<File*>(f), offset, amount);
    return realOf(f)->pMethods->xWrite(realOf(f), buffer, amount, offset);
}
int xTruncate(sqlite3_file* f, sqlite3_int64 size) {
    auto* file = reinterpret_cast<File*>(f);
    remember(file, size, std::max<sqlite3_int64>(0, sizeOf(file->real) - size));
    return realOf(f)->pMethods->xTruncate(realOf(f), size);
}
int xSync(sqlite3_file* f, int flags) {
    const int rc = realOf(f)->pMethods->xSync(realOf(f), flags);
    auto* file = reinterpret_cast<File*>(f);
    if (rc == SQLITE_OK && file->path) {
        std::lock_guard<std::mutex> lock(state->mutex);
        state->pending.erase(file->path);
        state->syncs[file->path] += 1;
    }
    return rc;
}
int xFileSize(sqlite3_file* f, sqlite3_int64* size) { return realOf(f)->pMethods->xFileSize(realOf(f), size); }
int xLock(sqlite3_file* f, int level) { return realOf(f)->pMethods->xLock(realOf(f), level); }
int xUnlock(sqlite3_file* f, int level) { return realOf(f)->pMethods->xUnlock(realOf(f), level); }
int xCheckReservedLock(sqlite3_file* f, int* out) { return realOf(f)->pMethods->xCheckReservedLock(realOf(f), out); }
int xFileControl(sqlite3_file* f, int op, void* arg) {
    // SQLITE_FCNTL_JOURNAL_POINTER is answered by SQLite above the VFS, so no unwrapping here.
    return realOf(f)->pMethods->xFileControl(realOf(f), op, arg);
}
int xSectorSize(sqlite3_file* f) { return realOf(f)->pMethods->xSectorSize(realOf(f)); }
int xDeviceCharacteristics(sqlite3_file* f) {
    // No "powersafe overwrite" and no atomic writes: the worst disk, nothing assumed.
    return realOf(f)->pMethods->xDeviceCharacteristics(realOf(f)) &
           ~(SQLITE_IOCAP_POWERSAFE_OVERWRITE | SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_SAFE_APPEND |
             SQLITE_IOCAP_SEQUENTIAL | SQLITE_IOCAP_BATCH_ATOMIC);
}
int xShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    return realOf(f)->pMethods->xShmMap(realOf(f), region, size, extend, out);
}
int xShmLock(sqlite3_file* f, int offset, int n, int flags) {
    return realOf(f)->pMethods->xShmLock(realOf(f), offset, n, flags);
}
void xShmBarrier(sqlite3_file* f) { realOf(f)->pMethods->xShmBarrier(realOf(f)); }
int xShmUnmap(sqlite3_file* f, int deleteFlag) { return realOf(f)->pMethods->xShmUnmap(realOf(f), deleteFlag); }
int xFetch(sqlite3_file*, sqlite3_int64, int, void** out) {
    *out = nullptr;  // no memory-mapped reads: every read goes through xRead
    return SQLITE_OK;
}
int xUnfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kMethods = {3,
                                     xClose,
                                     xRead,
                                     xWrite,
                                     xTruncate,
                                     xSync,
                                     xFileSize,
                                     xLock,
                                     xUnlock,
                                     xCheckReservedLock,
                                     xFileControl,
                                     xSectorSize,
                                     xDeviceCharacteristics,
                                     xShmMap,
                                     xShmLock,
                                     xShmBarrier,
                                     xShmUnmap,
                                     xFetch,
                                     xUnfetch};

int xOpen(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* outFlags) {
    auto* file = reinterpret_cast<File*>(f);
    file->real = reinterpret_cast<sqlite3_file*>(file + 1);
    file->path = name;
    const int rc = state->real->xOpen(state->real, name, file->real, flags, outFlags);
    file->base.pMethods = rc == SQLITE_OK && file->real->pMethods ? &kMethods : nullptr;
    return rc;
}

int xDelete(sqlite3_vfs*, const char* name, int syncDir) {
    {
        std::lock_guard<std::mutex> lock(state->mutex);
        state->pending.erase(name);
    }
    return state->real->xDelete(state->real, name, syncDir);
}

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The file's bytes now, with `undo` applied newest first: the file as of its last sync.
std::string rollBack(std::string bytes, const std::vector<Undo>& undo) {
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        const auto offset = static_cast<std::size_t>(it->offset);
        if (bytes.size() < offset + it->old.size()) bytes.resize(offset + it->old.size());
        std::memcpy(bytes.data() + offset, it->old.data(), it->old.size());
        bytes.resize(static_cast<std::size_t>(it->oldSize));
    }
    return bytes;
}

}  // namespace

PowerLossVfs::PowerLossVfs() {
    if (state) throw std::logic_error("one PowerLossVfs at a time");
    state = new State;
    state->real = sqlite3_vfs_find(nullptr);
    state->vfs = *state->real;  // everything but opening and deleting files goes straight through
    state->vfs.zName = "tradehost-power-loss";
    state->vfs.szOsFile = static_cast<int>(sizeof(File)) + state->real->szOsFile;
    state->vfs.pNext = nullptr;
    state->vfs.xOpen = xOpen;
    state->vfs.xDelete = xDelete;
    static_assert(sizeof(File) % 8 == 0, "the real file follows File and must stay aligned");
    sqlite3_vfs_register(&state->vfs, 1);
}

PowerLossVfs::~PowerLossVfs() {
    sqlite3_vfs_unregister(&state->vfs);
    delete state;
    state = nullptr;
}

void PowerLossVfs::imageAfterPowerLoss(const std::string& database, const std::string& copy) const {
    for (const std::string suffix : {"", "-wal"}) {
        std::vector<Undo> undo;
        {
            std::lock_guard<std::mutex> lock(state->mutex);
            const auto it = state->pending.find(database + suffix);
            if (it != state->pending.end()) undo = it->second;
        }
        const std::string bytes = rollBack(readAll(database + suffix), undo);
        std::ofstream out(copy + suffix, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) throw std::runtime_error("cannot write " + copy + suffix);
    }
}

int PowerLossVfs::syncs(const std::string& suffix) const {
    std::lock_guard<std::mutex> lock(state->mutex);
    int n = 0;
    for (const auto& [path, count] : state->syncs)
        if (path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
            n += count;
    return n;
}

}  // namespace tradehost::test
