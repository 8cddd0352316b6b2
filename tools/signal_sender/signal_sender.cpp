// Sends webhook signals the way TradingView does and records what the receiver said to each one.
#include "signal_sender.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tradehost::tools {
namespace {

using Clock = std::chrono::steady_clock;

// The ledger keeps a short excerpt of each answer: the webhook's answers are small JSON objects.
constexpr std::size_t kMaxAnswerBytes = 300;

void appendJsonString(std::string& out, const std::string& text) {
    out += '"';
    for (const unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

std::string sha256Hex(const std::string& bytes) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(bytes);
    return Poco::DigestEngine::digestToHex(sha.digest());
}

std::string ledgerLine(const DeliveryRecord& r) {
    std::string out = "{\"signal_id\":";
    appendJsonString(out, r.signalId);
    out += ",\"delivery\":" + std::to_string(r.delivery) + ",\"sha256\":\"" + r.bodySha256 + "\",\"outcome\":\"" +
           toString(r.outcome) + "\",\"status\":" + std::to_string(r.status) +
           ",\"attempts\":" + std::to_string(r.attempts) + ",\"statuses\":[";
    for (std::size_t i = 0; i < r.statuses.size(); ++i) out += (i ? "," : "") + std::to_string(r.statuses[i]);
    out += "],\"error\":";
    appendJsonString(out, r.error);
    out += ",\"answer\":";
    appendJsonString(out, r.answer);
    return out + "}\n";
}

struct Answer {
    int status = 0;  // 0: no answer
    std::string body;
    std::string error;
};

// One POST on a keep-alive session. Any transport failure resets the session, so the next send
// opens a fresh connection instead of writing into a dead one.
Answer post(Poco::Net::HTTPClientSession& session, const std::string& path, const std::string& body) {
    try {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        request.setKeepAlive(true);
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        Answer a;
        Poco::StreamCopier::copyToString(in, a.body);
        a.status = static_cast<int>(response.getStatus());
        if (a.body.size() > kMaxAnswerBytes) a.body.resize(kMaxAnswerBytes);
        return a;
    } catch (const Poco::Exception& e) {
        session.reset();
        return {0, "", e.displayText()};
    } catch (const std::exception& e) {
        session.reset();
        return {0, "", e.what()};
    }
}

// Warms a session up so a race starts with every connection already open.
void touch(Poco::Net::HTTPClientSession& session) {
    try {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
        request.setKeepAlive(true);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::string ignored;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), ignored);
    } catch (const Poco::Exception&) {
        session.reset();
    }
}

struct Target {
    std::string host;
    unsigned short port = 0;
    std::string path;
};

Target parseUrl(const std::string& url) {
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("--url: " + e.displayText());
    }
    if (uri.getScheme() != "http" || uri.getHost().empty())
        throw std::invalid_argument("--url must be http://host:port/path (got '" + url + "')");
    return {uri.getHost(), uri.getPort(), uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery()};
}

std::unique_ptr<Poco::Net::HTTPClientSession> makeSession(const Target& t, int timeoutMs) {
    auto s = std::make_unique<Poco::Net::HTTPClientSession>(t.host, t.port);
    s->setTimeout(Poco::Timespan(static_cast<long>(timeoutMs) * 1000));
    // Shorter than any server's idle timeout (tradehost: 5 s), so an idle connection is never
    // reused after the server may have closed it: that would turn a fresh send into a failure.
    s->setKeepAliveTimeout(Poco::Timespan(2, 0));
    return s;
}

void validate(const SenderOptions& o) {
    auto need = [](bool ok, const std::string& what) {
        if (!ok) throw std::invalid_argument(what);
    };
    need(!o.url.empty(), "--url is required");
    need(o.count >= 0, "--count must be >= 0");
    need(o.legs >= 1 && o.legs <= 16, "--legs must be 1..16");
    need(o.concurrency >= 1 && o.concurrency <= 256, "--concurrency must be 1..256");
    need(o.rate >= 0, "--rate must be >= 0");
    need(o.duplicates >= 1 && o.duplicates <= 64, "--duplicates must be 1..64");
    need(!o.race || o.duplicates <= o.concurrency, "--race needs --concurrency >= --duplicates");
    need(o.resendDelayMs >= 0 && o.maxResends >= 0, "--resend-delay-ms and the resend count must be >= 0");
    need(o.timeoutMs > 0, "--timeout-ms must be > 0");
    need(!o.venue.empty() && !o.symbol.empty() && !o.quantity.empty(),
         "--venue, --symbol and --quantity must not be empty");
}

}  // namespace

const char* toString(Outcome o) {
    switch (o) {
        case Outcome::Ok:
            return "ok";
        case Outcome::Fail:
            return "fail";
        case Outcome::Indeterminate:
            return "indeterminate";
    }
    return "?";
}

std::string SenderSummary::line() const {
    std::ostringstream s;
    s << "tradehost-sender: " << signals << " signals, " << deliveries << " deliveries, " << requests << " requests ("
      << resends << " resends); deliveries ok=" << ok << " fail=" << fail << " indeterminate=" << indeterminate
      << "; signals ok=" << signalsOk << "/" << signals << "; answers";
    for (const auto& [status, n] : statuses)
        s << " " << (status == 0 ? std::string("none") : std::to_string(status)) << "=" << n;
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.2f", elapsedS);
    s << "; " << elapsed << " s";
    return s.str();
}

std::string signalId(const SenderOptions& o, int index) { return o.prefix + std::to_string(index); }

std::string signalBody(const SenderOptions& o, const std::string& id) {
    std::string out = "{";
    if (!o.secret.empty()) {
        out += "\"secret\":";
        appendJsonString(out, o.secret);
        out += ",";
    }
    out += "\"signal_id\":";
    appendJsonString(out, id);
    auto leg = [&](int i) {
        std::string l = "\"venue\":";
        appendJsonString(l, o.venue);
        l += ",\"symbol\":";
        appendJsonString(l, o.symbol);
        // Sides alternate so a multi-leg signal leaves the account flat.
        l += std::string(",\"side\":\"") + (i % 2 == 0 ? "buy" : "sell") + "\",\"type\":\"" +
             (o.price.empty() ? "market" : "limit") + "\",\"quantity\":";
        appendJsonString(l, o.quantity);
        if (!o.price.empty()) {
            l += ",\"price\":";
            appendJsonString(l, o.price);
        }
        if (!o.positionSide.empty()) {
            l += ",\"position_side\":";
            appendJsonString(l, o.positionSide);
        }
        return l;
    };
    if (o.legs == 1) return out + "," + leg(0) + (o.price.empty() ? ",\"price\":null" : "") + ",\"reduce_only\":false}";
    out += ",\"legs\":[";
    for (int i = 0; i < o.legs; ++i) out += (i ? ",{" : "{") + leg(i) + "}";
    return out + "]}";
}

std::vector<DeliveryRecord> readLedger(const std::string& path) {
    std::vector<DeliveryRecord> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        try {
            Poco::JSON::Parser parser;
            const auto o = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
            DeliveryRecord r;
            r.signalId = o->getValue<std::string>("signal_id");
            r.delivery = o->getValue<int>("delivery");
            r.bodySha256 = o->getValue<std::string>("sha256");
            const std::string outcome = o->getValue<std::string>("outcome");
            r.outcome = outcome == "ok" ? Outcome::Ok : outcome == "fail" ? Outcome::Fail : Outcome::Indeterminate;
            r.status = o->getValue<int>("status");
            r.attempts = o->getValue<int>("attempts");
            if (auto statuses = o->getArray("statuses"))
                for (std::size_t i = 0; i < statuses->size(); ++i)
                    r.statuses.push_back(statuses->getElement<int>(static_cast<unsigned>(i)));
            r.error = o->optValue<std::string>("error", "");
            r.answer = o->optValue<std::string>("answer", "");
            out.push_back(std::move(r));
        } catch (const Poco::Exception&) {
            // A line torn by a killed sender: not a record.
        }
    }
    return out;
}

std::set<std::string> settledSignals(const std::vector<DeliveryRecord>& records) {
    std::set<std::string> out;
    for (const auto& r : records)
        if (r.outcome != Outcome::Indeterminate) out.insert(r.signalId);
    return out;
}

SignalSender::SignalSender(SenderOptions options) : options_(std::move(options)) {}

SenderSummary SignalSender::run() {
    validate(options_);
    const Target target = parseUrl(options_.url);
    const SenderOptions& o = options_;
    records_.clear();

    std::ofstream ledger;
    if (!o.ledgerPath.empty()) {
        ledger.open(o.ledgerPath, std::ios::app | std::ios::binary);
        if (!ledger) throw std::runtime_error("cannot open the ledger '" + o.ledgerPath + "' for appending");
    }

    // Every delivery to make: a signal, its body, and which of its copies this is.
    struct Delivery {
        std::string id;
        std::string body;
        int copy = 0;
        DeliveryRecord record;
    };
    std::vector<Delivery> deliveries;
    std::mt19937 random(o.seed);
    SenderSummary summary;
    for (int i = 0; i < o.count; ++i) {
        const std::string id = signalId(o, o.firstIndex + i);
        if (o.skip.count(id)) continue;
        ++summary.signals;
        const std::string body = signalBody(o, id);
        const int copies = o.race ? o.duplicates : std::uniform_int_distribution<int>(1, o.duplicates)(random);
        for (int c = 0; c < copies; ++c) {
            Delivery d{id, body, c, {}};
            d.record.signalId = id;
            d.record.delivery = c;
            d.record.bodySha256 = sha256Hex(body);
            deliveries.push_back(std::move(d));
        }
    }
    if (!o.race) std::shuffle(deliveries.begin(), deliveries.end(), random);

    std::mutex mutex;
    std::condition_variable changed;
    auto settle = [&](Delivery& d, const Answer& a) {
        // Called with `mutex` held. Returns true when the delivery is final.
        DeliveryRecord& r = d.record;
        ++r.attempts;
        ++summary.requests;
        ++summary.statuses[a.status];
        r.statuses.push_back(a.status);
        r.status = a.status;
        r.answer = a.body;
        if (!a.error.empty()) r.error = a.error;
        if (a.status >= 200 && a.status < 300) {
            r.outcome = Outcome::Ok;
        } else if (a.status >= 400 && a.status < 500) {
            r.outcome = Outcome::Fail;
        } else {
            r.outcome = Outcome::Indeterminate;
            const bool resendable = a.status >= 500 ? o.resendOn5xx : (a.status == 0 && o.resendOnError);
            if (resendable && r.attempts <= o.maxResends) {
                ++summary.resends;
                return false;
            }
        }
        records_.push_back(r);
        if (ledger.is_open()) {
            ledger << ledgerLine(r) << std::flush;
            if (!ledger) throw std::runtime_error("cannot write the ledger '" + o.ledgerPath + "'");
        }
        return true;
    };

    const auto start = Clock::now();
    const auto resendDelay = std::chrono::milliseconds(o.resendDelayMs);
    std::exception_ptr failure;
    if (o.race) {
        // Each signal: `duplicates` connections, all released at once by one flag.
        std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> sessions;
        for (int c = 0; c < o.duplicates; ++c) sessions.push_back(makeSession(target, o.timeoutMs));
        for (std::size_t first = 0; first < deliveries.size(); first += static_cast<std::size_t>(o.duplicates)) {
            for (auto& s : sessions) touch(*s);
            std::atomic<int> arrived{0};
            std::atomic<bool> go{false};
            std::vector<std::thread> threads;
            for (int c = 0; c < o.duplicates; ++c) {
                threads.emplace_back([&, c] {
                    Delivery& d = deliveries[first + static_cast<std::size_t>(c)];
                    ++arrived;
                    while (!go) std::this_thread::yield();
                    for (;;) {
                        const Answer a = post(*sessions[static_cast<std::size_t>(c)], target.path, d.body);
                        std::lock_guard<std::mutex> lock(mutex);
                        try {
                            if (settle(d, a)) return;
                        } catch (...) {
                            if (!failure) failure = std::current_exception();
                            return;
                        }
                        std::this_thread::sleep_for(resendDelay);
                    }
                });
            }
            while (arrived < o.duplicates) std::this_thread::yield();
            go = true;
            for (auto& t : threads) t.join();
        }
    } else {
        // A schedule of (due time, delivery): first sends paced by --rate, resends after the delay.
        std::multimap<Clock::time_point, std::size_t> schedule;
        for (std::size_t i = 0; i < deliveries.size(); ++i) {
            const auto offset = o.rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(static_cast<double>(i) / o.rate))
                                           : Clock::duration::zero();
            schedule.emplace(start + offset, i);
        }
        std::size_t unsettled = deliveries.size();
        std::vector<std::thread> threads;
        for (int c = 0; c < o.concurrency; ++c) {
            threads.emplace_back([&] {
                auto session = makeSession(target, o.timeoutMs);
                std::unique_lock<std::mutex> lock(mutex);
                for (;;) {
                    if (unsettled == 0 || failure) return;
                    if (schedule.empty()) {
                        changed.wait(lock);
                        continue;
                    }
                    const auto due = schedule.begin()->first;
                    if (due > Clock::now()) {
                        changed.wait_until(lock, due);
                        continue;
                    }
                    const std::size_t i = schedule.begin()->second;
                    schedule.erase(schedule.begin());
                    lock.unlock();
                    const Answer a = post(*session, target.path, deliveries[i].body);
                    lock.lock();
                    try {
                        if (settle(deliveries[i], a)) {
                            --unsettled;
                        } else {
                            schedule.emplace(Clock::now() + resendDelay, i);
                        }
                    } catch (...) {
                        if (!failure) failure = std::current_exception();
                    }
                    changed.notify_all();
                }
            });
        }
        for (auto& t : threads) t.join();
    }
    if (failure) std::rethrow_exception(failure);

    std::set<std::string> okSignals;
    for (const auto& r : records_) {
        ++summary.deliveries;
        if (r.outcome == Outcome::Ok) {
            ++summary.ok;
            okSignals.insert(r.signalId);
        } else if (r.outcome == Outcome::Fail) {
            ++summary.fail;
        } else {
            ++summary.indeterminate;
        }
    }
    summary.signalsOk = static_cast<int>(okSignals.size());
    summary.elapsedS = std::chrono::duration<double>(Clock::now() - start).count();
    return summary;
}

}  // namespace tradehost::tools
