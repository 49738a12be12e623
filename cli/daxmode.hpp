// --set-daxmode for mkfs and mount: switch a dax device to devdax mode before the command and
// put its original mode back if the command then fails.
#pragma once

#include "core/device.hpp"
#include "core/trace.hpp"
#include "log/result.hpp"

#include <sys/stat.h>

#include <string>

namespace famfs::cli {

class DaxModeSwitch {
public:
  // Switches `path` to devdax mode (--set-daxmode was given). For a path that is not a character
  // device (a backing file, pmem) the option is an error: there is no mode to set.
  Result<void> apply(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISCHR(st.st_mode)) {
      return fail(Errc::unsupported,
                  "{}: --set-daxmode applies only to dax character devices", path);
    }
    FAMFS_TRY_ASSIGN(std::string was, core::daxdev_set_mode(path, "devdax"));
    if (was != "devdax") {
      FAMFS_TRACE(1, "{}: switched from {} to devdax mode", path, was);
      m_path = path;
      m_original = was;
    }
    return {};
  }
  // The command succeeded: keep the new mode.
  void commit() { m_path.clear(); }
  // The command failed (or never committed): restore the original mode.
  ~DaxModeSwitch() {
    if (m_path.empty()) {
      return;
    }
    auto r = core::daxdev_restore_mode(m_path, m_original);
    if (r) {
      FAMFS_TRACE(1, "{}: restored {} mode after the failure", m_path, m_original);
    } else {
      FAMFS_TRACE(0, "{}: could not restore {} mode: {}", m_path, m_original, r.error().message);
    }
  }

private:
  std::string m_path;
  std::string m_original;
};

} // namespace famfs::cli
