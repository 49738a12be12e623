// A deadline on requests that go to a famfs daemon over its mount: resolving a path inside the
// mount, reading the status xattr, asking it to follow the log, listing the mount. A stopped or
// stuck daemon leaves such a request blocked in the kernel, where it cannot be cancelled; when
// the scope is still running after daemon_timeout(), the command prints one error naming the
// mount and the daemon's pid, with what to do, and exits (which ends the blocked request). An
// exit mid-command is as safe as a kill: nothing is half-committed (the log appends atomically).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace famfs::cli {

// FAMFS_DAEMON_TIMEOUT (seconds, a decimal number above 0), else 10 s.
std::chrono::milliseconds daemon_timeout();

// What a deadline that passes prints and exits with: set once by main for the command.
void set_daemon_timeout_exit(std::string command, int exit_code);

// Cheap to make (one watcher thread serves every deadline of the process, from any thread), so
// a loop may put each read through a mount under its own.
class DaemonDeadline {
public:
  // `path`: a mount point or a path inside a mount (the famfs mount that holds it lexically is
  // the one named when the deadline passes).
  explicit DaemonDeadline(std::string path);
  DaemonDeadline(const DaemonDeadline&) = delete;
  DaemonDeadline& operator=(const DaemonDeadline&) = delete;
  ~DaemonDeadline();

private:
  std::uint64_t m_id = 0;
};

} // namespace famfs::cli
