// Replaces every known secret value with "***".
#include "log/redactor.h"

namespace tradehost::host {

Redactor& Redactor::instance() {
    static Redactor redactor;
    return redactor;
}

void Redactor::addSecret(const std::string& value) {
    if (value.size() < kMinLength) return;
    std::lock_guard<std::mutex> lock(mutex_);
    secrets_.insert(value);
}

std::string Redactor::redact(std::string text) const {
    std::lock_guard<std::mutex> lock(mutex_);
    // Longest first is not needed for correctness: every occurrence of every secret goes.
    for (const auto& secret : secrets_) {
        for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3))
            text.replace(pos, secret.size(), "***");
    }
    return text;
}

}  // namespace tradehost::host
