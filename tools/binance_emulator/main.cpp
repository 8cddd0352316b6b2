// binance-emulator: serve the emulated fapi until SIGINT/SIGTERM.
#include <Poco/Exception.h>
#include <pthread.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "emulator_options.h"
#include "emulator_server.h"

extern char** environ;

using namespace tradehost::binance_emulator;

int main(int argc, char** argv) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto eq = entry.find('=');
        if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    auto parsed = parseEmulatorOptions(std::vector<std::string>(argv + 1, argv + argc), env);
    if (auto* error = std::get_if<std::string>(&parsed)) {
        std::cerr << "binance-emulator: " << *error << "\nTry 'binance-emulator --help'." << std::endl;
        return 2;
    }
    const EmulatorOptions& options = std::get<EmulatorOptions>(parsed);
    if (options.help) {
        std::cout << emulatorUsage();
        return 0;
    }

    // A peer that hangs up mid-answer must cost one write error, not the process.
    std::signal(SIGPIPE, SIG_IGN);
    // Block the stop signals before any thread exists so every thread inherits the mask and
    // sigwait() below is the only place they are delivered.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    try {
        EmulatorServer server(options.config);
        server.start();
        if (options.defaultCredentials)
            std::cerr << "binance-emulator: no API key given; accepting the test pair (see --help)" << std::endl;
        std::cout << "listening on " << server.baseUrl() << std::endl;
        int received = 0;
        sigwait(&stopSignals, &received);
        server.stop();
        std::cerr << "binance-emulator: stopped on signal " << received << std::endl;
    } catch (const Poco::Exception& e) {
        std::cerr << "binance-emulator: " << e.displayText() << std::endl;
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "binance-emulator: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
