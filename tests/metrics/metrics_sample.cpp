// Prints the host's /metrics text after exercising every instrument, for `promtool check metrics`.
#include <iostream>

#include "gate/gate.h"
#include "intake/signal/signal_parser.h"
#include "journal/journal.h"
#include "log/metrics_registry.h"
#include "metrics/host_metrics.h"
#include "temp_dir.h"

using namespace tradehost;
using namespace tradehost::host;

int main() {
    tradehost::test::TempDir dir;
    HostMetrics m({"bn", "paper"}, {"telegram", "file"});

    auto journal = Journal::open({dir.file("journal")});
    journal->setMetrics(m.journal());
    journal->appendAll({"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"});
    journal->append("{\"n\":4}");

    auto gate = makeMemoryGate();
    const auto parsed = parseSignal(
        R"({"signal_id":"s1","legs":[{"venue":"bn","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"0.002"}]})");
    AdmissionRequest r;
    r.journalSeq = 1;
    r.receivedMs = 1000;
    r.signal = std::get<Parsed>(parsed).signal;
    r.legs.push_back({"s1:bn:0:0", ""});
    gate->admit({r}, "local", 0, 1000);
    m.watchLegs(*gate, "local");

    MetricsRegistry plugins;
    plugins.set("bn.used_weight_1m", 1200);
    plugins.set("bn.order_count_10s", 3);
    plugins.set("bn.order_count_1m", 17);
    plugins.add("bn.rate_limit_hits", 1);
    plugins.add("telegram.messages_sent", 12);
    plugins.add("file.odd \"name\"\\with\nescapes", 1);
    m.watchPluginMetrics(plugins);

    const IntakeMetrics intake = m.intake();
    for (int i = 0; i < 40; ++i) intake.answered(SignalOutcome::Accepted);
    intake.answered(SignalOutcome::Duplicate);
    intake.answered(SignalOutcome::OverCapacity);
    for (const double s : {0.0004, 0.0012, 0.003, 0.02}) intake.ackSeconds->observe(s);

    for (const char* v : {"bn", "paper"}) {
        const VenueCallMetrics calls = m.venueCalls(v);
        calls.of(VenueCall::Place)->observe(0.084);
        calls.of(VenueCall::Query)->observe(0.051);
        calls.of(VenueCall::Positions)->observe(0.2);
        const ReconcilerMetrics rec = m.reconciler(v);
        rec.reachable->set(1);
        rec.lastSuccessSeconds->set(1764531000.25);
    }
    m.reconciler("bn").driftPositions->set(1);
    m.legOutcome("bn", "filled");
    m.legOutcome("paper", "rejected");
    m.alertDelivery("telegram").sent->inc(5);
    m.alertDelivery("telegram").retried->inc();
    m.alertDelivery("file").sent->inc(6);
    m.alertPolicy().deduplicated->inc(2);

    std::cout << m.prometheusText();
    return 0;
}
