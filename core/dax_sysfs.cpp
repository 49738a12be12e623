#include "core/dax_sysfs.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace famfs::core {

namespace {

constexpr std::uint64_t k_page_4k = 4096;
constexpr std::uint64_t k_pmd_2m = 2ULL << 20;
constexpr std::uint64_t k_pte_bytes = 8; // one page-table entry on a 64-bit host

struct DaxDriver {
  const char* driver;
  const char* mode;
};
constexpr DaxDriver k_dax_drivers[] = {
    {"device_dax", "devdax"}, {"fsdev_dax", "famfs"}, {"kmem", "system-ram"}};

} // namespace

std::string dax_devname(const std::string& path) {
  std::error_code ec;
  auto real = std::filesystem::canonical(path, ec);
  return (ec ? std::filesystem::path(path) : real).filename().string();
}

std::string dax_driver_mode(const std::string& devname, const std::string& sysfs) {
  std::error_code ec;
  auto link = std::filesystem::read_symlink(sysfs + "/bus/dax/devices/" + devname + "/driver", ec);
  if (ec) {
    return "unbound";
  }
  auto drv = link.filename().string();
  for (const auto& d : k_dax_drivers) {
    if (drv == d.driver) {
      return d.mode;
    }
  }
  return drv;
}

std::string dax_mode_driver(const std::string& mode) {
  for (const auto& d : k_dax_drivers) {
    if (mode == d.mode) {
      return d.driver;
    }
  }
  return {};
}

Result<void> dax_mode_mappable(const std::string& path, const std::string& mode) {
  if (mode == "devdax") {
    return {};
  }
  const std::string how = fmt::format(
      "switch it with --set-daxmode (mkfs, mount) or daxctl reconfigure-device --mode=devdax {}",
      dax_devname(path));
  if (mode == "famfs") {
    return fail(Errc::unsupported,
                "{}: dax device is in famfs mode (fsdev_dax driver), which user space cannot "
                "map; this command needs devdax mode: {}",
                path, how);
  }
  if (mode == "unbound") {
    return fail(Errc::unsupported,
                "{}: dax device is not bound to a driver; this command needs devdax mode: {}", path,
                how);
  }
  return fail(Errc::unsupported, "{}: dax device is in {} mode; this command needs devdax mode: {}",
              path, mode, how);
}

Result<void> kernel_can_map(DeviceKind kind, const std::string& path, const std::string& sysfs) {
  if (kind != DeviceKind::devdax && kind != DeviceKind::meta_files) {
    return fail(Errc::unsupported, "{}: the {} backing is not a dax device", path, to_string(kind));
  }
  const std::string mode = dax_driver_mode(dax_devname(path), sysfs);
  if (mode != "famfs") {
    return fail(Errc::unsupported,
                "{}: the kernel maps famfs files only from a dax device in famfs mode "
                "(fsdev_dax driver); this one is in {} mode",
                path, mode);
  }
  return host_geometry_fits(host_geometry(sysfs));
}

HostGeometry host_geometry(const std::string& sysfs) {
  long page = ::sysconf(_SC_PAGESIZE);
  return host_geometry(page > 0 ? static_cast<std::uint64_t>(page) : k_page_4k, sysfs);
}

HostGeometry host_geometry(std::uint64_t page_size, const std::string& sysfs) {
  HostGeometry g;
  g.page_size = page_size;
  std::ifstream in(sysfs + "/kernel/mm/transparent_hugepage/hpage_pmd_size");
  std::uint64_t pmd = 0;
  if (in >> pmd && pmd != 0) {
    g.pmd_size = pmd;
  } else {
    g.pmd_size = page_size * (page_size / k_pte_bytes);
  }
  return g;
}

Result<void> host_geometry_fits(const HostGeometry& g) {
  if (g.page_size != k_page_4k || g.pmd_size != k_pmd_2m) {
    return fail(Errc::unsupported,
                "this host has {}-byte pages and {}-byte PMDs; famfs maps need 4096-byte pages "
                "and 2 MiB PMDs, so famfs mode is refused",
                g.page_size, g.pmd_size);
  }
  return {};
}

} // namespace famfs::core
