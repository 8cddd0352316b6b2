// Who is asking the admin listener.
#include "admin/admin_auth.h"

#include <stdexcept>

#include "text/secrets.h"

namespace tradehost::host {

const char* toString(AdminRole role) {
    switch (role) {
        case AdminRole::None:
            return "none";
        case AdminRole::Viewer:
            return "viewer";
        case AdminRole::Operator:
            return "operator";
    }
    return "?";
}

AdminAuth::AdminAuth(AdminAuthOptions options) : options_(std::move(options)) {
    if (options_.operatorToken.size() < 16) throw std::invalid_argument("admin.token must be at least 16 characters");
    if (!options_.viewerToken.empty() && options_.viewerToken.size() < 16)
        throw std::invalid_argument("admin.viewer_token must be at least 16 characters");
    if (options_.viewerToken == options_.operatorToken)
        throw std::invalid_argument("admin.viewer_token must differ from admin.token");
}

AdminRole AdminAuth::roleOf(const std::string& token) const {
    if (token.empty()) return AdminRole::None;
    if (equalsConstantTime(token, options_.operatorToken)) return AdminRole::Operator;
    if (!options_.viewerToken.empty() && equalsConstantTime(token, options_.viewerToken)) return AdminRole::Viewer;
    return AdminRole::None;
}

AdminRole AdminAuth::bearer(const std::string& header) const {
    static const std::string kPrefix = "Bearer ";
    if (header.size() <= kPrefix.size() || header.compare(0, kPrefix.size(), kPrefix) != 0) return AdminRole::None;
    return roleOf(header.substr(kPrefix.size()));
}

AdminAuth::Login AdminAuth::login(const std::string& clientAddress, const std::string& token, std::int64_t nowMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = failures_.begin(); it != failures_.end();)
        it = nowMs - it->second.windowStartMs >= 60'000 ? failures_.erase(it) : std::next(it);
    Failures& f = failures_[clientAddress];
    if (f.count == 0) f.windowStartMs = nowMs;
    if (f.count >= options_.maxFailuresPerMinute)
        return {std::nullopt, std::max<std::int64_t>(1, (f.windowStartMs + 60'000 - nowMs + 999) / 1000)};
    const AdminRole role = roleOf(token);
    if (role == AdminRole::None) {
        ++f.count;
        return {};
    }
    if (f.count == 0) failures_.erase(clientAddress);
    for (auto it = sessions_.begin(); it != sessions_.end();)
        it = it->second.expiresMs <= nowMs ? sessions_.erase(it) : std::next(it);
    while (sessions_.size() >= options_.maxSessions) {
        auto oldest = sessions_.begin();
        for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
            if (it->second.expiresMs < oldest->second.expiresMs) oldest = it;
        sessions_.erase(oldest);
    }
    AdminSession s{randomHex(32), randomHex(32), role, nowMs + options_.sessionMs};
    sessions_[s.id] = s;
    return {s, 0};
}

std::optional<AdminSession> AdminAuth::session(const std::string& id, std::int64_t nowMs) {
    if (id.empty()) return std::nullopt;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    if (it->second.expiresMs <= nowMs) {
        sessions_.erase(it);
        return std::nullopt;
    }
    return it->second;
}

void AdminAuth::logout(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.erase(id);
}

bool AdminAuth::csrfMatches(const AdminSession& session, const std::string& header) {
    return !header.empty() && equalsConstantTime(header, session.csrf);
}

}  // namespace tradehost::host
