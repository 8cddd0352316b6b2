// Reads what a benchmark left behind (rate_sender's record, the event log, the emulator's ledger) and
// prints the figures as one JSON line: ack latency, time until every leg is terminal, webhook -> order.
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitIo = 74;

const char* const kHelp = R"(Usage: bench_report terminal --record FILE --events FILE [--wait-s S] [--legs N]
       bench_report ledger --record FILE --ledger FILE

terminal   Signals sent by rate_sender (its --record) against tradehost's event log
           (<storage>/events.jsonl). Waits up to --wait-s seconds (default 0: read once) until
           every leg of every acknowledged (2xx) signal is terminal, then prints:
           signals, acked, not_acked, ack_ms {p50, p99, max} (ack time - intended send time),
           legs_expected (acked x --legs, default 1), legs_terminal, first_send_ms (epoch),
           all_terminal_ms (last leg's terminal event - first send; null until all are terminal),
           terminal_ms {p50, p99, max} (each leg: terminal event - its signal's send), and
           terminal_events {event: count}.
           A leg is terminal at its first order_ack or order_resolved whose data.status is
           FILLED, or its first order_closed, order_rejected, order_blocked or order_expired.
           Legs are keyed by the event's signal_id and the leg number in client_order_id
           ({signal}:{venue}:{leg}:{attempt}). Event times: ts_ms (epoch ms; ts if it is a number).

ledger     Signals sent by rate_sender against the Binance emulator's GET /control/ledger
           answer ({"orders": [...]}). Each order's clientOrderId names its signal; the latency
           of a leg is its first order's acceptedAtUs (or acceptedAt x 1000) - the signal's
           actual send time. Prints signals, orders, matched, unmatched_signals, extra_orders
           (more than one order for a leg), resolution ("us" or "ms") and
           latency_ms {p50, p90, p99, max}.

Exit codes: 0 figures printed (whatever they say), 64 usage error, 74 a file could not be read.
)";

struct Sent {
    std::int64_t intendedUs = 0;
    std::int64_t sentUs = 0;
    std::int64_t ackUs = 0;
    int status = -1;
};

// rate_sender's record: signal_id,intended_us,sent_us,ack_us,status per line.
std::unordered_map<std::string, Sent> readRecord(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::unordered_map<std::string, Sent> out;
    std::string line;
    while (std::getline(in, line)) {
        std::stringstream fields(line);
        std::string id, intended, sent, ack, status;
        if (!std::getline(fields, id, ',') || !std::getline(fields, intended, ',') ||
            !std::getline(fields, sent, ',') || !std::getline(fields, ack, ',') || !std::getline(fields, status, ','))
            continue;
        out[id] = {std::stoll(intended), std::stoll(sent), std::stoll(ack), std::stoi(status)};
    }
    return out;
}

bool acked(const Sent& s) { return s.status >= 200 && s.status < 300; }

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(p * static_cast<double>(values.size()))));
    return values[std::min(rank, values.size()) - 1];
}

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return buf;
}

// Percentiles as a JSON object; every one null when there is no sample (never a reassuring 0).
std::string percentiles(const std::vector<double>& v, bool withP90 = false) {
    if (v.empty())
        return withP90 ? R"({"p50":null,"p90":null,"p99":null,"max":null})" : R"({"p50":null,"p99":null,"max":null})";
    std::string out = "{\"p50\":" + number(percentile(v, 0.5));
    if (withP90) out += ",\"p90\":" + number(percentile(v, 0.9));
    out += ",\"p99\":" + number(percentile(v, 0.99)) + ",\"max\":" + number(percentile(v, 1.0)) + "}";
    return out;
}

std::string textOf(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key)) return "";
    return o->get(key).convert<std::string>();
}

// {signal}:{venue}:{leg}:{attempt} -> {signal, leg}; the signal part may itself contain ':'.
bool splitClientOrderId(const std::string& id, std::string& signal, std::string& leg) {
    const auto attempt = id.rfind(':');
    if (attempt == std::string::npos || attempt == 0) return false;
    const auto legAt = id.rfind(':', attempt - 1);
    if (legAt == std::string::npos || legAt == 0) return false;
    const auto venueAt = id.rfind(':', legAt - 1);
    if (venueAt == std::string::npos) return false;
    signal = id.substr(0, venueAt);
    leg = id.substr(legAt + 1, attempt - legAt - 1);
    return true;
}

// Follows a growing events.jsonl: only complete lines are read, each once.
class EventTail {
public:
    explicit EventTail(std::string path) : path_(std::move(path)) {}

    template <typename OnEvent>
    void poll(OnEvent onEvent) {
        std::ifstream in(path_, std::ios::binary);
        if (!in) return;  // not created yet
        in.seekg(static_cast<std::streamoff>(offset_));
        std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::size_t start = 0;
        for (auto nl = chunk.find('\n'); nl != std::string::npos; nl = chunk.find('\n', start)) {
            const std::string line = chunk.substr(start, nl - start);
            start = nl + 1;
            if (line.empty()) continue;
            try {
                Poco::JSON::Parser parser;
                onEvent(parser.parse(line).extract<Poco::JSON::Object::Ptr>());
            } catch (const Poco::Exception&) {
                ++unparsable_;
            }
        }
        offset_ += start;
    }
    long unparsable() const { return unparsable_; }

private:
    std::string path_;
    std::size_t offset_ = 0;
    long unparsable_ = 0;
};

int terminalReport(const std::map<std::string, std::string>& args) {
    const auto sent = readRecord(args.at("--record"));
    const double waitS = args.count("--wait-s") ? std::stod(args.at("--wait-s")) : 0;
    const long legsPerSignal = args.count("--legs") ? std::stol(args.at("--legs")) : 1;

    long ackedCount = 0;
    std::int64_t firstSendUs = INT64_MAX;
    std::vector<double> ackMs;
    for (const auto& [id, s] : sent) {
        if (s.sentUs > 0) firstSendUs = std::min(firstSendUs, s.sentUs);
        if (!acked(s)) continue;
        ++ackedCount;
        ackMs.push_back(static_cast<double>(s.ackUs - s.intendedUs) / 1000.0);
    }
    const long expected = ackedCount * legsPerSignal;

    std::unordered_map<std::string, std::int64_t> terminalAtMs;  // "signal/leg" -> first terminal ts
    std::map<std::string, long> byEvent;
    EventTail tail(args.at("--events"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(waitS);
    while (true) {
        tail.poll([&](const Poco::JSON::Object::Ptr& e) {
            const std::string event = textOf(e, "event");
            const std::string signal = textOf(e, "signal_id");
            auto it = sent.find(signal);
            if (it == sent.end() || !acked(it->second)) return;
            bool terminal = event == "order_closed" || event == "order_rejected" || event == "order_blocked" ||
                            event == "order_expired";
            if (event == "order_ack" || event == "order_resolved") {
                const auto data = e->getObject("data");
                terminal = textOf(data, "status") == "FILLED";
            }
            if (!terminal) return;
            std::string ignored, leg = "?";
            splitClientOrderId(textOf(e, "client_order_id"), ignored, leg);
            std::int64_t ts = 0;
            if (e->has("ts_ms"))
                ts = e->getValue<std::int64_t>("ts_ms");
            else if (e->has("ts") && e->get("ts").isNumeric())
                ts = e->getValue<std::int64_t>("ts");
            if (terminalAtMs.emplace(signal + "/" + leg, ts).second) ++byEvent[event];
        });
        if (static_cast<long>(terminalAtMs.size()) >= expected || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }

    if (firstSendUs == INT64_MAX) firstSendUs = 0;  // nothing was sent
    const double firstSendMs = static_cast<double>(firstSendUs) / 1000.0;
    std::int64_t lastTerminalMs = 0;
    std::vector<double> terminalMs;
    for (const auto& [key, ts] : terminalAtMs) {
        lastTerminalMs = std::max(lastTerminalMs, ts);
        const auto& s = sent.at(key.substr(0, key.rfind('/')));
        terminalMs.push_back(static_cast<double>(ts) - static_cast<double>(s.sentUs) / 1000.0);
    }
    const bool allTerminal = static_cast<long>(terminalAtMs.size()) >= expected && expected > 0;
    std::string out = "{\"signals\":" + std::to_string(sent.size()) + ",\"acked\":" + std::to_string(ackedCount) +
                      ",\"not_acked\":" + std::to_string(static_cast<long>(sent.size()) - ackedCount) +
                      ",\"ack_ms\":" + percentiles(ackMs) + ",\"legs_expected\":" + std::to_string(expected) +
                      ",\"legs_terminal\":" + std::to_string(terminalAtMs.size()) +
                      ",\"first_send_ms\":" + number(firstSendMs) + ",\"all_terminal_ms\":" +
                      (allTerminal ? number(static_cast<double>(lastTerminalMs) - firstSendMs) : std::string("null")) +
                      ",\"terminal_ms\":" + percentiles(terminalMs) + ",\"terminal_events\":{";
    bool first = true;
    for (const auto& [event, n] : byEvent) {
        out += (first ? "\"" : ",\"") + event + "\":" + std::to_string(n);
        first = false;
    }
    out += "},\"unparsable_lines\":" + std::to_string(tail.unparsable()) + "}";
    std::cout << out << std::endl;
    return 0;
}

int ledgerReport(const std::map<std::string, std::string>& args) {
    const auto sent = readRecord(args.at("--record"));
    std::ifstream in(args.at("--ledger"));
    if (!in) throw std::runtime_error("cannot read " + args.at("--ledger"));
    Poco::JSON::Parser parser;
    const auto root = parser.parse(in).extract<Poco::JSON::Object::Ptr>();
    const auto orders = root->getArray("orders");
    if (!orders) throw std::runtime_error(args.at("--ledger") + " has no \"orders\" array");

    std::map<std::string, std::int64_t> firstOrderUs;  // "signal/leg" -> earliest acceptance
    long extra = 0;
    bool micro = true;
    for (std::size_t i = 0; i < orders->size(); ++i) {
        const auto o = orders->getObject(static_cast<unsigned>(i));
        std::string signal, leg;
        if (!splitClientOrderId(textOf(o, "clientOrderId"), signal, leg) || !sent.count(signal)) continue;
        std::int64_t us = 0;
        if (o->has("acceptedAtUs") && !o->isNull("acceptedAtUs")) {
            us = o->getValue<std::int64_t>("acceptedAtUs");
        } else {
            us = o->getValue<std::int64_t>("acceptedAt") * 1000;
            micro = false;
        }
        const auto [it, inserted] = firstOrderUs.emplace(signal + "/" + leg, us);
        if (!inserted) {
            ++extra;
            it->second = std::min(it->second, us);
        }
    }
    std::set<std::string> matchedSignals;
    std::vector<double> latencyMs;
    for (const auto& [key, us] : firstOrderUs) {
        const std::string signal = key.substr(0, key.rfind('/'));
        matchedSignals.insert(signal);
        latencyMs.push_back(static_cast<double>(us - sent.at(signal).sentUs) / 1000.0);
    }
    std::cout << "{\"signals\":" << sent.size() << ",\"orders\":" << orders->size()
              << ",\"matched\":" << firstOrderUs.size()
              << ",\"unmatched_signals\":" << sent.size() - matchedSignals.size() << ",\"extra_orders\":" << extra
              << ",\"resolution\":\"" << (micro ? "us" : "ms") << "\",\"latency_ms\":" << percentiles(latencyMs, true)
              << "}" << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::cout << kHelp;
        return argc < 2 ? kExitUsage : 0;
    }
    const std::string mode = argv[1];
    std::map<std::string, std::string> args;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kHelp;
            return 0;
        }
        if (arg.rfind("--", 0) != 0 || i + 1 >= argc) {
            std::cerr << "bench_report: expected --option VALUE, got '" << arg << "' (see --help)\n";
            return kExitUsage;
        }
        args[arg] = argv[++i];
    }
    const std::set<std::string> known = mode == "terminal"
                                            ? std::set<std::string>{"--record", "--events", "--wait-s", "--legs"}
                                        : mode == "ledger" ? std::set<std::string>{"--record", "--ledger"}
                                                           : std::set<std::string>{};
    if (known.empty()) {
        std::cerr << "bench_report: unknown mode '" << mode << "' (terminal or ledger; see --help)\n";
        return kExitUsage;
    }
    for (const auto& [k, v] : args) {
        if (!known.count(k)) {
            std::cerr << "bench_report: " << mode << " has no option " << k << " (see --help)\n";
            return kExitUsage;
        }
    }
    for (const std::string required : {"--record", mode == "terminal" ? "--events" : "--ledger"}) {
        if (!args.count(required)) {
            std::cerr << "bench_report: " << mode << " needs " << required << " (see --help)\n";
            return kExitUsage;
        }
    }
    try {
        return mode == "terminal" ? terminalReport(args) : ledgerReport(args);
    } catch (const Poco::Exception& e) {  // before std::exception, whose what() only names the class
        std::cerr << "bench_report: " << e.displayText() << "\n";
        return kExitIo;
    } catch (const std::invalid_argument& e) {
        std::cerr << "bench_report: bad number: " << e.what() << " (see --help)\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        std::cerr << "bench_report: " << e.what() << "\n";
        return kExitIo;
    }
}
