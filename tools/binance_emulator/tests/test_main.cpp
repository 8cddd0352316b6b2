// Catch2's main for the emulator tests, used only when the tree's shared catch_main is not defined.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
