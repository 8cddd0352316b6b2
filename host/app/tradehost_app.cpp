// The tradehost command line: run a deployment, check one, or describe the installed plugins.
#include "app/tradehost_app.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include "config/deployment.h"
#include "config/settings_validator.h"
#include "events/verify_events.h"
#include "gate/gate.h"
#include "default_config.h"
#include "intake/webhook_server.h"
#include "log/logging.h"
#include "plugins/instance_set.h"

namespace tradehost::host {

using Poco::Util::Option;

void TradehostApp::defineOptions(Poco::Util::OptionSet& options) {
    ServerApplication::defineOptions(options);
    options.addOption(Option("config", "c", "run the deployment in FILE (default: the embedded config/default.yaml)")
                          .argument("FILE").repeatable(false));
    options.addOption(Option("check-config", "", "validate FILE: load its plugins, build, start and stop every instance; "
                                                 "exit 0, or non-zero listing every error")
                          .argument("FILE").repeatable(false));
    options.addOption(Option("describe-plugins", "", "list the plugins on the search path with their settings tables"));
    options.addOption(Option("plugin-path", "p", "also search DIR for plugins (before the deployment's search_path)")
                          .argument("DIR").repeatable(true));
    options.addOption(Option("env-file", "e", "read ${VAR} values from FILE as well (default: .env beside the deployment)")
                          .argument("FILE").repeatable(false));
    options.addOption(Option("log-level", "l", "trace, debug, information (default), notice, warning or error")
                          .argument("LEVEL").repeatable(false));
    options.addOption(Option("version", "v", "print the version and exit"));
    options.addOption(Option("help", "h", "print this help and exit"));
}

void TradehostApp::handleOption(const std::string& name, const std::string& value) {
    ServerApplication::handleOption(name, value);
    if (name == "config") {
        configPath_ = value;
    } else if (name == "check-config") {
        mode_ = Mode::CheckConfig;
        configPath_ = value;
    } else if (name == "describe-plugins") {
        mode_ = Mode::DescribePlugins;
    } else if (name == "plugin-path") {
        extraPluginDirs_.push_back(value);
    } else if (name == "env-file") {
        envFile_ = value;
    } else if (name == "log-level") {
        logLevel_ = value;
    } else if (name == "version") {
        mode_ = Mode::Version;
    } else if (name == "help") {
        mode_ = Mode::Help;
        stopOptionsProcessing();
    }
}

void TradehostApp::printHelp() const {
    Poco::Util::HelpFormatter help(options());
    help.setCommand("tradehost");
    help.setUsage("[--config FILE] | --check-config FILE | --describe-plugins | pause|resume [--config FILE] | "
                  "verify-events FILE | --help");
    help.setHeader(
        "Turns trading signals (TradingView-style webhooks) into exchange orders exactly once, through venue and "
        "alert plugins declared in a YAML deployment. With no option it runs the embedded default deployment: "
        "a paper venue and a JSON-lines alert file, no keys needed.");
    help.setFooter(
        "Exit codes: 0 ok, 64 usage error, 78 configuration or plugin error. Secrets are given as ${ENV_VAR} "
        "references and are never printed. See README.md and docs/.");
    help.setUnixStyle(true);
    help.setWidth(100);
    help.format(std::cout);
}

namespace {

constexpr const char* kEmbeddedName = "config/default.yaml (embedded)";

struct Loaded {
    Environment env;
    Deployment deployment;
    ConfigErrors errors;
};

void loadAll(const std::string& configPath, const std::string& envFile, Loaded& out) {
    if (!envFile.empty()) {
        const std::string problem = out.env.loadDotEnv(envFile);
        if (!problem.empty()) out.errors.add({envFile, 0, "", "", problem});
    }
    out.deployment = configPath.empty() ? parseDeployment(kDefaultConfigYaml, kEmbeddedName, out.env, out.errors)
                                        : loadDeployment(configPath, out.env, out.errors);
}

// --plugin-path directories first, then the deployment's search_path, or the default directory
// beside the executable when the deployment names none.
std::vector<std::string> searchPathFor(const std::vector<std::string>& extra, const Deployment& d) {
    std::vector<std::string> path = extra;
    const bool configured = d.plugins.has("search_path") && !d.plugins.list("search_path").empty();
    if (configured) {
        const auto& dirs = d.plugins.list("search_path");
        path.insert(path.end(), dirs.begin(), dirs.end());
    } else {
        path.push_back(PluginRegistry::defaultSearchDir());
    }
    return path;
}

void printErrors(const ConfigErrors& errors) {
    std::cerr << "tradehost: " << errors.size() << (errors.size() == 1 ? " error" : " errors") << ":\n";
    for (const auto& e : errors.all()) std::cerr << "  " << e.toString() << "\n";
}

void printSettingsTable(std::ostream& out, const SettingsSchema& schema) {
    if (schema.empty()) {
        out << "    (no settings)\n";
        return;
    }
    out << "    " << std::left << std::setw(22) << "key" << std::setw(16) << "type" << std::setw(10) << "required"
        << std::setw(18) << "default" << "description\n";
    for (const auto& s : schema) {
        std::string def = s.defaultValue ? describeValue(*s.defaultValue) : "-";
        if (s.secret) def = "(secret: ${ENV})";
        out << "    " << std::left << std::setw(22) << s.name << std::setw(16) << toString(s.type) << std::setw(10)
            << (s.required ? "yes" : "no") << std::setw(18) << def << s.description << "\n";
    }
}

}  // namespace

// The kill switch lives in the gate, so it holds across restarts and a running host sees it
// before its next order.
int TradehostApp::setKillSwitch(bool paused) {
    Loaded loaded;
    loadAll(configPath_, envFile_, loaded);
    if (!loaded.errors.empty()) {
        printErrors(loaded.errors);
        return EXIT_CONFIG;
    }
    const std::string dir = loaded.deployment.storage.string("dir");
    try {
        std::filesystem::create_directories(dir);
        Gate gate((std::filesystem::path(dir) / "gate.sqlite").string());
        const std::int64_t nowMs = SystemClock::instance().nowMs();
        gate.setPaused(paused, "command line", nowMs);
    } catch (const std::exception& e) {
        std::cerr << "tradehost: cannot " << (paused ? "pause" : "resume") << ": " << e.what() << "\n";
        return EXIT_CANTCREAT;
    }
    std::cout << "trading " << (paused ? "paused" : "resumed") << " for " << loaded.deployment.file << " (storage "
              << dir << ")\n";
    return EXIT_OK;
}

int TradehostApp::checkConfig(const std::string& configPath) {
    Loaded loaded;
    loadAll(configPath, envFile_, loaded);
    PluginRegistry registry(searchPathFor(extraPluginDirs_, loaded.deployment));
    MetricsRegistry metrics;
    InstanceSet instances = buildInstances(loaded.deployment, registry, loaded.env, metrics, loaded.errors);
    if (loaded.errors.empty()) instances.startAll(loaded.deployment.file, loaded.errors);
    instances.stopAll();
    if (!loaded.errors.empty()) {
        printErrors(loaded.errors);
        return EXIT_CONFIG;
    }
    std::cout << loaded.deployment.file << ": ok (" << instances.venues.size() << " venue"
              << (instances.venues.size() == 1 ? "" : "s") << ", " << instances.alerts.size() << " alert sink"
              << (instances.alerts.size() == 1 ? "" : "s") << "; each built, started and stopped)\n";
    return EXIT_OK;
}

int TradehostApp::describePlugins() {
    Loaded loaded;
    if (!configPath_.empty()) loadAll(configPath_, envFile_, loaded);
    PluginRegistry registry(searchPathFor(extraPluginDirs_, loaded.deployment));
    std::ostream& out = std::cout;
    out << "Plugin search path:";
    for (const auto& d : registry.searchPath()) out << " " << d;
    out << "\n";
    bool broken = false;
    for (const auto& lib : registry.scan()) {
        if (!lib.plugin) {
            broken = true;
            continue;
        }
        const LoadedPlugin& p = *lib.plugin;
        out << "\n" << p.typeName << " " << p.version << " (" << toString(p.kind) << ") - " << p.description << "\n";
        out << "    library: " << p.path << "\n";
        SettingsSchema schema;
        try {
            schema = p.factory->settingsSchema();
        } catch (const std::exception& e) {
            out << "    settings table unavailable: " << e.what() << "\n";
            continue;
        }
        printSettingsTable(out, schema);
    }
    if (broken) {
        out << "\nLibraries that are not usable plugins:\n";
        for (const auto& lib : registry.scan())
            if (!lib.plugin) out << "  " << lib.error << "\n";
    }
    out << "\nHost sections of a deployment:\n";
    for (const auto& section : hostSectionSchemas()) {
        out << "\n" << section.name << ":\n";
        printSettingsTable(out, section.schema);
    }
    return broken ? EXIT_CONFIG : EXIT_OK;
}

int TradehostApp::runDeployment(const std::string& configPath) {
    Loaded loaded;
    loadAll(configPath, envFile_, loaded);
    PluginRegistry registry(searchPathFor(extraPluginDirs_, loaded.deployment));
    MetricsRegistry metrics;
    InstanceSet instances = buildInstances(loaded.deployment, registry, loaded.env, metrics, loaded.errors);
    std::unique_ptr<WebhookServer> webhook;
    if (loaded.errors.empty()) {
        try {
            webhook = std::make_unique<WebhookServer>(loaded.deployment.webhook.string("listen"));
        } catch (const std::exception& e) {
            loaded.errors.add({loaded.deployment.file, 0, "section 'webhook'", "listen", std::string("cannot listen: ") + e.what()});
        }
    }
    if (loaded.errors.empty()) instances.startAll(loaded.deployment.file, loaded.errors);
    if (!loaded.errors.empty()) {
        instances.stopAll();
        printErrors(loaded.errors);
        return EXIT_CONFIG;
    }
    webhook->start();
    webhook->setReady(true);

    auto& log = Poco::Logger::get("host");
    log.information("tradehost %s running %s: %z venue(s), %z alert sink(s)", std::string(TRADEHOST_VERSION),
                    loaded.deployment.file, instances.venues.size(), instances.alerts.size());
    for (const auto& v : instances.venues)
        log.information("venue '%s': %s %s, %s", v->name(), v->plugin().typeName, v->plugin().version, std::string(toString(v->state())));
    for (const auto& a : instances.alerts)
        log.information("alert '%s': %s %s, %s", a->name(), a->plugin().typeName, a->plugin().version, std::string(toString(a->state())));

    const std::string url = "http://" + webhook->host() + ":" + std::to_string(webhook->port()) + "/webhook";
    const std::string venue = instances.venues.empty() ? "paper" : instances.venues.front()->name();
    const bool needsSecret = loaded.deployment.webhook.has("secret");
    std::cout << "\nWebhook: " << url << "\n"
              << "Send a signal:\n  curl -sS -X POST " << url << " -H 'Content-Type: application/json' -d '{"
              << (needsSecret ? "\"secret\": \"<your webhook secret>\", " : "") << "\"signal_id\": \"demo-1\", \"venue\": \""
              << venue << "\", \"symbol\": \"BTCUSDT\", \"side\": \"buy\", \"type\": \"market\", \"quantity\": \"0.001\"}'\n"
              << "Health: http://" << webhook->host() << ":" << webhook->port() << "/healthz   Stop: Ctrl-C\n"
              << std::endl;

    waitForTerminationRequest();
    log.information("shutting down");
    webhook->setReady(false);
    webhook->stop();
    instances.stopAll();
    log.information("stopped cleanly");
    return EXIT_OK;
}

int TradehostApp::execute(int argc, char** argv) {
    try {
        init(argc, argv);
    } catch (const Poco::Exception& e) {
        std::cerr << "tradehost: " << e.displayText() << " (see tradehost --help)\n";
        return EXIT_USAGE;
    }
    return run();
}

int TradehostApp::main(const std::vector<std::string>& args) {
    setupLogging(logLevel_);
    if (!args.empty() && args.front() == "verify-events") {
        if (args.size() != 2) {
            std::cerr << "tradehost: usage: tradehost verify-events FILE\n";
            return EXIT_USAGE;
        }
        return runVerifyEvents(args[1], std::cout, std::cerr);
    }
    if (!args.empty() && (args.front() == "pause" || args.front() == "resume")) {
        if (args.size() != 1) {
            std::cerr << "tradehost: usage: tradehost " << args.front() << " [--config FILE]\n";
            return EXIT_USAGE;
        }
        return setKillSwitch(args.front() == "pause");
    }
    if (!args.empty()) {
        std::cerr << "tradehost: unexpected argument '" << args.front() << "' (see tradehost --help)\n";
        return EXIT_USAGE;
    }
    switch (mode_) {
        case Mode::Help: printHelp(); return EXIT_OK;
        case Mode::Version: std::cout << "tradehost " << TRADEHOST_VERSION << " (plugin ABI " << kAbiVersion << ")\n"; return EXIT_OK;
        case Mode::DescribePlugins: return describePlugins();
        case Mode::CheckConfig: return checkConfig(configPath_);
        case Mode::Run: return runDeployment(configPath_);
    }
    return EXIT_SOFTWARE;
}

}  // namespace tradehost::host
