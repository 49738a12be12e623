// A fake sysfs tree for dax device modes and host geometry (core/dax_sysfs.hpp takes its root):
// no dax hardware needed.
#pragma once

#include "core/dax_sysfs.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <string>

namespace famfs::test {

// <root>/bus/dax/devices/<dev>/driver -> ../../drivers/<driver> (as the kernel links it), or no
// link for "" (unbound).
struct FakeSysfs {
  TempDir dir;
  std::string root() const { return dir.path().string(); }
  void bind(const std::string& dev, const std::string& driver) const {
    namespace fs = std::filesystem;
    fs::path d = dir.path() / "bus/dax/devices" / dev;
    fs::create_directories(d);
    fs::remove(d / "driver");
    if (!driver.empty()) {
      fs::create_directories(dir.path() / "bus/dax/drivers" / driver);
      fs::create_symlink("../../../../bus/dax/drivers/" + driver, d / "driver");
    }
  }
  void pmd(const std::string& text) const {
    std::filesystem::path d = dir.path() / "kernel/mm/transparent_hugepage";
    std::filesystem::create_directories(d);
    std::ofstream(d / "hpage_pmd_size") << text;
  }
};

// The driver that puts a dax device in `mode` ("" for unbound).
inline std::string driver_for(const std::string& mode) {
  return core::dax_mode_driver(mode);
}

} // namespace famfs::test
