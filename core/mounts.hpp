// Finding famfs mounts in /proc/self/mountinfo. Our mounts have fstype "fuse.famfs" and the
// device (or backing file) path as their source.
#pragma once

#include "log/result.hpp"

#include <string>
#include <vector>

namespace famfs::core {

inline constexpr const char* k_fstype = "fuse.famfs";

struct MountEntry {
  std::string mountpoint;    // unescaped
  std::string fstype;        // "fuse.famfs", ...
  std::string source;        // the device path for famfs mounts
  std::string options;       // per-mount options ("rw,nosuid,...")
  std::string super_options; // the file system's options ("rw,user_id=0,group_id=0,...")
  std::string device_number; // "major:minor" of the mounted file system (its st_dev)
};

// Every mount of this mount namespace (parsed from `mountinfo_path`, for tests).
Result<std::vector<MountEntry>>
read_mounts(const std::string& mountinfo_path = "/proc/self/mountinfo");

// A device's identity, the same through every path and hard link that names it: "dev-M:m" (the
// device number) for a character or block device, "file-M:m-INODE" (file system and inode) for
// a backing file.
Result<std::string> device_identity(const std::string& device);

// The mount whose source is `device` (compared by realpath, then by device_identity, so a hard
// link or another path to a mounted image counts), if any.
Result<bool> device_is_mounted(const std::string& device, std::string* mountpoint = nullptr);

// The famfs mount that contains `path` (an existing or not-yet-existing path; compared after
// realpath of its deepest existing ancestor). Errc::not_found when `path` is not inside famfs.
// `relpath` receives the path relative to the mount root ("" for the root itself).
Result<MountEntry> famfs_mount_for(const std::string& path, std::string* relpath = nullptr);

// The deepest famfs mount among `mounts` that contains `full` (an absolute path without "." or
// ".." components or a trailing slash), or nullptr; `relpath` as for famfs_mount_for.
const MountEntry* famfs_mount_containing(const std::vector<MountEntry>& mounts,
                                         const std::string& full,
                                         std::string* relpath = nullptr);

// realpath(3) of `p`, or `p` unchanged when it does not resolve.
std::string real_path(const std::string& p);

} // namespace famfs::core
