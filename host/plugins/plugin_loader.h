// Finds plugin libraries by type name, checks their ABI stamp, and keeps them loaded for good.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <tradehost/plugin.h>

namespace tradehost::host {

// A plugin that could not be used. The message names the library and the reason.
class PluginLoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct LoadedPlugin {
    std::string path;
    std::string typeName;
    PluginKind kind = PluginKind::Venue;
    std::string version;
    std::string description;
    const PluginFactory* factory = nullptr;  // lives as long as the library: for the process
};

// What a scan of the search path found in one library file.
struct ScannedLibrary {
    std::string path;
    const LoadedPlugin* plugin = nullptr;  // null if it could not be loaded
    std::string error;
};

// Libraries are named tradehost_<type>.so and looked up in the search path directories.
// Loaded with RTLD_NOW (a missing symbol fails here, not at the first order) and RTLD_LOCAL, and
// never unloaded: objects, vtables and exceptions from a plugin may live until process exit.
// Thread-safe.
class PluginRegistry {
public:
    explicit PluginRegistry(std::vector<std::string> searchPath);
    ~PluginRegistry();
    PluginRegistry(const PluginRegistry&) = delete;
    PluginRegistry& operator=(const PluginRegistry&) = delete;

    const std::vector<std::string>& searchPath() const { return searchPath_; }

    // The plugin for `type`. Throws PluginLoadError when no library provides it, when two
    // libraries on the search path do, or when the library is not a usable tradehost plugin.
    const LoadedPlugin& find(const std::string& type);

    // Loads one library file (tests, and scan()). Throws PluginLoadError.
    const LoadedPlugin& loadFile(const std::string& path);

    // Every tradehost_*.so on the search path, loaded or with its error; duplicates of a type
    // are reported as errors on the later libraries.
    std::vector<ScannedLibrary> scan();

    // <directory of the running executable>/plugins: where the build puts the plugins.
    static std::string defaultSearchDir();

private:
    struct Library;
    static std::string nameMismatch(const LoadedPlugin& plugin);
    std::vector<std::string> candidates(const std::string& type) const;

    std::vector<std::string> searchPath_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Library>> byPath_;  // canonical path -> library
};

}  // namespace tradehost::host
