// Debug output ("trace"; "log" always means the on-media log). Off unless -v or a daemon log
// file turns it on. Never used for what a user is meant to read.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string_view>

namespace famfs::core {

// 0 off, 1 (-v) summary, 2 (-vv) every step, 3 every request.
int trace_level();
void set_trace_level(int level);
// Sends trace to `f` (stderr by default); the mount daemon points it at its log file.
void set_trace_file(std::FILE* f);
void trace_write(std::string_view line);

} // namespace famfs::core

#define FAMFS_TRACE(level, ...)                                                                    \
  do {                                                                                             \
    if (::famfs::core::trace_level() >= (level)) {                                                 \
      ::famfs::core::trace_write(fmt::format(__VA_ARGS__));                                        \
    }                                                                                              \
  } while (false)
