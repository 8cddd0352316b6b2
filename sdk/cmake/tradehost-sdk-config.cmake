# The tradehost SDK for CMake: the `tradehost::sdk` target and `tradehost_add_plugin()`.
#
# In the tradehost tree this file is included by the top-level CMakeLists.txt. Out of tree:
#   find_package(tradehost-sdk CONFIG REQUIRED PATHS /path/to/tradehost/sdk/cmake)
# See sdk/README.md.
include_guard(GLOBAL)

get_filename_component(_tradehost_sdk_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

# BOOST_DLL_ALIAS (used by TRADEHOST_PLUGIN) is header-only; nothing else of Boost is needed.
find_package(Boost 1.74 REQUIRED)

if(NOT TARGET tradehost::sdk)
  add_library(tradehost_sdk INTERFACE)
  add_library(tradehost::sdk ALIAS tradehost_sdk)
  target_include_directories(tradehost_sdk INTERFACE "${_tradehost_sdk_root}/include")
  target_link_libraries(tradehost_sdk INTERFACE Boost::headers)
  target_compile_features(tradehost_sdk INTERFACE cxx_std_17)
endif()

# tradehost_add_plugin(<type> SOURCES a.cpp ... [OUTPUT_DIRECTORY dir] [ALLOW_UNDEFINED])
# Builds tradehost_<type>.so as a MODULE library the host can load: hidden visibility, every
# symbol resolved at link time (-Wl,--no-undefined), the SDK on the include path.
function(tradehost_add_plugin type)
  cmake_parse_arguments(P "ALLOW_UNDEFINED" "OUTPUT_DIRECTORY;TARGET" "SOURCES" ${ARGN})
  if(NOT P_TARGET)
    set(P_TARGET "tradehost_plugin_${type}")
  endif()
  add_library(${P_TARGET} MODULE ${P_SOURCES})
  target_link_libraries(${P_TARGET} PRIVATE tradehost::sdk)
  set_target_properties(${P_TARGET} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "tradehost_${type}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(P_OUTPUT_DIRECTORY)
    set_target_properties(${P_TARGET} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${P_OUTPUT_DIRECTORY}")
  endif()
  if(NOT P_ALLOW_UNDEFINED)
    target_link_options(${P_TARGET} PRIVATE "LINKER:--no-undefined")
  endif()
endfunction()
