// Rules for the relative paths stored in log entries.
#pragma once

#include "log/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace famfs::log {

// Splits a relpath from the log into its normalised components ("a//b/./c" -> a, b, c;
// "a/../b" -> b). Refuses an empty path, an absolute path, a path of 80 bytes or more, and a
// ".." that climbs above the root (Errc::invalid_argument, naming the path).
Result<std::vector<std::string>> split_relpath(std::string_view path);
// The same into `parts` (cleared first): views into `path`, so replay splits a path without
// allocating once `parts` has grown to the depth it needs.
Result<void> split_relpath_into(std::string_view path, std::vector<std::string_view>& parts);

// Joins components with '/'.
std::string join_path(const std::vector<std::string>& parts);
std::string join_path(const std::vector<std::string_view>& parts);

} // namespace famfs::log
