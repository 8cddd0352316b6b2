// Who is asking the admin listener: a bearer token (scripts, Prometheus) or a browser session
// made by a token login, with a CSRF token for every state-changing request.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace tradehost::host {

enum class AdminRole {
    None,      // not authenticated
    Viewer,    // reads everything, changes nothing
    Operator,  // every action
};
const char* toString(AdminRole role);

struct AdminSession {
    std::string id;    // the cookie's value: 256 random bits
    std::string csrf;  // sent back as X-CSRF-Token on every state-changing request
    AdminRole role = AdminRole::None;
    std::int64_t expiresMs = 0;
};

struct AdminAuthOptions {
    std::string operatorToken;               // admin.token: required, never empty
    std::string viewerToken;                 // admin.viewer_token: empty = no viewer access
    std::int64_t sessionMs = 12 * 3600'000;  // a session lasts this long from login
    int maxFailuresPerMinute = 5;            // per client address; then 429 until the minute is over
    std::size_t maxSessions = 1000;          // the oldest are dropped beyond this
};

// Thread-safe. Tokens are compared in constant time; nothing here logs a token or a session id.
class AdminAuth {
public:
    explicit AdminAuth(AdminAuthOptions options);

    // "Authorization: Bearer <token>" (the whole header value) -> the token's role, or None.
    AdminRole bearer(const std::string& authorizationHeader) const;

    struct Login {
        std::optional<AdminSession> session;  // set on success
        std::int64_t retryAfterS = 0;         // > 0: too many failures from this address
    };
    Login login(const std::string& clientAddress, const std::string& token, std::int64_t nowMs);
    // The session a cookie value names, if it exists and has not expired.
    std::optional<AdminSession> session(const std::string& id, std::int64_t nowMs);
    void logout(const std::string& id);
    static bool csrfMatches(const AdminSession& session, const std::string& header);

private:
    AdminRole roleOf(const std::string& token) const;

    const AdminAuthOptions options_;
    std::mutex mutex_;
    std::map<std::string, AdminSession> sessions_;
    struct Failures {
        std::int64_t windowStartMs = 0;
        int count = 0;
    };
    std::map<std::string, Failures> failures_;  // per client address, pruned as windows pass
};

}  // namespace tradehost::host
