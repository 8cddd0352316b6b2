// The one exception firewall every call into a plugin goes through.
#pragma once

#include <exception>
#include <string>

namespace tradehost::host {

// Runs `call`; if it throws, returns `onThrow(reason)` instead, where reason reads
// "plugin threw during <what>: <message>". Plugins return values for expected failures, so a throw
// is a plugin bug; it must never unwind into the host's threads. The caller reports the reason
// (once: it is returned, not logged here).
template <class Call, class OnThrow>
auto firewall(const char* what, Call&& call, OnThrow&& onThrow) noexcept -> decltype(call()) {
    std::string reason;
    try {
        return call();
    } catch (const std::exception& e) {
        reason = e.what();
    } catch (...) {
        reason = "a non-standard exception";
    }
    try {
        return onThrow("plugin threw during " + std::string(what) + ": " + reason);
    } catch (...) {
        std::terminate();  // building the fallback value failed (out of memory): nothing sane is left
    }
}

}  // namespace tradehost::host
