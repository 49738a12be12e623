// The FUSE channel: mounting (mount(2) as root, fusermount3 otherwise), the /dev/fuse
// descriptors (one cloned per worker), and moving one request or one reply at a time.
#pragma once

#include "core/unique_fd.hpp"
#include "log/result.hpp"

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace famfs::fuse {

inline constexpr const char* k_fuse_device = "/dev/fuse";
inline constexpr const char* k_fusermount = "fusermount3";
inline constexpr const char* k_subtype = "famfs"; // fstype "fuse.famfs"

struct MountOptions {
  std::string source;     // shown as the mount source: the device path
  std::string mountpoint; // an absolute path
  bool allow_other = true;
  bool default_permissions = true;
  bool read_only = false;
  std::uint32_t max_read = 1U << 20;
};

class Channel {
public:
  // Opens /dev/fuse and mounts it on opts.mountpoint: mount(2) with fstype "fuse.famfs" when we
  // are root, else fusermount3 (which passes the descriptor back over a socket).
  static Result<Channel> mount(const MountOptions& opts);
  // Wraps an existing descriptor (tests drive the server over a socketpair).
  static Channel adopt(core::UniqueFd fd, std::string mountpoint = {});

  Channel() = default;
  Channel(Channel&&) noexcept = default;
  Channel& operator=(Channel&&) noexcept = default;

  int fd() const { return m_fd.get(); }
  const std::string& mountpoint() const { return m_mountpoint; }
  // A new /dev/fuse descriptor on the same connection (FUSE_DEV_IOC_CLONE), for a worker.
  Result<core::UniqueFd> clone() const;
  // Closes our descriptor (the daemon's parent keeps none).
  void close() { m_fd.reset(); }

private:
  core::UniqueFd m_fd;
  std::string m_mountpoint;
};

enum class Lazy { no, yes };

// Unmounts `mountpoint`: umount2 as root (MNT_DETACH with Lazy::yes), fusermount3 -u [-z]
// otherwise. Errc::busy when files are open and the unmount is not lazy.
Result<void> unmount(const std::string& mountpoint, Lazy lazy);

// The readahead of the FUSE mount on `mountpoint` (the last one there in `mountinfo`): its
// backing device info's read_ahead_kb (`bdi_dir`/MAJOR:MINOR/read_ahead_kb) set to `kib`. That
// is the largest READ the kernel sends to fill its page cache: for the page faults of an mmap
// of a direct-I/O file, and for reads of a page-cache mount. The kernel starts every FUSE mount
// at 128 KiB, whatever INIT negotiates. Needs root (sysfs); reads nothing through the mount.
Result<void> set_readahead(const std::string& mountpoint,
                           unsigned kib,
                           const std::string& mountinfo = "/proc/self/mountinfo",
                           const std::string& bdi_dir = "/sys/class/bdi");

// Reads one request into `buf`. Returns its length, or 0 when the connection is gone (the file
// system was unmounted: ENODEV, or end of file on a test socket). Retries EINTR, EAGAIN and
// ENOENT (a request that was interrupted before we read it).
Result<std::size_t> read_request(int fd, std::span<std::byte> buf);

// Writes one reply. ENOENT (the kernel dropped the request: interrupted or aborted) is not an
// error.
Result<void> write_reply(int fd, std::span<const iovec> iov);

} // namespace famfs::fuse
