// Every open server connection, so an outage or a stop can cut them all at the TCP level.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>

namespace tradehost::binance_emulator {

// Poco's own HTTPServer::stopAll(true) reaches idle keep-alive connections through an SSL-level
// shutdown called from the stopping thread while the connection's thread may be inside OpenSSL
// on the same SSL object; shutdown(2) on the TCP socket wakes that thread with EOF instead.
class ConnectionRegistry {
public:
    // Keeps a duplicate of the connection's descriptor: Poco closes its own one before the
    // connection object goes away, and a closed number can be handed to any new socket at once,
    // so only a descriptor of our own is safe to shut down from another thread. Returns it (or
    // -1) for remove(). While cutting, a newcomer is cut at once: a worker may still create a
    // connection it dequeued just before the listener stopped.
    int add(int fd) {
        const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (own < 0) return -1;
        std::lock_guard<std::mutex> lock(mutex_);
        fds_.emplace(own, fd);
        if (cutting_) ::shutdown(own, SHUT_RDWR);
        return own;
    }
    void remove(int own) {
        if (own < 0) return;
        std::lock_guard<std::mutex> lock(mutex_);
        fds_.erase(own);
        ::close(own);
    }
    // Shuts every connection down (the peer gets a FIN after whatever was already sent) except
    // the one whose Poco descriptor is `spare` (-1: none), and keeps cutting newcomers until
    // accept() is called.
    void cutAll(int spare = -1) {
        std::lock_guard<std::mutex> lock(mutex_);
        cutting_ = true;
        for (const auto& [own, original] : fds_)
            if (original != spare || spare < 0) ::shutdown(own, SHUT_RDWR);
    }
    void accept() {
        std::lock_guard<std::mutex> lock(mutex_);
        cutting_ = false;
    }

private:
    std::mutex mutex_;
    std::map<int, int> fds_;  // our duplicate -> Poco's descriptor
    bool cutting_ = false;
};

}  // namespace tradehost::binance_emulator
