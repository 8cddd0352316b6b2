// Working orders: a resting limit order followed until final, each fill booked once (by cumulative
// quantity) across kills and restarts, and an operator's cancel of a partly filled order.
#include <tradehost/decimal.h>

#include <catch2/catch.hpp>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <thread>
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

constexpr const char* kMarketPrice = "65000.00";  // the emulator's BTCUSDT price at start

bool sameQuantity(const std::string& a, const std::string& b) {
    const auto x = Decimal::parse(a.empty() ? "0" : a);
    const auto y = Decimal::parse(b.empty() ? "0" : b);
    return x && y && *x == *y;
}

std::string valueOr0(const std::map<std::string, std::string>& m, const std::string& key) {
    const auto it = m.find(key);
    return it == m.end() ? "0" : it->second;
}

std::vector<EventLine> eventsOf(SignalRun& run, const std::string& name, const std::string& signalId) {
    std::vector<EventLine> out;
    for (const auto& e : run.events())
        if (e.event == name && e.signalId == signalId) out.push_back(e);
    return out;
}

// The order_fill events of a signal as "fill_qty->filled" steps, for reports.
std::string fillSteps(const std::vector<EventLine>& fills) {
    std::string out;
    for (const auto& f : fills) out += (out.empty() ? "" : ", ") + f.dataText("fill_qty") + "->" + f.dataText("filled");
    return out.empty() ? "none" : out;
}

}  // namespace

TEST_CASE("a resting order filled in parts across kills and restarts: each fill booked once, then closed",
          "[working_orders]") {
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;  // the tracker polls working orders every 200 ms
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    const RunSpec spec{"wo-", config.venue, 1, "0.010"};
    SignalRun run(host, emulator, spec, dir.path() / "working.ledger");
    const std::string id = "wo-1";
    const std::string clientId = id + ":" + config.venue + ":0:0";
    const std::string gate = host.gateFile();

    // A buy of 0.010 at 64,000 while the market is at 65,000: it rests, and the leg is WORKING.
    auto options = run.options(1);
    options.price = "64000.00";
    run.send(options);
    REQUIRE(waitForEvent(run, host, [&](const EventLine& e) {
        return e.event == "order_ack" && e.signalId == id && e.status == "NEW";
    }));
    CHECK(gateLegStates(gate, config.venue, "wo-").at(id + "#0") == "WORKING");
    auto fillsBooked = [&] { return eventsOf(run, "order_fill", id); };
    auto bookedAt = [&](const std::string& quantity) {
        INFO("expected " << quantity << " booked for " << id);
        CHECK(sameQuantity(valueOr0(gateLegFills(gate, config.venue, "wo-"), id + "#0"), quantity));
        CHECK(sameQuantity(valueOr0(gatePositions(gate, config.venue), "BTCUSDT"), quantity));
    };
    // Long enough for the tracker to ask about the order several times (200 ms apart).
    auto severalPolls = [] { std::this_thread::sleep_for(1500ms); };
    int restarts = 0, kills = 0, fills = 0;

    // 1. A counterparty fills 0.004 of it: one order_fill, the book moves by 0.004.
    emulator.control("POST", "/control/fill", R"({"clientOrderId":")" + clientId + R"(","quantity":"0.004"})");
    ++fills;
    REQUIRE(waitForEvent(run, host, [&](const EventLine& e) {
        return e.event == "order_fill" && e.signalId == id && sameQuantity(e.dataText("filled"), "0.004");
    }));
    severalPolls();
    CHECK(fillsBooked().size() == 1);  // the same cumulative 0.004, reported at every poll, booked once
    bookedAt("0.004");

    // 2. The host is killed; another 0.002 fills while it is down. Restarted, it books exactly the
    //    0.002 it missed, once.
    host.kill();
    ++kills;
    emulator.control("POST", "/control/fill", R"({"clientOrderId":")" + clientId + R"(","quantity":"0.002"})");
    ++fills;
    REQUIRE(host.start());
    ++restarts;
    REQUIRE(waitForEvent(run, host, [&](const EventLine& e) {
        return e.event == "order_fill" && e.signalId == id && sameQuantity(e.dataText("filled"), "0.006");
    }));
    severalPolls();
    CHECK(fillsBooked().size() == 2);
    bookedAt("0.006");

    // 3. A clean restart while it is partly filled: the repeated report (0.006) books nothing.
    CHECK(host.stop() == 0);
    REQUIRE(host.start());
    ++restarts;
    severalPolls();
    CHECK(fillsBooked().size() == 2);
    CHECK(eventsOf(run, "order_closed", id).empty());
    CHECK(gateLegStates(gate, config.venue, "wo-").at(id + "#0") == "WORKING");
    bookedAt("0.006");

    // 4. The market comes down to its limit: the remaining 0.004 fills, and the order is closed.
    emulator.control("POST", "/control/price", R"({"symbol":"BTCUSDT","price":"64000.00"})");
    ++fills;
    REQUIRE(waitForEvent(run, host, [&](const EventLine& e) { return e.event == "order_closed" && e.signalId == id; }));
    CHECK(gateLegStates(gate, config.venue, "wo-").at(id + "#0") == "ACCEPTED");
    bookedAt("0.010");

    // 5. A restart after it is filled: nothing more is booked or reported.
    CHECK(host.stop() == 0);
    REQUIRE(host.start());
    ++restarts;
    severalPolls();
    const bool runningAfter = host.running();
    const int stopped = host.stop();
    emulator.control("POST", "/control/price", std::string(R"({"symbol":"BTCUSDT","price":")") + kMarketPrice + "\"}");

    const auto fillEvents = fillsBooked();
    const auto closed = eventsOf(run, "order_closed", id);
    const auto check = run.check();
    const auto storage = run.checkStorage();
    std::string venueStatus, venueFilled;
    int venueOrders = 0;
    for (const auto& o : emulator.ledger())
        if (o.clientOrderId == clientId && o.orderId) {
            ++venueOrders;
            venueStatus = o.status;
            venueFilled = o.executedQty;
        }
    printReport("crash.working_orders", "one resting buy of 0.010 filled 0.004 + 0.002 (host down) + 0.004", check,
                &storage,
                "fills injected=" + std::to_string(fills) + ", kills=" + std::to_string(kills) +
                    ", restarts=" + std::to_string(restarts) + ", order_fill steps: " + fillSteps(fillEvents) +
                    ", venue: " + venueStatus + " " + venueFilled + "; " + secondsSince(started));
    INFO(check.summary() << "\n" << storage.summary());
    REQUIRE(fillEvents.size() == 3);
    CHECK(sameQuantity(fillEvents[0].dataText("fill_qty"), "0.004"));
    CHECK(sameQuantity(fillEvents[0].dataText("filled"), "0.004"));
    CHECK(sameQuantity(fillEvents[1].dataText("fill_qty"), "0.002"));
    CHECK(sameQuantity(fillEvents[1].dataText("filled"), "0.006"));
    CHECK(sameQuantity(fillEvents[2].dataText("fill_qty"), "0.004"));
    CHECK(sameQuantity(fillEvents[2].dataText("filled"), "0.010"));
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].status == "FILLED");
    CHECK(closed[0].dataText("state") == "ACCEPTED");
    CHECK(sameQuantity(closed[0].dataText("filled"), "0.010"));
    CHECK(venueOrders == 1);
    CHECK(venueStatus == "FILLED");
    CHECK(runningAfter);
    CHECK(stopped == 0);
    CHECK(check.signalsOk == 1);
    CHECK(check.orders == 1);
    checkExactlyOnceInvariants(check);
    CHECK(storage.clean());
}

TEST_CASE("an operator cancels a resting, partly filled order: CANCELLED, its fills kept in the position",
          "[working_orders]") {
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    const RunSpec spec{"wc-", config.venue, 1, "0.010"};
    SignalRun run(host, emulator, spec, dir.path() / "cancel.ledger");
    const std::string id = "wc-1";
    const std::string clientId = id + ":" + config.venue + ":0:0";
    const std::string gate = host.gateFile();

    auto options = run.options(1);
    options.price = "63000.00";
    run.send(options);
    REQUIRE(waitForEvent(run, host, [&](const EventLine& e) {
        return e.event == "order_ack" && e.signalId == id && e.status == "NEW";
    }));
    emulator.control("POST", "/control/fill", R"({"clientOrderId":")" + clientId + R"(","quantity":"0.003"})");
    REQUIRE(waitForEvent(run, host, [&](const EventLine& e) {
        return e.event == "order_fill" && e.signalId == id && sameQuantity(e.dataText("filled"), "0.003");
    }));

    const auto cancel = host.command({"cancel", id, "--config", host.deploymentFile(), "--by", "crash-test", "--why",
                                      "operator cancel of a partly filled order"});
    INFO("tradehost cancel: exit " << cancel.exitCode << "\n" << cancel.out << cancel.err);
    CHECK(cancel.exitCode == 0);
    const bool closedInTime = waitForEvent(
        run, host, [&](const EventLine& e) { return e.event == "order_closed" && e.signalId == id; }, 10s);
    CHECK(closedInTime);

    // A restart afterwards changes nothing; a second cancel finds no open order to cancel.
    CHECK(host.stop() == 0);
    REQUIRE(host.start());
    std::this_thread::sleep_for(1500ms);
    const auto again = host.command({"cancel", id, "--config", host.deploymentFile()});
    const bool runningAfter = host.running();
    const int stopped = host.stop();

    const auto requested = eventsOf(run, "order_cancel_requested", id);
    const auto closed = eventsOf(run, "order_closed", id);
    const auto fills = eventsOf(run, "order_fill", id);
    const auto states = gateLegStates(gate, config.venue, "wc-");
    const auto legFills = gateLegFills(gate, config.venue, "wc-");
    const auto positions = gatePositions(gate, config.venue);
    std::string venueStatus, venueFilled;
    for (const auto& o : emulator.ledger())
        if (o.clientOrderId == clientId && o.orderId) {
            venueStatus = o.status;
            venueFilled = o.executedQty;
        }
    const auto check = run.check();
    const auto storage = run.checkStorage();
    printReport("crash.working_orders", "operator cancel of a resting buy of 0.010 with 0.003 filled", check, &storage,
                "cancel exit=" + std::to_string(cancel.exitCode) +
                    ", second cancel exit=" + std::to_string(again.exitCode) + ", order_closed " +
                    (closed.empty() ? std::string("missing") : closed[0].status + "/" + closed[0].dataText("state")) +
                    ", leg " + valueOr0(states, id + "#0") + " with " + valueOr0(legFills, id + "#0") +
                    " filled, venue: " + venueStatus + " " + venueFilled + "; " + secondsSince(started));
    INFO(check.summary() << "\n" << storage.summary());
    REQUIRE(requested.size() == 1);
    CHECK(requested[0].dataText("by") == "crash-test");
    CHECK(requested[0].dataText("why") == "operator cancel of a partly filled order");
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].status == "CANCELED");
    CHECK(closed[0].dataText("state") == "CANCELLED");
    CHECK(sameQuantity(closed[0].dataText("filled"), "0.003"));
    CHECK(fills.size() == 1);
    CHECK(valueOr0(states, id + "#0") == "CANCELLED");
    CHECK(sameQuantity(valueOr0(legFills, id + "#0"), "0.003"));
    CHECK(sameQuantity(valueOr0(positions, "BTCUSDT"), "0.003"));  // the fill stays in the position
    CHECK(venueStatus == "CANCELED");
    CHECK(sameQuantity(venueFilled, "0.003"));
    CHECK(again.exitCode != 0);  // nothing open to cancel any more
    CHECK(runningAfter);
    CHECK(stopped == 0);
    CHECK(check.orders == 1);
    checkExactlyOnceInvariants(check);
    CHECK(storage.clean());
}

// Rests `count` buys of 0.010 at 63,000 (signals prefix1..prefixN) and fills 0.002 of each.
void restPartlyFilled(SignalRun& run, HostProcess& host, EmulatorProcess& emulator, int count) {
    auto options = run.options(count);
    options.price = "63000.00";
    run.send(options);
    for (int i = 1; i <= count; ++i) {
        const std::string id = run.spec().prefix + std::to_string(i);
        REQUIRE(waitForEvent(run, host, [&](const EventLine& e) {
            return e.event == "order_ack" && e.signalId == id && e.status == "NEW";
        }));
        emulator.control("POST", "/control/fill",
                         R"({"clientOrderId":")" + id + ":" + run.spec().venue + R"(:0:0","quantity":"0.002"})");
        REQUIRE(waitForEvent(run, host, [&](const EventLine& e) {
            return e.event == "order_fill" && e.signalId == id && sameQuantity(e.dataText("filled"), "0.002");
        }));
    }
}

TEST_CASE("a cancel requested while the host is down is carried out when it starts", "[working_orders]") {
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    SignalRun run(host, emulator, {"wd-", config.venue, 1, "0.010"}, dir.path() / "down.ledger");
    restPartlyFilled(run, host, emulator, 1);

    host.kill();
    const auto cancel = host.command({"cancel", "wd-1", "--config", host.deploymentFile(), "--by", "crash-test"});
    INFO("tradehost cancel: exit " << cancel.exitCode << "\n" << cancel.out << cancel.err);
    CHECK(cancel.exitCode == 0);
    REQUIRE(host.start());
    const bool closed = waitForEvent(
        run, host, [&](const EventLine& e) { return e.event == "order_closed" && e.signalId == "wd-1"; }, 10s);
    const bool runningAfter = host.running();
    const int stopped = host.stop();
    const auto states = gateLegStates(host.gateFile(), config.venue, "wd-");
    const auto positions = gatePositions(host.gateFile(), config.venue);
    const auto check = run.check();
    const auto storage = run.checkStorage();
    printReport("crash.working_orders", "a cancel requested while the host was killed", check, &storage,
                "kills=1, leg " + valueOr0(states, "wd-1#0") + ", position " + valueOr0(positions, "BTCUSDT") + "; " +
                    secondsSince(started));
    INFO(check.summary() << "\n" << storage.summary());
    CHECK(closed);
    CHECK(valueOr0(states, "wd-1#0") == "CANCELLED");
    CHECK(sameQuantity(valueOr0(positions, "BTCUSDT"), "0.002"));
    CHECK(runningAfter);
    CHECK(stopped == 0);
    CHECK(check.orders == 1);
    checkExactlyOnceInvariants(check);
    CHECK(storage.clean());
}

// An operator's cancel that meets a venue out of reach (an outage: the plugin cannot send it) or a
// 429 is not given up: the tracker records order_cancel_failed once and keeps trying, backing
// off, until the order is cancelled (or ends otherwise).
TEST_CASE("a cancel that meets a venue out of reach or a 429 is carried out once the venue answers again",
          "[working_orders]") {
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    SignalRun run(host, emulator, {"wv-", config.venue, 1, "0.010"}, dir.path() / "venue.ledger");
    restPartlyFilled(run, host, emulator, 2);

    // wv-1: cancelled while the venue refuses connections for 3 s.
    emulator.control("POST", "/control/outage", R"({"ms":3000})");
    const auto outageAt = std::chrono::steady_clock::now();
    const auto outageCancel = host.command({"cancel", "wv-1", "--config", host.deploymentFile(), "--by", "crash-test"});
    CHECK(outageCancel.exitCode == 0);
    std::this_thread::sleep_until(outageAt + 3300ms);
    const bool outageClosed = waitForEvent(
        run, host, [&](const EventLine& e) { return e.event == "order_closed" && e.signalId == "wv-1"; }, 4s);
    // wv-2: its cancel meets one 429 with Retry-After 1 s.
    emulator.addFault(R"({"mode":"http_429","retry_after_s":1,"count":1,"path":"DELETE /fapi/v1/order"})");
    const auto limitedCancel =
        host.command({"cancel", "wv-2", "--config", host.deploymentFile(), "--by", "crash-test"});
    CHECK(limitedCancel.exitCode == 0);
    const bool limitedClosed = waitForEvent(
        run, host, [&](const EventLine& e) { return e.event == "order_closed" && e.signalId == "wv-2"; }, 4s);
    const long outages = emulator.outages();
    const auto fired = emulator.faultsFired();
    const long fired429 = fired.count("http_429") ? fired.at("http_429") : 0;
    std::vector<std::string> failures;
    for (const auto& e : run.events())
        if (e.event == "order_cancel_failed")
            failures.push_back(e.signalId + ": " + e.dataText("code") + " " + e.dataText("message"));
    const bool runningAfter = host.running();
    const int stopped = host.stop();

    const auto states = gateLegStates(host.gateFile(), config.venue, "wv-");
    const auto check = run.check();
    const auto storage = run.checkStorage();
    std::string failed;
    for (const auto& f : failures) failed += (failed.empty() ? "" : "; ") + f;
    printReport("crash.working_orders", "cancels that meet a 3 s outage and a 429", check, &storage,
                "outages fired=" + std::to_string(outages) + ", http_429 fired=" + std::to_string(fired429) +
                    ", wv-1 " + valueOr0(states, "wv-1#0") + ", wv-2 " + valueOr0(states, "wv-2#0") +
                    ", order_cancel_failed: " + (failed.empty() ? "none" : failed) + "; " + secondsSince(started));
    INFO(check.summary() << "\n" << storage.summary());
    CHECK(outages == 1);
    CHECK(fired429 == 1);
    CHECK(outageClosed);
    CHECK(limitedClosed);
    CHECK(valueOr0(states, "wv-1#0") == "CANCELLED");
    CHECK(valueOr0(states, "wv-2#0") == "CANCELLED");
    CHECK(runningAfter);
    CHECK(stopped == 0);
    CHECK(check.orders == 2);
    checkExactlyOnceInvariants(check);
    CHECK(storage.clean());
}
