// Exit codes of the famfs command, documented in famfs(1). The one Error -> exit code mapping.
#pragma once

#include "log/error.hpp"

namespace famfs::cli {

enum ExitStatus : int {
  k_exit_ok = 0,
  k_exit_failure = 1, // the command could not do what was asked
  k_exit_usage = 2,   // bad options or arguments
  k_exit_media = 3,   // a media error: device memory could not be read or written (SIGBUS)
  k_exit_partial = 4, // cp: everything famfs can hold was copied; some sources were skipped
};

// fsck(8) bits, used by famfs fsck.
enum FsckStatus : int {
  k_fsck_clean = 0,
  k_fsck_fixed = 1,
  k_fsck_errors_left = 4,
  k_fsck_operational = 8,
  k_fsck_usage = 16,
};

// Exit code for a failed command: usage for invalid arguments, media for media errors, failure
// otherwise.
inline int exit_code_for(const Error& e) {
  if (e.code == Errc::media) {
    return k_exit_media;
  }
  return e.code == Errc::invalid_argument ? k_exit_usage : k_exit_failure;
}

} // namespace famfs::cli
