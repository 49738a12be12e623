// The mount daemon: checks before mounting, mounting and serving in the foreground or in a
// forked background daemon, its trace and pid files, and unmounting with a wait for it to exit.
#pragma once

#include "core/image.hpp"
#include "fuse/channel.hpp"
#include "fuse/mount_status.hpp"
#include "fuse/server_options.hpp"
#include "log/result.hpp"

#include <sys/types.h>

#include <chrono>
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

// How to mount and serve: the daemon's own settings, and the server's, carried as they are from
// the command line to the server.
struct DaemonConfig {
  std::string device;     // resolved path: the mount source
  std::string mountpoint; // resolved path
  bool foreground = false;
  int trace_level = 1; // the daemon's trace level (its log file, or stderr in the foreground)
  // The server's settings. The daemon adds what follows from the device: fmap_capable (a devdax
  // device) and daxdev_path (`device`); --non-coherent also makes the device flush after writes.
  ServerOptions server;
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

// The status a mount's daemon reports (k_status_xattr), read through getxattr on its root.
// Errc::not_found when the mount does not answer it; Errc::corrupt when it does not parse.
Result<MountStatus> read_mount_status(const std::string& mountpoint);
// Asks a mount's daemon to follow the log now (famfs logplay; k_logplay_xattr), whatever its
// follow interval, and returns its status afterwards. Errors as read_mount_status.
Result<MountStatus> ask_mount_to_follow(const std::string& mountpoint);
// Asks the daemon serving `file` (a path in a famfs mount) to drop the kernel's cached pages of
// it (k_invalidate_xattr; famfs flush). True when it did, false when the mount keeps no pages
// (no -o cache, or a daemon without page-cache mode). Tries again for a while when every other
// worker is busy (EAGAIN). Errors: the getxattr's (ENOENT, EIO, ...).
Result<bool> drop_cached_pages(const std::string& file);

// Unmounts a famfs mount point and waits (up to `wait`) for its daemon to exit. A mount whose
// daemon died is cleaned up with a lazy unmount. Lazy::yes detaches a busy mount. Errors: not a
// famfs mount (Errc::not_found), busy (Errc::busy).
Result<Unmounted>
unmount_famfs(const std::string& mountpoint, Lazy lazy, std::chrono::milliseconds wait);

} // namespace famfs::fuse
