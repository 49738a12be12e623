// The -o options of famfs mount and mount.famfs (mount(8) and /etc/fstab syntax): ours, and the
// generic ones mount(8) passes to every helper, which a FUSE file system has no use for.
#pragma once

#include <cstdint>
#include <string>

namespace famfs::cli {

struct MountOption {
  enum class Kind {
    ignored, // generic (rw, defaults, noauto, nofail, _netdev, user, x-*, ...)
    read_only,
    writable,
    set_daxmode,
    non_coherent,
    cache,
    follow_interval, // number = milliseconds
    threads,         // number = worker threads
    famfs_abi,       // text = the ABI name
    unknown,         // text = why
  };
  Kind kind = Kind::unknown;
  std::uint64_t number = 0;
  std::string text;
};

// Parses one option ("ro", "follow_interval=500"); '-' and '_' are the same in names.
MountOption parse_mount_option(const std::string& option);

} // namespace famfs::cli
