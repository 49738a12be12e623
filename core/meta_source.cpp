#include "core/meta_source.hpp"

#include "log/format.hpp"
#include "log/path.hpp"
#include "log/records.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>

namespace famfs::core {

namespace {

struct OpenedFile {
  UniqueFd fd;
  std::uint64_t size = 0;
};

Result<OpenedFile> open_file(const std::string& path, OpenMode mode) {
  const int flags = (mode == OpenMode::read_write ? O_RDWR : O_RDONLY) | O_CLOEXEC;
  OpenedFile f;
  f.fd = UniqueFd(::open(path.c_str(), flags));
  if (!f.fd) {
    return sys_error(errno, path);
  }
  struct stat st {};
  if (::fstat(f.fd.get(), &st) != 0) {
    return sys_error(errno, path);
  }
  f.size = static_cast<std::uint64_t>(st.st_size);
  return f;
}

// The superblock at the start of the .meta/.superblock file (validated, and with the log right
// after the superblock file, where the .meta/.log file is mapped).
Result<log::Superblock> read_superblock_file(const std::string& file, const OpenedFile& f) {
  std::array<std::byte, log::k_superblock_size> buf{};
  if (f.size < buf.size()
      || ::pread(f.fd.get(), buf.data(), buf.size(), 0) != ssize_t(buf.size())) {
    return fail(Errc::corrupt, "{}: too short to hold a superblock ({} bytes)", file, f.size);
  }
  auto sb = log::parse_superblock(buf);
  if (!sb) {
    return with_context(std::move(sb).error(), file);
  }
  if (sb->log_offset != log::k_log_offset) {
    return fail(Errc::corrupt, "{}: superblock: log offset {:#x} (expected {:#x})", file,
                sb->log_offset, log::k_log_offset);
  }
  return sb;
}

} // namespace

MetaFiles meta_files(const std::string& mountpoint) {
  const std::string dir = fmt::format("{}/{}/", mountpoint, log::k_meta_dir);
  return {dir + ".superblock", dir + ".log"};
}

Result<MetaSource> choose_meta_source(const std::string& path,
                                      DeviceKind kind,
                                      const std::string& mode,
                                      const std::string& mountpoint) {
  if (kind != DeviceKind::devdax || mode == "devdax") {
    return MetaSource{};
  }
  if (mode == "famfs" && !mountpoint.empty()) {
    return MetaSource{MetaAccess::mount_files, mountpoint};
  }
  auto refused = dax_mode_mappable(path, mode);
  if (mode == "famfs") {
    return Unexpected{with_hint(std::move(refused).error(),
                                "a famfs-mode device's metadata is read through the .meta files "
                                "of its famfs mount, and this one is not mounted here")};
  }
  return Unexpected{std::move(refused).error()};
}

Result<MetaSource>
meta_source_for(const std::string& path, const std::string& sysfs, const std::string& mountinfo) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
    return MetaSource{}; // files and pmem; a missing path gets Device::open's message
  }
  const std::string name = dax_devname(path);
  std::error_code ec;
  if (!std::filesystem::exists(fmt::format("{}/bus/dax/devices/{}", sysfs, name), ec)) {
    return MetaSource{}; // not a dax device: Device::open says what it is
  }
  const std::string mode = dax_driver_mode(name, sysfs);
  std::string mountpoint;
  if (mode == "famfs") {
    FAMFS_TRY_ASSIGN(auto mounts, read_mounts(mountinfo));
    const std::string want = real_path(path);
    for (const auto& m : mounts) {
      if (m.fstype == k_fstype && real_path(m.source) == want) {
        mountpoint = m.mountpoint;
      }
    }
  }
  return choose_meta_source(path, DeviceKind::devdax, mode, mountpoint);
}

Result<Device> open_metadata(const std::string& path, OpenMode mode) {
  FAMFS_TRY_ASSIGN(MetaSource src, meta_source_for(path));
  if (src.access == MetaAccess::device) {
    return Device::open(path, mode);
  }
  const MetaFiles f = meta_files(src.mountpoint);
  return Device::open_meta_files(path, f.superblock, f.log, mode);
}

Result<Device> Device::open_meta_files(const std::string& path,
                                       const std::string& superblock_file,
                                       const std::string& log_file,
                                       OpenMode mode) {
  FAMFS_TRY_ASSIGN(OpenedFile sbf, open_file(superblock_file, mode));
  FAMFS_TRY_ASSIGN(log::Superblock sb, read_superblock_file(superblock_file, sbf));
  FAMFS_TRY_ASSIGN(OpenedFile logf, open_file(log_file, mode));
  if (logf.size < sb.log_len) {
    return fail(Errc::corrupt, "{}: {} bytes, shorter than the {}-byte log the superblock declares",
                log_file, logf.size, sb.log_len);
  }
  const std::uint64_t meta_end = sb.log_offset + sb.log_len;
  const auto access = mode == OpenMode::read_write ? Access::read_write : Access::read_only;
  FAMFS_TRY_ASSIGN(Mapping map, Mapping::reserve(std::max(sb.dev_size, meta_end), path));
  if (auto r = map.overlay(0, sbf.fd.get(), std::min(sbf.size, sb.log_offset), access); !r) {
    return with_context(std::move(r).error(), superblock_file);
  }
  if (auto r = map.overlay(sb.log_offset, logf.fd.get(), sb.log_len, access); !r) {
    return with_context(std::move(r).error(), log_file);
  }
  Device d;
  d.m_path = path;
  d.m_lock_path = log_file;
  d.m_kind = DeviceKind::meta_files;
  d.m_fd = std::move(logf.fd);
  d.m_map = std::move(map);
  d.m_meta_end = meta_end;
  return d;
}

} // namespace famfs::core
