// The plugin boundary: ABI stamp, factory interface, and the one macro that exports both.
#pragma once

#include <boost/dll/alias.hpp>  // BOOST_DLL_ALIAS only: a macro, no Boost type reaches the SDK API
#include <cstdint>
#include <memory>
#include <type_traits>

#include "tradehost/alert_sink.h"
#include "tradehost/context.h"
#include "tradehost/operator_commands.h"
#include "tradehost/order_fit.h"
#include "tradehost/settings.h"
#include "tradehost/venue.h"
#include "tradehost/visibility.h"

namespace tradehost {

// Bumped whenever any SDK header changes a layout or a vtable. The host refuses a plugin whose
// stamp differs and names both versions.
// 2: PlaceResult gained Deferred; Venue gained watchOrders() (a vtable change).
// 3: PluginContext gained dataDir() (a vtable change); SymbolRules gained minPrice, maxPrice and
//    marketQuantity (a layout change).
// 4: PluginContext gained operatorCommands() (a vtable change); Position gained markPrice (a
//    layout change).
constexpr std::uint32_t kAbiVersion = 4;

#define TRADEHOST_STR2(x) #x
#define TRADEHOST_STR(x) TRADEHOST_STR2(x)
// The standard library ABI the SDK's std:: types are laid out with; both sides must agree.
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define TRADEHOST_BUILD_TAG "libstdc++/cxx11-abi-" TRADEHOST_STR(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define TRADEHOST_BUILD_TAG "libc++/abi-" TRADEHOST_STR(_LIBCPP_ABI_VERSION)
#else
#define TRADEHOST_BUILD_TAG "unknown-stdlib"
#endif

enum class PluginKind : std::uint32_t { Venue = 1, AlertSink = 2 };

inline const char* toString(PluginKind k) { return k == PluginKind::Venue ? "venue" : "alert sink"; }

// Read by the host before anything else in the library. Plain C layout; `abiVersion` stays the
// first member in every future version so any host can read it.
struct AbiStamp {
    std::uint32_t abiVersion;
    const char* buildTag;
    PluginKind kind;
    const char* typeName;  // the `type:` a deployment names; [a-z0-9_]+
    const char* version;   // the plugin's own version, e.g. "1.2.0"
    const char* description;
};

// Exported by every plugin; a process-lifetime object inside the library.
class TRADEHOST_SDK_API PluginFactory {
public:
    virtual ~PluginFactory() = default;
    virtual SettingsSchema settingsSchema() const = 0;
    // The one matching the stamp's kind returns an object; the other returns nullptr.
    virtual std::unique_ptr<Venue> createVenue(const Settings& settings, PluginContext& context) const = 0;
    virtual std::unique_ptr<AlertSink> createAlertSink(const Settings& settings, PluginContext& context) const = 0;
};

namespace detail {
// Builds a T from (const Settings&, PluginContext&) if T plays the asked-for role.
template <class T>
class FactoryFor final : public PluginFactory {
    static_assert(std::is_base_of<Venue, T>::value != std::is_base_of<AlertSink, T>::value,
                  "a plugin type derives from exactly one of tradehost::Venue and tradehost::AlertSink");

public:
    static constexpr PluginKind kKind = std::is_base_of<Venue, T>::value ? PluginKind::Venue : PluginKind::AlertSink;
    SettingsSchema settingsSchema() const override { return T::settingsSchema(); }
    std::unique_ptr<Venue> createVenue(const Settings& s, PluginContext& c) const override {
        if constexpr (std::is_base_of<Venue, T>::value)
            return std::make_unique<T>(s, c);
        else
            return nullptr;
    }
    std::unique_ptr<AlertSink> createAlertSink(const Settings& s, PluginContext& c) const override {
        if constexpr (std::is_base_of<AlertSink, T>::value)
            return std::make_unique<T>(s, c);
        else
            return nullptr;
    }
};
}  // namespace detail

}  // namespace tradehost

// Declares the plugin: put it once, at namespace scope, in one .cpp of the library.
//
//   TRADEHOST_PLUGIN(MyVenue, "my_venue", "1.0.0", "My exchange, REST API v3")
//
// `Type` derives from tradehost::Venue or tradehost::AlertSink, has a constructor
// `Type(const tradehost::Settings&, tradehost::PluginContext&)` and a static
// `tradehost::SettingsSchema settingsSchema()`. Exports exactly two Boost.DLL aliases:
// `tradehost_abi_stamp` (the AbiStamp) and `tradehost_plugin_factory` (a function returning the
// PluginFactory).
#define TRADEHOST_PLUGIN(Type, TypeName, Version, Description)                         \
    namespace tradehost_plugin_export {                                                \
    const ::tradehost::AbiStamp abiStamp{::tradehost::kAbiVersion,                     \
                                         TRADEHOST_BUILD_TAG,                          \
                                         ::tradehost::detail::FactoryFor<Type>::kKind, \
                                         TypeName,                                     \
                                         Version,                                      \
                                         Description};                                 \
    const ::tradehost::PluginFactory& pluginFactory() {                                \
        static const ::tradehost::detail::FactoryFor<Type> factory;                    \
        return factory;                                                                \
    }                                                                                  \
    }                                                                                  \
    BOOST_DLL_ALIAS(tradehost_plugin_export::abiStamp, tradehost_abi_stamp)            \
    BOOST_DLL_ALIAS(tradehost_plugin_export::pluginFactory, tradehost_plugin_factory)
