// The alert sink contract: what every alert plugin must do, checked through the host's wrappers.
// Run once per alert library (see CMakeLists.txt).
#include <string>

#include "contract_fixture.h"

using namespace tradehost;
using tradehost::test::ContractFixture;

namespace {

struct SinkUnderTest : ContractFixture {
    host::AlertSinkInstance& sink() {
        REQUIRE(instances().alerts.size() == 1);
        return *instances().alerts.front();
    }
    static Alert alert(const std::string& id) {
        Alert a;
        a.id = id;
        a.key = "contract:" + id;
        a.severity = Severity::Warning;
        a.title = "Contract alert " + id;
        a.text = "position drift on BTCUSDT: expected 0.002, venue says 0.004";
        a.timestampMs = 1764000000000;
        a.fields = {{"venue", "bn_main"}, {"symbol", "BTCUSDT"}};
        return a;
    }
};

}  // namespace

TEST_CASE_METHOD(SinkUnderTest, "a plain alert is delivered", "[alert]") {
    const auto r = sink().send(alert("a1"));
    CHECK(std::holds_alternative<Ok>(r));
}

TEST_CASE_METHOD(SinkUnderTest, "awkward text is delivered: quotes, markup, newlines, UTF-8, 5000 characters", "[alert]") {
    Alert a = alert("a2");
    a.title = "<b>\"quoted\"</b> & _under_ *star* [link](x) `code` \\ backslash";
    a.text = "line 1\nline 2\ttab — ünïcødé ₿ 🚀\n" + std::string(5000, 'x');
    a.suppressedCount = 7;
    const auto r = sink().send(a);
    CHECK(std::holds_alternative<Ok>(r));
}

TEST_CASE_METHOD(SinkUnderTest, "a burst of alerts gets Ok or Retry for each, never a throw or a Fail", "[alert]") {
    for (int i = 0; i < 10; ++i) {
        const auto r = sink().send(alert("burst" + std::to_string(i)));
        INFO("alert " << i);
        CHECK_FALSE(std::holds_alternative<Fail>(r));
    }
}

TEST_CASE_METHOD(SinkUnderTest, "stop is idempotent and nothing is sent after it", "[alert]") {
    sink().stop();
    sink().stop();
    CHECK(sink().state() == host::InstanceState::Stopped);
    CHECK(std::holds_alternative<Fail>(sink().send(alert("after-stop"))));
}
