// The tradehost command line: run a deployment, check one, or describe the installed plugins.
#include "app/tradehost_app.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include "config/deployment.h"
#include "config/settings_validator.h"
#include "default_config.h"
#include "events/event_log.h"
#include "events/verify_events.h"
#include "gate/gate.h"
#include "intake/webhook_server.h"
#include "journal/journal.h"
#include "log/logging.h"
#include "log/redactor.h"
#include "pipeline/processor.h"
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

namespace {

bool isLoopback(const std::string& listen) {
    const std::string host = parseListenAddress(listen).first;
    return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

IntakeOptions intakeOptions(const Deployment& d) {
    IntakeOptions o;
    o.listen = d.webhook.string("listen");
    if (d.webhook.has("secret")) o.secret = d.webhook.string("secret");
    if (d.webhook.has("path_token")) o.pathToken = d.webhook.string("path_token");
    if (d.webhook.has("signing_secret")) o.signingSecret = d.webhook.string("signing_secret");
    for (const auto& ip : d.webhook.list("allow_ips")) o.allowIps.insert(ip);
    o.maxBodyBytes = static_cast<std::size_t>(d.webhook.integer("max_body_bytes"));
    return o;
}

ProcessorOptions processorOptions(const Deployment& d) {
    ProcessorOptions o;
    o.maxSignalAgeMs = d.risk.integer("max_signal_age_s") * 1000;
    o.retentionMs = d.risk.integer("signal_retention_days") * 24 * 3600 * 1000;
    o.defaultVenue = d.routing.string("default_venue");
    o.settleWindowMs = d.resolver.integer("settle_window_s") * 1000;
    o.unresolvedAlertMs = d.resolver.integer("unresolved_alert_s") * 1000;
    return o;
}

}  // namespace

int TradehostApp::runDeployment(const std::string& configPath) {
    // Block the termination signals before any thread exists, so every thread inherits the mask
    // and only waitForTerminationRequest()'s sigwait takes them. Otherwise a SIGTERM arriving
    // before the main thread reaches sigwait lands on another thread and kills the process
    // without a clean shutdown.
    sigset_t termination;
    sigemptyset(&termination);
    sigaddset(&termination, SIGINT);
    sigaddset(&termination, SIGTERM);
    sigaddset(&termination, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &termination, nullptr);

    Loaded loaded;
    loadAll(configPath, envFile_, loaded);
    const Deployment& d = loaded.deployment;
    if (loaded.errors.empty()) {
        const IntakeOptions io = intakeOptions(d);
        try {
            if (!isLoopback(io.listen) && io.secret.empty() && io.pathToken.empty() && io.signingSecret.empty())
                loaded.errors.add({d.file, 0, "section 'webhook'", "listen",
                                   "listens beyond loopback without authentication: set secret, path_token or signing_secret"});
        } catch (const std::exception& e) {
            loaded.errors.add({d.file, 0, "section 'webhook'", "listen", e.what()});
        }
    }
    PluginRegistry registry(searchPathFor(extraPluginDirs_, d));
    MetricsRegistry metrics;
    InstanceSet instances = buildInstances(d, registry, loaded.env, metrics, loaded.errors);
    if (!loaded.errors.empty()) {
        printErrors(loaded.errors);
        return EXIT_CONFIG;
    }

    // Storage: the journal's lock makes this the only tradehost on the directory.
    const std::filesystem::path dir = d.storage.string("dir");
    std::unique_ptr<Journal> journal;
    std::unique_ptr<Gate> gate;
    std::unique_ptr<EventLog> events;
    try {
        std::filesystem::create_directories(dir);
        journal = Journal::open({(dir / "journal").string()});
        gate = std::make_unique<Gate>((dir / "gate.sqlite").string());
        events = EventLog::open((dir / "events.jsonl").string(),
                                [](std::string text) { return Redactor::instance().redact(std::move(text)); });
    } catch (const JournalLocked& e) {
        std::cerr << "tradehost: another tradehost is running on " << dir.string() << ": " << e.what() << "\n";
        return EXIT_TEMPFAIL;
    } catch (const std::exception& e) {
        std::cerr << "tradehost: cannot open storage in " << dir.string() << ": " << e.what() << "\n";
        return EXIT_IOERR;
    }

    Processor* processor = nullptr;
    std::unique_ptr<WebhookServer> webhook;
    try {
        webhook = std::make_unique<WebhookServer>(
            intakeOptions(d), journal.get(), gate.get(), [&processor] { if (processor) processor->wake(); },
            [] { return SystemClock::instance().nowMs(); });
    } catch (const std::exception& e) {
        loaded.errors.add({d.file, 0, "section 'webhook'", "listen", std::string("cannot listen: ") + e.what()});
    }
    if (loaded.errors.empty()) instances.startAll(d.file, loaded.errors);
    if (!loaded.errors.empty()) {
        instances.stopAll();
        printErrors(loaded.errors);
        return EXIT_CONFIG;
    }
    webhook->start();  // probes answer now; signals get 503 until recovery is done

    auto& log = Poco::Logger::get("host");
    Processor pipeline(*journal, *gate, *events, instances, processorOptions(d), SystemClock::instance());
    processor = &pipeline;
    pipeline.start();  // recovery: in-flight legs -> UNKNOWN, journal replayed into the gate
    if (!pipeline.ready()) {
        std::cerr << "tradehost: recovery failed: " << pipeline.fatalError() << "\n";
        webhook->stop();
        instances.stopAll();
        return EXIT_SOFTWARE;
    }
    webhook->setReady(true);
    log.information("tradehost %s running %s: %z venue(s), %z alert sink(s); journal at seq %Lu, recovery: %s",
                    std::string(TRADEHOST_VERSION), d.file, instances.venues.size(), instances.alerts.size(),
                    static_cast<Poco::UInt64>(journal->lastSequence()),
                    std::string(journal->recovery().tornTailRepaired ? "torn tail repaired" : "clean"));
    for (const auto& v : instances.venues)
        log.information("venue '%s': %s %s, %s", v->name(), v->plugin().typeName, v->plugin().version, std::string(toString(v->state())));
    for (const auto& a : instances.alerts)
        log.information("alert '%s': %s %s, %s", a->name(), a->plugin().typeName, a->plugin().version, std::string(toString(a->state())));

    const std::string url = "http://" + webhook->host() + ":" + std::to_string(webhook->port()) + "/webhook";
    const std::string venue = instances.venues.empty() ? "paper" : instances.venues.front()->name();
    const bool needsSecret = d.webhook.has("secret");
    std::cout << "\nWebhook: " << url << "\n"
              << "Send a signal:\n  curl -sS -X POST " << url << " -H 'Content-Type: application/json' -d '{"
              << (needsSecret ? "\"secret\": \"<your webhook secret>\", " : "") << "\"signal_id\": \"demo-1\", \"venue\": \""
              << venue << "\", \"symbol\": \"BTCUSDT\", \"side\": \"buy\", \"type\": \"market\", \"quantity\": \"0.001\"}'\n"
              << "Health: http://" << webhook->host() << ":" << webhook->port() << "/healthz   Events: "
              << (dir / "events.jsonl").string() << "   Stop: Ctrl-C\n"
              << std::endl;

    // Fail-stop: a journal or gate failure stops the process (a supervisor restarts it and
    // recovery re-reads everything) rather than carrying on with an unknown state.
    std::atomic<bool> stopping{false};
    std::thread watchdog([&] {
        while (!stopping) {
            if (!pipeline.fatalError().empty() || journal->failed()) {
                log.critical("fatal: " + (journal->failed() ? std::string("journal write failed") : pipeline.fatalError()) +
                             "; stopping for a restart");
                ::kill(::getpid(), SIGTERM);
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    waitForTerminationRequest();
    stopping = true;
    watchdog.join();
    log.information("shutting down");
    webhook->setReady(false);
    webhook->stop();
    pipeline.stop();
    instances.stopAll();
    const bool failed = !pipeline.fatalError().empty() || journal->failed();
    log.information(failed ? "stopped after a fatal error" : "stopped cleanly");
    return failed ? EXIT_SOFTWARE : EXIT_OK;
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
