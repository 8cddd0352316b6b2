// Builds the one instance a contract suite run checks, through the host's own config and loader.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include "config/deployment.h"
#include "plugins/instance_set.h"

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
class ContractFixture {
public:
    explicit ContractFixture(const char* deploymentVariable = "TRADEHOST_CONTRACT_DEPLOYMENT")
        : registry_(splitPath(requiredEnv("TRADEHOST_CONTRACT_PLUGIN_PATH"))) {
        deployment_ = host::loadDeployment(requiredEnv(deploymentVariable), env_, errors_);
        instances_ = host::buildInstances(deployment_, registry_, env_, metrics_, errors_);
        if (errors_.empty()) instances_.startAll(deployment_.file, errors_);
        if (!errors_.empty()) FAIL("the contract deployment does not start:\n" << errors_.toString());
    }
    host::InstanceSet& instances() { return instances_; }

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
    host::Environment env_;
    host::ConfigErrors errors_;
    host::MetricsRegistry metrics_;
    host::PluginRegistry registry_;
    host::Deployment deployment_;
    host::InstanceSet instances_;
};

}  // namespace tradehost::test
