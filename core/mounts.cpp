#include "core/mounts.hpp"

#include <climits>
#include <fmt/format.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace famfs::core {

namespace {

// Undoes the \040-style octal escapes of mountinfo.
std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() + 1 && s.size() - i > 3) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 3).c_str(), nullptr, 8));
      i += 3;
      continue;
    }
    out += s[i];
  }
  return out;
}

} // namespace

std::string real_path(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) != nullptr) {
    return buf;
  }
  return p;
}

Result<std::vector<MountEntry>> read_mounts(const std::string& mountinfo_path) {
  std::ifstream in(mountinfo_path);
  if (!in) {
    return sys_error(errno, mountinfo_path);
  }
  std::vector<MountEntry> out;
  std::string line;
  while (std::getline(in, line)) {
    // id parent maj:min root mountpoint options [optional fields...] - fstype source superopts
    std::istringstream ls(line);
    std::string id, parent, majmin, root, mnt, opts, tok;
    ls >> id >> parent >> majmin >> root >> mnt >> opts;
    while (ls >> tok && tok != "-") {
    }
    MountEntry m;
    ls >> m.fstype >> m.source >> m.super_options;
    m.mountpoint = unescape(mnt);
    m.source = unescape(m.source);
    m.options = opts;
    m.device_number = majmin;
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::string> device_identity(const std::string& device) {
  struct stat st {};
  if (::stat(device.c_str(), &st) != 0) {
    return sys_error(errno, device);
  }
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    return fmt::format("dev-{}:{}", major(st.st_rdev), minor(st.st_rdev));
  }
  return fmt::format("file-{}:{}-{}", major(st.st_dev), minor(st.st_dev), st.st_ino);
}

Result<bool> device_is_mounted(const std::string& device, std::string* mountpoint) {
  FAMFS_TRY_ASSIGN(auto mounts, read_mounts());
  const std::string want = real_path(device);
  const auto id = device_identity(device);
  auto same = [&](const std::string& source) {
    if (source == want || real_path(source) == want) {
      return true;
    }
    auto other = id ? device_identity(source) : id;
    return id && other && *other == *id;
  };
  for (const auto& m : mounts) {
    if (!m.source.empty() && m.source[0] == '/' && same(m.source)) {
      if (mountpoint != nullptr) {
        *mountpoint = m.mountpoint;
      }
      return true;
    }
  }
  return false;
}

Result<MountEntry> famfs_mount_for(const std::string& path, std::string* relpath) {
  // The deepest existing ancestor resolved through symlinks, the missing tail normalised.
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path.empty() ? "." : path, ec);
  std::filesystem::path canon = ec ? abs : std::filesystem::weakly_canonical(abs, ec);
  if (ec) {
    return fail(Errc::not_found, "{}: cannot resolve the path: {}", path, ec.message());
  }
  std::string full = canon.string();
  while (full.size() > 1 && full.back() == '/') {
    full.pop_back();
  }
  FAMFS_TRY_ASSIGN(auto mounts, read_mounts());
  const MountEntry* best = famfs_mount_containing(mounts, full, relpath);
  if (best == nullptr) {
    return fail(Errc::not_found, "{}: not in a famfs file system", path);
  }
  return *best;
}

const MountEntry* famfs_mount_containing(const std::vector<MountEntry>& mounts,
                                         const std::string& full,
                                         std::string* relpath) {
  const MountEntry* best = nullptr;
  for (const auto& m : mounts) {
    if (m.fstype != k_fstype) {
      continue;
    }
    const std::string& mp = m.mountpoint;
    bool inside = full == mp
                  || (full.size() > mp.size() && full.compare(0, mp.size(), mp) == 0
                      && (mp == "/" || full[mp.size()] == '/'));
    if (inside && (best == nullptr || mp.size() > best->mountpoint.size())) {
      best = &m;
    }
  }
  if (best != nullptr && relpath != nullptr) {
    *relpath = full.size() > best->mountpoint.size()
                   ? full.substr(best->mountpoint.size() + (best->mountpoint == "/" ? 0 : 1))
                   : std::string();
  }
  return best;
}

} // namespace famfs::core
