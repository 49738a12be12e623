#include "core/device.hpp"

#include "core/dax_sysfs.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace famfs::core {

namespace {

// Fault injection for the media error tests (tests/cli/media-error.sh): with
// FAMFS_TEST_SHRINK_DEVICE=<bytes> set, a regular-file device is truncated to that size right
// after it is mapped, as if the backing file shrank under the mapping. Accesses past the new end
// then raise SIGBUS, the way poisoned DAX memory does. Never set it on data you care about.
void shrink_for_test(const std::string& path, std::uint64_t mapped) {
  const char* env = std::getenv("FAMFS_TEST_SHRINK_DEVICE");
  if (env == nullptr || *env == 0) {
    return;
  }
  char* end = nullptr;
  const unsigned long long size = std::strtoull(env, &end, 0);
  if (*end == 0 && size < mapped) {
    (void)::truncate(path.c_str(), static_cast<off_t>(size));
  }
}

} // namespace

const char* to_string(DeviceKind k) {
  switch (k) {
  case DeviceKind::file:
    return "file";
  case DeviceKind::devdax:
    return "devdax";
  case DeviceKind::pmem:
    return "pmem";
  case DeviceKind::meta_files:
    return "famfs-mode dax (through the mount's .meta files)";
  }
  return "file";
}

Result<Device> Device::open(const std::string& path, OpenMode mode) {
  int flags = (mode == OpenMode::read_write ? O_RDWR : O_RDONLY) | O_CLOEXEC;
  UniqueFd fd(::open(path.c_str(), flags));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT && looks_like_daxdev(path)) {
      return fail(Errc::not_found, "{}: no such dax device (see daxctl list)", path);
    }
    if (err == ENXIO || err == ENODEV) {
      // The node of a dax device that is unbound, or bound to a driver without a character
      // device (fsdev_dax): say which mode it is in and how to switch.
      FAMFS_TRY(dax_mode_mappable(path, dax_driver_mode(dax_devname(path))));
    }
    return sys_error(err, path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return sys_error(errno, path);
  }
  Device d;
  d.m_path = path;
  std::uint64_t size = 0;
  if (S_ISREG(st.st_mode)) {
    d.m_kind = DeviceKind::file;
    size = static_cast<std::uint64_t>(st.st_size);
  } else if (S_ISCHR(st.st_mode)) {
    d.m_kind = DeviceKind::devdax;
    FAMFS_TRY_ASSIGN(DaxInfo info, daxdev_info(path));
    // We map the device ourselves: devdax mode only (core/dax_sysfs.cpp).
    FAMFS_TRY(dax_mode_mappable(path, info.mode));
    if (info.align != 0 && info.align % 0x200000 != 0) {
      return fail(Errc::unsupported, "{}: dax alignment {:#x} is not a multiple of 2 MiB", path,
                  info.align);
    }
    size = info.size;
  } else if (S_ISBLK(st.st_mode)) {
    d.m_kind = DeviceKind::pmem;
    if (::ioctl(fd.get(), BLKGETSIZE64, &size) != 0) {
      return sys_error(errno, path);
    }
  } else {
    return fail(Errc::invalid_argument,
                "{}: not a regular file, dax character device or pmem block device", path);
  }
  if (size == 0) {
    return fail(Errc::invalid_argument, "{}: device is empty", path);
  }
  auto access = mode == OpenMode::read_write ? Access::read_write : Access::read_only;
  auto m = Mapping::map(fd.get(), size, access, 0, path);
  if (!m) {
    return with_context(std::move(m).error(), path);
  }
  d.m_map = std::move(*m);
  d.m_meta_end = size;
  d.m_fd = std::move(fd);
  if (d.m_kind == DeviceKind::file) {
    shrink_for_test(path, size);
  }
  return d;
}

Result<void> Device::reserve(std::uint64_t off, std::uint64_t len) const {
  FAMFS_ASSERT(off <= size() && len <= size() - off);
  if (m_kind != DeviceKind::file || len == 0) {
    return {};
  }
  while (
      ::fallocate(m_fd.get(), FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off), static_cast<off_t>(len))
      != 0) {
    const int err = errno;
    if (err == EINTR) {
      continue;
    }
    if (err == ENOSPC) {
      return Unexpected{no_space(err, off, len)};
    }
    if (err == EOPNOTSUPP || err == ENOSYS) {
      return {}; // nothing to reserve with; the write itself will tell
    }
    return sys_error(err, fmt::format("{}: reserving {} bytes at offset {:#x}", m_path, len, off));
  }
  return {};
}

Error Device::no_space(int err, std::uint64_t off, std::uint64_t len) const {
  return with_hint(Error{Errc::no_space,
                         err,
                         fmt::format("{}: no space left on the backing file system (writing {} "
                                     "bytes at offset {:#x} of the sparse backing file)",
                                     m_path, len, off),
                         {}},
                   "free space on the file system that holds the backing file (famfs mkfs "
                   "--size checks that the whole file fits)");
}

Result<void> Device::persist(std::uint64_t off, std::uint64_t len) const {
  FAMFS_ASSERT(off <= size() && len <= size() - off);
  if (len == 0) {
    return {};
  }
  if (m_kind != DeviceKind::devdax) {
    if (m_non_coherent || m_kind == DeviceKind::meta_files) {
      flush_range(at(off), len);
    }
    long page = ::sysconf(_SC_PAGESIZE);
    auto p = static_cast<std::uint64_t>(page);
    std::uint64_t start = off / p * p;
    if (::msync(at(start), off + len - start, MS_SYNC) != 0) {
      return sys_error(errno, m_path + ": msync");
    }
    return {};
  }
  flush_range(at(off), len);
  return {};
}

void Device::invalidate(std::uint64_t off, std::uint64_t len) const {
  FAMFS_ASSERT(off <= size() && len <= size() - off);
  if (m_kind == DeviceKind::file && !m_non_coherent) {
    return;
  }
  // meta_files: the .meta files of a famfs mount are DAX mappings of the memory itself, which
  // other hosts write: drop the cache lines as for devdax.
  if (m_on_invalidate) {
    m_on_invalidate(off, len);
  }
  if (m_kind == DeviceKind::pmem) {
    drop_cached_pages(off, len);
    return;
  }
  invalidate_range(at(off), len);
}

void Device::drop_cached_pages(std::uint64_t off, std::uint64_t len) const {
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t start = off / page * page;
  const std::uint64_t end = std::min(size(), (off + len + page - 1) / page * page);
  // The kernel keeps pages that are mapped: unmap ours first (MAP_SHARED: dirty pages stay in
  // the page cache and are written back, nothing is lost), then drop the clean ones.
  (void)::madvise(at(start), end - start, MADV_DONTNEED);
  (void)::posix_fadvise(m_fd.get(), static_cast<off_t>(start), static_cast<off_t>(end - start),
                        POSIX_FADV_DONTNEED);
}

} // namespace famfs::core
