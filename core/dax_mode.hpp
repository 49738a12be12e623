// Changing a dax device's mode without ever leaving it in the wrong one: the mode it starts in is
// recorded before anything changes and put back after any failure, however far the change got.
// The operations are injectable, so unit tests run every step over a fake sysfs and fail each.
#pragma once

#include "core/device.hpp"
#include "log/result.hpp"

#include <functional>
#include <string>

namespace famfs::core {

// How the mode of a dax device is read and changed: libdaxctl and sysfs (core/daxdev.cpp) by
// default.
struct DaxModeOps {
  std::function<Result<std::string>(const std::string&)> mode_of =
      [](const std::string& path) -> Result<std::string> {
    FAMFS_TRY_ASSIGN(DaxInfo info, daxdev_info(path));
    return info.mode;
  };
  std::function<Result<std::string>(const std::string&, const std::string&)> set_mode =
      daxdev_set_mode;
  std::function<Result<void>(const std::string&, const std::string&)> restore_mode =
      daxdev_restore_mode;
};

class DaxModeGuard {
public:
  explicit DaxModeGuard(DaxModeOps ops = {}) : m_ops(std::move(ops)) {}
  DaxModeGuard(const DaxModeGuard&) = delete;
  DaxModeGuard& operator=(const DaxModeGuard&) = delete;
  ~DaxModeGuard() { (void)restore(); }

  // Records the mode `path` is in now (once; later calls keep the first record).
  Result<void> record(const std::string& path);
  // Puts the recorded device in `mode` (nothing when it is in it already). A switch that fails
  // half-way leaves the guard armed: restore() still puts the recorded mode back.
  Result<void> switch_to(const std::string& mode);
  // The command succeeded: keep the mode it is in now.
  void commit() { m_armed = false; }
  // Puts the recorded mode back if the mode was changed and not committed. Its error (the
  // device may be in the wrong mode) is also traced.
  Result<void> restore();

  const std::string& original() const { return m_original; }

private:
  DaxModeOps m_ops;
  std::string m_path;
  std::string m_original;
  bool m_armed = false;
};

// Mounting a famfs-mode device the way famfs kernels need it (upstream's order): record the
// starting mode; switch to devdax; `read` the superblock and log through a mapping of the device
// (and let go of that mapping: fsdev_dax has no mmap, and unbinding device_dax revokes it);
// switch to famfs mode; `mount`, after which metadata is read through the mount's .meta files
// (core/meta_source.hpp). Any failure, including a switch that fails half-way, puts the starting
// mode back; when that fails too the error says so and names the mode it should be in.
Result<void> famfs_mode_mount(const std::string& path,
                              const std::function<Result<void>()>& read,
                              const std::function<Result<void>()>& mount,
                              DaxModeOps ops = {});

} // namespace famfs::core
