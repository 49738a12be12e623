// The status a mount's daemon reports through the k_status_xattr of its root (fuse/
// server_options.hpp): written by the server (to_text), read by famfs status, logplay and mount
// (parse). One type, so the two sides cannot drift. The text is "key=value" lines, one per
// field, in a fixed order:
//   pid role host_uuid fs_uuid entries_applied healthy reason data_path writable non_coherent
//   follow_interval_ms media_errors page_cache transport
// Booleans are "yes"/"no"; numbers are decimal; the role is "master" or "client".
#pragma once

#include "core/system_uuid.hpp"
#include "log/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace famfs::fuse {

// How requests reach the daemon (MountStatus::transport): read(2)/write(2) on /dev/fuse, or FUSE
// over io_uring (fuse/uring_channel.hpp). "" from a daemon that predates the field.
inline constexpr std::string_view k_transport_dev_fuse = "/dev/fuse";
inline constexpr std::string_view k_transport_io_uring = "io_uring";

struct MountStatus {
  std::uint64_t pid = 0;                           // the daemon's process
  core::Role role = core::Role::client;            // this host's role for the file system
  std::string host_uuid;                           // this host's system UUID ("" when unknown)
  std::string fs_uuid;                             // the file system the daemon mounted
  std::uint64_t entries_applied = 0;               // log entries in the served tree
  bool healthy = true;                             // false once clobbered (see reason)
  std::string reason;                              // why not healthy ("" when healthy)
  std::string data_path;                           // k_data_path_userspace or k_data_path_kernel
  bool writable = false;                           // WRITE allowed inside files
  bool non_coherent = false;                       // --non-coherent
  std::optional<std::uint64_t> follow_interval_ms; // 0: follows only when asked (logplay)
  std::uint64_t media_errors = 0;                  // requests and log reads that met a media error
  bool page_cache = false;                         // -o cache: file pages in the page cache
  std::string transport;                           // k_transport_dev_fuse or k_transport_io_uring

  // The "key=value" lines, every field in the order above.
  std::string to_text() const;
  // Reads to_text()'s lines. Unknown keys are ignored and missing ones keep their defaults (a
  // daemon of another version); a number or a boolean that does not parse is Errc::corrupt.
  static Result<MountStatus> parse(std::string_view text);

  bool operator==(const MountStatus&) const = default;
};

} // namespace famfs::fuse
