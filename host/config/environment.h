// ${VAR} references in deployments: resolved from the process environment or a .env file.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tradehost::host {

class Environment {
public:
    // Reads the process environment only.
    Environment() = default;

    // Loads KEY=VALUE lines from a .env file (comments '#', blank lines, optional `export `,
    // optional single or double quotes around the value). Variables already set in the process
    // environment win. Returns an error text, or an empty string on success.
    std::string loadDotEnv(const std::string& path);

    std::optional<std::string> get(const std::string& name) const;

    struct Expansion {
        std::string value;
        bool hadReference = false;         // the text contained at least one ${...}
        std::vector<std::string> missing;  // referenced variables that are not set
        std::string syntaxError;           // e.g. an unterminated "${"
    };
    // Replaces each ${NAME} (NAME = [A-Za-z_][A-Za-z0-9_]*) with its value; "$$" is a literal "$".
    Expansion expand(const std::string& text) const;

private:
    std::map<std::string, std::string> dotEnv_;
};

}  // namespace tradehost::host
