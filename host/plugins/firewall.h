// The one exception firewall every call into a plugin goes through.
#pragma once

#include <exception>
#include <string>

#include <tradehost/context.h>

namespace tradehost::host {

// Runs `call`; if it throws, logs once through `log` and returns `onThrow(reason)`. Plugins
// return values for expected failures, so a throw here is a plugin bug; it must never unwind
// into the host's threads.
template <class Call, class OnThrow>
auto firewall(Logger& log, const char* what, Call&& call, OnThrow&& onThrow) noexcept -> decltype(call()) {
    std::string reason;
    try {
        return call();
    } catch (const std::exception& e) {
        reason = e.what();
    } catch (...) {
        reason = "a non-standard exception";
    }
    try {
        log.error(std::string(what) + " threw: " + reason);
        return onThrow("plugin threw during " + std::string(what) + ": " + reason);
    } catch (...) {
        std::terminate();  // building the fallback value failed (out of memory): nothing sane is left
    }
}

}  // namespace tradehost::host
