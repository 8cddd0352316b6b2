// The system calls through which the journal changes the disk, replaceable so tests can fail them.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>

namespace tradehost::host {

// Each member behaves like the POSIX call of the same name: it returns -1 and sets errno on
// failure, and `write` may write fewer bytes than asked. Journal::open(options) uses posix();
// a test passes its own to Journal::open(options, io) to inject EIO, ENOSPC, EINTR or short
// writes on exactly the k-th call, without LD_PRELOAD. Reads, opens, unlinks and locks are not
// here: their failures cannot make an acknowledged record disappear, so tests need not fake them.
struct JournalIo {
    std::function<ssize_t(int fd, const void* data, std::size_t size)> write;
    std::function<int(int fd)> fdatasync;  // covers a segment's records (and its size)
    std::function<int(int fd)> fsync;      // directories after create/unlink; a segment after ftruncate
    std::function<int(int fd, off_t length)> ftruncate;

    static JournalIo posix();
};

}  // namespace tradehost::host
