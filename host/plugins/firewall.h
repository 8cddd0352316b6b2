// The one exception firewall every call into a plugin goes through.
#pragma once

#include <exception>
#include <string>

namespace tradehost::host {

// Runs `call`; if it throws, returns `onThrow(message)` instead. Plugins return values for
// expected failures, so a throw on a call is a plugin bug (on construction or start() it is the
// documented way to refuse); either way it must never unwind into the host's threads. The caller
// reports the message once: it is returned, not logged here.
template <class Call, class OnThrow>
auto firewall(Call&& call, OnThrow&& onThrow) noexcept -> decltype(call()) {
    std::string reason;
    try {
        return call();
    } catch (const std::exception& e) {
        reason = *e.what() ? e.what() : "an exception with an empty message";
    } catch (...) {
        reason = "a non-standard exception";
    }
    try {
        return onThrow(reason);
    } catch (...) {
        std::terminate();  // building the fallback value failed (out of memory): nothing sane is left
    }
}

}  // namespace tradehost::host
