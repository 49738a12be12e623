// The rules for relative paths in famfs, in one place: splitting, normalising, the length limit
// and the reserved names. The log writer (core::Session), the replay (core::Tree) and fsck all
// call these, so that none of them accepts a path another refuses.
#pragma once

#include "log/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace famfs::log {

// The directory that holds famfs's own files (.meta/.superblock, .meta/.log). No log entry may
// name it or anything inside it.
inline constexpr std::string_view k_meta_dir = ".meta";

// Splits a relpath from a log entry into its normalised components ("a//b/./c" -> a, b, c;
// "a/../b" -> b). Refuses an empty path, an absolute path, a ".." that climbs above the root, a
// path that names the root, and a normalised path of 80 bytes or more (Errc::invalid_argument,
// naming the path). Reserved names are checked apart (check_unreserved), so that fsck can tell
// the two kinds of problem.
Result<std::vector<std::string>> split_relpath(std::string_view path);
// The same into `parts` (cleared first): views into `path`, so replay splits a path without
// allocating once `parts` has grown to the depth it needs.
Result<void> split_relpath_into(std::string_view path, std::vector<std::string_view>& parts);

// Splits a path a user names relative to the file system root: the same rules, except that
// the root itself ("", ".", "a/..") is allowed and gives no components.
Result<std::vector<std::string>> split_user_path(std::string_view path);

// True when `p` is already in normal form: relative, non-empty, shorter than the field, with no
// empty, "." or ".." component. Normalising such a path returns it unchanged.
bool is_normal(std::string_view p);

// True when the normalised path `p` (or its first component) is reserved: .meta or inside it.
bool is_reserved(std::string_view p);
// Errc::invalid_argument ("<path>: .meta is reserved for famfs metadata") when the normalised
// path `normalised` is reserved.
Result<void> check_unreserved(std::string_view normalised);

// Joins components with '/'.
std::string join_path(const std::vector<std::string>& parts);
std::string join_path(const std::vector<std::string_view>& parts);

} // namespace famfs::log
