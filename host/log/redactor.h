// Replaces every known secret value with "***" in text bound for logs, events, pages and errors.
#pragma once

#include <mutex>
#include <set>
#include <string>

namespace tradehost::host {

// The last line of defence: secrets are also kept out of messages at their source. Process-wide
// because a secret must be hidden from every log line, whichever component wrote it.
class Redactor {
public:
    static Redactor& instance();

    // Registers a secret value. Values shorter than kMinLength are not registered: replacing
    // every "1" in the logs would hide more than it protects, and such a value is no secret.
    void addSecret(const std::string& value);
    std::string redact(std::string text) const;

    static constexpr std::size_t kMinLength = 4;

private:
    mutable std::mutex mutex_;
    std::set<std::string> secrets_;
};

// A YAML text with the value of every key that names a secret (secret, token, password, api key,
// signing secret, path token, ...) shown as "***" unless it is an ${ENV} reference, then every
// registered secret value redacted as well: the running deployment as the admin page shows it.
std::string redactDeploymentText(const std::string& yaml);

}  // namespace tradehost::host
