# Language standard, build types and the famfs_settings interface target.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
include(GNUInstallDirs)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
# CI: optimised, with asserts kept and line-table debug info (enough for backtraces and sanitizer
# reports; full -g costs the test command's builds much more time).
set(CMAKE_CXX_FLAGS_CI "-O2 -g1" CACHE STRING "Flags for the CI build type")

# -Werror only where the project asks for it (scripts/test.sh's legs, CI), never by default: a
# user's build (demo.sh, bench.sh, a plain `cmake -S . -B build`) must not fail on a warning that a
# newer or older compiler adds. The test command builds every user configuration with it ON.
option(FAMFS_WERROR "Treat warnings as errors" OFF)
set(FAMFS_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")
option(FAMFS_BUILD_TESTS "Build the tests" ON)
option(FAMFS_FUSE_TESTS "Register the tests that make real FUSE mounts" ON)
option(FAMFS_VM_TESTS "Register the multi-host tests in QEMU guests (label vm, scripts/vm.sh)" OFF)

add_library(famfs_settings INTERFACE)
target_compile_features(famfs_settings INTERFACE cxx_std_20)
target_include_directories(famfs_settings INTERFACE ${CMAKE_SOURCE_DIR})
target_compile_options(famfs_settings INTERFACE $<$<CONFIG:Debug>:-D_GLIBCXX_ASSERTIONS>)
if(FAMFS_SANITIZE)
  # The sanitizer legs also check the standard library's preconditions (bounds, non-empty front()),
  # whatever the build type.
  target_compile_options(famfs_settings INTERFACE -fsanitize=${FAMFS_SANITIZE}
                                                  -fno-omit-frame-pointer -fno-sanitize-recover=all
                                                  -D_GLIBCXX_ASSERTIONS)
  target_link_options(famfs_settings INTERFACE -fsanitize=${FAMFS_SANITIZE})
endif()

# The headers nearly every file of log/, core/, fuse/ and cli/ includes, parsed once per library
# as a precompiled header instead of once per file (about 1 s less per file with GCC and Clang at
# -O3: the test command compiles each file three times). Set CMAKE_DISABLE_PRECOMPILE_HEADERS=ON
# to build without (e.g. to check that every file includes what it uses).
set(famfs_common_headers <fmt/format.h> <algorithm> <cerrno> <cstdint> <cstring> <memory>
                         <optional> <span> <string> <string_view> <vector>)
# ccache caches the files compiled with it (test.sh sets the sloppiness its manual asks for). GCC's
# precompiled header is restored from the cache, so a fresh clone anywhere hits. Clang's records
# the build tree's path, so Clang's files hit only in a checkout at the same path (a rerun, a
# rebuilt build tree), and only when the header records no time stamps (ccache's manual:
# -fno-pch-timestamp). A cold Clang build costs about 20% more CPU without the header, so Clang
# uses it all the same.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(famfs_settings INTERFACE "SHELL:-Xclang -fno-pch-timestamp")
endif()
function(famfs_precompile target)
  target_precompile_headers(${target} PRIVATE ${ARGN} ${famfs_common_headers})
endfunction()
