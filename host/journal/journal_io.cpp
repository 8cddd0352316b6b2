// The real system calls behind JournalIo.
#include "journal/journal_io.h"

#include <unistd.h>

namespace tradehost::host {

JournalIo JournalIo::posix() {
    JournalIo io;
    io.write = [](int fd, const void* data, std::size_t size) { return ::write(fd, data, size); };
    io.fdatasync = [](int fd) { return ::fdatasync(fd); };
    io.fsync = [](int fd) { return ::fsync(fd); };
    io.ftruncate = [](int fd, off_t length) { return ::ftruncate(fd, length); };
    return io;
}

}  // namespace tradehost::host
