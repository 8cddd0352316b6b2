// Broken on purpose: a shared library with no tradehost alias at all.
extern "C" __attribute__((visibility("default"))) int some_other_library_function() { return 42; }
