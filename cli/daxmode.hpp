// --set-daxmode for mkfs and mount: switch a dax device to devdax mode before the command and
// put its original mode back if the command then fails (core/dax_mode.hpp does the recording and
// restoring).
#pragma once

#include "core/dax_mode.hpp"
#include "log/result.hpp"

#include <sys/stat.h>

#include <string>

namespace famfs::cli {

using DaxModeOps = core::DaxModeOps;

class DaxModeSwitch {
public:
  DaxModeSwitch() = default;
  explicit DaxModeSwitch(DaxModeOps ops) : m_guard(std::move(ops)) {}

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
    FAMFS_TRY(m_guard.record(path));
    return m_guard.switch_to("devdax");
  }
  // The command succeeded: keep the new mode.
  void commit() { m_guard.commit(); }
  // The command failed (or never committed): the guard restores the original mode.

private:
  core::DaxModeGuard m_guard;
};

} // namespace famfs::cli
