// Device::write_from: filling device memory from a source descriptor at the speed of the medium.
// Through the mapping every 4 KiB page of a regular backing file is a page fault of its own
// (and the shared pages swell the process's RSS); write(2) on the backing file's descriptor
// reaches the same page cache pages without faulting any, and copy_file_range(2) copies page
// cache to page cache inside the kernel, never through a user buffer.
#include "core/device.hpp"
#include "core/media_guard.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace famfs::core {

namespace {

constexpr std::uint64_t k_max_call = 1ULL << 30; // bytes per system call
constexpr std::size_t k_bounce = 256 << 10;      // read/pwrite buffer: stays in the L2 cache
constexpr std::uint64_t k_huge = 2ULL << 20;     // a devdax PMD page

Error source_ended() {
  return make_error(Errc::io, "the source ended early (was it truncated while copying?)");
}

// Reads exactly `len` bytes at `off` of `fd` into `dst` (device memory or a buffer).
Result<void> pread_exact(int fd, std::byte* dst, std::uint64_t len, std::uint64_t off) {
  while (len > 0) {
    const auto n = ::pread(fd, dst, std::min(len, k_max_call), static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Unexpected{device_syscall_error(errno, dst, len, "reading the source")};
    }
    if (n == 0) {
      return Unexpected{source_ended()};
    }
    const auto got = static_cast<std::uint64_t>(n);
    dst += got;
    off += got;
    len -= got;
  }
  return {};
}

// copy_file_range(2) cannot copy between these two files (another file system, a block device,
// an old kernel): read and write instead.
bool cannot_copy_range(int err) {
  return err == EXDEV || err == EINVAL || err == EOPNOTSUPP || err == ENOSYS;
}

} // namespace

Result<void>
Device::write_from(std::uint64_t off, std::uint64_t len, int src_fd, std::uint64_t src_off) const {
  FAMFS_ASSERT(off <= size() && len <= size() - off);
  if (m_kind != DeviceKind::devdax) {
    return write_through_fd(off, len, src_fd, src_off);
  }
  // Prefault in one call (best effort: kernels before 5.14 refuse it; a lost page then shows in
  // the read below as EFAULT, a media error).
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t align = off % k_huge == 0 && len >= k_huge ? k_huge : page;
  const std::uint64_t start = off / align * align;
  const std::uint64_t end = std::min(size(), (off + len + align - 1) / align * align);
  (void)::madvise(at(start), end - start, MADV_POPULATE_WRITE);
  return pread_exact(src_fd, at(off), len, src_off);
}

Result<void> Device::write_through_fd(std::uint64_t off,
                                      std::uint64_t len,
                                      int src_fd,
                                      std::uint64_t src_off) const {
  FAMFS_TRY(check_backed(off, len));
  auto failed = [&](int err, std::uint64_t at_off, std::uint64_t left, const char* what) {
    return err == ENOSPC || err == EDQUOT
               ? no_space(err, at_off, left)
               : sys_error(
                   err, fmt::format("{}: {} {} bytes at offset {:#x}", m_path, what, left, at_off));
  };
  // copy_file_range while it works (the same file system: page cache to page cache in the
  // kernel); from the first refusal on, read into a buffer and pwrite.
  std::uint64_t done = 0;
  while (done < len) {
    auto in = static_cast<loff_t>(src_off + done);
    auto out = static_cast<loff_t>(off + done);
    const ssize_t n =
        ::copy_file_range(src_fd, &in, m_fd.get(), &out, std::min(len - done, k_max_call), 0);
    if (n > 0) {
      done += static_cast<std::uint64_t>(n);
    } else if (n == 0 || cannot_copy_range(errno)) {
      break; // 0: the end of the source, or a file system that copies nothing (the read tells)
    } else if (errno == EINTR) {
      continue;
    } else {
      return Unexpected{failed(errno, off + done, len - done, "copying from the source")};
    }
  }
  if (done == len) {
    return {};
  }
  thread_local std::unique_ptr<std::byte[]> buf;
  if (!buf) {
    buf = std::make_unique_for_overwrite<std::byte[]>(k_bounce);
  }
  while (done < len) {
    const std::uint64_t chunk = std::min<std::uint64_t>(len - done, k_bounce);
    FAMFS_TRY(pread_exact(src_fd, buf.get(), chunk, src_off + done));
    for (std::uint64_t w = 0; w < chunk;) {
      const ssize_t n =
          ::pwrite(m_fd.get(), buf.get() + w, chunk - w, static_cast<off_t>(off + done + w));
      if (n == 0 || (n < 0 && errno != EINTR)) {
        return Unexpected{failed(n == 0 ? EIO : errno, off + done + w, chunk - w, "writing")};
      }
      w += n > 0 ? static_cast<std::uint64_t>(n) : 0;
    }
    done += chunk;
  }
  return {};
}

Result<void> Device::check_backed(std::uint64_t off, std::uint64_t len) const {
  if (m_kind != DeviceKind::file) {
    return {};
  }
  struct stat st {};
  if (::fstat(m_fd.get(), &st) != 0) {
    return sys_error(errno, m_path);
  }
  const auto backed = static_cast<std::uint64_t>(st.st_size);
  if (backed >= off + len) {
    return {};
  }
  // Where a store through the mapping would raise SIGBUS: the first page wholly past the end.
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return Unexpected{media_error_at(at(std::max(off, (backed + page - 1) / page * page)))};
}

} // namespace famfs::core
