// The host's operator commands on the in-memory gate: what each does, what each records, and the
// relay that lends them to alert instances before the host can act.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include "fake_context.h"
#include "gate/gate.h"
#include "intake/signal/signal_parser.h"
#include "operator/command_relay.h"
#include "operator/operator_command_handler.h"

using namespace tradehost;
using namespace tradehost::host;

namespace {

constexpr std::int64_t kT0 = 1'800'000'000'000;

struct Recorded {
    std::string via, from, command, args, authorized, outcome;
};

std::vector<Recorded> commandEvents(Gate& gate) {
    std::vector<Recorded> out;
    for (const auto& e : gate.readAfter(0, 1000)) {
        if (e.event.event != "operator_command") continue;
        Poco::JSON::Parser parser;
        const auto o = parser.parse(e.event.dataJson).extract<Poco::JSON::Object::Ptr>();
        out.push_back({o->getValue<std::string>("via"), o->getValue<std::string>("from"),
                       o->getValue<std::string>("command"), o->getValue<std::string>("args"),
                       o->getValue<std::string>("authorized"), o->getValue<std::string>("outcome")});
    }
    return out;
}

int eventCount(Gate& gate, const std::string& name) {
    int n = 0;
    for (const auto& e : gate.readAfter(0, 1000)) n += e.event.event == name;
    return n;
}

OperatorCommand command(const std::string& name, const std::string& args = "", bool authorized = true) {
    OperatorCommand c;
    c.name = name;
    c.args = args;
    c.from = "telegram user 7 in chat 1001";
    c.authorized = authorized;
    return c;
}

struct Fixture {
    std::unique_ptr<Gate> gate = makeMemoryGate();
    test::FakeClock clock{kT0};
    OperatorCommandHandler handler{*gate, *gate, *gate, *gate, clock, OperatorCommandOptions{"local", 3}};
    Fixture() { handler.setReady(true); }
    CommandReply run(const OperatorCommand& c) { return handler.run(c, "tg"); }
};

// Two legs of one signal: one left PENDING, one moved to WORKING; and one filled 0.002 BTCUSDT buy.
void admitLegs(Gate& gate) {
    auto parsed = parseSignal(
        R"({"signal_id":"s1","legs":[{"venue":"bn","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"},)"
        R"({"venue":"bn","symbol":"ETHUSDT","side":"buy","type":"limit","price":"100","quantity":"0.1"},)"
        R"({"venue":"bn","symbol":"SOLUSDT","side":"buy","type":"market","quantity":"1"}]})");
    REQUIRE(std::holds_alternative<Parsed>(parsed));
    AdmissionRequest r;
    r.journalSeq = 1;
    r.receivedMs = kT0;
    r.signal = std::get<Parsed>(parsed).signal;
    for (int i = 0; i < 3; ++i) r.legs.push_back({"s1:bn:" + std::to_string(i) + ":0", ""});
    const auto results = gate.admit({r}, "local", 0, kT0);
    REQUIRE(results.at(0).legs.size() == 3);
    const auto legs = results.at(0).legs;
    LegChange filled{legs[0], legs[0], {}};
    filled.after.state = LegState::Accepted;
    filled.after.filledQuantity = Decimal::of("0.002");
    filled.after.averagePrice = Decimal::of("50000");
    LegChange working{legs[1], legs[1], {}};
    working.after.state = LegState::Working;
    REQUIRE(gate.apply(std::vector<LegChange>{filled, working}, kT0) ==
            std::vector<ChangeResult>{ChangeResult::Applied, ChangeResult::Applied});
}

}  // namespace

TEST_CASE("/pause and /resume set the kill switch with who and why, idempotently, each an event", "[operator]") {
    Fixture f;
    auto r = f.run(command("pause", "maintenance window"));
    CHECK(r.done);
    CHECK(r.text.find("paused") != std::string::npos);
    KillSwitch k = f.gate->killSwitch();
    CHECK(k.paused);
    CHECK(k.by.who == "telegram user 7 in chat 1001");
    CHECK(k.by.why == "maintenance window");
    CHECK(k.sinceMs == kT0);

    f.clock.advanceMs(1000);
    r = f.run(command("pause"));
    CHECK(r.done);
    CHECK(r.text.find("already paused") != std::string::npos);
    CHECK(r.text.find("maintenance window") != std::string::npos);
    CHECK(f.gate->killSwitch().sinceMs == kT0);  // unchanged
    CHECK(eventCount(*f.gate, "trading_paused") == 1);

    r = f.run(command("resume"));
    CHECK(r.done);
    k = f.gate->killSwitch();
    CHECK_FALSE(k.paused);
    CHECK(k.by.why == "/resume via tg");  // no reason typed: says how it came
    CHECK(eventCount(*f.gate, "trading_resumed") == 1);
    r = f.run(command("resume"));
    CHECK(r.text.find("already running") != std::string::npos);

    const auto events = commandEvents(*f.gate);
    REQUIRE(events.size() == 4);
    CHECK(events[0].command == "pause");
    CHECK(events[0].args == "maintenance window");
    CHECK(events[0].outcome == "done");
    CHECK(events[0].via == "tg");
    CHECK(events[0].from == "telegram user 7 in chat 1001");
    CHECK(events[0].authorized == "true");
    CHECK(events[1].outcome == "done: already paused");
    CHECK(events[3].outcome == "done: already running");
}

TEST_CASE("unauthorized and unknown commands change nothing and are recorded", "[operator]") {
    Fixture f;
    auto stranger = command("pause", "<b>pwned</b>", false);
    stranger.from = "telegram user 666 in chat 999";
    auto r = f.run(stranger);
    CHECK_FALSE(r.done);
    CHECK(r.text.empty());  // a stranger is told nothing
    CHECK_FALSE(f.gate->killSwitch().paused);
    CHECK(eventCount(*f.gate, "trading_paused") == 0);

    auto stale = command("resume", "", false);
    stale.refusal = "sent 600 s ago, older than command_max_age_s (120)";
    CHECK(f.run(stale).text.empty());

    r = f.run(command("selfdestruct", std::string(500, 'x')));
    CHECK_FALSE(r.done);
    CHECK(r.text.find("unknown command /selfdestruct") != std::string::npos);
    CHECK(r.text.find("/status") != std::string::npos);

    const auto events = commandEvents(*f.gate);
    REQUIRE(events.size() == 3);
    CHECK(events[0].from == "telegram user 666 in chat 999");
    CHECK(events[0].command == "pause");
    CHECK(events[0].args == "<b>pwned</b>");
    CHECK(events[0].authorized == "false");
    CHECK(events[0].outcome == "ignored: not an authorized chat and user");
    CHECK(events[1].outcome == "ignored: sent 600 s ago, older than command_max_age_s (120)");
    CHECK(events[2].outcome == "unknown command");
    CHECK(events[2].args.size() < 220);  // bounded
}

TEST_CASE("/status and /positions say the facts", "[operator]") {
    Fixture f;
    admitLegs(*f.gate);
    auto r = f.run(command("status"));
    CHECK(r.done);
    CHECK(r.text.find("trading: running") != std::string::npos);
    CHECK(r.text.find("legs: 1 in flight, 1 working, 0 unknown") != std::string::npos);

    f.run(command("pause", "drift on bn"));
    r = f.run(command("status"));
    CHECK(r.text.find("trading: PAUSED since ") != std::string::npos);
    CHECK(r.text.find("by telegram user 7 in chat 1001: drift on bn") != std::string::npos);

    f.gate->setSymbolPaused("bn", "ETHUSDT", true, {"reconciler", "drift on bn ETHUSDT"}, kT0);
    r = f.run(command("status"));
    CHECK(r.text.find("paused symbols (1):\nbn ETHUSDT since ") != std::string::npos);
    CHECK(r.text.find("by reconciler: drift on bn ETHUSDT") != std::string::npos);

    r = f.run(command("positions"));
    CHECK(r.done);
    CHECK(r.text.find("bn BTCUSDT BOTH 0.002") != std::string::npos);

    // A baseline shows, and more positions than the cap are counted, not listed.
    f.gate->setBaseline({"bn", "ETHUSDT", PositionSide::Both}, Decimal::of("1.5"), {"ops", "accepted"}, kT0);
    f.gate->setBaseline({"bn", "XRPUSDT", PositionSide::Both}, Decimal::of("-3"), {"ops", "accepted"}, kT0);
    f.gate->setBaseline({"bn", "ADAUSDT", PositionSide::Both}, Decimal::of("7"), {"ops", "accepted"}, kT0);
    r = f.run(command("positions"));
    CHECK(r.text.find("baseline") != std::string::npos);
    CHECK(r.text.find("by ops") != std::string::npos);
    CHECK(r.text.find("... and 1 more not shown") != std::string::npos);
    const auto events = commandEvents(*f.gate);
    REQUIRE(events.size() == 6);
    for (const auto& e : events) CHECK(e.outcome == "done");
}

TEST_CASE("before the host is ready, and through the relay before and after it is attached", "[operator]") {
    auto gate = makeMemoryGate();
    test::FakeClock clock{kT0};
    OperatorCommandHandler handler(*gate, *gate, *gate, *gate, clock);
    CommandRelay relay;
    RelayedCommands commands(relay, "tg");

    // Not attached yet: nothing to act on it, nothing to record it in.
    auto r = commands.run(command("pause"));
    CHECK_FALSE(r.done);
    CHECK(r.text.find("tradehost is starting") != std::string::npos);
    CHECK(commands.run(command("pause", "", false)).text.empty());

    relay.attach(handler);  // attached, not ready: recorded, not acted on
    r = commands.run(command("pause"));
    CHECK_FALSE(r.done);
    CHECK(r.text.find("tradehost is starting") != std::string::npos);
    CHECK_FALSE(gate->killSwitch().paused);

    handler.setReady(true);
    CHECK(commands.run(command("pause")).done);
    CHECK(gate->killSwitch().paused);

    relay.detach();
    r = commands.run(command("resume"));
    CHECK_FALSE(r.done);
    CHECK(r.text.find("stopping") != std::string::npos);
    CHECK(gate->killSwitch().paused);

    const auto events = commandEvents(*gate);
    REQUIRE(events.size() == 2);
    CHECK(events[0].outcome == "not ready: tradehost is starting");
    CHECK(events[0].via == "tg");
    CHECK(events[1].outcome == "done");
}
