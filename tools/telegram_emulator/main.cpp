// telegram-emulator: serve the emulated Bot API until SIGINT/SIGTERM.
#include <Poco/Exception.h>
#include <pthread.h>

#include <csignal>
#include <iostream>

#include "emulator_options.h"
#include "telegram_server.h"

using namespace tradehost::telegram_emulator;

int main(int argc, char** argv) {
    auto parsed = parseEmulatorOptions(std::vector<std::string>(argv + 1, argv + argc));
    if (auto* error = std::get_if<std::string>(&parsed)) {
        std::cerr << "telegram-emulator: " << *error << "\nTry 'telegram-emulator --help'." << std::endl;
        return 2;
    }
    const EmulatorOptions& options = std::get<EmulatorOptions>(parsed);
    if (options.help) {
        std::cout << emulatorUsage() << std::flush;
        return 0;
    }
    // A client that hangs up mid-answer must cost one write error, not the process.
    std::signal(SIGPIPE, SIG_IGN);
    // Blocked before any thread exists, so sigwait() below is the only place they arrive.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    try {
        TelegramServer server(options.config);
        server.start();
        std::cout << "telegram-emulator listening on " << server.baseUrl() << std::endl;
        int received = 0;
        sigwait(&stopSignals, &received);
        server.stop();
        std::cerr << "telegram-emulator: stopped on signal " << received << std::endl;
    } catch (const Poco::Exception& e) {
        std::cerr << "telegram-emulator: " << e.displayText() << std::endl;
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "telegram-emulator: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
