// Everything that talks to libdaxctl lives here.
#include "core/device.hpp"

#include <daxctl/libdaxctl.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <string>

namespace famfs::core {

namespace {

struct CtxDeleter {
  void operator()(daxctl_ctx* c) const { daxctl_unref(c); }
};

// The driver a dax device is bound to, from sysfs: device_dax (devdax), fsdev_dax (famfs),
// kmem (system-ram) or none (unbound).
std::string driver_mode(const std::string& devname) {
  std::error_code ec;
  auto link = std::filesystem::read_symlink("/sys/bus/dax/devices/" + devname + "/driver", ec);
  if (ec) {
    return "unbound";
  }
  auto drv = link.filename().string();
  if (drv == "device_dax") {
    return "devdax";
  }
  if (drv == "fsdev_dax") {
    return "famfs";
  }
  if (drv == "kmem") {
    return "system-ram";
  }
  return drv;
}

} // namespace

Result<DaxInfo> daxdev_info(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return sys_error(errno, path);
  }
  if (!S_ISCHR(st.st_mode)) {
    return fail(Errc::invalid_argument, "{}: not a character device", path);
  }
  daxctl_ctx* raw = nullptr;
  if (int rc = daxctl_new(&raw); rc < 0) {
    return sys_error(-rc, "libdaxctl");
  }
  std::unique_ptr<daxctl_ctx, CtxDeleter> ctx(raw);
  daxctl_region* region = nullptr;
  daxctl_region_foreach(ctx.get(), region) {
    daxctl_dev* dev = nullptr;
    daxctl_dev_foreach(region, dev) {
      if (static_cast<unsigned>(daxctl_dev_get_major(dev)) != major(st.st_rdev)
          || static_cast<unsigned>(daxctl_dev_get_minor(dev)) != minor(st.st_rdev)) {
        continue;
      }
      DaxInfo info;
      info.size = daxctl_dev_get_size(dev);
      info.align = daxctl_dev_get_align(dev);
      if (daxctl_dev_get_memory(dev) != nullptr && daxctl_memory_is_online(daxctl_dev_get_memory(dev)) > 0) {
        info.mode = "system-ram";
      } else if (!daxctl_dev_is_enabled(dev)) {
        info.mode = "unbound";
      } else {
        info.mode = driver_mode(daxctl_dev_get_devname(dev));
      }
      return info;
    }
  }
  return fail(Errc::not_found, "{}: not a dax device known to libdaxctl", path);
}

} // namespace famfs::core
