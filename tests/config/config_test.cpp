// Deployment validation: every error class names file:line, instance and key, all at once.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "config/deployment.h"
#include "log/redactor.h"
#include "plugins/instance_set.h"
#include "temp_dir.h"

using namespace tradehost;
using namespace tradehost::host;
using Catch::Matchers::Contains;

namespace {

struct Checked {
    Environment env;
    ConfigErrors errors;
    MetricsRegistry metrics;
    PluginRegistry registry{{TRADEHOST_PLUGIN_DIR}};
    Deployment deployment;
    InstanceSet instances;
    std::string text;
    explicit Checked(const std::string& yaml, const std::string& dotEnv = "") {
        if (!dotEnv.empty()) {
            test::TempDir dir;
            env.loadDotEnv(dir.write(".env", dotEnv));
        }
        deployment = parseDeployment(yaml, "deploy.yaml", env, errors);
        instances = buildInstances(deployment, registry, env, metrics, errors);
        text = errors.toString();
    }
};

const char* kPaper = "venues:\n  - name: paper\n    type: paper\n    settings:\n      prices: {BTCUSDT: \"65000\"}\n";

}  // namespace

TEST_CASE("the shipped default deployment is valid") {
    Checked c(kPaper);
    CHECK(c.errors.empty());
    CHECK(c.instances.venues.size() == 1);
}

TEST_CASE("an unknown settings key is named with its line and the valid keys") {
    Checked c("venues:\n  - name: p1\n    type: paper\n    settings:\n      prices: {BTCUSDT: '1'}\n      pricez: 3\n");
    REQUIRE(c.errors.size() == 1);
    CHECK_THAT(c.text, Contains("deploy.yaml:6: venue 'p1', key 'pricez': unknown key (valid keys: prices"));
}

TEST_CASE("a value of the wrong type is named, with what was expected") {
    Checked c("venues:\n  - name: p1\n    type: paper\n    settings:\n      prices: [1, 2]\n      latency_ms: soon\n");
    CHECK(c.errors.size() == 2);
    CHECK_THAT(c.text, Contains("deploy.yaml:5: venue 'p1', key 'prices': expected a mapping"));
    CHECK_THAT(c.text, Contains("deploy.yaml:6: venue 'p1', key 'latency_ms': expected an integer, got 'soon'"));
}

TEST_CASE("a missing required key is named at the instance's line") {
    Checked c("alerts:\n  - name: f1\n    type: file_alerts\n");
    REQUIRE(c.errors.size() == 1);
    CHECK_THAT(c.text, Contains("deploy.yaml:2: alert 'f1', key 'path': missing required key"));
}

TEST_CASE("duplicate instance names are refused, across venues and alerts too") {
    Checked c(std::string(kPaper) +
              "  - {name: paper, type: paper}\nalerts:\n  - {name: paper, type: file_alerts, settings: {path: x}}\n");
    CHECK(c.errors.size() >= 2);
    CHECK_THAT(c.text,
               Contains("deploy.yaml:6: venue 'paper', key 'name': duplicate instance name (first defined at line 2)"));
    CHECK_THAT(c.text, Contains("deploy.yaml:8: alert 'paper', key 'name': duplicate instance name"));
}

TEST_CASE("a venue name too long for the client order id budget is refused with the numbers") {
    Checked c("venues:\n  - name: a_very_long_venue_name\n    type: paper\n");
    REQUIRE(c.errors.size() == 1);
    CHECK_THAT(c.text, Contains("deploy.yaml:2: venue 'a_very_long_venue_name', key 'name': is 22 characters"));
    CHECK_THAT(c.text, Contains("allow at most 36, which leaves 14 for the venue name"));
}

TEST_CASE("instance names must be lower-case identifiers") {
    Checked c("venues:\n  - {name: Bad-Name, type: paper}\n");
    CHECK_THAT(c.text, Contains("venue 'Bad-Name', key 'name': must start with a lower-case letter"));
}

TEST_CASE("an unknown plugin type names the search path and the available types") {
    Checked c("venues:\n  - {name: x, type: binance_spot}\n");
    REQUIRE(c.errors.size() == 1);
    CHECK_THAT(c.text, Contains("deploy.yaml:2: venue 'x', key 'type': no plugin of type 'binance_spot'"));
    CHECK_THAT(c.text, Contains("available types: "));
}

TEST_CASE("a plugin listed in the wrong section is refused") {
    Checked c("venues:\n  - {name: x, type: file_alerts, settings: {path: a}}\n");
    CHECK_THAT(c.text, Contains("key 'type': 'file_alerts' is an alert sink plugin; list it under alerts:"));
}

TEST_CASE("a plugin that rejects a setting's value says why, naming the instance") {
    Checked c("venues:\n  - name: p1\n    type: paper\n    settings: {prices: {BTCUSDT: '-5'}}\n");
    REQUIRE(c.errors.size() == 1);
    CHECK_THAT(c.text, Contains("deploy.yaml:2: venue 'p1': paper refused the settings: "));
    CHECK_THAT(c.text, Contains("BTCUSDT"));
}

TEST_CASE("unknown sections and bad host settings are named") {
    Checked c("webhok: {listen: x}\nrisk: {max_signal_age_s: 1.5}\n");
    CHECK(c.errors.size() == 2);
    CHECK_THAT(c.text,
               Contains("deploy.yaml:1: key 'webhok': unknown section (valid sections: admin, alerting, alerts,"));
    CHECK_THAT(c.text,
               Contains("deploy.yaml:2: section 'risk', key 'max_signal_age_s': expected an integer, got '1.5'"));
}

TEST_CASE("YAML syntax errors give the line") {
    Checked c("venues:\n  - name: p\n    type: [paper\n");
    REQUIRE(c.errors.size() == 1);
    CHECK_THAT(c.text, Contains("deploy.yaml:"));
    CHECK_THAT(c.text, Contains("YAML syntax error"));
}

TEST_CASE("every error is reported at once, not one per run") {
    Checked c(
        "bogus: 1\nvenues:\n  - {name: p1, type: paper, settings: {nope: 1}}\n  - {name: p1, type: paper}\n"
        "alerts:\n  - {name: f, type: file_alerts}\n");
    CHECK(c.errors.size() == 4);
    CHECK_THAT(c.text, Contains("'bogus'"));
    CHECK_THAT(c.text, Contains("'nope'"));
    CHECK_THAT(c.text, Contains("duplicate instance name"));
    CHECK_THAT(c.text, Contains("'path': missing required key"));
}

TEST_CASE("${ENV} references resolve from the environment and from .env; missing ones are named") {
    ::setenv("TRADEHOST_TEST_ALERT_PATH", "/tmp/from-env.jsonl", 1);
    SECTION("from the process environment") {
        Checked c("alerts:\n  - {name: f, type: file_alerts, settings: {path: \"${TRADEHOST_TEST_ALERT_PATH}\"}}\n");
        CHECK(c.errors.empty());
    }
    SECTION("from a .env file") {
        Checked c("alerts:\n  - {name: f, type: file_alerts, settings: {path: \"${TRADEHOST_TEST_DOTENV_PATH}\"}}\n",
                  "# comment\nexport TRADEHOST_TEST_DOTENV_PATH='/tmp/x.jsonl'\n");
        CHECK(c.errors.empty());
    }
    SECTION("missing") {
        Checked c(
            "alerts:\n  - name: f\n    type: file_alerts\n    settings:\n      path: "
            "\"${TRADEHOST_TEST_NOT_SET_ANYWHERE}\"\n");
        REQUIRE(c.errors.size() == 1);
        CHECK_THAT(c.text, Contains("deploy.yaml:5: alert 'f', key 'path': environment variable "
                                    "TRADEHOST_TEST_NOT_SET_ANYWHERE is not set"));
    }
    SECTION("malformed") {
        Checked c("alerts:\n  - {name: f, type: file_alerts, settings: {path: \"${oops\"}}\n");
        CHECK_THAT(c.text, Contains("malformed ${...} reference"));
    }
}

TEST_CASE("secrets must come from ${ENV}, are never echoed, and are redacted from logs") {
    const std::string canary = "canary-secret-8f3a91c27b";
    ::setenv("TRADEHOST_TEST_WEBHOOK_SECRET", canary.c_str(), 1);
    SECTION("inline secret is refused without quoting it") {
        Checked c("webhook: {secret: \"" + canary + "\"}\n");
        REQUIRE(c.errors.size() == 1);
        CHECK_THAT(c.text, Contains("section 'webhook', key 'secret': is a secret: give it as a ${ENV_VAR} reference"));
        CHECK_THAT(c.text, !Contains(canary));
    }
    SECTION("a secret from the environment is accepted and registered with the redactor") {
        Checked c("webhook: {secret: \"${TRADEHOST_TEST_WEBHOOK_SECRET}\"}\n");
        CHECK(c.errors.empty());
        CHECK(c.deployment.webhook.string("secret") == canary);
        CHECK(Redactor::instance().redact("key=" + canary + ";") == "key=***;");
    }
}

// Issue 9 item 5: instance entries that used to crash the parser, and keys given twice.
TEST_CASE("an instance without type or name, or with a key twice, is named with its line; never a crash") {
    Checked c(
        "venues:\n"
        "  - typ: paper\n"  // 2: unknown key, and no type, no name
        "    name: p1\n"
        "  - name: p2\n"  // 4
        "    type: paper\n"
        "    type: paper\n"      // 6: given twice
        "  - {type: [paper]}\n"  // 7: type of the wrong kind, no name
        "alerts:\n"
        "  - {name: a1}\n");  // 9: no type
    CHECK_THAT(c.text, Contains("deploy.yaml:2: venue 'p1', key 'typ': unknown key"));
    CHECK_THAT(c.text, Contains("deploy.yaml:2: venue 'p1', key 'type': missing"));
    CHECK_THAT(c.text, Contains("deploy.yaml:6: venue 'p2', key 'type': given twice"));
    CHECK_THAT(c.text, Contains("deploy.yaml:7: venues entry, key 'name': missing"));
    CHECK_THAT(c.text, Contains("deploy.yaml:7: venues entry, key 'type': must be a plugin type name"));
    CHECK_THAT(c.text, Contains("deploy.yaml:9: alert 'a1', key 'type': missing"));
}

TEST_CASE("allow_ips and trusted_proxies take addresses and CIDR ranges, checked with their line") {
    Checked ok(std::string("webhook:\n  allow_ips: [\"127.0.0.0/8\", \"2001:db8::/32\", \"203.0.113.7\"]\n"
                           "  trusted_proxies: [\"10.0.0.1\"]\n") +
               kPaper);
    CHECK(ok.errors.empty());
    Checked bad(
        std::string("webhook:\n  allow_ips:\n    - \"not-an-ip\"\n    - \"10.0.0.0/33\"\n    - \"1.2.3.4/\"\n") +
        kPaper);
    CHECK(bad.errors.size() == 3);
    CHECK_THAT(bad.text,
               Contains("deploy.yaml:3: section 'webhook', key 'allow_ips': 'not-an-ip' is not an IP address"));
    CHECK_THAT(bad.text, Contains("deploy.yaml:4: section 'webhook', key 'allow_ips': '10.0.0.0/33'"));
    CHECK_THAT(bad.text, Contains("deploy.yaml:5: section 'webhook', key 'allow_ips': '1.2.3.4/'"));
    Checked lonely(std::string("webhook:\n  trusted_proxies: [\"10.0.0.1\"]\n") + kPaper);
    CHECK_THAT(lonely.text, Contains("key 'trusted_proxies': has no effect without allow_ips"));
}

TEST_CASE("every deployment authenticates its webhook: allow_ips alone is not enough") {
    Checked open(std::string("webhook:\n  listen: \"127.0.0.1:0\"\n  allow_ips: [\"127.0.0.1\"]\n") + kPaper);
    REQUIRE(open.errors.empty());
    requireWebhookAuthentication(open.deployment, open.errors);
    REQUIRE(open.errors.size() == 1);
    CHECK_THAT(open.errors.toString(),
               Contains("deploy.yaml:1: section 'webhook', key 'secret': no authentication method"));
    CHECK_THAT(open.errors.toString(), Contains("never authentication"));

    Checked none(kPaper);  // no webhook section at all
    requireWebhookAuthentication(none.deployment, none.errors);
    CHECK(none.errors.size() == 1);

    for (const char* method : {"generate_secret: true", "path_token: \"${TH_CFG_TOKEN}\""}) {
        ::setenv("TH_CFG_TOKEN", "a-path-token-for-tests", 1);
        Checked c(std::string("webhook:\n  ") + method + "\n" + kPaper);
        requireWebhookAuthentication(c.deployment, c.errors);
        INFO(method);
        CHECK(c.errors.empty());
    }
    ::setenv("TH_CFG_SECRET", "a-body-secret-for-tests", 1);
    Checked both(std::string("webhook:\n  generate_secret: true\n  secret: \"${TH_CFG_SECRET}\"\n") + kPaper);
    requireWebhookAuthentication(both.deployment, both.errors);
    CHECK_THAT(both.errors.toString(), Contains("key 'generate_secret': and secret are both set"));
}

TEST_CASE("routing.default_venue must name a venue of the deployment") {
    Checked c(std::string("routing:\n  default_venue: bn_main\n") + kPaper);
    CHECK_THAT(c.text, Contains("deploy.yaml:1: section 'routing', key 'default_venue': names no venue instance"));
}

TEST_CASE("an alert sink's severities are info, warning or critical, named with their line") {
    Checked ok("alerts:\n  - {name: f, type: file_alerts, severities: [warning, critical], settings: {path: x}}\n");
    CHECK(ok.errors.empty());
    REQUIRE(ok.deployment.alerts.size() == 1);
    CHECK(ok.deployment.alerts[0].severities == std::vector<std::string>{"warning", "critical"});
    Checked bad(
        "alerts:\n  - name: f\n    type: file_alerts\n    severities: [loud]\n    settings: {path: x}\n"
        "venues:\n  - {name: p, type: paper, severities: [info]}\n");
    CHECK_THAT(bad.text, Contains("deploy.yaml:4: alert 'f', key 'severities': 'loud' is not a severity"));
    CHECK_THAT(bad.text, Contains("deploy.yaml:7: venue 'p', key 'severities': unknown key (valid keys: name, type, "
                                  "settings, risk, on_drift)"));
}

TEST_CASE("on_drift is alert or pause_symbol, per venue or for all in the reconciler section") {
    Checked ok(
        "reconciler:\n  on_drift: pause_symbol\n  interval_s: 5\n"
        "venues:\n  - {name: a, type: paper}\n  - {name: b, type: paper, on_drift: alert}\n");
    CHECK(ok.errors.empty());
    REQUIRE(ok.deployment.venues.size() == 2);
    CHECK(ok.deployment.venues[0].onDrift.empty());  // the section's pause_symbol applies
    CHECK(ok.deployment.venues[1].onDrift == "alert");
    CHECK(ok.deployment.reconciler.string("on_drift") == "pause_symbol");
    Checked bad(
        "reconciler:\n  on_drift: fix_it\n  interval_s: 0\n"
        "venues:\n  - name: a\n    type: paper\n    on_drift: trade_back\n"
        "alerts:\n  - {name: f, type: file_alerts, on_drift: alert, settings: {path: x}}\n");
    CHECK_THAT(bad.text, Contains("deploy.yaml:7: venue 'a', key 'on_drift': 'trade_back' is not a drift policy "
                                  "(alert, pause_symbol)"));
    CHECK_THAT(bad.text, Contains("deploy.yaml:1: section 'reconciler', key 'on_drift': 'fix_it' is not a drift "
                                  "policy"));
    CHECK_THAT(bad.text, Contains("deploy.yaml:1: section 'reconciler', key 'interval_s': must be 1 or more"));
    CHECK_THAT(bad.text, Contains("alert 'f', key 'on_drift': unknown key"));
}

TEST_CASE("admin: tls_cert and tls_key go together, named with the section's line") {
    Checked ok(
        "admin:\n  listen: \"127.0.0.1:0\"\n  tls_cert: a.crt\n  tls_key: a.key\n"
        "venues:\n  - {name: p, type: paper}\n");
    CHECK(ok.errors.empty());
    Checked bad("webhook: {listen: \"127.0.0.1:0\"}\nadmin:\n  tls_cert: a.crt\nvenues:\n  - {name: p, type: paper}\n");
    CHECK_THAT(bad.text, Contains("deploy.yaml:2: section 'admin', key 'tls_key': tls_cert and tls_key go together"));
}

TEST_CASE("the deployment as the admin page shows it: secret values as ***, ${ENV} references and flags kept") {
    Redactor::instance().addSecret("registered-secret-value-123");
    const std::string shown = redactDeploymentText(
        "webhook:\n  secret: \"${TRADEHOST_SECRET}\"\n  generate_secret: true\n"
        "admin:\n  token: literal-admin-token-0123456789   # a comment\n  listen: \"127.0.0.1:8081\"\n"
        "venues:\n  - name: bn\n    settings: {api_key: '${BN_KEY}', note: registered-secret-value-123}\n"
        "alerts:\n  - name: tg\n    settings:\n      bot_token: 12345:abcdef\n      signing_secret: 's3cr3t'\n");
    CHECK_THAT(shown, Contains("secret: \"${TRADEHOST_SECRET}\""));
    CHECK_THAT(shown, Contains("generate_secret: true"));
    CHECK_THAT(shown, Contains("token: \"***\"") && !Contains("literal-admin-token"));
    CHECK_THAT(shown, Contains("listen: \"127.0.0.1:8081\""));
    CHECK_THAT(shown, !Contains("registered-secret-value-123"));  // a registered value, wherever it is
    CHECK_THAT(shown, Contains("bot_token: \"***\"") && !Contains("abcdef"));
    CHECK_THAT(shown, Contains("signing_secret: \"***\"") && !Contains("s3cr3t"));
}
