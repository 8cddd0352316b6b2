// ${VAR} references in deployments: resolved from the process environment or a .env file.
#include "config/environment.h"

#include <cstdlib>
#include <fstream>

namespace tradehost::host {
namespace {

bool isNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool isNameChar(char c) { return isNameStart(c) || (c >= '0' && c <= '9'); }

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

}  // namespace

std::string Environment::loadDotEnv(const std::string& path) {
    std::ifstream in(path);
    if (!in) return "cannot read " + path;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
        const auto eq = line.find('=');
        const std::string name = eq == std::string::npos ? "" : trim(line.substr(0, eq));
        bool valid = !name.empty() && isNameStart(name[0]);
        for (char c : name) valid = valid && isNameChar(c);
        // The value is not quoted in the error: it may be a secret.
        if (!valid) return path + ":" + std::to_string(number) + ": expected NAME=value";
        std::string value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        dotEnv_[name] = value;
    }
    return "";
}

std::optional<std::string> Environment::get(const std::string& name) const {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    auto it = dotEnv_.find(name);
    if (it != dotEnv_.end()) return it->second;
    return std::nullopt;
}

Environment::Expansion Environment::expand(const std::string& text) const {
    Expansion out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '$') {
            out.value += c;
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '$') {
            out.value += '$';
            ++i;
            continue;
        }
        if (i + 1 >= text.size() || text[i + 1] != '{') {
            out.value += c;
            continue;
        }
        const auto close = text.find('}', i + 2);
        const std::string name = close == std::string::npos ? "" : text.substr(i + 2, close - i - 2);
        bool valid = !name.empty() && isNameStart(name[0]);
        for (char n : name) valid = valid && isNameChar(n);
        if (!valid) {
            out.syntaxError = "malformed ${...} reference (expected ${NAME} with NAME made of letters, digits and _)";
            return out;
        }
        out.hadReference = true;
        if (auto v = get(name)) out.value += *v;
        else out.missing.push_back(name);
        i = close;
    }
    return out;
}

}  // namespace tradehost::host
