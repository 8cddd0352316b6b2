// Marks SDK types visible so RTTI and exceptions work across the host/plugin boundary.
#pragma once

// Everything is built with hidden visibility; the SDK's polymorphic types and exception types
// must stay visible, or a dynamic_cast / catch in the host would not match the plugin's typeinfo.
#if defined(__GNUC__) || defined(__clang__)
#define TRADEHOST_SDK_API __attribute__((visibility("default")))
#else
#define TRADEHOST_SDK_API
#endif
