// The HTTP listener signals arrive on: one event loop reads, bounds and answers every connection;
// one committer thread journals what it accepted, many requests per fdatasync.
#include "intake/webhook_server.h"

#include <Poco/Logger.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "intake/http/request_reader.h"
#include "journal/journal.h"
#include "log/throttled_log.h"
#include "testing/crash_point.h"

namespace tradehost::host {
namespace {

Poco::Logger& log() { return Poco::Logger::get("intake"); }

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxUnread = 256 * 1024;  // pipelined bytes a connection may have waiting
constexpr std::size_t kMaxShed = 64;            // over-capacity connections being answered 503 at once
constexpr std::int64_t kWriteTimeoutMs = 5000;
constexpr std::int64_t kScanEveryMs = 50;
constexpr std::int64_t kStopWaitMs = 5000;  // stop(): the longest a journal record is waited for
constexpr std::int64_t kDawdlingMs = 1000;  // at the cap, a request slower than this may be evicted
constexpr std::uint64_t kListenerTag = 0;
constexpr std::uint64_t kWakeTag = 1;
constexpr std::uint64_t kNoConnection = 0;  // a journal job no connection waits for

const char* reasonPhrase(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 202:
            return "Accepted";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 417:
            return "Expectation Failed";
        case 422:
            return "Unprocessable Entity";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
    }
    return "Unknown";
}

std::string httpResponse(const IntakeAnswer& a, bool keepAlive, int minorVersion) {
    std::string out = "HTTP/1." + std::to_string(minorVersion) + " " + std::to_string(a.status) + " " +
                      reasonPhrase(a.status) +
                      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(a.body.size()) + "\r\n";
    if (a.retryAfterS > 0) out += "Retry-After: " + std::to_string(a.retryAfterS) + "\r\n";
    if (!keepAlive)
        out += "Connection: close\r\n";
    else if (minorVersion == 0)
        out += "Connection: keep-alive\r\n";
    return out + "\r\n" + a.body;
}

// What an answer means for tradehost_signals_total. Both over-capacity answers (too many
// connections, admission far behind) ask for a retry shortly (Retry-After); the other 503s do not.
SignalOutcome outcomeOf(const IntakeAnswer& a) {
    switch (a.status) {
        case 202:
            return SignalOutcome::Accepted;
        case 200:
            return SignalOutcome::Duplicate;
        case 422:
            return SignalOutcome::Conflict;
        case 401:
            return SignalOutcome::Unauthorized;
        case 403:
            return SignalOutcome::Forbidden;
        case 408:
            return SignalOutcome::Timeout;
        case 413:
            return SignalOutcome::TooLarge;
        case 503:
            return a.retryAfterS > 0 ? SignalOutcome::OverCapacity : SignalOutcome::Unavailable;
    }
    // 400, 404, 405, 414, 417, 431, and 501 / 505 (a coding or HTTP version we do not take).
    const bool unreadable = a.status < 500 || a.status == 501 || a.status == 505;
    return unreadable ? SignalOutcome::BadRequest : SignalOutcome::Error;
}

std::string peerAddress(const sockaddr_storage& addr) {
    char text[INET6_ADDRSTRLEN] = {0};
    if (addr.ss_family == AF_INET)
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, text, sizeof text);
    else if (addr.ss_family == AF_INET6)
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, text, sizeof text);
    return text;
}

}  // namespace

struct WebhookServer::Impl {
    Impl(IntakeOptions options, Journal* journal, SignalLookup* lookup, std::function<void()> onJournaled,
         std::function<std::int64_t()> nowMs, IntakeMetrics metrics)
        : service_(std::move(options), journal, lookup),
          journal_(journal),
          onJournaled_(std::move(onJournaled)),
          nowMs_(std::move(nowMs)),
          metrics_(metrics) {}

    // ---- the loop's own state -------------------------------------------------------------
    // Submitted: a signal from submit(), before its first judgement (it has no socket to read).
    enum class Phase { Reading, Submitted, Journaling, Parked, Writing };
    struct Connection {
        int fd = -1;
        std::string peer;
        std::string in;  // read, not yet taken by the reader
        std::unique_ptr<HttpRequestReader> reader;
        std::string out;  // to write
        Phase phase = Phase::Reading;
        bool closeAfterWrite = false;
        bool shed = false;  // over capacity: answered 503 whatever it asks
        bool keepAlive = true;
        int minorVersion = 1;
        std::uint32_t interest = EPOLLIN;
        std::int64_t requestStartMs = 0;  // first byte of the request being read (0: none)
        std::int64_t idleSinceMs = 0;
        std::int64_t writeSinceMs = 0;
        std::string claimedId;  // Journaling: the signal id claimed (empty: a refusal record)
        std::string summary;    // the signal judged, for the console (empty: not a signal)
        std::optional<Signal> parked;
        std::int64_t parkedSinceMs = 0;
        bool probe = false;                            // the request being answered is /healthz or /readyz
        std::chrono::steady_clock::time_point readAt;  // the request was read whole (ack latency)
        // A submitted signal (no socket: fd -1): its answer goes to this promise, not to a peer.
        std::unique_ptr<std::promise<IntakeAnswer>> submission;
    };

    IntakeService service_;
    Journal* journal_;
    std::function<void()> onJournaled_;
    std::function<std::int64_t()> nowMs_;
    const IntakeMetrics metrics_;

    Poco::Net::ServerSocket listener_;
    int listenFd_ = -1;
    int epollFd_ = -1;
    int wakeFd_ = -1;
    std::unordered_map<std::uint64_t, Connection> connections_;
    std::uint64_t nextId_ = 2;  // 0 and 1 tag the listener_ and the wake-up descriptor
    std::size_t shedding_ = 0;
    std::uint64_t evicted_ = 0;  // connections closed to make room at the cap
    ThrottledLog report_{log()};
    std::atomic<bool> stopping_{false};
    bool listening_ = true;

    // ---- signals submitted from inside the host (submit()), taken by the loop -----------------
    struct Submission {
        std::string body;
        SignalOrigin origin;
        std::promise<IntakeAnswer> promise;
    };
    std::mutex submitMutex_;
    std::vector<Submission> submitted_;
    bool loopDone_ = false;  // under submitMutex_: nothing takes submissions any more
    std::thread loopThread_;

    // ---- between the loop and the committer --------------------------------------------
    struct Job {
        std::uint64_t connection = 0;
        std::string record;
        std::string signalId;
    };
    struct Done {
        std::uint64_t connection = 0;
        std::uint64_t seq = 0;
        bool ok = false;
    };
    std::mutex jobsMutex_;
    std::condition_variable jobsChanged_;
    std::vector<Job> jobs_;
    bool committerStop_ = false;
    std::mutex doneMutex_;
    std::vector<Done> done_;
    std::atomic<std::size_t> inFlight_{0};
    std::vector<Job> gathered_;  // the loop's jobs of this turn, handed over together
    std::thread committerThread_;

    // ---- setup ---------------------------------------------------------------------------
    void bind(const std::string& host, unsigned short port) {
        // No SO_REUSEPORT: a second tradehost on this address must fail here, not share it.
        listener_.bind(Poco::Net::SocketAddress(host, port), true, false);
        listener_.listen(256);
        listener_.setBlocking(false);
        listenFd_ = listener_.impl()->sockfd();
        epollFd_ = ::epoll_create1(EPOLL_CLOEXEC);
        wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (epollFd_ < 0 || wakeFd_ < 0) throw std::runtime_error("cannot create the webhook's event loop");
        watch(listenFd_, kListenerTag, EPOLLIN);
        watch(wakeFd_, kWakeTag, EPOLLIN);
    }

    void watch(int fd, std::uint64_t tag, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = tag;
        if (::epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) throw std::runtime_error("epoll_ctl failed");
    }

    void wake() {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(wakeFd_, &one, sizeof one);
    }

    // ---- the loop --------------------------------------------------------------------------
    void run() {
        epoll_event events[64];
        std::int64_t nextScanMs = 0;
        std::int64_t stopDeadlineMs = 0;
        for (;;) {
            const int n = ::epoll_wait(epollFd_, events, 64, static_cast<int>(kScanEveryMs));
            for (int i = 0; i < n; ++i) {
                const std::uint64_t tag = events[i].data.u64;
                if (tag == kListenerTag) {
                    acceptAll();
                } else if (tag == kWakeTag) {
                    std::uint64_t count = 0;
                    [[maybe_unused]] const auto r = ::read(wakeFd_, &count, sizeof count);
                    completions();
                    takeSubmissions();
                } else {
                    onEvent(tag, events[i].events);
                }
            }
            const std::int64_t now = nowMs_();
            if (now >= nextScanMs) {
                nextScanMs = now + kScanEveryMs;
                scan(now);
            }
            handOver();
            if (stopping_) {
                if (stopDeadlineMs == 0) {
                    stopDeadlineMs = now + kStopWaitMs;
                    stopListening();
                    journalConflictCounts(now, true);
                    handOver();
                }
                // Idle connections go now; requests already read are answered first.
                std::vector<std::uint64_t> idle;
                for (auto& [id, c] : connections_)
                    if (c.phase == Phase::Reading) idle.push_back(id);
                for (const auto id : idle) close(id);
                if ((connections_.empty() && inFlight_ == 0) || now > stopDeadlineMs) break;
            }
        }
        std::vector<std::uint64_t> all;
        for (auto& [id, c] : connections_) all.push_back(id);
        for (const auto id : all) close(id);
        std::vector<Submission> late;
        {
            std::lock_guard<std::mutex> lock(submitMutex_);
            loopDone_ = true;
            late.swap(submitted_);
        }
        for (auto& s : late) s.promise.set_value(stopped());
    }

    static IntakeAnswer stopped() {
        return {503, IntakeService::errorBody("intake is stopping: nothing was recorded; send it again later"), false,
                0};
    }

    // Submitted signals become connections without a socket, judged like a request just read.
    void takeSubmissions() {
        std::vector<Submission> taken;
        {
            std::lock_guard<std::mutex> lock(submitMutex_);
            taken.swap(submitted_);
        }
        for (auto& s : taken) {
            if (stopping_) {
                s.promise.set_value(stopped());
                continue;
            }
            const std::uint64_t id = nextId_++;
            Connection& c = connections_[id];
            c.peer = s.origin.source + " (" + s.origin.by + ")";
            c.submission = std::make_unique<std::promise<IntakeAnswer>>(std::move(s.promise));
            c.phase = Phase::Submitted;
            c.readAt = std::chrono::steady_clock::now();
            dispatch(id, c, service_.submitted(s.body, s.origin, nowMs_()));
        }
    }

    // Gives the committer this turn's requests at once: one lock and one wake-up, not one each.
    void handOver() {
        if (gathered_.empty()) return;
        {
            std::lock_guard<std::mutex> lock(jobsMutex_);
            if (jobs_.empty())
                jobs_.swap(gathered_);
            else
                for (auto& job : gathered_) jobs_.push_back(std::move(job));
        }
        gathered_.clear();
        jobsChanged_.notify_one();
    }

    void stopListening() {
        if (!listening_) return;
        listening_ = false;
        ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, listenFd_, nullptr);
        listener_.close();
    }

    void acceptAll() {
        for (;;) {
            sockaddr_storage addr{};
            socklen_t length = sizeof addr;
            const int fd =
                ::accept4(listenFd_, reinterpret_cast<sockaddr*>(&addr), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EMFILE || errno == ENFILE)
                    log().warning("webhook: out of file descriptors; connections wait in the backlog");
                return;  // EAGAIN: none left
            }
            // At the cap, the longest-idle keep-alive connection (or a request dawdling for over
            // a second) makes room: slow or idle clients cannot lock a real sender out.
            bool shed = connections_.size() - shedding_ >= service_.options().maxConnections;
            if (shed && !stopping_ && evictOne()) shed = false;
            if (stopping_ || (shed && shedding_ >= kMaxShed)) {
                ::close(fd);
                continue;
            }
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            const std::uint64_t id = nextId_++;
            Connection& c = connections_[id];
            c.fd = fd;
            c.peer = peerAddress(addr);
            c.shed = shed;
            if (shed) ++shedding_;
            HttpRequestReader::Limits limits;
            limits.maxBodyBytes = service_.options().maxBodyBytes;
            c.reader = std::make_unique<HttpRequestReader>(limits);
            c.idleSinceMs = nowMs_();
            watch(fd, id, EPOLLIN);
        }
    }

    // Closes the connection that matters least, if one may go: true if room was made.
    bool evictOne() {
        const std::int64_t now = nowMs_();
        std::uint64_t idle = 0, slow = 0;
        std::int64_t idleSince = 0, slowSince = 0;
        for (auto& [id, c] : connections_) {
            if (c.phase != Phase::Reading || c.shed) continue;
            // Ties go to the lower id: the connection accepted first.
            if (c.requestStartMs == 0 &&
                (idle == 0 || c.idleSinceMs < idleSince || (c.idleSinceMs == idleSince && id < idle))) {
                idle = id;
                idleSince = c.idleSinceMs;
            } else if (c.requestStartMs != 0 && now - c.requestStartMs > kDawdlingMs &&
                       (slow == 0 || c.requestStartMs < slowSince || (c.requestStartMs == slowSince && id < slow))) {
                slow = id;
                slowSince = c.requestStartMs;
            }
        }
        if (idle != 0) {
            ++evicted_;
            close(idle);
            return true;
        }
        if (slow != 0) {
            ++evicted_;
            Connection& c = connections_.at(slow);
            answer(slow, c,
                   {408, IntakeService::errorBody("over capacity: the request was too slow to arrive", "request"), true,
                    0});
            // Its answer may still be waiting in a full send buffer: gone either way.
            close(slow);
            return true;
        }
        return false;
    }

    void setInterest(std::uint64_t id, Connection& c, std::uint32_t events) {
        if (c.interest == events) return;
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = id;
        ::epoll_ctl(epollFd_, EPOLL_CTL_MOD, c.fd, &ev);
        c.interest = events;
    }

    void close(std::uint64_t id) {
        const auto it = connections_.find(id);
        if (it == connections_.end()) return;
        if (it->second.submission) {  // at the stop deadline, its record still not written
            it->second.submission->set_value(stopped());
            connections_.erase(it);
            return;
        }
        if (it->second.shed) --shedding_;
        ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
        ::close(it->second.fd);
        connections_.erase(it);
    }

    void onEvent(std::uint64_t id, std::uint32_t events) {
        const auto it = connections_.find(id);
        if (it == connections_.end()) return;
        Connection& c = it->second;
        if ((events & (EPOLLHUP | EPOLLERR)) && c.phase != Phase::Reading) {
            // Gone while its request is journaled or its answer written: nobody to answer (a
            // journaled signal stays accepted; its sender will resend and be told "duplicate").
            close(id);
            return;
        }
        if (events & EPOLLOUT) {
            flush(id, c);
            if (!connections_.count(id)) return;
        }
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c.phase == Phase::Reading) {
            if (!readSome(id, c)) return;
        } else if ((events & EPOLLIN) && c.phase != Phase::Reading) {
            // Bytes (or the peer's close) while its request is being journaled: read them once
            // it reads again. Interest is dropped only now, not for every request: most senders
            // wait for the answer, and two epoll_ctl calls per request are a measurable cost.
            setInterest(id, c, c.out.empty() ? 0u : static_cast<std::uint32_t>(EPOLLOUT));
        }
        resume(id);
    }

    // Goes on with a connection's buffered requests once it is reading again.
    void resume(std::uint64_t id) {
        const auto it = connections_.find(id);
        if (it != connections_.end() && it->second.phase == Phase::Reading && !it->second.in.empty())
            process(id, it->second);
    }

    // Reads what the socket has; false if the connection was closed.
    bool readSome(std::uint64_t id, Connection& c) {
        char buffer[kReadChunk];
        while (c.in.size() < kMaxUnread) {
            const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                c.in.append(buffer, static_cast<std::size_t>(n));
                // A short read took all the socket had: the next bytes raise a new event (the
                // descriptor is level-triggered), so no second recv just to hear EAGAIN.
                if (static_cast<std::size_t>(n) < sizeof buffer) return true;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
            if (n < 0 && errno == EINTR) continue;
            // The peer closed its side (or the connection failed): what it sent whole is still
            // answered, then the connection closes.
            if (!c.in.empty()) {
                process(id, c);
                const auto still = connections_.find(id);
                if (still != connections_.end() && still->second.phase != Phase::Reading) {
                    still->second.keepAlive = false;
                    still->second.closeAfterWrite = true;
                    return false;
                }
            }
            close(id);
            return false;
        }
        return true;
    }

    void process(std::uint64_t id, Connection& c) {
        while (c.phase == Phase::Reading && !c.in.empty()) {
            if (c.requestStartMs == 0) c.requestStartMs = nowMs_();
            std::size_t consumed = 0;
            const auto status = c.reader->feed(c.in, consumed);
            c.in.erase(0, consumed);
            if (status == HttpRequestReader::Status::NeedMore) {
                if (c.reader->wantsContinue()) {
                    c.reader->continueSent();
                    c.out += "HTTP/1.1 100 Continue\r\n\r\n";
                    flushBytes(id, c);
                }
                return;
            }
            if (status == HttpRequestReader::Status::Failed) {
                const HttpError& e = c.reader->error();
                answer(id, c, {e.status, IntakeService::errorBody(e.message, e.field), true, 0});
                return;
            }
            HttpRequest request = std::move(c.reader->request());
            c.reader->reset();
            c.probe = request.path == "/healthz" || request.path == "/readyz";
            c.readAt = std::chrono::steady_clock::now();
            const std::int64_t startedMs = c.requestStartMs;
            c.requestStartMs = 0;
            // Whole, but after its deadline (between two scans): its sender has given up by now,
            // so it is never journaled.
            if (nowMs_() - startedMs > service_.options().requestTimeoutMs) {
                answer(id, c, tooSlow());
                return;
            }
            c.keepAlive = request.keepAlive;
            c.minorVersion = request.minorVersion;
            if (c.shed) {
                answer(id, c,
                       {503,
                        IntakeService::errorBody(
                            "over capacity: too many open connections; nothing was recorded, retry shortly"),
                        true, 1});
                return;
            }
            dispatch(id, c, service_.decide(request, c.peer, nowMs_()));
            if (!connections_.count(id)) return;
        }
    }

    void dispatch(std::uint64_t id, Connection& c, IntakeDecision d) {
        c.summary = std::move(d.summary);
        switch (d.kind) {
            case IntakeDecision::Kind::Answer:
                answer(id, c, d.answer);
                return;
            case IntakeDecision::Kind::Parked:
                c.phase = Phase::Parked;
                if (!c.parked) c.parkedSinceMs = nowMs_();
                c.parked = std::move(d.signal);
                return;
            case IntakeDecision::Kind::Journal:
                c.phase = Phase::Journaling;
                c.parked.reset();
                c.claimedId = d.signalId;
                ++inFlight_;
                gathered_.push_back({id, std::move(d.record), std::move(d.signalId)});
                return;
        }
    }

    // One console line per answer, a few per kind and second under a flood (then a count).
    void report(const Connection& c, const IntakeAnswer& a) {
        const std::int64_t now = nowMs_();
        using P = Poco::Message;
        if (a.status == 202)
            report_.log("accepted signals", P::PRIO_INFORMATION, "accepted from " + c.peer + ": " + c.summary, now);
        else if (a.status == 200 && !c.summary.empty())
            report_.log("duplicates", P::PRIO_INFORMATION, "duplicate from " + c.peer + ": " + a.body, now);
        else if (a.status == 503)
            report_.log("503 answers", P::PRIO_WARNING, "503 to " + c.peer + ": " + a.body, now);
        else if (a.status >= 400)
            report_.log("refusals", P::PRIO_WARNING,
                        "refused " + std::to_string(a.status) + " to " + c.peer + ": " + a.body, now);
    }

    void answer(std::uint64_t id, Connection& c, const IntakeAnswer& a) {
        report(c, a);
        c.summary.clear();
        if (!c.probe) metrics_.answered(outcomeOf(a));
        c.probe = false;
        if (c.phase == Phase::Journaling && metrics_.ackSeconds)
            metrics_.ackSeconds->observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - c.readAt).count());
        if (c.submission) {  // no socket: the submitter's future gets the answer
            c.submission->set_value(a);
            connections_.erase(id);
            return;
        }
        const bool keep = c.keepAlive && !a.close && !stopping_;
        c.out += httpResponse(a, keep, c.minorVersion);
        c.closeAfterWrite = !keep;
        c.phase = Phase::Writing;
        c.parked.reset();
        flush(id, c);
    }

    // Writes what is queued; false if the connection was closed (an error).
    bool flushBytes(std::uint64_t id, Connection& c) {
        while (!c.out.empty()) {
            const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
            if (n > 0) {
                c.out.erase(0, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (c.writeSinceMs == 0) c.writeSinceMs = nowMs_();
                setInterest(id, c, EPOLLOUT);
                return true;
            }
            close(id);
            return false;
        }
        c.writeSinceMs = 0;
        return true;
    }

    // Writes what is queued; once all is out, the connection closes (if its answer said so) or
    // reads again. Never processes the next request itself: resume() does.
    void flush(std::uint64_t id, Connection& c) {
        if (!flushBytes(id, c) || !c.out.empty()) return;
        if (c.phase == Phase::Writing) {
            if (c.closeAfterWrite) {
                // Half-close first, so the answer is not lost to a reset while unread request
                // bytes sit in our receive buffer.
                ::shutdown(c.fd, SHUT_WR);
                close(id);
                return;
            }
            c.phase = Phase::Reading;
            c.idleSinceMs = nowMs_();
        }
        if (c.phase == Phase::Reading) setInterest(id, c, EPOLLIN);
    }

    void completions() {
        std::vector<Done> finished;
        {
            std::lock_guard<std::mutex> lock(doneMutex_);
            finished.swap(done_);
        }
        for (const Done& d : finished) {
            const auto it = connections_.find(d.connection);
            if (it == connections_.end() || it->second.phase != Phase::Journaling) continue;
            Connection& c = it->second;
            const IntakeAnswer a = !d.ok                 ? IntakeService::notRecorded()
                                   : c.claimedId.empty() ? IntakeService::refused()
                                                         : IntakeService::accepted(c.claimedId, d.seq);
            answer(d.connection, c, a);
            resume(d.connection);
        }
        retryParked(nowMs_());
    }

    // A duplicate of a signal still being journaled waits for that commit (never 200 before it).
    void retryParked(std::int64_t now) {
        std::vector<std::uint64_t> parked;
        for (auto& [id, c] : connections_)
            if (c.phase == Phase::Parked) parked.push_back(id);
        for (const auto id : parked) {
            Connection& c = connections_.at(id);
            IntakeDecision d = service_.retry(*c.parked, now);
            if (d.kind == IntakeDecision::Kind::Parked && now - c.parkedSinceMs > service_.options().durableWaitMs)
                answer(id, c, IntakeService::notYetRecorded());
            else
                dispatch(id, c, std::move(d));
            resume(id);
        }
    }

    void scan(std::int64_t now) {
        const IntakeOptions& o = service_.options();
        std::vector<std::uint64_t> slow, idle, stuck;
        for (auto& [id, c] : connections_) {
            if (c.phase == Phase::Reading && c.requestStartMs != 0 && now - c.requestStartMs > o.requestTimeoutMs)
                slow.push_back(id);
            else if (c.phase == Phase::Reading && c.requestStartMs == 0 && now - c.idleSinceMs > o.keepAliveMs)
                idle.push_back(id);
            else if (c.phase == Phase::Writing && c.writeSinceMs != 0 && now - c.writeSinceMs > kWriteTimeoutMs)
                stuck.push_back(id);
        }
        for (const auto id : slow) answer(id, connections_.at(id), tooSlow());
        for (const auto id : idle) close(id);
        for (const auto id : stuck) close(id);
        retryParked(now);
        journalConflictCounts(now, false);
        report_.flush(now);
    }

    // Refusal records with the counts of conflict storms, journaled like any request's record
    // (with no connection waiting for them).
    void journalConflictCounts(std::int64_t now, bool all) {
        for (auto& record : service_.closeConflictWindows(now, all)) {
            ++inFlight_;
            gathered_.push_back({kNoConnection, std::move(record), ""});
        }
    }

    IntakeAnswer tooSlow() const {
        return {408,
                IntakeService::errorBody("the request did not arrive whole within " +
                                             std::to_string(service_.options().requestTimeoutMs / 1000) + " s",
                                         "request"),
                true, 0};
    }

    // ---- the committer ---------------------------------------------------------------------
    void commit() {
        for (;;) {
            std::vector<Job> batch;
            {
                std::unique_lock<std::mutex> lock(jobsMutex_);
                jobsChanged_.wait(lock, [&] { return !jobs_.empty() || committerStop_; });
                if (jobs_.empty()) return;
                batch.swap(jobs_);
            }
            std::vector<std::string> records;
            records.reserve(batch.size());
            for (const auto& job : batch) records.push_back(job.record);
            std::uint64_t first = 0;
            bool ok = true;
            try {
                first = journal_->appendAll(records);
            } catch (const std::exception& e) {
                ok = false;
                log().error(std::string("signals not recorded: ") + e.what());
            }
            RecentSignals* recent = service_.recent();
            for (std::size_t i = 0; i < batch.size(); ++i) {
                if (batch[i].signalId.empty() || !recent) continue;
                if (ok)
                    recent->durable(batch[i].signalId, first + i);
                else
                    recent->abandon(batch[i].signalId);
            }
            if (ok) {
                TRADEHOST_CRASH_POINT("intake.after_journal_append");
                if (onJournaled_) onJournaled_();
            }
            {
                std::lock_guard<std::mutex> lock(doneMutex_);
                for (std::size_t i = 0; i < batch.size(); ++i) done_.push_back({batch[i].connection, first + i, ok});
            }
            inFlight_ -= batch.size();
            wake();
        }
    }
};

std::pair<std::string, unsigned short> parseListenAddress(const std::string& listen) {
    const auto colon = listen.rfind(':');
    const std::string host = colon == std::string::npos ? "127.0.0.1" : listen.substr(0, colon);
    const std::string port = colon == std::string::npos ? listen : listen.substr(colon + 1);
    std::size_t used = 0;
    unsigned long value = 0;
    try {
        value = std::stoul(port, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (port.empty() || used != port.size() || value > 65535 || host.empty())
        throw std::invalid_argument("'" + listen + "' is not host:port (e.g. 127.0.0.1:8080)");
    return {host, static_cast<unsigned short>(value)};
}

WebhookServer::WebhookServer(IntakeOptions options, Journal* journal, SignalLookup* lookup,
                             std::function<void()> onJournaled, std::function<std::int64_t()> nowMs,
                             IntakeMetrics metrics) {
    const auto [host, port] = parseListenAddress(options.listen);
    host_ = host;
    impl_ =
        std::make_unique<Impl>(std::move(options), journal, lookup, std::move(onJournaled), std::move(nowMs), metrics);
    try {
        impl_->bind(host, port);
    } catch (const Poco::Exception& e) {
        if (e.code() == EADDRINUSE)
            throw AddressInUse(host + ":" + std::to_string(port) +
                               ": address in use: another program (perhaps another tradehost) listens there");
        throw std::runtime_error(host + ":" + std::to_string(port) + ": " + e.displayText());
    }
    port_ = impl_->listener_.address().port();
}

WebhookServer::~WebhookServer() {
    stop();
    if (impl_) {
        if (impl_->epollFd_ >= 0) ::close(impl_->epollFd_);
        if (impl_->wakeFd_ >= 0) ::close(impl_->wakeFd_);
    }
}

void WebhookServer::start() {
    impl_->committerThread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "intake commit");
        impl_->commit();
    });
    impl_->loopThread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "intake loop");
        impl_->run();
    });
}

void WebhookServer::stop() {
    if (!impl_ || impl_->stopping_.exchange(true)) return;
    impl_->service_.setReady(false);
    impl_->wake();
    if (impl_->loopThread_.joinable()) impl_->loopThread_.join();
    {
        std::lock_guard<std::mutex> lock(impl_->jobsMutex_);
        impl_->committerStop_ = true;
    }
    impl_->jobsChanged_.notify_all();
    if (impl_->committerThread_.joinable()) impl_->committerThread_.join();
    impl_->stopListening();
}

std::future<IntakeAnswer> WebhookServer::submit(std::string signalJson, SignalOrigin origin) {
    Impl::Submission s{std::move(signalJson), std::move(origin), {}};
    auto future = s.promise.get_future();
    {
        std::lock_guard<std::mutex> lock(impl_->submitMutex_);
        if (impl_->loopDone_ || impl_->stopping_) {
            s.promise.set_value(Impl::stopped());
            return future;
        }
        impl_->submitted_.push_back(std::move(s));
    }
    impl_->wake();
    return future;
}

void WebhookServer::admittedThrough(std::uint64_t seq) {
    if (RecentSignals* recent = impl_->service_.recent()) recent->admittedThrough(seq);
}

void WebhookServer::setReady(bool ready) { impl_->service_.setReady(ready); }

}  // namespace tradehost::host
