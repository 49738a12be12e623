#include "core/mkfs.hpp"

#include "core/device.hpp"
#include "core/log_writer.hpp"
#include "core/mounts.hpp"
#include "core/signatures.hpp"
#include "core/size_text.hpp"
#include "core/system_uuid.hpp"
#include "core/trace.hpp"
#include "core/unique_fd.hpp"

#include <climits>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace famfs::core {

using log::u64;

u64 min_device_size(u64 log_len) {
  return log::first_data_offset(log_len) + log::k_alloc_unit;
}

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

// A backing file this mkfs created: removed again unless keep() is called, so a failed mkfs
// leaves nothing behind. A file that existed before is never removed (nor shrunk).
class CreatedFile {
public:
  CreatedFile() = default;
  CreatedFile(const CreatedFile&) = delete;
  CreatedFile& operator=(const CreatedFile&) = delete;
  ~CreatedFile() {
    if (!m_path.empty()) {
      ::unlink(m_path.c_str());
    }
  }
  void set(std::string path) { m_path = std::move(path); }
  void keep() { m_path.clear(); }

private:
  std::string m_path;
};

// Refuses to grow a backing file by `more` bytes when its file system has less free: the
// mapping would otherwise fault (SIGBUS) on the first write past the free space.
Result<void> check_free_space(const std::string& path, bool exists, u64 size, u64 more) {
  // Built, not assigned: GCC 12 -O3 warns (-Wrestrict) on assigning a literal to a string here.
  const std::string parent = std::filesystem::path(path).parent_path().string();
  const std::string where = parent.empty() ? std::string(".") : parent;
  const std::string& dir = exists ? path : where;
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) {
    return sys_error(errno, dir);
  }
  const u64 avail = static_cast<u64>(vfs.f_bavail) * vfs.f_frsize;
  if (more > avail) {
    return Unexpected{
        with_hint(make_error(Errc::no_space, "{}: {} is larger than the {} free on {}", path,
                             size_words(size), size_words(avail), where),
                  "free space there, or choose a smaller --size")};
  }
  return {};
}

// Creates `path` (remembered in `created`) or grows it, sparse, to `size`; never shrinks.
Result<void> prepare_backing_file(const std::string& path, u64 size, CreatedFile& created) {
  struct stat st {};
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    return fail(Errc::invalid_argument, "{}: --size applies only to regular backing files", path);
  }
  const u64 have = exists ? static_cast<u64>(st.st_size) : 0;
  if (exists && have >= size) {
    return {}; // never shrink
  }
  FAMFS_TRY(check_free_space(path, exists, size, size - have));
  // O_EXCL: only a file this call made is ever removed on failure.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | (exists ? 0 : O_CREAT | O_EXCL), 0600));
  if (!fd) {
    return sys_error(errno, path);
  }
  if (!exists) {
    created.set(path);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return sys_error(errno, path);
  }
  return {};
}

} // namespace

namespace {

// What is on the device now: a famfs superblock (valid, of another version, or damaged but still
// carrying the magic) in the primary slot, or a valid backup copy.
struct Existing {
  bool primary_magic = false;
  bool backup_magic = false;
  bool any() const { return primary_magic || backup_magic; }
  Result<log::Superblock> primary = fail(Errc::not_found, "no superblock");
};

Existing find_existing(const Device& dev) {
  Existing x;
  if (dev.size() >= log::k_superblock_size) {
    auto b = dev.bytes().first(log::k_superblock_size);
    x.primary_magic = log::get64(b, 0) == log::k_super_magic;
    x.primary = log::parse_superblock(b);
  }
  if (dev.size() >= log::k_backup_sb_offset + log::k_superblock_size) {
    auto b = dev.bytes().subspan(log::k_backup_sb_offset, log::k_superblock_size);
    x.backup_magic = log::get64(b, 0) == log::k_super_magic;
  }
  return x;
}

// Zeroes the magic of the primary superblock and of the backup, persisting each.
Result<void> zero_magics(const Device& dev, const Existing& x) {
  if (x.primary_magic) {
    std::memset(dev.at(0), 0, 8);
    FAMFS_TRY(dev.persist(0, 8));
  }
  if (x.backup_magic) {
    std::memset(dev.at(log::k_backup_sb_offset), 0, 8);
    FAMFS_TRY(dev.persist(log::k_backup_sb_offset, 8));
  }
  return {};
}

// Zeroes [off, off + len). A backing file gets a hole punched instead (it stays sparse and
// nothing is written); memory devices, and files whose file system cannot punch, get memset.
void zero_range(const Device& dev, u64 off, u64 len) {
  if (dev.kind() == DeviceKind::file
      && ::fallocate(dev.fd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off),
                     static_cast<off_t>(len))
             == 0) {
    return;
  }
  std::memset(dev.at(off), 0, len);
}

// Another file system or a partition table on the device (libblkid): refused without
// Force::yes; with it, their signatures are erased so that nothing reports them afterwards.
// A devdax device is not a block device and carries nothing blkid knows.
Result<void> handle_foreign(const Device& dev, const std::string& path, Force force) {
  if (dev.kind() == DeviceKind::devdax) {
    return {};
  }
  const Wipe wipe = force == Force::yes ? Wipe::yes : Wipe::no;
  FAMFS_TRY_ASSIGN(auto found, foreign_signatures(dev.fd(), path, wipe));
  if (!found.empty() && force == Force::no) {
    std::string what = found.front();
    for (std::size_t i = 1; i < found.size(); ++i) {
      what += " and " + found[i];
    }
    return Unexpected{with_hint(make_error(Errc::exists, "{}: contains {}", path, what),
                                "use --force to overwrite it (its data is lost)")};
  }
  return {};
}

Error too_small(const std::string& path, u64 size, u64 log_len) {
  const u64 need = min_device_size(log_len);
  return with_hint(
      make_error(Errc::invalid_argument,
                 "{}: device of {} bytes is too small; a file system with a {} log needs at "
                 "least {} bytes ({}: superblock, log and one allocation unit)",
                 path, size, size_arg(log_len), need, size_arg(need)),
      fmt::format("grow a backing file with --size {}, or use a smaller --loglen", size_arg(need)));
}

// --size: refuses a too-small size, or a path that is no regular file, before creating or
// growing anything; then creates or grows the backing file (`created` removes it on failure).
Result<void>
create_backing_file(const std::string& path, const MkfsOptions& opts, CreatedFile& created) {
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    return fail(Errc::invalid_argument, "{}: --size applies only to regular backing files", path);
  }
  if (!exists && looks_like_daxdev(path)) {
    // Never create a regular file named like a dax device (in /dev, as root).
    return fail(Errc::not_found, "{}: no such dax device (see daxctl list)", path);
  }
  const u64 have = exists ? static_cast<u64>(st.st_size) : 0;
  if (std::max(have, opts.create_size) < min_device_size(opts.log_len)) {
    return Unexpected{too_small(path, std::max(have, opts.create_size), opts.log_len)};
  }
  return prepare_backing_file(path, opts.create_size, created);
}

// The device exists (with a hint for a missing backing file or dax device), and a backing file
// is not empty (unless killing, which needs no room).
Result<void> check_device_exists(const std::string& path, u64 log_len, Kill kill) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    Error e = sys_error(errno, path);
    if (e.sys_errno == ENOENT && looks_like_daxdev(path)) {
      return fail(Errc::not_found, "{}: no such dax device (see daxctl list)", path);
    }
    if (e.sys_errno == ENOENT) {
      e = with_hint(std::move(e),
                    "to make a backing file, give its size: famfs mkfs --size 1g " + path);
    }
    return Unexpected{std::move(e)};
  }
  if (S_ISREG(st.st_mode) && st.st_size == 0 && kill == Kill::no) {
    return Unexpected{too_small(path, 0, log_len)};
  }
  return {};
}

// Writes the new file system. Persistence order, so that a crash at any point leaves either the
// old file system, no file system, or the new one, never a superblock naming a half-written log:
//   1. an existing file system loses its magics (primary and backup);
//   2. the log is zeroed and given its header, and persisted;
//   3. the backup superblock is written and persisted;
//   4. the primary superblock is written and persisted last: only now is there a file system.
// A sparse backing file on a full file system: "no space", before anything is written.
Result<void> write_filesystem(Device& dev, const Existing& existing, const log::Superblock& sb) {
  FAMFS_TRY(dev.reserve(0, log::k_superblock_size));
  FAMFS_TRY(dev.reserve(log::k_backup_sb_offset, log::k_superblock_size));
  FAMFS_TRY(dev.reserve(log::k_log_offset, log::k_log_header_size));
  FAMFS_TRY(zero_magics(dev, existing));
  auto logspan = dev.bytes().subspan(log::k_log_offset, sb.log_len);
  zero_range(dev, log::k_log_offset, sb.log_len);
  FAMFS_TRY(dev.reserve(log::k_log_offset, log::k_log_header_size)); // the punch freed it
  log::encode_log_header(log::make_log_header(sb.log_len), logspan);
  FAMFS_TRY(dev.persist(log::k_log_offset, sb.log_len));
  log::encode_superblock(sb, dev.bytes().subspan(log::k_backup_sb_offset, log::k_superblock_size));
  FAMFS_TRY(dev.persist(log::k_backup_sb_offset, log::k_superblock_size));
  log::encode_superblock(sb, dev.bytes().first(log::k_superblock_size));
  return dev.persist(0, log::k_superblock_size);
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
  CreatedFile created; // removed on any failure below
  if (opts.create_size != 0 && !kill) {
    FAMFS_TRY(create_backing_file(path, opts, created));
  }
  FAMFS_TRY(check_device_exists(path, opts.log_len, kill ? Kill::yes : Kill::no));
  auto opened = Device::open(path, OpenMode::read_write);
  if (!opened) {
    return Unexpected{std::move(opened).error()};
  }
  Device dev = std::move(*opened);
  // Under the log lock: a creat or cp appending to the old file system finishes first.
  FAMFS_TRY_ASSIGN(UniqueFd log_lock, lock_log(path));

  const Existing existing = find_existing(dev);
  if (kill) {
    // Kill zeroes the magic of both copies: with only the primary gone, a backup would let a
    // later repair bring back the file system the user asked to kill.
    if (!existing.any()) {
      return fail(Errc::not_found, "{}: no famfs superblock to kill", path);
    }
    FAMFS_TRY(zero_magics(dev, existing));
    return existing.primary ? *existing.primary : log::Superblock{};
  }
  if (existing.any() && opts.force == Force::no) {
    return Unexpected{
        with_hint(make_error(Errc::exists, "{}: already holds a famfs file system", path),
                  "use --force to overwrite it (its files are lost)")};
  }
  if (dev.size() < min_device_size(opts.log_len)) {
    return Unexpected{too_small(path, dev.size(), opts.log_len)};
  }
  FAMFS_TRY_ASSIGN(log::Uuid host, get_system_uuid());
  FAMFS_TRY(handle_foreign(dev, path, opts.force));

  log::Superblock sb;
  sb.log_len = opts.log_len;
  sb.fs_uuid = random_uuid();
  sb.dev_uuid = random_uuid();
  sb.system_uuid = host;
  sb.dev_size = dev.size();
  sb.dev_name = path.substr(0, log::k_devname_len);

  FAMFS_TRY(write_filesystem(dev, existing, sb));
  auto written = log::parse_superblock(dev.bytes().first(log::k_superblock_size));
  if (!written) {
    return fail(Errc::io, "{}: superblock did not read back; is the device writable?", path);
  }
  FAMFS_TRACE(1, "mkfs {}: log {} bytes, {} slots", path, opts.log_len,
              log::slots_for(opts.log_len));
  created.keep();
  return *written;
}

} // namespace famfs::core
