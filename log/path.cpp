#include "log/path.hpp"

#include "log/format.hpp"

namespace famfs::log {

Result<void> split_relpath_into(std::string_view path, std::vector<std::string_view>& parts) {
  parts.clear();
  if (path.empty()) {
    return fail(Errc::invalid_argument, "empty path");
  }
  if (path.front() == '/') {
    return fail(Errc::invalid_argument, "{}: path is not relative", path);
  }
  if (path.size() >= k_max_pathlen) {
    return fail(Errc::invalid_argument, "{}: path is {} bytes; famfs paths are at most {}", path,
                path.size(), k_max_pathlen - 1);
  }
  std::size_t i = 0;
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
      parts.pop_back();
    } else if (!c.empty() && c != ".") {
      parts.push_back(c);
    }
    i = j + 1;
  }
  if (parts.empty()) {
    return fail(Errc::invalid_argument, "{}: path names the root", path);
  }
  return {};
}

Result<std::vector<std::string>> split_relpath(std::string_view path) {
  std::vector<std::string_view> views;
  FAMFS_TRY(split_relpath_into(path, views));
  return std::vector<std::string>(views.begin(), views.end());
}

namespace {

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

} // namespace

std::string join_path(const std::vector<std::string>& parts) {
  return join(parts);
}
std::string join_path(const std::vector<std::string_view>& parts) {
  return join(parts);
}

} // namespace famfs::log
