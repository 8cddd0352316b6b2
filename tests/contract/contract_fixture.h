// Builds the one instance a contract suite run checks, through the host's own config and loader.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include "config/deployment.h"
#include "plugins/instance_set.h"
#include "temp_dir.h"

namespace tradehost::test {

inline std::string requiredEnv(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) throw std::runtime_error(std::string("contract suite needs the environment variable ") + name);
    return v;
}

inline std::vector<std::string> splitPath(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ':');)
        if (!item.empty()) out.push_back(item);
    return out;
}

// True when the environment variable is set to 1 (or true / yes).
inline bool envFlag(const char* name) {
    const char* v = std::getenv(name);
    if (!v) return false;
    const std::string s(v);
    return s == "1" || s == "true" || s == "yes";
}

// TRADEHOST_CONTRACT_DEPLOYMENT names a deployment with exactly one instance of the plugin under
// test; TRADEHOST_CONTRACT_PLUGIN_PATH (':'-separated) is the search path. Every fixture builds
// and starts a fresh instance, exactly as `tradehost` would. A fixture may be built from another
// deployment of the same plugin, named by another variable (TRADEHOST_CONTRACT_DEFER_DEPLOYMENT).
//
// The deployment's storage.dir is replaced by a scratch directory of the fixture's own, so an
// instance that keeps its account in its data directory (the paper venue) starts as fresh as one
// that keeps nothing, and no run sees another's.
class ContractFixture {
public:
    explicit ContractFixture(const char* deploymentVariable = "TRADEHOST_CONTRACT_DEPLOYMENT")
        : registry_(splitPath(requiredEnv("TRADEHOST_CONTRACT_PLUGIN_PATH"))) {
        deployment_ = host::loadDeployment(requiredEnv(deploymentVariable), env_, errors_);
        if (!errors_.empty()) FAIL("the contract deployment is not valid:\n" << errors_.toString());
        deployment_.storage = Settings({{"dir", SettingValue(storage_.path().string())}});
        build();
    }
    host::InstanceSet& instances() { return instances_; }
    const std::filesystem::path& storageDir() const { return storage_.path(); }

    // What a restart of the host does to the instance: stopped and destroyed, then built from the
    // same deployment, on the same storage, and started again.
    void restart() {
        instances_.stopAll();
        instances_.venues.clear();
        instances_.alerts.clear();
        build();
    }

    // A client order id unique to this process run and call, valid for any venue's rules.
    static std::string freshId(const std::string& venue) {
        static const std::string run = [] {
            std::random_device rd;
            std::ostringstream s;
            s << std::hex << (rd() & 0xffffffu);
            return "ct" + s.str();
        }();
        static int counter = 0;
        return run + ":" + venue + ":" + std::to_string(++counter) + ":0";
    }

private:
    void build() {
        host::ConfigErrors errors;
        instances_ = host::buildInstances(deployment_, registry_, env_, metrics_, errors);
        if (errors.empty()) instances_.startAll(deployment_.file, errors);
        if (!errors.empty()) FAIL("the contract deployment does not start:\n" << errors.toString());
    }

    TempDir storage_;  // outlives the instances
    host::Environment env_;
    host::ConfigErrors errors_;
    host::MetricsRegistry metrics_;
    host::PluginRegistry registry_;
    host::Deployment deployment_;
    host::InstanceSet instances_;
};

}  // namespace tradehost::test
