// The tradehost command line: run a deployment, check one, or describe the installed plugins.
#pragma once

#include <Poco/Util/ServerApplication.h>

#include <string>
#include <vector>

namespace tradehost::host {

class TradehostApp : public Poco::Util::ServerApplication {
public:
    // Parses the command line and runs; an option error is a usage error with a plain message.
    int execute(int argc, char** argv);

protected:
    void defineOptions(Poco::Util::OptionSet& options) override;
    void handleOption(const std::string& name, const std::string& value) override;
    int main(const std::vector<std::string>& args) override;

private:
    enum class Mode { Run, CheckConfig, DescribePlugins, Help, Version };

    int runDeployment(const std::string& configPath);
    int checkConfig(const std::string& configPath);
    int describePlugins();
    int runOperatorCommand(const std::vector<std::string>& args);  // pause | resume | cancel | accept-baseline
    int runStatusCommand(const std::string& what);                 // status | positions (the admin API)
    void printHelp() const;

    Mode mode_ = Mode::Run;
    std::string configPath_;  // empty: the embedded config/default.yaml
    std::vector<std::string> extraPluginDirs_;
    std::string envFile_;
    std::string logLevel_ = "information";
    std::string by_, why_;            // operator commands: who and why
    std::string last_;                // signals --last N
    bool defaultDeployment_ = false;  // operator commands: --default (the embedded deployment)
};

}  // namespace tradehost::host
