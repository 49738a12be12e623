// Finding the file system a command works on: a path inside a mounted famfs (the mount and its
// device come from /proc/self/mountinfo), or, with --device DEV, a path relative to the root of
// the file system on DEV (for scripted staging on an unmounted device).
#pragma once

#include "cli/command.hpp"
#include "core/allocator.hpp"
#include "core/fs_ops.hpp"
#include "core/image.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace famfs::cli {

class FsTarget {
public:
  // `device` is the --device option ("" when not given).
  explicit FsTarget(std::string device) : m_device(std::move(device)), m_fixed(!m_device.empty()) {}

  // The path of `path` relative to the file system root ("" for the root). Every path of one
  // command must be in the same file system (Errc::invalid_argument otherwise). Errc::not_found
  // when `path` is not inside a mounted famfs.
  Result<std::string> relpath(const std::string& path);
  // relpath(), for a path that must name something in the famfs: one outside every famfs mount
  // (through .., a symlink, or plainly) is a usage error (Errc::invalid_argument, exit 2), the
  // same mistake and exit code as a --device path escaping the root with "..".
  Result<std::string> relpath_inside(const std::string& path);
  // relpath_inside() of each of `paths`, in order; a path that does not resolve is reported to
  // `failed` and left empty.
  std::vector<std::optional<std::string>> relpaths(const std::vector<std::string>& paths,
                                                   ErrorTally& failed);

  // The device (or backing file), once a path has been resolved or --device given.
  const std::string& device() const { return m_device; }
  // The mount point, or "" with --device.
  const std::string& mountpoint() const { return m_mountpoint; }
  bool by_device() const { return m_fixed; }
  // How to name a relpath to the user: the path under the mount point, or the relpath.
  std::string display(const std::string& relpath) const;

private:
  std::string m_device;
  std::string m_mountpoint;
  bool m_fixed = false;
};

// Declares --device DEV on `sub`: work on DEV (mounted or not) instead of a mount; `what`
// names the path arguments that are then relative to the file system root ("FILE", "DIR").
void add_device_option(Subcommand& sub, std::string& device, const char* what);

// The owner options shared by creat, mkdir and cp (-m, -u, -g).
struct OwnerOptions {
  std::optional<std::string> mode;
  std::optional<std::string> uid; // a number or a user name
  std::optional<std::string> gid; // a number or a group name
  // Declares -m (with `mode_help`), -u and -g.
  void add_to(Subcommand& sub, const char* mode_help);
  // The owner: -m (else `default_mode`), -u and -g (else the caller's effective uid and gid).
  Result<core::Owner> get(std::uint32_t default_mode) const;
};

// The interleave options shared by creat and cp (-N, -B, -C).
struct InterleaveOptions {
  std::uint64_t nstrips = 0;
  std::uint64_t nbuckets = 0;
  std::string chunk;
  void add_to(Subcommand& sub);
  Result<core::Interleave> get() const;
};

// Opens the target's device read-write and starts a session (which owns the image and holds
// the log lock); with `il`, also checks the interleave parameters against this file system
// (once, before anything is planned).
Result<core::Session> open_write_session(const FsTarget& target,
                                         const core::Interleave* il = nullptr);

// The file `relpath` names in `tree` (`path` is how the user named it): Errc::not_found when
// nothing is there, Errc::unsupported for a directory ("is a directory" and `dir_note`).
Result<const core::Node*> find_file(const core::Tree& tree,
                                    const std::string& relpath,
                                    const std::string& path,
                                    std::string_view dir_note = {});

// What the TARGET of fsck or logplay names: a device or backing file, or a path inside a mounted
// famfs, which stands for that mount's device. A directory outside every famfs mount is
// Errc::not_found with `hint`.
struct DeviceTarget {
  std::string device;
  std::string mountpoint; // where the device is mounted ("" when it is not)
};
Result<DeviceTarget> device_target(const std::string& target, std::string_view hint);

// A seed for the interleave bucket order (upstream seeds rand() from the clock).
std::uint64_t allocation_seed();

// Splits "a,b,,c" on ',' dropping empty fields (upstream's tokenizer).
std::vector<std::string> split_fields(const std::string& s);

} // namespace famfs::cli
