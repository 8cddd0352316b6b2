// Open-loop, fixed-rate webhook sender: latency measured from each signal's intended send time.
//
// A closed-loop tool (wrk) sends the next request only when the last one is answered, so a slow
// answer also delays the requests that should have gone out meanwhile, and their waiting is never
// measured ("coordinated omission"). Here every signal has an intended send time on a fixed
// schedule (start + i / rate), whatever happened before; a signal that goes out late because
// every connection was busy counts the wait in its latency, as wrk2 does.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 64;
constexpr int kExitIo = 74;

const char* const kHelp = R"(Usage: rate_sender --url URL --rate PER_S (--duration S | --count N) [options]

Sends webhook signals (the flat JSON form of docs/signals.md, each with a unique signal_id) on a
fixed schedule: signal i is due at start + i / rate, over keep-alive connections. A free
connection takes the next due signal; when every connection is busy the signal goes out late and
its latency is still measured from its due time (coordinated omission corrected, as in wrk2).

Options:
  --url URL            http://HOST:PORT/PATH of the webhook (plain HTTP only)
  --rate PER_S         signals per second (the schedule), > 0
  --duration S         schedule length in seconds (count = rate x duration), or:
  --count N            exactly N signals (a burst of N over N / rate seconds)
  --connections N      keep-alive connections, one thread each (default 16)
  --secret-env VAR     put "secret": <value of VAR> in every body (kept off the command line)
  --venue NAME         venue of every signal (default paper)
  --symbols LIST       comma-separated SYMBOL or SYMBOL:QUANTITY, used round-robin
                         (default BTCUSDT); sides alternate buy / sell
  --quantity Q         quantity for symbols given without one (default 0.002)
  --prefix P           signal ids are P<index> (default "rs-<random run id>-"); keep them short
                         and [A-Za-z0-9-] so they stay readable inside client order ids
  --timeout-ms MS      give up on an answer after MS (default 5000): counted as no answer
  --give-up-s S        stop sending signals that are more than S seconds overdue (default 10):
                         counted as unsent, so a server far below the rate cannot stall the run
  --record FILE        write one CSV line per signal: signal_id,intended_us,sent_us,ack_us,status
                         (times are system-clock microseconds since the epoch; ack_us 0 and
                         status 0 = no answer; status -1 = never sent)
  --label TEXT         copied into the result line
  --help               show this text

Prints one JSON line: label, rate, connections, signals, sent, answered, no_answer, unsent,
statuses {"202": N, ...}, seconds (first due time to last answer), answered_per_s,
latency_ms {p50, p90, p99, p999, max} from the due time over answered signals, and service_ms
(the same from the actual send time: what a closed-loop tool would report).
Exit codes: 0 the run completed (whatever the statuses), 1 no connection could be made,
64 usage error, 74 the record could not be written.
)";

struct Target {
    std::string host;
    int port = 0;
    std::string path;
};

Target parseUrl(const std::string& url) {
    const std::string scheme = "http://";
    if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("--url must start with http:// (got '" + url + "')");
    const std::string rest = url.substr(scheme.size());
    const auto slash = rest.find('/');
    const std::string authority = rest.substr(0, slash);
    Target t;
    t.path = slash == std::string::npos ? "/" : rest.substr(slash);
    const auto colon = authority.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("--url needs an explicit port (got '" + url + "')");
    t.host = authority.substr(0, colon);
    t.port = std::stoi(authority.substr(colon + 1));
    if (t.host.empty() || t.port <= 0 || t.port > 65535)
        throw std::invalid_argument("--url: bad host or port in '" + url + "'");
    return t;
}

void appendJsonString(std::string& out, const std::string& s) {
    out += '"';
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
            out += buf;
        } else {
            out += c;
        }
    }
    out += '"';
}

// One keep-alive HTTP/1.1 connection with blocking I/O and a per-operation timeout.
class Connection {
public:
    Connection(const Target& target, int timeoutMs) : target_(target), timeoutMs_(timeoutMs) {}
    ~Connection() { close(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    bool open() {
        close();
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        if (::getaddrinfo(target_.host.c_str(), std::to_string(target_.port).c_str(), &hints, &found) != 0)
            return false;
        for (addrinfo* a = found; a && fd_ < 0; a = a->ai_next) {
            fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
            if (fd_ < 0) continue;
            timeval tv{timeoutMs_ / 1000, (timeoutMs_ % 1000) * 1000};
            ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            const int one = 1;
            ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) close();
        }
        ::freeaddrinfo(found);
        return fd_ >= 0;
    }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    // Sends one request and reads its answer; returns the HTTP status, or 0 for no answer (the
    // connection is then closed and reopened on the next call).
    int roundTrip(const std::string& request) {
        if (fd_ < 0 && !open()) return 0;
        if (!sendAll(request)) return fail();
        std::string buffer;
        std::size_t headerEnd = std::string::npos;
        char chunk[4096];
        while ((headerEnd = buffer.find("\r\n\r\n")) == std::string::npos) {
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return fail();
            buffer.append(chunk, static_cast<std::size_t>(n));
            if (buffer.size() > 64 * 1024) return fail();
        }
        int status = 0;
        if (std::sscanf(buffer.c_str(), "HTTP/1.%*d %d", &status) != 1) return fail();
        const std::string head = lower(buffer.substr(0, headerEnd));
        long contentLength = -1;
        if (const auto at = head.find("\r\ncontent-length:"); at != std::string::npos)
            contentLength = std::strtol(head.c_str() + at + 17, nullptr, 10);
        const bool closeAfter = head.find("\r\nconnection: close") != std::string::npos;
        std::size_t have = buffer.size() - (headerEnd + 4);
        if (contentLength < 0) {
            // No length: the body ends when the server closes (HTTP/1.1 allows it with close).
            while (true) {
                const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) break;
            }
            close();
            return status;
        }
        while (have < static_cast<std::size_t>(contentLength)) {
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return fail();
            have += static_cast<std::size_t>(n);
        }
        if (closeAfter) close();
        return status;
    }

private:
    static std::string lower(std::string s) {
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return s;
    }
    bool sendAll(const std::string& data) {
        std::size_t done = 0;
        while (done < data.size()) {
            const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }
    int fail() {
        close();
        return 0;
    }

    Target target_;
    int timeoutMs_;
    int fd_ = -1;
};

struct Options {
    std::string url;
    double rate = 0;
    double durationS = 0;
    long count = 0;
    int connections = 16;
    std::string secret;
    bool hasSecret = false;
    std::string venue = "paper";
    std::vector<std::pair<std::string, std::string>> symbols;  // symbol, quantity
    std::string symbolList = "BTCUSDT";
    std::string quantity = "0.002";
    std::string prefix;
    int timeoutMs = 5000;
    double giveUpS = 10;
    std::string recordPath;
    std::string label;
};

struct Outcome {
    std::int64_t intendedNs = 0;  // steady clock, since the run's origin
    std::int64_t sentNs = 0;
    std::int64_t ackNs = 0;
    int status = -1;  // -1 never sent, 0 no answer
};

std::string randomRunId() {
    static const char* kAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::random_device device;
    std::string id;
    for (int i = 0; i < 6; ++i) id += kAlphabet[device() % 36];
    return id;
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(p * static_cast<double>(sorted.size()))));
    return sorted[std::min(rank, sorted.size()) - 1];
}

// Percentiles as a JSON object; every one null when there is no sample (never a reassuring 0).
std::string percentilesJson(std::vector<double> values) {
    if (values.empty()) return R"({"p50":null,"p90":null,"p99":null,"p999":null,"max":null})";
    std::sort(values.begin(), values.end());
    char buf[256];
    std::snprintf(buf, sizeof buf, "{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}",
                  percentile(values, 0.5), percentile(values, 0.9), percentile(values, 0.99), percentile(values, 0.999),
                  values.back());
    return buf;
}

Options parseOptions(int argc, char** argv) {
    Options o;
    std::map<std::string, std::function<void(const std::string&)>> withValue = {
        {"--url", [&](const std::string& v) { o.url = v; }},
        {"--rate", [&](const std::string& v) { o.rate = std::stod(v); }},
        {"--duration", [&](const std::string& v) { o.durationS = std::stod(v); }},
        {"--count", [&](const std::string& v) { o.count = std::stol(v); }},
        {"--connections", [&](const std::string& v) { o.connections = std::stoi(v); }},
        {"--secret-env",
         [&](const std::string& v) {
             const char* s = std::getenv(v.c_str());
             if (!s) throw std::invalid_argument("--secret-env: " + v + " is not set");
             o.secret = s;
             o.hasSecret = true;
         }},
        {"--venue", [&](const std::string& v) { o.venue = v; }},
        {"--symbols", [&](const std::string& v) { o.symbolList = v; }},
        {"--quantity", [&](const std::string& v) { o.quantity = v; }},
        {"--prefix", [&](const std::string& v) { o.prefix = v; }},
        {"--timeout-ms", [&](const std::string& v) { o.timeoutMs = std::stoi(v); }},
        {"--give-up-s", [&](const std::string& v) { o.giveUpS = std::stod(v); }},
        {"--record", [&](const std::string& v) { o.recordPath = v; }},
        {"--label", [&](const std::string& v) { o.label = v; }},
    };
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto w = withValue.find(arg);
        if (w == withValue.end()) throw std::invalid_argument("unknown option '" + arg + "'");
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
        try {
            w->second(argv[++i]);
        } catch (const std::invalid_argument& e) {
            if (std::string(e.what()).rfind("--", 0) == 0) throw;
            throw std::invalid_argument(arg + ": '" + argv[i] + "' is not a valid value");
        } catch (const std::out_of_range&) {
            throw std::invalid_argument(arg + ": '" + argv[i] + "' is out of range");
        }
    }
    if (o.url.empty()) throw std::invalid_argument("--url is required");
    if (!(o.rate > 0)) throw std::invalid_argument("--rate must be > 0");
    if ((o.durationS > 0) == (o.count > 0)) throw std::invalid_argument("give exactly one of --duration and --count");
    if (o.count == 0) o.count = std::lround(o.rate * o.durationS);
    if (o.count < 1) throw std::invalid_argument("the run would send no signal");
    if (o.connections < 1 || o.connections > 4096) throw std::invalid_argument("--connections must be 1..4096");
    if (o.timeoutMs < 1) throw std::invalid_argument("--timeout-ms must be >= 1");
    std::stringstream list(o.symbolList);
    for (std::string item; std::getline(list, item, ',');) {
        if (item.empty()) continue;
        const auto colon = item.find(':');
        if (colon == std::string::npos)
            o.symbols.emplace_back(item, o.quantity);
        else
            o.symbols.emplace_back(item.substr(0, colon), item.substr(colon + 1));
    }
    if (o.symbols.empty()) throw std::invalid_argument("--symbols names no symbol");
    if (o.prefix.empty()) o.prefix = "rs-" + randomRunId() + "-";
    return o;
}

std::string signalBody(const Options& o, long index) {
    const auto& [symbol, quantity] = o.symbols[static_cast<std::size_t>(index) % o.symbols.size()];
    std::string body = "{";
    if (o.hasSecret) {
        body += "\"secret\":";
        appendJsonString(body, o.secret);
        body += ",";
    }
    body += "\"signal_id\":";
    appendJsonString(body, o.prefix + std::to_string(index));
    body += ",\"venue\":";
    appendJsonString(body, o.venue);
    body += ",\"symbol\":";
    appendJsonString(body, symbol);
    // Sides alternate per symbol, so positions stay near flat however long the run.
    body += (index / static_cast<long>(o.symbols.size())) % 2 == 0 ? R"(,"side":"buy")" : R"(,"side":"sell")";
    body += R"(,"type":"market","quantity":)";
    appendJsonString(body, quantity);
    return body + "}";
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
            std::cout << kHelp;
            return 0;
        }
    }
    Options o;
    Target target;
    try {
        o = parseOptions(argc, argv);
        target = parseUrl(o.url);
    } catch (const std::exception& e) {
        std::cerr << "rate_sender: " << e.what() << " (see --help)\n";
        return kExitUsage;
    }
    std::ofstream record;
    if (!o.recordPath.empty()) {
        record.open(o.recordPath, std::ios::trunc);
        if (!record) {
            std::cerr << "rate_sender: cannot write " << o.recordPath << "\n";
            return kExitIo;
        }
    }

    const std::string requestHead = "POST " + target.path + " HTTP/1.1\r\nHost: " + target.host + ":" +
                                    std::to_string(target.port) + "\r\nContent-Type: application/json\r\n";
    std::vector<Outcome> outcomes(static_cast<std::size_t>(o.count));
    std::vector<std::unique_ptr<Connection>> connections;
    for (int c = 0; c < o.connections; ++c) {
        connections.push_back(std::make_unique<Connection>(target, o.timeoutMs));
        // Connections are made before the clock starts: connection setup is not what is measured.
        if (!connections.back()->open()) {
            std::cerr << "rate_sender: cannot connect to " << target.host << ":" << target.port << ": "
                      << std::strerror(errno) << "\n";
            return kExitFailed;
        }
    }

    const double intervalNs = 1e9 / o.rate;
    const auto giveUpNs = static_cast<std::int64_t>(o.giveUpS * 1e9);
    // The origin is a moment after every thread has started; the system clock is read once so
    // that every recorded time is on one consistent scale (steady offsets from one wall time).
    const auto origin = Clock::now() + std::chrono::milliseconds(100);
    const auto originSystemUs =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count() +
        std::chrono::duration_cast<std::chrono::microseconds>(origin - Clock::now()).count();
    std::atomic<long> next{0};
    std::vector<std::thread> workers;
    for (int c = 0; c < o.connections; ++c) {
        workers.emplace_back([&, c] {
            Connection& connection = *connections[static_cast<std::size_t>(c)];
            for (long i = next++; i < o.count; i = next++) {
                Outcome& out = outcomes[static_cast<std::size_t>(i)];
                out.intendedNs = std::llround(static_cast<double>(i) * intervalNs);
                const auto due = origin + std::chrono::nanoseconds(out.intendedNs);
                std::this_thread::sleep_until(due);
                const auto sent = Clock::now();
                if (sent - due > std::chrono::nanoseconds(giveUpNs)) continue;  // status stays -1: unsent
                const std::string body = signalBody(o, i);
                const std::string request =
                    requestHead + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
                out.status = connection.roundTrip(request);
                out.sentNs = std::chrono::duration_cast<std::chrono::nanoseconds>(sent - origin).count();
                out.ackNs = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - origin).count();
            }
        });
    }
    for (auto& w : workers) w.join();

    std::map<int, long> statuses;
    long answered = 0, noAnswer = 0, unsent = 0;
    std::int64_t lastAckNs = 0;
    std::vector<double> latencyMs, serviceMs;
    for (long i = 0; i < o.count; ++i) {
        const Outcome& out = outcomes[static_cast<std::size_t>(i)];
        if (out.status < 0) {
            ++unsent;
        } else if (out.status == 0) {
            ++noAnswer;
        } else {
            ++answered;
            ++statuses[out.status];
            latencyMs.push_back(static_cast<double>(out.ackNs - out.intendedNs) / 1e6);
            serviceMs.push_back(static_cast<double>(out.ackNs - out.sentNs) / 1e6);
            lastAckNs = std::max(lastAckNs, out.ackNs);
        }
        if (record) {
            const auto us = [&](std::int64_t ns) { return originSystemUs + ns / 1000; };
            record << o.prefix << i << ',' << us(out.intendedNs) << ',' << (out.status >= 0 ? us(out.sentNs) : 0) << ','
                   << (out.status > 0 ? us(out.ackNs) : 0) << ',' << out.status << '\n';
        }
    }
    if (record) {
        record.flush();
        if (!record) {
            std::cerr << "rate_sender: cannot write " << o.recordPath << "\n";
            return kExitIo;
        }
    }
    const double seconds = static_cast<double>(lastAckNs) / 1e9;
    std::string line = "{\"label\":";
    appendJsonString(line, o.label);
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  ",\"rate\":%.1f,\"connections\":%d,\"signals\":%ld,\"sent\":%ld,\"answered\":%ld,\"no_answer\":%ld,"
                  "\"unsent\":%ld,\"seconds\":%.3f,\"answered_per_s\":%.1f,\"statuses\":{",
                  o.rate, o.connections, o.count, o.count - unsent, answered, noAnswer, unsent, seconds,
                  seconds > 0 ? static_cast<double>(answered) / seconds : 0.0);
    line += buf;
    bool first = true;
    for (const auto& [status, n] : statuses) {
        line += (first ? "\"" : ",\"") + std::to_string(status) + "\":" + std::to_string(n);
        first = false;
    }
    line += "},\"latency_ms\":" + percentilesJson(latencyMs) + ",\"service_ms\":" + percentilesJson(serviceMs) + "}";
    std::cout << line << std::endl;
    return 0;
}
