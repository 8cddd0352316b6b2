// The loader's answer to every deliberately broken plugin: one clear error, never a crash.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "config/deployment.h"
#include "plugins/instance_set.h"
#include "plugins/plugin_loader.h"
#include "temp_dir.h"

using namespace tradehost;
using namespace tradehost::host;
using Catch::Matchers::Contains;

namespace {

std::string dir(const std::string& name) { return std::string(BROKEN_PLUGIN_DIR) + "/" + name; }

// The error text find() throws for `type` with only `searchDir` on the search path.
std::string loadError(const std::string& searchDir, const std::string& type) {
    PluginRegistry registry({searchDir});
    try {
        registry.find(type);
    } catch (const PluginLoadError& e) {
        return e.what();
    }
    FAIL("loading '" << type << "' from " << searchDir << " did not fail");
    return "";
}

struct Built {
    Environment env;
    ConfigErrors errors;
    MetricsRegistry metrics;
    PluginRegistry registry;
    Deployment deployment;
    InstanceSet instances;
    Built(const std::vector<std::string>& searchPath, const std::string& yaml) : registry(searchPath) {
        deployment = parseDeployment(yaml, "test.yaml", env, errors);
        instances = buildInstances(deployment, registry, env, metrics, errors);
    }
};

}  // namespace

TEST_CASE("a library without any tradehost alias is not a plugin") {
    const auto e = loadError(dir("not_a_plugin"), "not_a_plugin");
    CHECK_THAT(e, Contains("tradehost_not_a_plugin.so"));
    CHECK_THAT(e, Contains("not a tradehost plugin"));
    CHECK_THAT(e, Contains("tradehost_abi_stamp"));
}

TEST_CASE("a stamp without a factory alias is refused") {
    const auto e = loadError(dir("missing_factory"), "missing_factory");
    CHECK_THAT(e, Contains("tradehost_missing_factory.so"));
    CHECK_THAT(e, Contains("no 'tradehost_plugin_factory' alias"));
}

TEST_CASE("a plugin built for another ABI version is refused before anything else, naming both versions") {
    const auto e = loadError(dir("wrong_abi"), "wrong_abi");
    CHECK_THAT(e, Contains("tradehost_wrong_abi.so"));
    CHECK_THAT(e, Contains("ABI " + std::to_string(kAbiVersion + 1000)));
    CHECK_THAT(e, Contains("this host speaks ABI " + std::to_string(kAbiVersion)));
}

TEST_CASE("a factory function that throws is reported with its message") {
    const auto e = loadError(dir("throwing_factory"), "throwing_factory");
    CHECK_THAT(e, Contains("tradehost_throwing_factory.so"));
    CHECK_THAT(e, Contains("factory exploded on purpose"));
}

TEST_CASE("an unresolved symbol fails at load time (RTLD_NOW), naming the symbol") {
    const auto e = loadError(dir("unresolved_symbol"), "unresolved_symbol");
    CHECK_THAT(e, Contains("tradehost_unresolved_symbol.so"));
    CHECK_THAT(e, Contains("cannot be loaded"));
    CHECK_THAT(e, Contains("tradehost_test_symbol_that_does_not_exist"));
}

TEST_CASE("two libraries claiming one type are refused, naming both") {
    PluginRegistry registry({dir("duplicate_a"), dir("duplicate_b")});
    try {
        registry.find("duplicate");
        FAIL("an ambiguous type was loaded");
    } catch (const PluginLoadError& e) {
        const std::string m = e.what();
        CHECK_THAT(m, Contains("claimed by two libraries"));
        CHECK_THAT(m, Contains("duplicate_a/tradehost_duplicate.so"));
        CHECK_THAT(m, Contains("duplicate_b/tradehost_duplicate.so"));
    }
    SECTION("a scan of the search path reports the second claimant") {
        const auto libs = registry.scan();
        REQUIRE(libs.size() == 2);
        CHECK(libs[0].plugin != nullptr);
        CHECK(libs[1].plugin == nullptr);
        CHECK_THAT(libs[1].error, Contains("already provided by"));
    }
}

TEST_CASE("a library whose stamp disagrees with its file name is refused") {
    const auto e = loadError(dir("misnamed"), "misnamed");
    CHECK_THAT(e, Contains("declares type 'something_else', but its file name is tradehost_misnamed.so"));
    PluginRegistry registry({dir("misnamed")});
    const auto libs = registry.scan();
    REQUIRE(libs.size() == 1);
    CHECK(libs[0].plugin == nullptr);
    CHECK_THAT(libs[0].error, Contains("rename it to tradehost_something_else.so"));
}

TEST_CASE("an unknown type lists the search path and the types that are available") {
    const auto e = loadError(TRADEHOST_PLUGIN_DIR, "no_such_type");
    CHECK_THAT(e, Contains("no plugin of type 'no_such_type'"));
    CHECK_THAT(e, Contains(TRADEHOST_PLUGIN_DIR));
    CHECK_THAT(e, Contains("paper"));
    CHECK_THAT(e, Contains("file_alerts"));
}

TEST_CASE("the shipped plugins load through the same loader, once") {
    PluginRegistry registry({TRADEHOST_PLUGIN_DIR});
    const LoadedPlugin& paper = registry.find("paper");
    CHECK(paper.kind == PluginKind::Venue);
    CHECK_FALSE(paper.version.empty());
    CHECK(paper.factory != nullptr);
    CHECK(&registry.find("paper") == &paper);
    const LoadedPlugin& file = registry.find("file_alerts");
    CHECK(file.kind == PluginKind::AlertSink);
}

TEST_CASE("a constructor that throws becomes a config error naming file, line and instance") {
    Built b({dir("throwing_ctor")}, "venues:\n  - name: tc\n    type: throwing_ctor\n");
    REQUIRE(b.errors.size() == 1);
    const std::string m = b.errors.toString();
    CHECK_THAT(m, Contains("test.yaml:2: venue 'tc'"));
    CHECK_THAT(m, Contains("constructor refuses on purpose"));
    CHECK(b.instances.venues.empty());
}

TEST_CASE("a start() that throws is an error naming the instance; the others still start") {
    Built b({dir("throwing_start"), TRADEHOST_PLUGIN_DIR},
            "venues:\n  - {name: ts, type: throwing_start}\n  - {name: p, type: paper, settings: {prices: {BTCUSDT: "
            "'1'}}}\n");
    REQUIRE(b.errors.empty());
    b.instances.startAll("test.yaml", b.errors);
    REQUIRE(b.errors.size() == 1);
    CHECK_THAT(b.errors.toString(),
               Contains("venue 'ts': throwing_start failed to start: cannot reach the exchange on purpose"));
    CHECK_THAT(b.errors.toString(), Contains("cannot reach the exchange on purpose"));
    CHECK(b.instances.venue("ts")->state() == InstanceState::Failed);
    CHECK(b.instances.venue("p")->state() == InstanceState::Running);
}

TEST_CASE("every call into a plugin goes through the firewall: throws become values") {
    Built b({dir("throwing_calls")}, "venues:\n  - {name: tc, type: throwing_calls}\n");
    REQUIRE(b.errors.empty());
    b.instances.startAll("test.yaml", b.errors);
    REQUIRE(b.errors.empty());
    VenueInstance& v = *b.instances.venue("tc");
    OrderIntent intent;
    intent.clientOrderId = "sig:tc:0:0";
    intent.symbol = "BTCUSDT";
    intent.quantity = Decimal::of("1");

    // A throwing placeOrder may have sent the order: Unknown, never Rejected.
    const auto placed = v.placeOrder(intent);
    REQUIRE(std::holds_alternative<Unknown>(placed));
    CHECK_THAT(std::get<Unknown>(placed).reason, Contains("plugin threw during placeOrder(): place boom"));
    const auto queried = v.queryOrder("x", "BTCUSDT");
    REQUIRE(std::holds_alternative<Unknown>(queried));
    CHECK_THAT(std::get<Unknown>(queried).reason, Contains("non-standard exception"));
    CHECK(std::holds_alternative<Unknown>(v.cancelOrder("x", "BTCUSDT")));
    CHECK(std::holds_alternative<Unknown>(v.positions()));
    CHECK(std::holds_alternative<Unknown>(v.openOrders()));
    CHECK(std::holds_alternative<Unknown>(v.symbolRules("BTCUSDT")));
}

TEST_CASE("an instance that is stopped is never called again") {
    Built b({TRADEHOST_PLUGIN_DIR}, "venues:\n  - {name: p, type: paper, settings: {prices: {BTCUSDT: '100'}}}\n");
    REQUIRE(b.errors.empty());
    b.instances.startAll("test.yaml", b.errors);
    VenueInstance& v = *b.instances.venue("p");
    v.stop();
    v.stop();  // idempotent
    OrderIntent intent;
    intent.clientOrderId = "sig:p:0:0";
    intent.symbol = "BTCUSDT";
    intent.quantity = Decimal::of("1");
    const auto placed = v.placeOrder(intent);
    // Nothing was sent, so never Unknown; and not Rejected either: only the venue rejects.
    REQUIRE(std::holds_alternative<Deferred>(placed));
    CHECK(std::get<Deferred>(placed).reason == "venue instance is not running");
    CHECK(std::get<Deferred>(placed).retryAfterMs > 0);
    CHECK(std::holds_alternative<Unknown>(v.positions()));  // "could not ask" is never "flat"
}

TEST_CASE("the same directory named twice on the search path is one directory, not two claimants") {
    PluginRegistry registry({TRADEHOST_PLUGIN_DIR, std::string(TRADEHOST_PLUGIN_DIR) + "/.", TRADEHOST_PLUGIN_DIR});
    CHECK(registry.searchPath().size() == 1);
    CHECK(registry.find("paper").typeName == "paper");
}

TEST_CASE("each instance is lent a data directory of its own under storage.dir, mode 0700") {
    test::TempDir scratch;
    const std::filesystem::path storage = scratch.path() / "var";
    // Left by an earlier run with a wider mode: the host tightens it.
    std::filesystem::create_directories(storage / "plugins" / "p");
    ::chmod((storage / "plugins" / "p").c_str(), 0755);
    Built b({TRADEHOST_PLUGIN_DIR}, "storage: {dir: \"" + storage.string() +
                                        "\"}\nvenues:\n  - {name: p, type: paper}\n  - {name: q, type: paper}\n"
                                        "  - {name: ../escape, type: paper}\n");
    // The bad name is the parser's error; no directory is made for it.
    REQUIRE(b.errors.size() == 1);
    CHECK_THAT(b.errors.toString(), Contains("venue '../escape', key 'name'"));
    CHECK_FALSE(std::filesystem::exists(storage / "escape"));
    for (const char* dir : {"plugins", "plugins/p", "plugins/q"}) {
        struct stat st {};
        REQUIRE(::stat((storage / dir).c_str(), &st) == 0);
        CAPTURE(dir);
        CHECK(S_ISDIR(st.st_mode));
        CHECK((st.st_mode & 07777) == 0700);
    }
}

TEST_CASE("a data directory that cannot be made is an error naming the instance and the directory") {
    test::TempDir scratch;
    const std::string storage = scratch.write("var", "a file, not a directory");
    Built b({TRADEHOST_PLUGIN_DIR}, "storage: {dir: \"" + storage + "\"}\nvenues:\n  - {name: p, type: paper}\n");
    REQUIRE(b.errors.size() == 1);
    const std::string m = b.errors.toString();
    CHECK_THAT(m, Contains("test.yaml:3: venue 'p'"));
    CHECK_THAT(m, Contains("cannot create the data directory " + storage + "/plugins/p"));
    CHECK(b.instances.venues.empty());
}
