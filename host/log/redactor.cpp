// Replaces every known secret value with "***".
#include "log/redactor.h"

#include <algorithm>
#include <cctype>
#include <iterator>

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

std::string redactDeploymentText(const std::string& yaml) {
    static const char* const kSecretWords[] = {"secret",  "token",  "password",    "passphrase",
                                               "api_key", "apikey", "private_key", "credential"};
    std::string out;
    std::size_t pos = 0;
    while (pos < yaml.size()) {
        const std::size_t end = std::min(yaml.find('\n', pos), yaml.size());
        std::string line = yaml.substr(pos, end - pos);
        const std::size_t colon = line.find(':');
        const std::size_t hash = line.find('#');
        if (colon != std::string::npos && (hash == std::string::npos || colon < hash)) {
            std::string key = line.substr(0, colon);
            for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const bool secretKey = std::any_of(std::begin(kSecretWords), std::end(kSecretWords),
                                               [&](const char* w) { return key.find(w) != std::string::npos; });
            std::string value = line.substr(colon + 1);
            const std::size_t first = value.find_first_not_of(" \t");
            // A ${VAR} reference (quoted or not) names where the secret comes from; it is no secret.
            const std::size_t start =
                first != std::string::npos && (value[first] == '"' || value[first] == '\'') ? first + 1 : first;
            const bool reference = start != std::string::npos && value.compare(start, 2, "${") == 0;
            std::string bare = first == std::string::npos ? "" : value.substr(first);
            bare = bare.substr(0, bare.find_first_of(" \t#"));
            const bool flag = bare == "true" || bare == "false";  // generate_secret: true
            if (secretKey && first != std::string::npos && !reference && !flag && value[first] != '#')
                line = line.substr(0, colon + 1) + " \"***\"";
        }
        out += line;
        if (end < yaml.size()) out += '\n';
        pos = end + 1;
    }
    return Redactor::instance().redact(std::move(out));
}

}  // namespace tradehost::host
