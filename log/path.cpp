#include "log/path.hpp"

#include "log/format.hpp"

namespace famfs::log {

namespace {

enum class Root { refused, allowed };

template <typename Part> std::string join(const std::vector<Part>& parts) {
  std::string s;
  for (const auto& p : parts) {
    if (!s.empty()) {
      s += '/';
    }
    s += p;
  }
  return s;
}

// The one splitter behind every entry point: components in `parts`, "." and empty ones
// dropped, ".." applied.
Result<void> split(std::string_view path, std::vector<std::string_view>& parts, Root root) {
  parts.clear();
  if (path.empty() && root == Root::refused) {
    return fail(Errc::invalid_argument, "empty path");
  }
  if (!path.empty() && path.front() == '/') {
    return fail(Errc::invalid_argument, "{}: path is not relative to the file system root", path);
  }
  std::size_t i = 0;
  std::size_t joined = 0; // length of the normalised path
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    std::string_view c = path.substr(i, j - i);
    if (c == "..") {
      if (parts.empty()) {
        return fail(Errc::invalid_argument, "{}: path escapes the file system root", path);
      }
      joined -= parts.back().size() + (parts.size() > 1 ? 1 : 0);
      parts.pop_back();
    } else if (!c.empty() && c != ".") {
      joined += c.size() + (parts.empty() ? 0 : 1);
      parts.push_back(c);
    }
    i = j + 1;
  }
  if (joined >= k_max_pathlen) {
    const std::string norm = join(parts);
    return fail(Errc::invalid_argument, "{}: path is {} bytes; famfs paths are at most {}", norm,
                norm.size(), k_max_pathlen - 1);
  }
  if (parts.empty() && root == Root::refused) {
    return fail(Errc::invalid_argument, "{}: path names the root", path);
  }
  return {};
}

} // namespace

Result<void> split_relpath_into(std::string_view path, std::vector<std::string_view>& parts) {
  return split(path, parts, Root::refused);
}

Result<std::vector<std::string>> split_relpath(std::string_view path) {
  std::vector<std::string_view> views;
  FAMFS_TRY(split(path, views, Root::refused));
  return std::vector<std::string>(views.begin(), views.end());
}

Result<std::vector<std::string>> split_user_path(std::string_view path) {
  std::vector<std::string_view> views;
  FAMFS_TRY(split(path, views, Root::allowed));
  return std::vector<std::string>(views.begin(), views.end());
}

bool is_normal(std::string_view p) {
  if (p.empty() || p.size() >= k_max_pathlen) {
    return false;
  }
  std::size_t i = 0;
  while (i <= p.size()) {
    std::size_t j = p.find('/', i);
    if (j == std::string_view::npos) {
      j = p.size();
    }
    std::string_view c = p.substr(i, j - i);
    if (c.empty() || c == "." || c == "..") {
      return false;
    }
    i = j + 1;
  }
  return true;
}

bool is_reserved(std::string_view p) {
  return p.substr(0, p.find('/')) == k_meta_dir;
}

Result<void> check_unreserved(std::string_view normalised) {
  if (is_reserved(normalised)) {
    return fail(Errc::invalid_argument, "{}: {} is reserved for famfs metadata", normalised,
                k_meta_dir);
  }
  return {};
}

std::string join_path(const std::vector<std::string>& parts) {
  return join(parts);
}
std::string join_path(const std::vector<std::string_view>& parts) {
  return join(parts);
}

} // namespace famfs::log
