// The resolver when the venue cannot even be asked: the leg stays UNKNOWN (never "absent"), an
// overdue leg raises order_unresolved once, and once queries answer again the leg settles.
#include <catch2/catch.hpp>
#include <string>

#include "crash_env.h"
#include "emulator_process.h"
#include "exactly_once_checks.h"
#include "host_process.h"
#include "signal_run.h"
#include "temp_dir.h"

using namespace tradehost::test;

TEST_CASE("a leg the venue cannot be asked about stays unknown, raises order_unresolved once, then settles",
          "[resolver]") {
    TempDir dir;
    EmulatorProcess emulator(dir.path() / "emulator");
    HostConfig config;
    config.unresolvedAlertS = 2;
    HostProcess host(dir.path() / "host", emulator, config);
    REQUIRE(host.start());
    const RunSpec spec{"ur-", config.venue, 1, "0.002"};
    SignalRun run(host, emulator, spec, dir.path() / "resolver.ledger");

    // The order: a 502 with nothing executed, so its outcome is unknown. Then the first four
    // queries by client order id fail too (502, the gateway's page): the host cannot ask. Queries
    // come 1 s apart at first, so the leg is still unresolved when it turns 2 s old.
    emulator.addFault(R"({"mode":"http_5xx","status":502,"count":1,"path":"POST /fapi/v1/order"})");
    emulator.addFault(R"({"mode":"http_5xx","status":502,"count":4,"path":"GET /fapi/v1/order"})");
    run.send(run.options(1));
    const bool drained = run.drain(std::chrono::seconds(60));
    const auto fired = emulator.faultsFired();
    const int stopped = host.stop();
    const auto check = run.check();
    const auto storage = run.checkStorage();
    printReport("crash.resolver", "one leg, its order and four queries failed", check, &storage,
                "faults fired: http_5xx=" + std::to_string(fired.count("http_5xx") ? fired.at("http_5xx") : 0));
    INFO(check.summary());
    CHECK(fired.count("http_5xx") == 1);
    CHECK(fired.at("http_5xx") == 5);  // the order and all four queries really failed
    CHECK(drained);
    CHECK(stopped == 0);
    CHECK(check.signalsOk == 1);
    checkExactlyOnceInvariants(check);
    // Unknown, overdue (once, although the venue kept failing), then absent by repeated NotFound
    // and traded as the next attempt: one order in all.
    auto count = [&](const std::string& name) { return check.events.count(name) ? check.events.at(name) : 0; };
    CHECK(count("order_unknown") == 1);
    CHECK(count("order_unresolved") == 1);
    CHECK(count("order_resolved") == 1);
    CHECK(count("order_ack") == 1);
    CHECK(check.orders == 1);
    CHECK(check.venueFills.at("ur-1#0") == "0.002");
}
