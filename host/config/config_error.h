// Configuration errors: each names the file and line, the instance or section, and the key.
#pragma once

#include <string>
#include <vector>

namespace tradehost::host {

struct ConfigError {
    std::string file;
    int line = 0;         // 1-based; 0 when the error is about the file as a whole
    std::string where;    // "venue 'bn_main'", "alert 'ops'", "section 'webhook'", or empty
    std::string key;      // the offending key, or empty
    std::string message;  // never contains a secret value

    // "config/x.yaml:12: venue 'bn_main', key 'api_key': missing environment variable BINANCE_API_KEY"
    std::string toString() const {
        std::string s = file;
        if (line > 0) s += ":" + std::to_string(line);
        s += ": ";
        if (!where.empty()) s += where + (key.empty() ? ": " : ", ");
        if (!key.empty()) s += "key '" + key + "': ";
        return s + message;
    }
};

// Every error found in one pass, so a user fixes them all in one go.
class ConfigErrors {
public:
    void add(ConfigError e) { errors_.push_back(std::move(e)); }
    bool empty() const { return errors_.empty(); }
    std::size_t size() const { return errors_.size(); }
    const std::vector<ConfigError>& all() const { return errors_; }
    std::string toString() const {
        std::string s;
        for (const auto& e : errors_) s += e.toString() + "\n";
        return s;
    }

private:
    std::vector<ConfigError> errors_;
};

}  // namespace tradehost::host
