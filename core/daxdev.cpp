// Everything that talks to libdaxctl lives here.
#include "core/dax_sysfs.hpp"
#include "core/device.hpp"

#include <daxctl/libdaxctl.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace famfs::core {

namespace {

struct CtxDeleter {
  void operator()(daxctl_ctx* c) const { daxctl_unref(c); }
};

// The libdaxctl device behind a char device, or an error naming `path`.
Result<daxctl_dev*> find_dev(daxctl_ctx* ctx, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT && looks_like_daxdev(path)) {
      return fail(Errc::not_found, "{}: no such dax device (see daxctl list)", path);
    }
    return sys_error(errno, path);
  }
  if (!S_ISCHR(st.st_mode)) {
    return fail(Errc::invalid_argument, "{}: not a character device", path);
  }
  daxctl_region* region = nullptr;
  daxctl_region_foreach(ctx, region) {
    daxctl_dev* dev = nullptr;
    daxctl_dev_foreach(region, dev) {
      if (static_cast<unsigned>(daxctl_dev_get_major(dev)) == major(st.st_rdev)
          && static_cast<unsigned>(daxctl_dev_get_minor(dev)) == minor(st.st_rdev)) {
        return dev;
      }
    }
  }
  return fail(Errc::not_found, "{}: not a dax device known to libdaxctl", path);
}

Result<std::unique_ptr<daxctl_ctx, CtxDeleter>> new_ctx() {
  daxctl_ctx* raw = nullptr;
  if (int rc = daxctl_new(&raw); rc < 0) {
    return sys_error(-rc, "libdaxctl");
  }
  return std::unique_ptr<daxctl_ctx, CtxDeleter>(raw);
}

Result<void> write_sysfs(const std::string& file, const std::string& value) {
  FILE* f = std::fopen(file.c_str(), "w");
  if (f == nullptr) {
    return sys_error(errno, file);
  }
  const bool ok = std::fputs(value.c_str(), f) >= 0;
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    return sys_error(errno, file);
  }
  return {};
}

// Disables `dev` whatever it is bound to (offlining its memory first when in system-ram mode).
Result<void> disable(daxctl_dev* dev, const std::string& path) {
  if (!daxctl_dev_is_enabled(dev)) {
    return {};
  }
  if (daxctl_memory* mem = daxctl_dev_get_memory(dev);
      mem != nullptr && daxctl_memory_is_online(mem) > 0) {
    if (int rc = daxctl_memory_offline(mem); rc < 0) {
      return with_context(sys_error(-rc, "offlining its system-ram memory"), path);
    }
  }
  if (int rc = daxctl_dev_disable(dev); rc < 0) {
    return with_context(sys_error(-rc, "daxctl_dev_disable"), path);
  }
  return {};
}

// Binds dax device `name` to the fsdev_dax driver (famfs mode; libdaxctl has none). The dax bus
// matches that driver only to the device names written to its new_id (writing one also attaches
// the device when it is free), so bind alone fails with ENODEV (seen on Debian's 7.2 kernel):
// new_id first, then bind if the device is still not bound to it.
Result<void> bind_fsdev(const std::string& path, const std::string& name) {
  const std::string drv =
      fmt::format("{}/bus/dax/drivers/{}", k_sysfs_root, dax_mode_driver("famfs"));
  std::error_code ec;
  if (!std::filesystem::exists(drv, ec)) {
    return fail(Errc::unsupported,
                "{}: famfs mode needs the fsdev_dax driver, which is not loaded ({} is missing; "
                "modprobe fsdev_dax, on a kernel built with CONFIG_DEV_DAX_FSDEV)",
                path, drv);
  }
  auto added = write_sysfs(drv + "/new_id", name);
  if (dax_driver_mode(name) == "famfs") {
    return {};
  }
  if (auto bound = write_sysfs(drv + "/bind", name); !bound) {
    return with_context(added ? std::move(bound).error() : std::move(added).error(),
                        fmt::format("{}: binding to fsdev_dax", path));
  }
  return {};
}

Result<void> enable(daxctl_dev* dev, const std::string& path, const std::string& mode) {
  if (mode == "devdax") {
    if (int rc = daxctl_dev_enable_devdax(dev); rc < 0) {
      return with_context(sys_error(-rc, "daxctl_dev_enable_devdax"), path);
    }
    return {};
  }
  if (mode == "system-ram") {
    if (int rc = daxctl_dev_enable_ram(dev); rc < 0) {
      return with_context(sys_error(-rc, "daxctl_dev_enable_ram"), path);
    }
    return {};
  }
  if (mode == "famfs") {
    return bind_fsdev(path, daxctl_dev_get_devname(dev));
  }
  if (mode == "unbound") {
    return {};
  }
  return fail(Errc::invalid_argument, "{}: unknown dax mode '{}'", path, mode);
}

} // namespace

bool looks_like_daxdev(const std::string& path) {
  return path.rfind("/dev/dax", 0) == 0;
}

Result<std::string> daxdev_set_mode(const std::string& path, const std::string& mode) {
  if (mode != "devdax" && mode != "famfs") {
    return fail(Errc::invalid_argument, "{}: cannot switch to dax mode '{}' (devdax or famfs)",
                path, mode);
  }
  FAMFS_TRY_ASSIGN(DaxInfo before, daxdev_info(path));
  if (before.mode == mode) {
    return before.mode;
  }
  FAMFS_TRY_ASSIGN(auto ctx, new_ctx());
  FAMFS_TRY_ASSIGN(daxctl_dev * dev, find_dev(ctx.get(), path));
  FAMFS_TRY(disable(dev, path));
  if (auto r = enable(dev, path, mode); !r) {
    // Put it back as it was; report the first failure.
    (void)enable(dev, path, before.mode);
    return with_context(std::move(r).error(),
                        fmt::format("switching from {} to {} mode", before.mode, mode));
  }
  return before.mode;
}

Result<void> daxdev_restore_mode(const std::string& path, const std::string& mode) {
  FAMFS_TRY_ASSIGN(DaxInfo now, daxdev_info(path));
  if (now.mode == mode) {
    return {};
  }
  FAMFS_TRY_ASSIGN(auto ctx, new_ctx());
  FAMFS_TRY_ASSIGN(daxctl_dev * dev, find_dev(ctx.get(), path));
  FAMFS_TRY(disable(dev, path));
  return enable(dev, path, mode);
}

Result<DaxInfo> daxdev_info(const std::string& path) {
  FAMFS_TRY_ASSIGN(auto ctx, new_ctx());
  FAMFS_TRY_ASSIGN(daxctl_dev * dev, find_dev(ctx.get(), path));
  DaxInfo info;
  info.size = daxctl_dev_get_size(dev);
  info.align = daxctl_dev_get_align(dev);
  daxctl_memory* mem = daxctl_dev_get_memory(dev);
  if (mem != nullptr && daxctl_memory_is_online(mem) > 0) {
    info.mode = "system-ram";
  } else if (!daxctl_dev_is_enabled(dev)) {
    info.mode = "unbound";
  } else {
    info.mode = dax_driver_mode(daxctl_dev_get_devname(dev));
  }
  return info;
}

} // namespace famfs::core
