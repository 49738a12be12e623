// --set-daxmode for mkfs and mount: switch a dax device to devdax mode before the command and
// put its original mode back if the command then fails.
#pragma once

#include "core/device.hpp"
#include "core/trace.hpp"
#include "log/result.hpp"

#include <sys/stat.h>

#include <functional>
#include <string>

namespace famfs::cli {

// How the mode of a dax device is read and changed: libdaxctl (core/daxdev.cpp) by default;
// unit tests substitute a fake sysfs tree.
struct DaxModeOps {
  std::function<Result<std::string>(const std::string&)> mode_of =
      [](const std::string& path) -> Result<std::string> {
    FAMFS_TRY_ASSIGN(core::DaxInfo info, core::daxdev_info(path));
    return info.mode;
  };
  std::function<Result<std::string>(const std::string&, const std::string&)> set_mode =
      core::daxdev_set_mode;
  std::function<Result<void>(const std::string&, const std::string&)> restore_mode =
      core::daxdev_restore_mode;
};

class DaxModeSwitch {
public:
  DaxModeSwitch() = default;
  explicit DaxModeSwitch(DaxModeOps ops) : m_ops(std::move(ops)) {}
  DaxModeSwitch(const DaxModeSwitch&) = delete;
  DaxModeSwitch& operator=(const DaxModeSwitch&) = delete;

  // --set-daxmode: puts `path` in devdax mode (nothing to do when it is). For a path that is
  // not a character device (a backing file, pmem) the option is an error: there is no mode to
  // set. The starting mode is recorded before anything changes, so a switch that fails half-way
  // is undone too.
  Result<void> to_devdax(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISCHR(st.st_mode)) {
      return fail(Errc::unsupported, "{}: --set-daxmode applies only to dax character devices",
                  path);
    }
    FAMFS_TRY_ASSIGN(std::string was, m_ops.mode_of(path));
    if (was == "devdax") {
      return {};
    }
    m_path = path;
    m_original = was;
    FAMFS_TRY(m_ops.set_mode(path, "devdax"));
    FAMFS_TRACE(1, "{}: switched from {} to devdax mode", path, was);
    return {};
  }
  // The command succeeded: keep the new mode.
  void commit() { m_path.clear(); }
  // The command failed (or never committed): restore the original mode.
  ~DaxModeSwitch() {
    if (m_path.empty()) {
      return;
    }
    auto r = m_ops.restore_mode(m_path, m_original);
    if (r) {
      FAMFS_TRACE(1, "{}: restored {} mode after the failure", m_path, m_original);
    } else {
      FAMFS_TRACE(0, "{}: could not restore {} mode: {}", m_path, m_original, r.error().message);
    }
  }

private:
  DaxModeOps m_ops;
  std::string m_path;
  std::string m_original;
};

} // namespace famfs::cli
