#include "core/mkfs.hpp"

#include "core/device.hpp"
#include "core/mounts.hpp"
#include "core/system_uuid.hpp"
#include "core/trace.hpp"
#include "core/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace famfs::core {

using log::u64;

u64 min_device_size(u64 log_len) { return log::first_data_offset(log_len) + log::k_alloc_unit; }

Result<void> check_log_len(u64 log_len) {
  if (log_len < log::k_min_log_len || (log_len & (log_len - 1)) != 0) {
    return Unexpected{with_hint(
        make_error(Errc::invalid_argument,
                   "invalid log length {}: it must be a power of two of at least 8 MiB", log_len),
        "use e.g. --loglen 8m, 16m, 64m or 256m")};
  }
  return {};
}

namespace {

Result<void> prepare_backing_file(const std::string& path, u64 size) {
  struct stat st {};
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    return fail(Errc::invalid_argument, "{}: --size applies only to regular backing files", path);
  }
  if (exists && static_cast<u64>(st.st_size) >= size) {
    return {}; // never shrink
  }
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) {
    return sys_error(errno, path);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return sys_error(errno, path);
  }
  return {};
}

} // namespace

Result<log::Superblock> mkfs(const std::string& path, const MkfsOptions& opts) {
  const bool kill = opts.kill == Kill::yes && opts.force == Force::yes;
  if (!kill) {
    FAMFS_TRY(check_log_len(opts.log_len));
  }
  std::string mnt;
  FAMFS_TRY_ASSIGN(bool mounted, device_is_mounted(path, &mnt));
  if (mounted) {
    return Unexpected{with_hint(make_error(Errc::busy, "{}: device is mounted on {}", path, mnt),
                                fmt::format("unmount it first: famfs umount {}", mnt))};
  }
  if (opts.create_size != 0) {
    FAMFS_TRY(prepare_backing_file(path, opts.create_size));
  }
  FAMFS_TRY_ASSIGN(Device dev, Device::open(path, OpenMode::read_write));

  auto existing = log::parse_superblock(dev.bytes().first(std::min<u64>(dev.size(), 200)));
  const bool has_fs = existing || existing.error().code == Errc::bad_version;
  if (kill) {
    if (!has_fs) {
      return fail(Errc::not_found, "{}: no famfs superblock to kill", path);
    }
    std::memset(dev.at(0), 0, 8);
    FAMFS_TRY(dev.persist(0, 8));
    return existing ? *existing : log::Superblock{};
  }
  if (has_fs && opts.force == Force::no) {
    return Unexpected{with_hint(make_error(Errc::exists, "{}: already holds a famfs file system", path),
                                "use --force to overwrite it (its files are lost)")};
  }
  const u64 need = min_device_size(opts.log_len);
  if (dev.size() < need) {
    return Unexpected{with_hint(
        make_error(Errc::invalid_argument,
                   "{}: device of {} bytes is too small; a {}-byte log needs at least {} bytes", path,
                   dev.size(), opts.log_len, need),
        "grow a backing file with --size, or use a smaller --loglen")};
  }
  FAMFS_TRY_ASSIGN(log::Uuid host, get_system_uuid());

  log::Superblock sb;
  sb.log_len = opts.log_len;
  sb.fs_uuid = random_uuid();
  sb.dev_uuid = random_uuid();
  sb.system_uuid = host;
  sb.dev_size = dev.size();
  sb.dev_name = path.substr(0, log::k_devname_len);

  // The log first: zeroed, then its header; persisted before any superblock names it.
  auto logspan = dev.bytes().subspan(log::k_log_offset, opts.log_len);
  std::memset(logspan.data(), 0, logspan.size());
  log::encode_log_header(log::make_log_header(opts.log_len), logspan);
  FAMFS_TRY(dev.persist(log::k_log_offset, opts.log_len));
  // Then the backup superblock, and the primary last: a crash before this point leaves no
  // valid primary, so nothing half-made is ever taken for a file system.
  log::encode_superblock(sb, dev.bytes().subspan(log::k_backup_sb_offset, log::k_superblock_size));
  FAMFS_TRY(dev.persist(log::k_backup_sb_offset, log::k_superblock_size));
  log::encode_superblock(sb, dev.bytes().first(log::k_superblock_size));
  FAMFS_TRY(dev.persist(0, log::k_superblock_size));
  auto written = log::parse_superblock(dev.bytes().first(log::k_superblock_size));
  if (!written) {
    return fail(Errc::io, "{}: superblock did not read back; is the device writable?", path);
  }
  FAMFS_TRACE(1, "mkfs {}: log {} bytes, {} slots", path, opts.log_len, log::slots_for(opts.log_len));
  return *written;
}

} // namespace famfs::core
