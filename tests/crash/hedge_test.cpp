// Hedge mode: LONG and SHORT books kept apart, BOTH inferred per venue.h (buy opens LONG, sell opens
// SHORT, reduce-only closes), also when the answer is lost and the resolver adopts the order: the
// venue's positionRisk per side equals the host's expected position per side.
#include <tradehost/decimal.h>

#include <catch2/catch.hpp>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crash_env.h"
#include "emulator_process.h"
#include "exactly_once_checks.h"
#include "host_process.h"
#include "signal_run.h"
#include "storage_checks.h"
#include "temp_dir.h"

using namespace tradehost::test;
using namespace std::chrono_literals;
using tradehost::Decimal;

namespace {

struct HedgeLeg {
    std::string symbol;
    std::string side;  // buy / sell
    std::string quantity;
    std::string positionSide;  // "" = not sent (BOTH)
    bool reduceOnly = false;
    std::string book;   // the book the venue must use: LONG / SHORT
    std::string fault;  // an emulator fault armed for this leg's order alone ("" = none)
};

std::string fieldsOf(const HedgeLeg& l, const std::string& venue) {
    std::string f = R"("venue":")" + venue + R"(","symbol":")" + l.symbol + R"(","side":")" + l.side +
                    R"(","type":"market","quantity":")" + l.quantity + R"(","reduce_only":)" +
                    (l.reduceOnly ? "true" : "false");
    if (!l.positionSide.empty()) f += R"(,"position_side":")" + l.positionSide + "\"";
    return f;
}

// Equal as decimals, a missing key counting as zero.
std::vector<std::string> differences(const std::map<std::string, std::string>& a,
                                     const std::map<std::string, std::string>& b) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a) keys.insert(k);
    for (const auto& [k, v] : b) keys.insert(k);
    std::vector<std::string> out;
    for (const auto& k : keys) {
        const std::string x = a.count(k) ? a.at(k) : "0", y = b.count(k) ? b.at(k) : "0";
        const auto dx = Decimal::parse(x), dy = Decimal::parse(y);
        if (!dx || !dy || !(*dx == *dy)) out.push_back(k + ": " + x + " vs " + y);
    }
    return out;
}

std::string show(const std::map<std::string, std::string>& m) {
    std::string out;
    for (const auto& [k, v] : m) out += (out.empty() ? "" : " ") + k + "=" + v;
    return out.empty() ? "(none)" : out;
}

}  // namespace

TEST_CASE("hedge mode: LONG, SHORT and inferred BOTH legs; the venue's books per side equal the host's", "[hedge]") {
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    EmulatorOptions venueOptions;
    venueOptions.hedgeMode = true;
    EmulatorProcess emulator(dir.path() / "emulator", venueOptions);
    HostConfig config;
    config.hedgeMode = true;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    // Quantities up to 0.050 (the checker's "no leg fills more than this").
    SignalRun run(host, emulator, {"h-", config.venue, 1, "0.050"}, dir.path() / "hedge.ledger");

    // One at a time (each leg settles before the next is sent), so a reduce-only close always
    // finds the book it closes, and an armed fault hits exactly the order it is meant for: the
    // answer to an inferred order is lost, so the resolver finds the order and must take the
    // side the venue reports.
    const std::string lostAfterExecute = R"({"mode":"unknown_503_after_execute","count":1})";
    const std::string droppedAfterExecute = R"({"mode":"drop_after_execute","count":1})";
    const std::vector<HedgeLeg> legs = {
        {"BTCUSDT", "buy", "0.005", "LONG", false, "LONG", ""},               // LONG +0.005
        {"BTCUSDT", "sell", "0.004", "SHORT", false, "SHORT", ""},            // SHORT -0.004
        {"BTCUSDT", "buy", "0.002", "", false, "LONG", lostAfterExecute},     // BOTH, buy opens LONG
        {"BTCUSDT", "sell", "0.003", "", false, "SHORT", ""},                 // BOTH, sell opens SHORT
        {"BTCUSDT", "sell", "0.002", "", true, "LONG", ""},                   // reduce-only sell closes LONG
        {"BTCUSDT", "buy", "0.003", "", true, "SHORT", droppedAfterExecute},  // reduce-only buy closes SHORT
        {"BTCUSDT", "sell", "0.001", "LONG", false, "LONG", ""},              // SELL on LONG closes it
        {"BTCUSDT", "buy", "0.001", "SHORT", false, "SHORT", ""},             // BUY on SHORT closes it
        {"ETHUSDT", "sell", "0.050", "", false, "SHORT", ""},                 // BOTH, sell opens SHORT
        {"ETHUSDT", "buy", "0.020", "", true, "SHORT", ""},                   // reduce-only buy closes SHORT
    };
    const std::map<std::string, std::string> expected = {
        {"BTCUSDT/LONG", "0.004"}, {"BTCUSDT/SHORT", "-0.003"}, {"ETHUSDT/SHORT", "-0.030"}};

    int armed = 0;
    bool settled = true;
    for (std::size_t i = 0; i < legs.size(); ++i) {
        if (!legs[i].fault.empty()) {
            emulator.addFault(legs[i].fault);
            ++armed;
        }
        const auto d = run.post("h-" + std::to_string(i + 1), fieldsOf(legs[i], config.venue));
        INFO("h-" << i + 1 << ": HTTP " << d.status << " " << d.answer << d.error);
        CHECK(d.status == 202);
        settled = run.drain(30s) && settled;
    }
    const auto fired = emulator.faultsFired();
    long firedTotal = 0;
    for (const auto& [mode, n] : fired) firedTotal += n;
    const auto venueBooks = emulator.positionRisk();
    const auto ledger = emulator.ledger();
    // The side each order used at the venue, per signal.
    std::map<std::string, std::string> usedBook;
    for (const auto& o : ledger) {
        OrderIdParts parts;
        if (o.orderId && parseClientOrderId(o.clientOrderId, parts)) usedBook[parts.signalId] = o.positionSide;
    }
    // The side the host's events name for each signal's order (order_ack or order_resolved).
    std::map<std::string, std::string> eventBook;
    for (const auto& e : run.events())
        if ((e.event == "order_ack" || e.event == "order_resolved") && !e.dataText("position_side").empty())
            eventBook[e.signalId] = e.dataText("position_side");
    const bool runningAfter = host.running();
    const int stopped = host.stop();
    const auto hostBooks = gatePositions(host.gateFile(), config.venue);
    const auto check = run.check();
    const auto storage = run.checkStorage();

    printReport(
        "crash.hedge", "10 legs on LONG/SHORT books, 6 of them BOTH inferred, 2 with the answer lost", check, &storage,
        "faults fired=" + std::to_string(firedTotal) + " (armed " + std::to_string(armed) + "); venue positionRisk: " +
            show(venueBooks) + "; host expects: " + show(hostBooks) + "; " + secondsSince(started));
    INFO(check.summary() << "\n" << storage.summary());
    CHECK(firedTotal == armed);
    CHECK(settled);
    for (std::size_t i = 0; i < legs.size(); ++i) {
        const std::string id = "h-" + std::to_string(i + 1);
        INFO(id << ": " << legs[i].side << " " << legs[i].quantity << " " << legs[i].symbol << " position_side '"
                << legs[i].positionSide << "' reduce_only " << legs[i].reduceOnly);
        CHECK(usedBook[id] == legs[i].book);
        CHECK(eventBook[id] == legs[i].book);
    }
    for (const auto& d : differences(venueBooks, hostBooks)) FAIL_CHECK("venue vs host book: " << d);
    for (const auto& d : differences(venueBooks, expected)) FAIL_CHECK("venue vs expected book: " << d);
    CHECK(runningAfter);
    CHECK(stopped == 0);
    CHECK(check.signalsOk == static_cast<int>(legs.size()));
    CHECK(check.orders == static_cast<int>(legs.size()));
    checkExactlyOnceInvariants(check);
    CHECK(storage.clean());
}
