// What intake answers before anything is journaled: authentication, readable JSON, venue names.
#include "intake/intake_service.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <utility>

using namespace tradehost::host;
using Catch::Matchers::Contains;

namespace {

HttpRequest postOf(const std::string& body, const std::string& path = "/webhook") {
    HttpRequest r;
    r.method = "POST";
    r.target = path;
    r.path = path;
    r.body = body;
    return r;
}

IntakeOptions twoVenues() {
    IntakeOptions o;
    o.secret = "s3cret-for-tests";
    o.venues = {"bn_main", "paper"};
    return o;
}

// No journal: a signal that passes every check is answered 503 "not ready", never accepted.
IntakeAnswer answerTo(IntakeService& intake, const std::string& body) {
    const IntakeDecision d = intake.decide(postOf(body), "127.0.0.1", 0);
    REQUIRE(d.kind == IntakeDecision::Kind::Answer);
    return d.answer;
}

}  // namespace

TEST_CASE("a body that is not JSON is a 400 at its byte, even though its secret cannot be read") {
    IntakeService intake(twoVenues(), nullptr, nullptr);
    for (const std::string& body : {std::string(R"({"secret":"s3cret-for-tests","signal_id":"a","symbol":"BTCUSDT",})"),
                                    std::string(R"({"secret":"s3cret-for-tests","signal_id":"a","symbol":{{ticker}}})"),
                                    std::string(R"({"secret":"s3cret-for-tests","signal_id":"a","quantity":NaN})"),
                                    std::string("{\"secret\":\"s3cret-for-tests\",\"signal_id\":\xe2\x80\x9c"
                                                "a\xe2\x80\x9d}")}) {
        INFO(body);
        const IntakeAnswer a = answerTo(intake, body);
        CHECK(a.status == 400);
        CHECK_THAT(a.body, Contains("at byte"));
        CHECK_THAT(a.body, !Contains("secret") && !Contains("authentication"));
    }
    // Readable JSON is authenticated first: a wrong or missing secret is 401, whatever else is wrong.
    CHECK(answerTo(intake, R"({"secret":"nope","signal_id":"a"})").status == 401);
    CHECK(answerTo(intake, R"({"signal_id":"a","venue":"paper"})").status == 401);
}

TEST_CASE("a deployment without any authentication method refuses every signal") {
    IntakeOptions o;
    o.venues = {"paper"};
    IntakeService intake(o, nullptr, nullptr);
    CHECK(
        answerTo(intake,
                 R"({"signal_id":"a","venue":"paper","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"})")
            .status == 401);
}

TEST_CASE("a leg naming no venue, or one the deployment lacks, is a 400 naming the field and the names") {
    IntakeService intake(twoVenues(), nullptr, nullptr);
    const std::string head = R"({"secret":"s3cret-for-tests","signal_id":"a",)";
    IntakeAnswer a = answerTo(intake, head + R"("symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"})");
    CHECK(a.status == 400);
    CHECK_THAT(a.body, Contains("\"field\":\"venue\"") && Contains("this deployment has: bn_main, paper"));
    a = answerTo(intake, head + R"("venue":"bn_test","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"})");
    CHECK(a.status == 400);
    CHECK_THAT(a.body, Contains("no venue instance of that name") && Contains("bn_main, paper"));
    CHECK_THAT(a.body, !Contains("bn_test"));  // a value from the body is never echoed
    a = answerTo(intake, head + R"("legs":[{"venue":"paper","symbol":"BTCUSDT","side":"buy","type":"market",)"
                                R"("quantity":"1"},{"venue":"x","symbol":"BTCUSDT","side":"sell","type":"market",)"
                                R"("quantity":"1"}]})");
    CHECK(a.status == 400);
    CHECK_THAT(a.body, Contains("\"field\":\"legs[1].venue\""));
    // Known venues pass on to the journal (here: not ready, as there is none).
    CHECK(answerTo(intake, head + R"("venue":"paper","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"})")
              .status == 503);

    IntakeOptions withDefault = twoVenues();
    withDefault.defaultVenue = "paper";
    IntakeService routed(withDefault, nullptr, nullptr);
    CHECK(answerTo(routed, head + R"("symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"})").status == 503);
}

TEST_CASE("X-Signature hex is accepted in either case") {
    IntakeOptions o;
    o.signingSecret = "key";
    o.venues = {"paper"};
    IntakeService intake(o, nullptr, nullptr);
    const std::string body =
        R"({"signal_id":"a","venue":"paper","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"})";
    // A known answer, from: printf '%s' "$body" | openssl dgst -sha256 -hmac key
    const std::string lower = "5cacd447f8e0c45c853ab04ce620b05d48bbd149266c212c63973a9e7b6c877e";
    std::string upper = lower;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const auto& [hex, status] :
         {std::pair<std::string, int>{lower, 503}, {upper, 503}, {"0" + lower.substr(1), 401}}) {
        HttpRequest r = postOf(body);
        r.headers.push_back({"X-Signature", "sha256=" + hex});
        INFO(hex);
        CHECK(intake.decide(r, "127.0.0.1", 0).answer.status == status);  // 503: authenticated, no journal here
    }
}

TEST_CASE("a signal submitted from inside the host skips only the webhook's authentication") {
    IntakeOptions o;  // no authentication method at all: every webhook is refused
    o.venues = {"paper"};
    IntakeService intake(o, nullptr, nullptr);
    const SignalOrigin origin{"admin", "admin bearer (operator) from 127.0.0.1", "manual hedge"};
    const std::string order = R"("venue":"paper","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"})";
    CHECK(answerTo(intake, R"({"signal_id":"a",)" + order).status == 401);
    const auto submitted = [&](const std::string& body) {
        const IntakeDecision d = intake.submitted(body, origin, 0);
        REQUIRE(d.kind == IntakeDecision::Kind::Answer);
        return d.answer;
    };
    // Past authentication, the same checks: a journal-less intake is not ready (503), never 2xx.
    CHECK(submitted(R"({"signal_id":"a",)" + order).status == 503);
    IntakeAnswer a = submitted(R"({"signal_id":"a","venue":"paper","symbol":"BTCUSDT","side":"buy",)"
                               R"("type":"market","quantity":"-1"})");
    CHECK(a.status == 400);
    CHECK_THAT(a.body, Contains("\"field\":\"quantity\""));
    a = submitted(R"({"signal_id":"a","venue":"bn","symbol":"BTCUSDT","side":"buy","type":"market","quantity":"1"})");
    CHECK(a.status == 400);
    CHECK_THAT(a.body, Contains("\"field\":\"venue\""));
    // Nothing inside the host carries a secret; one here is a mistake, never journaled.
    a = submitted(R"({"secret":"x","signal_id":"a",)" + order);
    CHECK(a.status == 400);
    CHECK_THAT(a.body, Contains("\"field\":\"secret\""));
    // A webhook cannot claim an origin: the field is unknown to the contract.
    a = answerTo(intake, R"({"origin":{"source":"admin"},"signal_id":"a",)" + order);
    CHECK(a.status == 401);
    a = submitted(R"({"origin":{"source":"admin"},"signal_id":"a",)" + order);
    CHECK(a.status == 400);
    CHECK_THAT(a.body, Contains("\"field\":\"origin\""));
}
