# famfs_warnings (every target) and famfs_strict_warnings (log/ and core/ only).
add_library(famfs_warnings INTERFACE)
target_compile_options(famfs_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wcast-align
  -Wnull-dereference -Wextra-semi -Wimplicit-fallthrough -Wformat=2
  $<$<CXX_COMPILER_ID:GNU>:-Wlogical-op>)
if(FAMFS_WERROR)
  target_compile_options(famfs_warnings INTERFACE -Werror)
endif()

add_library(famfs_strict_warnings INTERFACE)
target_link_libraries(famfs_strict_warnings INTERFACE famfs_warnings)
target_compile_options(famfs_strict_warnings INTERFACE -Wconversion -Wsign-conversion)
