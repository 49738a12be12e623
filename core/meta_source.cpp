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
#include <optional>

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

namespace {

// The dax mode of `path` from sysfs; nullopt when it is not a character device sysfs lists as a
// dax device (files and pmem; a missing path gets Device::open's message).
std::optional<std::string> dax_mode_at(const std::string& path, const std::string& sysfs) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
    return std::nullopt;
  }
  const std::string name = dax_devname(path);
  std::error_code ec;
  if (!std::filesystem::exists(fmt::format("{}/bus/dax/devices/{}", sysfs, name), ec)) {
    return std::nullopt; // not a dax device: Device::open says what it is
  }
  return dax_driver_mode(name, sysfs);
}

// The famfs mount of `path` listed in `mountinfo` (source compared by realpath); "" when none.
Result<std::string> famfs_mount_of(const std::string& path, const std::string& mountinfo) {
  FAMFS_TRY_ASSIGN(auto mounts, read_mounts(mountinfo));
  const std::string want = real_path(path);
  std::string mountpoint;
  for (const auto& m : mounts) {
    if (m.fstype == k_fstype && real_path(m.source) == want) {
      mountpoint = m.mountpoint;
    }
  }
  return mountpoint;
}

} // namespace

Result<MetaSource>
meta_source_for(const std::string& path, const std::string& sysfs, const std::string& mountinfo) {
  const auto mode = dax_mode_at(path, sysfs);
  if (!mode) {
    return MetaSource{};
  }
  std::string mountpoint;
  if (*mode == "famfs") {
    FAMFS_TRY_ASSIGN(mountpoint, famfs_mount_of(path, mountinfo));
  }
  return choose_meta_source(path, DeviceKind::devdax, *mode, mountpoint);
}

Result<MountSequence> choose_mount_sequence(const std::string& path,
                                            const std::string& mode,
                                            SetDaxmode set_daxmode,
                                            const std::string& mountpoint,
                                            const HostGeometry& g) {
  if (mode != "famfs" || set_daxmode == SetDaxmode::yes) {
    return MountSequence::map_device;
  }
  if (!mountpoint.empty()) {
    return Unexpected{with_hint(
        make_error(Errc::busy,
                   "{}: already mounted on {}; a famfs-mode device is not switched to devdax "
                   "mode to read its metadata while it is mounted",
                   path, mountpoint),
        fmt::format("famfs umount {}", mountpoint))};
  }
  if (auto fits = host_geometry_fits(g); !fits) {
    return with_context(std::move(fits).error(), path);
  }
  return MountSequence::famfs_mode;
}

Result<MountSequence> mount_sequence_for(const std::string& path,
                                         SetDaxmode set_daxmode,
                                         const std::string& sysfs,
                                         const std::string& mountinfo) {
  const auto mode = dax_mode_at(path, sysfs);
  if (!mode) {
    return MountSequence::map_device;
  }
  std::string mountpoint;
  if (*mode == "famfs" && set_daxmode == SetDaxmode::no) {
    FAMFS_TRY_ASSIGN(mountpoint, famfs_mount_of(path, mountinfo));
  }
  return choose_mount_sequence(path, *mode, set_daxmode, mountpoint, host_geometry(sysfs));
}

Result<Device> open_metadata(const std::string& path, OpenMode mode) {
  FAMFS_TRY_ASSIGN(MetaSource src, meta_source_for(path));
  if (src.access == MetaAccess::device) {
    return Device::open(path, mode);
  }
  const MetaFiles f = meta_files(src.mountpoint);
  return Device::open_meta_files(path, f.superblock, f.log, mode);
}

Result<OpenedMetaFiles> open_meta_files(const MetaFiles& files, OpenMode mode) {
  OpenedMetaFiles f;
  f.superblock_path = files.superblock;
  f.log_path = files.log;
  FAMFS_TRY_ASSIGN(OpenedFile sbf, open_file(files.superblock, mode));
  FAMFS_TRY_ASSIGN(f.sb, read_superblock_file(files.superblock, sbf));
  FAMFS_TRY_ASSIGN(OpenedFile logf, open_file(files.log, mode));
  if (logf.size < f.sb.log_len) {
    return fail(Errc::corrupt, "{}: {} bytes, shorter than the {}-byte log the superblock declares",
                files.log, logf.size, f.sb.log_len);
  }
  f.superblock = std::move(sbf.fd);
  f.superblock_size = sbf.size;
  f.log = std::move(logf.fd);
  return f;
}

Result<Device> Device::open_meta_files(const std::string& path,
                                       const std::string& superblock_file,
                                       const std::string& log_file,
                                       OpenMode mode) {
  FAMFS_TRY_ASSIGN(OpenedMetaFiles f, core::open_meta_files({superblock_file, log_file}, mode));
  const std::uint64_t meta_end = f.sb.log_offset + f.sb.log_len;
  Device d;
  FAMFS_TRY_ASSIGN(d.m_map, Mapping::reserve(std::max(f.sb.dev_size, meta_end), path));
  d.m_path = path;
  d.m_lock_path = log_file;
  d.m_kind = DeviceKind::meta_files;
  d.m_meta_end = meta_end;
  FAMFS_TRY(
      d.overlay_meta(f, mode == OpenMode::read_write ? Access::read_write : Access::read_only));
  d.m_fd = std::move(f.log);
  return d;
}

Result<Device> Device::copy_metadata(const Device& src, std::uint64_t meta_end) {
  FAMFS_ASSERT(meta_end != 0 && meta_end <= src.size());
  Device d;
  FAMFS_TRY_ASSIGN(d.m_map, Mapping::reserve(src.size(), src.path()));
  if (auto r = d.m_map.overlay_copy(0, src.bytes().first(meta_end)); !r) {
    return with_context(std::move(r).error(), fmt::format("{}: copying its metadata", src.path()));
  }
  d.m_path = src.path();
  d.m_kind = DeviceKind::meta_files;
  d.m_meta_end = meta_end;
  return d;
}

Result<void> Device::map_meta_files(const OpenedMetaFiles& files) {
  FAMFS_ASSERT(m_kind == DeviceKind::meta_files);
  if (files.sb.log_offset + files.sb.log_len != m_meta_end) {
    return fail(Errc::corrupt,
                "{}: its superblock declares a log of {} bytes at {:#x}; the file system read "
                "before the mount has its metadata end at {:#x}",
                files.superblock_path, files.sb.log_len, files.sb.log_offset, m_meta_end);
  }
  return overlay_meta(files, m_map.access());
}

Result<void> Device::overlay_meta(const OpenedMetaFiles& f, Access access) {
  const std::uint64_t sb_len = std::min(f.superblock_size, f.sb.log_offset);
  if (auto r = m_map.overlay(0, f.superblock.get(), sb_len, access); !r) {
    return with_context(std::move(r).error(), f.superblock_path);
  }
  if (auto r = m_map.overlay(f.sb.log_offset, f.log.get(), f.sb.log_len, access); !r) {
    return with_context(std::move(r).error(), f.log_path);
  }
  return {};
}

} // namespace famfs::core
