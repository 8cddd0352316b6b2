// The tradehost command line: run a deployment, check one, or describe the installed plugins.
#include "app/tradehost_app.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "app/host.h"
#include "app/webhook_secret.h"
#include "config/deployment.h"
#include "config/settings_validator.h"
#include "default_config.h"
#include "events/event_log.h"
#include "events/verify_events.h"
#include "gate/gate.h"
#include "intake/signal/signal_parser.h"
#include "intake/webhook_server.h"
#include "log/logging.h"
#include "log/redactor.h"
#include "operator/operator_actions.h"
#include "plugins/instance_context.h"
#include "plugins/instance_set.h"

namespace tradehost::host {

using Poco::Util::Option;

void TradehostApp::defineOptions(Poco::Util::OptionSet& options) {
    // Not ServerApplication's: its --daemon, --umask and --pidfile are not supported here (run
    // tradehost under a supervisor such as systemd, which also restarts it after a fail-stop).
    Application::defineOptions(options);
    options.addOption(Option("config", "c", "run the deployment in FILE (default: the embedded config/default.yaml)")
                          .argument("FILE")
                          .repeatable(false));
    options.addOption(Option("check-config", "",
                             "validate FILE: load its plugins, build, start and stop every instance; "
                             "exit 0, or non-zero listing every error")
                          .argument("FILE")
                          .repeatable(false));
    options.addOption(Option("describe-plugins", "", "list the plugins on the search path with their settings tables"));
    options.addOption(Option("plugin-path", "p", "also search DIR for plugins (before the deployment's search_path)")
                          .argument("DIR")
                          .repeatable(true));
    options.addOption(
        Option("env-file", "e", "read ${VAR} values from FILE as well (default: .env beside the deployment)")
            .argument("FILE")
            .repeatable(false));
    options.addOption(Option("log-level", "l", "trace, debug, information (default), notice, warning or error")
                          .argument("LEVEL")
                          .repeatable(false));
    options.addOption(
        Option("default", "",
               "pause, resume, cancel, accept-baseline: act on the embedded default deployment (else --config FILE "
               "must name the deployment the host runs)"));
    options.addOption(
        Option("by", "", "operator commands: who is acting (default: $USER@host)").argument("NAME").repeatable(false));
    options.addOption(Option("why", "", "operator commands: the reason, recorded with the action")
                          .argument("TEXT")
                          .repeatable(false));
    options.addOption(Option("last", "", "signals: how many of the newest signals to list (default 20, at most 500)")
                          .argument("N")
                          .repeatable(false));
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
    } else if (name == "default") {
        defaultDeployment_ = true;
    } else if (name == "by") {
        by_ = value;
    } else if (name == "why") {
        why_ = value;
    } else if (name == "last") {
        last_ = value;
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
    help.setUsage(
        "[--config FILE] | --check-config FILE | --describe-plugins | pause|resume [VENUE SYMBOL] --config "
        "FILE|--default [--why TEXT] | accept-baseline VENUE SYMBOL [SIDE] --config FILE|--default [--why TEXT] | "
        "cancel SIGNAL_ID [LEG] --config FILE|--default [--why TEXT] | status|positions --config FILE|--default | "
        "signals [--last N] --config FILE|--default | "
        "verify-events FILE | --help");
    help.setHeader(
        "Turns trading signals (TradingView-style webhooks) into exchange orders exactly once, through venue and "
        "alert plugins declared in a YAML deployment. With no option it runs the embedded default deployment: "
        "a paper venue and a JSON-lines alert file, no keys needed.");
    help.setFooter(
        "Exit codes: 0 ok (a run stopped cleanly); 64 usage error; 65 cancel: no such leg or no open order, "
        "accept-baseline: the venue was never read, or not since a fill or with an order in flight; "
        "66 pause/resume/cancel/accept-baseline: no tradehost storage there; 69 the webhook address is in use (another "
        "program, perhaps another tradehost); 70 stopped after a fatal error (journal, gate or event log: "
        "restart it, recovery re-reads everything); 73 an operator command could not write the gate; "
        "74 storage cannot be opened; 75 another tradehost runs on this storage; 78 configuration or plugin "
        "error (each named with file:line). Secrets are given as ${ENV_VAR} references and are never printed. "
        "See README.md and docs/."),
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

// The deployment's text as written (the admin page shows it, redacted).
std::string deploymentText(const std::string& configPath) {
    if (configPath.empty()) return kDefaultConfigYaml;
    std::ifstream in(configPath, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

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
        << std::setw(18) << "default"
        << "description\n";
    for (const auto& s : schema) {
        std::string def = s.defaultValue ? describeValue(*s.defaultValue) : "-";
        if (s.secret) def = "(secret: ${ENV})";
        out << "    " << std::left << std::setw(22) << s.name << std::setw(16) << toString(s.type) << std::setw(10)
            << (s.required ? "yes" : "no") << std::setw(18) << def << s.description << "\n";
    }
}

// Commands aimed at a running host load the deployment it runs, always named: a kill switch
// aimed at the wrong storage is worse than none (it says "paused" while the host that trades goes
// on). nullopt when loaded; else the exit code, the reason printed.
std::optional<int> loadNamedDeployment(const std::string& command, const std::string& configPath,
                                       bool defaultDeployment, const std::string& envFile, Loaded& loaded) {
    if (configPath.empty() == !defaultDeployment) {
        std::cerr << "tradehost: " << command
                  << ": name the deployment the host runs: --config FILE (the file it was started with), or "
                     "--default for the embedded default deployment (tradehost started without --config)\n";
        return Poco::Util::Application::EXIT_USAGE;
    }
    loadAll(configPath, envFile, loaded);
    if (!loaded.errors.empty()) {
        printErrors(loaded.errors);
        return Poco::Util::Application::EXIT_CONFIG;
    }
    return std::nullopt;
}

}  // namespace

namespace {

// Who ran an operator command: --by, else the login name and host, so every action names a person.
std::string operatorName(const std::string& given) {
    if (!given.empty()) return given;
    const char* user = std::getenv("USER");
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    return std::string(user && *user ? user : "unknown") + "@" + host;
}

// Whether a tradehost holds the journal's lock in `storageDir` (the journal takes flock(LOCK_EX)
// on journal/LOCK for its whole life); probed with a shared lock that is dropped at once.
bool hostRunningOn(const std::filesystem::path& storageDir) {
    const int fd = ::open((storageDir / "journal" / "LOCK").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return held;
}

}  // namespace

// Operator commands write to the deployment's gate, which a running host reads before its next
// batch of orders (kill switch) or within a second (cancel requests); they hold across restarts.
// The gate must exist: a command aimed at the wrong deployment must not create a new one.
int TradehostApp::runOperatorCommand(const std::vector<std::string>& args) {
    const std::string& command = args.front();
    Loaded loaded;
    if (const auto failed = loadNamedDeployment(command, configPath_, defaultDeployment_, envFile_, loaded))
        return *failed;
    const std::filesystem::path dir = loaded.deployment.storage.string("dir");
    const std::filesystem::path gatePath = dir / "gate.sqlite";
    if (!std::filesystem::exists(gatePath)) {
        std::cerr << "tradehost: " << command << ": no tradehost storage at " << dir.string() << " (from "
                  << loaded.deployment.file << "): nothing has run there; check --config\n";
        return EXIT_NOINPUT;
    }
    const Actor by{operatorName(by_), why_};
    try {
        auto gate = openSqliteGate(gatePath.string());
        const std::int64_t nowMs = SystemClock::instance().nowMs();
        const auto knownVenue = [&](const std::string& venue) {
            if (std::any_of(loaded.deployment.venues.begin(), loaded.deployment.venues.end(),
                            [&](const InstanceSpec& v) { return v.name == venue; }))
                return true;
            std::cerr << "tradehost: " << command << ": no venue instance '" << venue << "' in "
                      << loaded.deployment.file << "\n";
            return false;
        };
        // A symbol as signals name it: the same canonical form, the same rule.
        std::string symbol;
        if (command != "cancel" && args.size() >= 3) {
            auto canonical = canonicalSymbol(args[2]);
            if (canonical.index() == 1) {
                std::cerr << "tradehost: " << command << ": SYMBOL " << std::get<1>(canonical) << "\n";
                return EXIT_USAGE;
            }
            symbol = std::get<0>(canonical);
        }
        OperatorActions actions(*gate, *gate, *gate, PipelineOptions{}.owner,
                                loaded.deployment.reconciler.integer("interval_s"));
        const std::string where = " for " + loaded.deployment.file + " (storage " + dir.string() + ")";
        const bool running = hostRunningOn(dir);
        if (command == "pause" || command == "resume") {
            const bool paused = command == "pause";
            ActionResult r;
            std::string scope = "every leg";
            if (args.size() == 3) {  // one symbol of one venue instance
                if (!knownVenue(args[1])) return EXIT_USAGE;
                r = actions.setSymbolPaused(args[1], symbol, paused, by, nowMs);
                scope = "the legs of " + symbol + " on " + args[1];
            } else {
                r = actions.setTrading(paused, by, nowMs);
            }
            std::cout << r.message << where << "\n";
            if (!r.done()) return EXIT_OK;
            if (running)
                std::cout << "the host running on this storage " << (paused ? "blocks " : "sends ") << scope
                          << " from its next batch on, and logs the change\n";
            else
                std::cout << "no tradehost is running on this storage now; this holds when one starts\n";
            return EXIT_OK;
        }
        if (command == "accept-baseline") {
            if (!knownVenue(args[1])) return EXIT_USAGE;
            std::optional<PositionSide> side = PositionSide::Both;
            if (args.size() == 4) side = positionSideFrom(args[3]);
            if (!side) {
                std::cerr << "tradehost: accept-baseline: SIDE must be BOTH, LONG or SHORT, got '" << args[3] << "'\n";
                return EXIT_USAGE;
            }
            const ActionResult r = actions.acceptBaseline({args[1], symbol, *side}, by, nowMs);
            if (r.code == ActionResult::Code::Refused) {
                std::cerr << "tradehost: accept-baseline: " << r.message << "\n";
                return EXIT_DATAERR;
            }
            std::cout << r.message << where << "\n";
            return EXIT_OK;
        }
        // cancel SIGNAL_ID [LEG]
        int leg = 0;
        if (args.size() == 3) {
            try {
                std::size_t used = 0;
                leg = std::stoi(args[2], &used);
                if (used != args[2].size() || leg < 0) throw std::invalid_argument("leg");
            } catch (const std::exception&) {
                std::cerr << "tradehost: cancel: LEG must be a leg number (0, 1, ...), got '" << args[2] << "'\n";
                return EXIT_USAGE;
            }
        }
        // The same action as the admin page's "cancel order": one path, the same checks.
        const ActionResult r = actions.cancelOrder(LegKey{args[1], leg}, by, nowMs);
        if (r.code == ActionResult::Code::Refused || r.code == ActionResult::Code::NotFound) {
            std::cerr << "tradehost: cancel: " << r.message << "\n";
            return EXIT_DATAERR;
        }
        std::cout << r.message << where << "\n";
        return EXIT_OK;
    } catch (const std::exception& e) {
        std::cerr << "tradehost: " << command << ": " << e.what() << "\n";
        return EXIT_CANTCREAT;
    }
}

// status, positions and signals ask the running host's admin API (the same answers the page shows), with
// the deployment's operator token, so they show what the host holds in memory too.
int TradehostApp::runStatusCommand(const std::string& what) {
    const std::string last = last_.empty() ? "20" : last_;
    if (last.size() > 3 || last.find_first_not_of("0123456789") != std::string::npos || std::stoi(last) < 1 ||
        std::stoi(last) > 500) {
        std::cerr << "tradehost: signals: --last takes a number from 1 to 500\n";
        return EXIT_USAGE;
    }
    Loaded loaded;
    if (const auto failed = loadNamedDeployment(what, configPath_, defaultDeployment_, envFile_, loaded))
        return *failed;
    const Deployment& d = loaded.deployment;
    if (d.adminLine == 0) {
        std::cerr << "tradehost: " << what << ": " << d.file
                  << " has no admin: section; the running host answers these through its admin API\n";
        return EXIT_USAGE;
    }
    std::string token = d.admin.has("token") ? d.admin.string("token") : "";
    if (token.empty()) {
        std::ifstream in(adminTokenPath(d.storage.string("dir")));
        std::getline(in, token);
        if (token.empty()) {
            std::cerr << "tradehost: " << what << ": no admin token in " << d.file << " nor in "
                      << adminTokenPath(d.storage.string("dir")).string() << " (has the host ever run?)\n";
            return EXIT_NOINPUT;
        }
    }
    const std::string listen = d.admin.string("listen");
    Poco::JSON::Object::Ptr answer;
    try {
        const Poco::Net::SocketAddress address(listen);
        Poco::Net::HTTPClientSession session(address);
        session.setTimeout(Poco::Timespan(5, 0));
        const std::string path = what == "status"      ? "/api/overview"
                                 : what == "positions" ? "/api/positions"
                                                       : "/api/signals?limit=" + last;
        Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", "Bearer " + token);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::string body;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
        if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
            std::cerr << "tradehost: " << what << ": the admin API on " << listen << " answered "
                      << static_cast<int>(response.getStatus()) << " " << body.substr(0, 200) << "\n";
            return EXIT_UNAVAILABLE;
        }
        Poco::JSON::Parser parser;
        answer = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        std::cerr << "tradehost: " << what << ": no tradehost answers on " << listen << " (" << e.displayText()
                  << "); is it running with " << d.file << "?\n";
        return EXIT_UNAVAILABLE;
    }
    if (what == "status") {
        const auto kill = answer->getObject("kill_switch");
        std::cout << "tradehost " << answer->getValue<std::string>("version") << " on " << d.file << ": "
                  << (answer->getValue<bool>("ready") ? "ready" : "NOT READY") << ", up "
                  << answer->getValue<std::int64_t>("uptime_s") << " s\n";
        if (kill->getValue<bool>("paused"))
            std::cout << "trading: PAUSED since " << formatUtc(kill->getValue<std::int64_t>("since_ms")) << " by "
                      << kill->getValue<std::string>("by") << " (" << kill->getValue<std::string>("why") << ")\n";
        else
            std::cout << "trading: running\n";
        const auto paused = answer->getArray("paused_symbols");
        std::cout << "paused symbols:" << (paused->size() == 0 ? " none" : "") << "\n";
        for (std::size_t i = 0; i < paused->size(); ++i) {
            const auto p = paused->getObject(static_cast<unsigned>(i));
            std::cout << "  " << p->getValue<std::string>("symbol") << " on " << p->getValue<std::string>("venue")
                      << " since " << formatUtc(p->getValue<std::int64_t>("since_ms")) << " by "
                      << p->getValue<std::string>("by") << " (" << p->getValue<std::string>("why") << ")\n";
        }
        const auto legs = answer->getObject("open_legs");
        std::cout << "legs: " << legs->getValue<int>("PENDING") << " waiting to be sent, "
                  << legs->getValue<int>("SUBMITTED") << " in flight, "
                  << legs->getValue<int>("UNKNOWN") + legs->getValue<int>("ABSENT") << " of unknown outcome, "
                  << legs->getValue<int>("WORKING") << " working (resting at the venue)\n";
        return EXIT_OK;
    }
    if (what == "signals") {
        const auto list = answer->getArray("signals");
        if (list->size() == 0) {
            std::cout << "no signals yet\n";
            return EXIT_OK;
        }
        // Newest first, one line per leg under its signal.
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto sig = list->getObject(static_cast<unsigned>(i));
            std::cout << formatUtc(sig->getValue<std::int64_t>("received_ms")) << "  " << std::left << std::setw(10)
                      << sig->getValue<std::string>("state") << " " << sig->getValue<std::string>("signal_id")
                      << "  (last: " << sig->getValue<std::string>("last_event") << ")\n";
            const auto orders = sig->getArray("orders");
            for (std::size_t j = 0; j < orders->size(); ++j) {
                const auto o = orders->getObject(static_cast<unsigned>(j));
                std::cout << "    leg " << o->getValue<int>("leg") << " " << o->getValue<std::string>("venue") << ": "
                          << o->getValue<std::string>("side") << " " << o->getValue<std::string>("quantity") << " "
                          << o->getValue<std::string>("symbol") << " " << o->getValue<std::string>("type")
                          << (o->has("price") ? " @ " + o->getValue<std::string>("price") : std::string()) << "  "
                          << o->getValue<std::string>("state")
                          << (o->getValue<std::string>("reason").empty()
                                  ? ""
                                  : " (" + o->getValue<std::string>("reason") + ")")
                          << "\n";
            }
        }
        return EXIT_OK;
    }
    const auto rows = answer->getArray("positions");
    if (rows->size() == 0) {
        std::cout << "no positions: the host expects none and no venue reported one\n";
        return EXIT_OK;
    }
    std::cout << std::left << std::setw(14) << "VENUE" << std::setw(14) << "SYMBOL" << std::setw(7) << "SIDE"
              << std::setw(16) << "EXPECTED" << std::setw(16) << "AT VENUE"
              << "READ AT\n";
    for (std::size_t i = 0; i < rows->size(); ++i) {
        const auto r = rows->getObject(static_cast<unsigned>(i));
        const std::int64_t checked = r->getValue<std::int64_t>("checked_ms");
        std::cout << std::left << std::setw(14) << r->getValue<std::string>("venue") << std::setw(14)
                  << r->getValue<std::string>("symbol") << std::setw(7) << r->getValue<std::string>("position_side")
                  << std::setw(16) << r->getValue<std::string>("expected") << std::setw(16)
                  << (checked ? r->getValue<std::string>("venue_quantity") : "?")
                  << (checked ? formatUtc(checked) : "never read") << (r->getValue<bool>("differs") ? "   DIFFERS" : "")
                  << "\n";
    }
    return EXIT_OK;
}

int TradehostApp::checkConfig(const std::string& configPath) {
    Loaded loaded;
    loadAll(configPath, envFile_, loaded);
    requireWebhookAuthentication(loaded.deployment, loaded.errors);
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

AddressRanges addressRanges(const std::vector<std::string>& texts) {
    std::vector<AddressRange> ranges;
    for (const auto& text : texts)
        if (auto r = AddressRange::parse(text)) ranges.push_back(*r);  // the deployment checked each
    return AddressRanges(std::move(ranges));
}

// The venue a leg naming none goes to: routing.default_venue, or the only venue there is.
std::string defaultVenue(const Deployment& d) {
    const std::string configured = d.routing.string("default_venue");
    if (!configured.empty() || d.venues.size() != 1) return configured;
    return d.venues.front().name;
}

IntakeOptions intakeOptions(const Deployment& d, const std::string& generatedSecret) {
    IntakeOptions o;
    o.listen = d.webhook.string("listen");
    if (d.webhook.has("secret")) o.secret = d.webhook.string("secret");
    if (o.secret.empty()) o.secret = generatedSecret;
    if (d.webhook.has("path_token")) o.pathToken = d.webhook.string("path_token");
    if (d.webhook.has("signing_secret")) o.signingSecret = d.webhook.string("signing_secret");
    o.allowIps = addressRanges(d.webhook.list("allow_ips"));
    o.trustedProxies = addressRanges(d.webhook.list("trusted_proxies"));
    for (const auto& v : d.venues) o.venues.push_back(v.name);
    o.defaultVenue = defaultVenue(d);
    o.maxBodyBytes = static_cast<std::size_t>(d.webhook.integer("max_body_bytes"));
    o.maxConnections = static_cast<std::size_t>(std::max<std::int64_t>(1, d.webhook.integer("max_connections")));
    return o;
}

AlertRouterOptions alertingOptions(const Deployment& d) {
    AlertRouterOptions o;
    o.policy.dedupWindowMs = d.alerting.integer("dedup_window_s") * 1000;
    o.policy.repeatIntervalMs = d.alerting.integer("repeat_interval_s") * 1000;
    o.fallbackFile = d.alerting.string("fallback_file");
    return o;
}

std::vector<AlertRoute> alertRoutes(const Deployment& d) {
    std::vector<AlertRoute> routes;
    for (const auto& spec : d.alerts) {
        AlertRoute r{spec.name, {}};
        if (spec.severities.empty()) r.severities = {Severity::Info, Severity::Warning, Severity::Critical};
        for (const auto& s : spec.severities)
            r.severities.insert(s == "info" ? Severity::Info : s == "warning" ? Severity::Warning : Severity::Critical);
        routes.push_back(std::move(r));
    }
    return routes;
}

PipelineOptions pipelineOptions(const Deployment& d) {
    PipelineOptions o;
    o.maxSignalAgeMs = d.risk.integer("max_signal_age_s") * 1000;
    o.retentionMs = d.risk.integer("signal_retention_days") * 24 * 3600 * 1000;
    o.defaultVenue = defaultVenue(d);
    o.settleWindowMs = d.resolver.integer("settle_window_s") * 1000;
    o.unresolvedAlertMs = d.resolver.integer("unresolved_alert_s") * 1000;
    o.workingPollMs = d.resolver.integer("working_poll_ms");
    o.trackerQueriesPerSecond =
        static_cast<int>(std::clamp<std::int64_t>(d.resolver.integer("working_queries_per_s"), 1, 1000));
    return o;
}

// The start banner: where signals go, and a curl that works when pasted, again and again: a new
// signal id each time (the shell's clock), a quantity above the paper venue's and the Binance
// emulator's minimum notional, and the secret read from where it is kept (never printed).
std::string quickStart(const Deployment& d, const std::string& host, unsigned short port,
                       const std::string& eventsFile) {
    const std::string base = "http://" + host + ":" + std::to_string(port);
    const bool generated = generatesWebhookSecret(d);
    const bool bodySecret = generated || (d.webhook.has("secret") && !d.webhook.string("secret").empty());
    std::string url = base + "/webhook";
    if (!bodySecret && d.webhook.has("path_token") && !d.webhook.string("path_token").empty())
        url += "/<your path_token>";
    std::string secret;
    if (generated)
        secret = "\"secret\": \"'\"$(cat " + webhookSecretPath(d.storage.string("dir")).string() + ")\"'\", ";
    else if (bodySecret)
        secret = "\"secret\": \"<your webhook secret>\", ";
    const std::string venue = d.venues.empty() ? "paper" : d.venues.front().name;
    std::string out = "Webhook: " + url + "\nSend a signal (paste it as often as you like: each is a new signal):\n";
    out += "  curl -sS -X POST " + url + " -H 'Content-Type: application/json' -d '{" + secret +
           "\"signal_id\": \"demo-'\"$(date +%s%N)\"'\", \"venue\": \"" + venue +
           "\", \"symbol\": \"BTCUSDT\", \"side\": \"buy\", \"type\": \"market\", \"quantity\": \"0.002\"}'\n";
    if (!bodySecret)
        out += "  (this deployment authenticates by " +
               std::string(d.webhook.has("path_token") ? "path token" : "X-Signature") + ": see docs/signals.md)\n";
    out += "Health: " + base + "/healthz   Events: " + eventsFile + "   Stop: Ctrl-C\n";
    return out;
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
    auto& log = Poco::Logger::get("host");
    // Nothing listens unauthenticated: every deployment names a method; generate_secret (the
    // default deployment's) makes one on first start.
    requireWebhookAuthentication(d, loaded.errors);
    std::string generatedSecret;
    if (loaded.errors.empty() && generatesWebhookSecret(d)) {
        try {
            generatedSecret = loadOrCreateWebhookSecret(d.storage.string("dir"));
            Redactor::instance().addSecret(generatedSecret);
        } catch (const std::exception& e) {
            std::cerr << "tradehost: " << e.what() << "\n";
            return EXIT_CANTCREAT;
        }
    }
    if (loaded.errors.empty()) {
        try {
            const std::string listen = d.webhook.string("listen");
            if (!isLoopback(listen))
                log.warning("the webhook listens on " + listen +
                            " in plain HTTP: anyone on the path reads every signal and its secret. Listen on "
                            "127.0.0.1 behind a TLS reverse proxy (docs/signals.md, \"Behind a reverse proxy\")");
        } catch (const std::exception& e) {
            loaded.errors.add({d.file, d.webhookLine, "section 'webhook'", "listen", e.what()});
        }
    }
    // The admin listener, when the deployment has `admin:`: its operator token is made on first
    // start when none is configured (like the default deployment's webhook secret).
    std::optional<AdminSettings> admin;
    if (loaded.errors.empty() && d.adminLine != 0) {
        admin = AdminSettings{};
        admin->listen = d.admin.string("listen");
        if (d.admin.has("token")) admin->token = d.admin.string("token");
        if (d.admin.has("viewer_token")) admin->viewerToken = d.admin.string("viewer_token");
        if (d.admin.has("tls_cert")) admin->tlsCert = d.admin.string("tls_cert");
        if (d.admin.has("tls_key")) admin->tlsKey = d.admin.string("tls_key");
        try {
            if (admin->token.empty()) admin->token = loadOrCreateAdminToken(d.storage.string("dir"));
            Redactor::instance().addSecret(admin->token);
            if (!admin->viewerToken.empty()) Redactor::instance().addSecret(admin->viewerToken);
        } catch (const std::exception& e) {
            std::cerr << "tradehost: " << e.what() << "\n";
            return EXIT_CANTCREAT;
        }
        try {
            if (!isLoopback(admin->listen) && admin->tlsCert.empty())
                log.warning("the admin page listens on " + admin->listen +
                            " in plain HTTP: anyone on the path reads its session cookies and tokens. Keep it on "
                            "127.0.0.1 and reach it through an SSH tunnel, or give admin: tls_cert and tls_key");
        } catch (const std::exception& e) {
            loaded.errors.add({d.file, d.adminLine, "section 'admin'", "listen", e.what()});
        }
    }
    PluginRegistry registry(searchPathFor(extraPluginDirs_, d));
    MetricsRegistry metrics;
    InstanceSet instances = buildInstances(d, registry, loaded.env, metrics, loaded.errors);
    if (!loaded.errors.empty()) {
        printErrors(loaded.errors);
        return EXIT_CONFIG;
    }

    std::map<std::string, OnDrift> onDrift;
    for (const auto& v : d.venues)
        onDrift[v.name] =
            onDriftFrom(v.onDrift.empty() ? d.reconciler.string("on_drift") : v.onDrift).value_or(OnDrift::Alert);
    Host host({d.file, d.storage.string("dir"), intakeOptions(d, generatedSecret), pipelineOptions(d),
               alertingOptions(d), alertRoutes(d), d.reconciler.integer("interval_s") * 1000, std::move(onDrift), admin,
               deploymentText(configPath_)},
              std::move(instances), SystemClock::instance());
    try {
        host.open();   // storage (the journal's lock: one tradehost per directory), webhook, instances
        host.start();  // recovery: in-flight legs -> UNKNOWN, the journal admitted to its end
    } catch (const HostError& e) {
        host.stop();
        std::cerr << "tradehost: " << e.what() << "\n";
        return e.exitCode();
    }
    const WebhookServer& webhook = host.webhook();
    log.information("tradehost %s running %s: %z venue(s), %z alert sink(s); journal at seq %Lu, recovery: %s",
                    std::string(TRADEHOST_VERSION), d.file, host.instances().venues.size(),
                    host.instances().alerts.size(), static_cast<Poco::UInt64>(host.journal().lastSequence()),
                    std::string(host.journal().recovery().tornTailRepaired ? "torn tail repaired" : "clean"));
    for (const auto& v : host.instances().venues)
        log.information("venue '%s': %s %s, %s", v->name(), v->plugin().typeName, v->plugin().version,
                        std::string(toString(v->state())));
    for (const auto& a : host.instances().alerts)
        log.information("alert '%s': %s %s, %s", a->name(), a->plugin().typeName, a->plugin().version,
                        std::string(toString(a->state())));

    std::cout << "\n" << quickStart(d, webhook.host(), webhook.port(), host.eventsFile().string());
    if (admin) {
        const std::string base = std::string(admin->tlsCert.empty() ? "http://" : "https://") +
                                 Poco::Net::SocketAddress(admin->listen).host().toString() + ":" +
                                 std::to_string(host.adminPort());
        const bool configured = d.admin.has("token") && !d.admin.string("token").empty();
        const std::string tokenFile = adminTokenPath(d.storage.string("dir")).string();
        const std::string token = configured ? "<your admin.token>" : "$(cat " + tokenFile + ")";
        std::cout << "Admin page: " << base << "/  (log in with the operator token: "
                  << (configured ? "admin.token in the deployment" : "the text in " + tokenFile) << ")\n";
        std::cout << "Admin API: curl -sS -H \"Authorization: Bearer " << token << "\" " << base
                  << "/api/overview   Metrics: " << base << "/metrics\n";
    }
    std::cout << std::endl;

    // Fail-stop: a journal, gate or event-log failure stops the process (a supervisor restarts it
    // and recovery re-reads everything) rather than carrying on with an unknown state.
    std::atomic<bool> stopping{false};
    std::thread watchdog([&] {
        while (!stopping) {
            if (!host.fatalError().empty()) {
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
    host.stop();
    const std::string fatal = host.fatalError();
    if (!fatal.empty())
        log.critical("stopped after a fatal error: " + fatal);
    else
        log.information("stopped cleanly");
    return fatal.empty() ? EXIT_OK : EXIT_SOFTWARE;
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
        if (args.size() != 1 && args.size() != 3) {
            std::cerr << "tradehost: usage: tradehost " << args.front()
                      << " [VENUE SYMBOL] --config FILE|--default [--why TEXT] (no VENUE SYMBOL: all trading)\n";
            return EXIT_USAGE;
        }
        return runOperatorCommand(args);
    }
    if (!args.empty() && args.front() == "accept-baseline") {
        if (args.size() != 3 && args.size() != 4) {
            std::cerr << "tradehost: usage: tradehost accept-baseline VENUE SYMBOL [BOTH|LONG|SHORT] --config "
                         "FILE|--default [--why TEXT]\n";
            return EXIT_USAGE;
        }
        return runOperatorCommand(args);
    }
    if (!args.empty() && (args.front() == "status" || args.front() == "positions" || args.front() == "signals")) {
        if (args.size() != 1) {
            std::cerr << "tradehost: usage: tradehost " << args.front() << " --config FILE|--default\n";
            return EXIT_USAGE;
        }
        return runStatusCommand(args.front());
    }
    if (!args.empty() && args.front() == "cancel") {
        if (args.size() < 2 || args.size() > 3) {
            std::cerr << "tradehost: usage: tradehost cancel SIGNAL_ID [LEG] [--config FILE] [--why TEXT]\n";
            return EXIT_USAGE;
        }
        return runOperatorCommand(args);
    }
    if (!args.empty()) {
        std::cerr << "tradehost: unexpected argument '" << args.front() << "' (see tradehost --help)\n";
        return EXIT_USAGE;
    }
    switch (mode_) {
        case Mode::Help:
            printHelp();
            return EXIT_OK;
        case Mode::Version:
            std::cout << "tradehost " << TRADEHOST_VERSION << " (plugin ABI " << kAbiVersion << ")\n";
            return EXIT_OK;
        case Mode::DescribePlugins:
            return describePlugins();
        case Mode::CheckConfig:
            return checkConfig(configPath_);
        case Mode::Run:
            return runDeployment(configPath_);
    }
    return EXIT_SOFTWARE;
}

}  // namespace tradehost::host
