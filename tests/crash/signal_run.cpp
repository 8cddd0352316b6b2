// One stream of signals against a host: send (and resend), drain, then check every invariant.
#include "signal_run.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>
#include <tradehost/decimal.h>

#include <iostream>
#include <thread>

#include "emulator_process.h"
#include "host_process.h"

namespace tradehost::test {

SignalRun::SignalRun(HostProcess& host, EmulatorProcess& emulator, RunSpec spec, std::filesystem::path ledger)
    : host_(host),
      emulator_(emulator),
      spec_(std::move(spec)),
      ledger_(std::move(ledger)),
      events_(host.eventsFile()) {}

tools::SenderOptions SignalRun::options(int count) const {
    tools::SenderOptions o;
    o.url = host_.webhookUrl();
    o.secret = host_.config().webhookSecret;
    o.count = count;
    o.legs = spec_.legs;
    o.venue = spec_.venue;
    o.quantity = spec_.quantity;
    o.prefix = spec_.prefix;
    o.concurrency = 4;
    o.resendOn5xx = true;
    o.resendDelayMs = 300;
    o.ledgerPath = ledger_.string();
    return o;
}

tools::SenderSummary SignalRun::send(const tools::SenderOptions& options) {
    tools::SignalSender sender(options);
    const auto summary = sender.run();
    deliveries_.insert(deliveries_.end(), sender.records().begin(), sender.records().end());
    return summary;
}

tools::SenderSummary SignalRun::resendUnsettled(tools::SenderOptions options) {
    options.skip = tools::settledSignals(deliveries_);
    options.duplicates = 1;
    options.race = false;
    return send(options);
}

tools::DeliveryRecord SignalRun::post(const std::string& signalId, const std::string& fieldsJson) {
    // JSON string escaping for the two strings the harness puts in: the secret and the id.
    const auto quoted = [](const std::string& text) {
        std::string out = "\"";
        for (const char c : text) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        return out + "\"";
    };
    std::string body = "{";
    if (!host_.config().webhookSecret.empty()) body += "\"secret\":" + quoted(host_.config().webhookSecret) + ",";
    body += "\"signal_id\":" + quoted(signalId) + "," + fieldsJson + "}";

    tools::DeliveryRecord d;
    d.signalId = signalId;
    d.attempts = 1;
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(body);
    d.bodySha256 = Poco::DigestEngine::digestToHex(sha.digest());
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", host_.port());
        session.setTimeout(Poco::Timespan(3, 0));  // TradingView's patience
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/webhook", Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), d.answer);
        d.status = static_cast<int>(response.getStatus());
    } catch (const Poco::Exception& e) {
        d.error = e.displayText();
    }
    d.statuses.push_back(d.status);
    d.outcome = d.status >= 200 && d.status < 300   ? tools::Outcome::Ok
                : d.status >= 400 && d.status < 500 ? tools::Outcome::Fail
                                                    : tools::Outcome::Indeterminate;
    deliveries_.push_back(d);
    return d;
}

const std::vector<EventLine>& SignalRun::events() {
    events_.poll();
    return events_.events();
}

bool SignalRun::drain(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        events_.poll();
        if (allLegsTerminal(spec_, deliveries_, events_.events()) && emulator_.pendingLateOrders() == 0) return true;
        if (!host_.running()) {
            // Nothing in these tests stops the host during a drain: say so loudly.
            const auto code = host_.waitExit(std::chrono::milliseconds(0));
            std::cout << "[drain] tradehost exited on its own with code " << (code ? *code : -1) << "; its output:\n"
                      << host_.output() << std::endl;
            return false;
        }
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

CheckReport SignalRun::check() {
    events_.poll();
    CheckReport r = checkInvariants(spec_, deliveries_, emulator_.ledger(), events_.events());
    // The host's book of its own fills must equal what its orders did at the venue: per leg, and
    // the expected position per symbol (this host served only this run). Missing means zero.
    const auto compare = [&r](const std::string& what, const std::map<std::string, std::string>& atVenue,
                              const std::map<std::string, std::string>& booked) {
        std::map<std::string, std::pair<std::string, std::string>> both;
        for (const auto& [key, q] : atVenue) both[key].first = q;
        for (const auto& [key, q] : booked) both[key].second = q;
        for (const auto& [key, pair] : both) {
            const std::string venue = pair.first.empty() ? "0" : pair.first;
            const std::string host = pair.second.empty() ? "0" : pair.second;
            const auto v = Decimal::parse(venue);
            const auto h = Decimal::parse(host);
            if (v && h && *v == *h) continue;
            ++r.bookMismatches;
            r.problems.push_back("book: " + what + " " + key + ": " + venue + " at the venue, " + host +
                                 " booked by the host");
        }
    };
    compare("filled", r.venueFills, gateLegFills(host_.gateFile(), spec_.venue, spec_.prefix));
    compare("position", r.venuePositions, gatePositions(host_.gateFile(), spec_.venue));
    return r;
}

StorageReport SignalRun::checkStorage() const {
    return test::checkStorage(host_.eventsFile(), host_.gateFile(), host_.journalDir());
}

void printReport(const std::string& test, const std::string& label, const CheckReport& check,
                 const StorageReport* storage, const std::string& extra) {
    std::cout << "[" << test << "] " << label << (extra.empty() ? "" : " | " + extra) << "\n    " << check.summary()
              << "\n";
    if (storage) std::cout << "    " << storage->summary() << "\n";
    // The first findings say what went wrong; the rest would only bury the summary.
    constexpr std::size_t kShown = 12;
    for (std::size_t i = 0; i < check.problems.size() && i < kShown; ++i)
        std::cout << "    ! " << check.problems[i] << "\n";
    if (check.problems.size() > kShown) std::cout << "    ! ... and " << (check.problems.size() - kShown) << " more\n";
    std::cout << std::flush;
}

bool waitForEvent(SignalRun& run, HostProcess& host, const std::function<bool(const EventLine&)>& match,
                  std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (const auto& e : run.events())
            if (match(e)) return true;
        if (!host.running() || std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace tradehost::test
