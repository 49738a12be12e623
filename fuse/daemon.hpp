// The mount daemon: checks before mounting, mounting and serving in the foreground or in a
// forked background daemon, its trace and pid files, and unmounting with a wait for it to exit.
#pragma once

#include "core/image.hpp"
#include "fuse/channel.hpp"
#include "log/result.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace famfs::fuse {

// Where daemons keep their trace and pid files: $FAMFS_RUNTIME_DIR when set, else /run/famfs
// for root, else $XDG_RUNTIME_DIR/famfs, else /tmp/famfs-<uid>.
std::string runtime_dir();
// A mount point as one file name, systemd style: "/mnt/a-b" -> "mnt-a\x2db".
std::string escape_mountpoint(const std::string& mountpoint);
// The daemon's trace file and pid file for a mount point (an absolute, resolved path).
std::string daemon_log_path(const std::string& mountpoint);
std::string daemon_pid_path(const std::string& mountpoint);

// The lock that makes this host's mount of a device the only one: flock(LOCK_EX | LOCK_NB) on
// runtime_dir()/<identity>.<host>.lock, where the identity is the device's, not its path's
// (device number for dax and pmem devices, file system device and inode for a backing file, so
// a hard link or another path to the same image takes the same lock) and <host> the system
// UUID (several simulated hosts share one machine in tests). The descriptor holds the lock;
// mount_and_serve's daemon inherits it, so the lock lasts as long as the mount is served. The
// file names the mount point. Errc::busy, naming that mount point, when another holds it.
Result<core::UniqueFd> lock_device_for_mount(const std::string& device,
                                             const std::string& host_uuid,
                                             const std::string& mountpoint);

// Checks that `path` can be mounted on: it exists, is a directory, is empty and is not already
// a mount point. Returns its resolved absolute path.
Result<std::string> check_mountpoint(const std::string& path);

struct DaemonConfig {
  std::string device;     // resolved path: the mount source
  std::string mountpoint; // resolved path
  bool foreground = false;
  bool writable = false; // WRITE allowed inside files
  int trace_level = 1;   // the daemon's trace level (its log file, or stderr in the foreground)
  unsigned threads = 0;  // 0: one per CPU
  // This host, as the status xattr reports it (fuse/server.hpp k_status_xattr).
  std::string role = "master"; // "master" or "client"
  std::string host_uuid;
  // --non-coherent: invalidate what is read of the log before reading it, flush after writes.
  bool non_coherent = false;
  // --follow-interval: how often the daemon looks for new log entries; 0: only when asked
  // (famfs logplay). --follow-batch: at most this many entries per step (0: all; tests).
  std::chrono::milliseconds follow_interval{200};
  std::uint64_t follow_batch = 0;
  // Numbering of the famfs kernel extension (fuse/kernel_abi.hpp k_famfs_abis, --famfs-abi).
  std::string famfs_abi = "v7";
};

struct Started {
  pid_t pid = 0;        // the process serving the mount
  std::string log_path; // its trace file ("" in the foreground: trace goes to stderr)
};

// Mounts `img` on cfg.mountpoint and serves it. In the foreground it serves until the file
// system is unmounted (SIGTERM/SIGINT unmount it) and then returns. Otherwise it forks a daemon
// and returns once the mount answers (listed in /proc/self/mountinfo and its root stats).
Result<Started> mount_and_serve(core::Image& img, const DaemonConfig& cfg);

struct Unmounted {
  bool lazy = false;         // a lazy (detached) unmount was needed
  pid_t pid = 0;             // the daemon we waited for (0: none was running)
  bool daemon_exited = true; // false: still serving files that stay open (lazy unmount)
};

// Unmounts a famfs mount point and waits (up to `wait`) for its daemon to exit. A mount whose
// daemon died is cleaned up with a lazy unmount. Lazy::yes detaches a busy mount. Errors: not a
// famfs mount (Errc::not_found), busy (Errc::busy).
// The status a mount's daemon reports (the k_status_xattr "key=value" lines, parsed), read
// through getxattr on its root. Errc::not_found when the mount does not answer it.
Result<std::map<std::string, std::string>> read_mount_status(const std::string& mountpoint);
// Asks a mount's daemon to follow the log now (famfs logplay; k_logplay_xattr), whatever its
// follow interval, and returns its status afterwards. Errc::not_found as read_mount_status.
Result<std::map<std::string, std::string>> ask_mount_to_follow(const std::string& mountpoint);

Result<Unmounted>
unmount_famfs(const std::string& mountpoint, Lazy lazy, std::chrono::milliseconds wait);

} // namespace famfs::fuse
