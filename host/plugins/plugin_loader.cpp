// Finds plugin libraries by type name, checks their ABI stamp, and keeps them loaded for good.
#include "plugins/plugin_loader.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

namespace tradehost::host {

namespace fs = std::filesystem;

struct PluginRegistry::Library {
    boost::dll::shared_library handle;
    LoadedPlugin plugin;
    std::string error;  // set when the library is unusable; the handle then stays loaded anyway
};

namespace {

constexpr const char* kStampAlias = "tradehost_abi_stamp";
constexpr const char* kFactoryAlias = "tradehost_plugin_factory";

std::string libraryFileName(const std::string& type) { return "tradehost_" + type + ".so"; }

bool isValidTypeName(const char* name) {
    if (!name || !*name) return false;
    for (const char* c = name; *c; ++c)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) return false;
    return true;
}

// Boost.DLL appends dlerror()'s text to its own; the dlerror part is what a user needs.
std::string loadFailureReason(const std::exception& e) {
    const std::string what = e.what();
    const std::string marker = "dlerror system message: ";
    const auto pos = what.find(marker);
    if (pos == std::string::npos) return what;
    std::string reason = what.substr(pos + marker.size());
    if (!reason.empty() && reason.back() == ')') reason.pop_back();
    return reason;
}

}  // namespace

PluginRegistry::PluginRegistry(std::vector<std::string> searchPath) {
    // The same directory named twice (say by --plugin-path and search_path) is one directory.
    std::set<std::string> seen;
    for (auto& dir : searchPath) {
        std::error_code ec;
        if (seen.insert(fs::weakly_canonical(fs::absolute(dir), ec).string()).second) searchPath_.push_back(std::move(dir));
    }
    if (searchPath_.empty()) searchPath_.push_back(defaultSearchDir());
}

// Deliberately leaks every library: dlclose() while a plugin's object, vtable or thread-local
// destructor may still run is a crash at exit, and unloading buys nothing in a server process.
PluginRegistry::~PluginRegistry() {
    for (auto& entry : byPath_) static_cast<void>(entry.second.release());
}

std::string PluginRegistry::defaultSearchDir() {
    boost::system::error_code ec;
    const auto exe = boost::dll::program_location(ec);
    if (ec) return "./plugins";
    return (fs::path(exe.string()).parent_path() / "plugins").string();
}

std::vector<std::string> PluginRegistry::candidates(const std::string& type) const {
    std::vector<std::string> found;
    for (const auto& dir : searchPath_) {
        std::error_code ec;
        const fs::path p = fs::path(dir) / libraryFileName(type);
        if (fs::is_regular_file(p, ec)) found.push_back(p.string());
    }
    return found;
}

// A library is found by its file name, so the name and the stamp must agree.
std::string PluginRegistry::nameMismatch(const LoadedPlugin& plugin) {
    const std::string file = fs::path(plugin.path).filename().string();
    if (file == libraryFileName(plugin.typeName)) return "";
    return plugin.path + ": declares type '" + plugin.typeName + "', but its file name is " + file +
           "; rename it to " + libraryFileName(plugin.typeName);
}

const LoadedPlugin& PluginRegistry::find(const std::string& type) {
    const auto found = candidates(type);
    if (found.empty()) {
        std::string dirs;
        for (const auto& d : searchPath_) dirs += (dirs.empty() ? "" : ", ") + d;
        std::string available;
        for (const auto& lib : scan())
            if (lib.plugin) available += (available.empty() ? "" : ", ") + lib.plugin->typeName;
        throw PluginLoadError("no plugin of type '" + type + "': " + libraryFileName(type) + " is not in the plugin search path (" +
                              dirs + "); available types: " + (available.empty() ? "none" : available));
    }
    if (found.size() > 1)
        throw PluginLoadError("type '" + type + "' is claimed by two libraries: " + found[0] + " and " + found[1] +
                              "; remove one or narrow the search path");
    const LoadedPlugin& plugin = loadFile(found.front());
    const std::string mismatch = nameMismatch(plugin);
    if (!mismatch.empty()) throw PluginLoadError(mismatch);
    return plugin;
}

const LoadedPlugin& PluginRegistry::loadFile(const std::string& path) {
    std::error_code ec;
    const std::string key = fs::weakly_canonical(fs::absolute(path), ec).string();
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = byPath_.find(key);
    if (it == byPath_.end()) {
        auto lib = std::make_unique<Library>();
        lib->plugin.path = path;
        try {
            lib->handle.load(key, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
        } catch (const std::exception& e) {
            lib->error = path + ": cannot be loaded: " + loadFailureReason(e);
        }
        if (lib->error.empty()) {
            // The stamp first, and only its first member until the version is known to match:
            // a library built against another SDK may lay the rest out differently.
            if (!lib->handle.has(kStampAlias)) {
                lib->error = path + ": not a tradehost plugin (no '" + kStampAlias +
                             "' alias; declare it with TRADEHOST_PLUGIN)";
            } else {
                const auto& stamp = lib->handle.get_alias<const AbiStamp>(kStampAlias);
                if (stamp.abiVersion != kAbiVersion) {
                    lib->error = path + ": built for tradehost plugin ABI " + std::to_string(stamp.abiVersion) +
                                 ", but this host speaks ABI " + std::to_string(kAbiVersion) + "; rebuild it against this SDK";
                } else if (std::strcmp(stamp.buildTag, TRADEHOST_BUILD_TAG) != 0) {
                    lib->error = path + ": built with C++ library '" + stamp.buildTag + "', but this host uses '" +
                                 TRADEHOST_BUILD_TAG + "'; rebuild it with the same standard library";
                } else if (stamp.kind != PluginKind::Venue && stamp.kind != PluginKind::AlertSink) {
                    lib->error = path + ": unknown plugin kind " + std::to_string(static_cast<unsigned>(stamp.kind));
                } else if (!isValidTypeName(stamp.typeName)) {
                    lib->error = path + ": its type name is not made of a-z, 0-9 and _";
                } else if (!lib->handle.has(kFactoryAlias)) {
                    lib->error = path + ": has an ABI stamp but no '" + kFactoryAlias + "' alias; declare it with TRADEHOST_PLUGIN";
                } else {
                    lib->plugin.typeName = stamp.typeName;
                    lib->plugin.kind = stamp.kind;
                    lib->plugin.version = stamp.version ? stamp.version : "";
                    lib->plugin.description = stamp.description ? stamp.description : "";
                    try {
                        auto& factoryFn = lib->handle.get_alias<const PluginFactory&()>(kFactoryAlias);
                        lib->plugin.factory = &factoryFn();
                    } catch (const std::exception& e) {
                        lib->error = path + ": its factory failed: " + e.what();
                    } catch (...) {
                        lib->error = path + ": its factory failed with a non-standard exception";
                    }
                }
            }
        }
        it = byPath_.emplace(key, std::move(lib)).first;
    }
    if (!it->second->error.empty()) throw PluginLoadError(it->second->error);
    return it->second->plugin;
}

std::vector<ScannedLibrary> PluginRegistry::scan() {
    std::vector<std::string> paths;
    for (const auto& dir : searchPath_) {
        std::error_code ec;
        std::vector<std::string> inDir;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (name.rfind("tradehost_", 0) == 0 && it->path().extension() == ".so") inDir.push_back(it->path().string());
        }
        std::sort(inDir.begin(), inDir.end());
        paths.insert(paths.end(), inDir.begin(), inDir.end());
    }
    std::vector<ScannedLibrary> out;
    std::map<std::string, std::string> claimedBy;
    for (const auto& path : paths) {
        ScannedLibrary lib{path, nullptr, ""};
        try {
            const LoadedPlugin& p = loadFile(path);
            lib.error = nameMismatch(p);
            if (lib.error.empty()) {
                auto [it, inserted] = claimedBy.emplace(p.typeName, path);
                if (!inserted) lib.error = path + ": type '" + p.typeName + "' is already provided by " + it->second;
                else lib.plugin = &p;
            }
        } catch (const PluginLoadError& e) {
            lib.error = e.what();
        }
        out.push_back(std::move(lib));
    }
    return out;
}

}  // namespace tradehost::host
