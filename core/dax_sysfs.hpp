// What sysfs says about dax devices and the host, with the sysfs root injectable so unit tests
// point it at a fake tree: the driver a dax device is bound to (its mode), whether a command that
// maps the device can use it in that mode, whether the kernel can map famfs files from it, and
// the host's page and PMD sizes. No libdaxctl here (core/daxdev.cpp has that).
#pragma once

#include "core/device.hpp"
#include "log/result.hpp"

#include <cstdint>
#include <string>

namespace famfs::core {

inline constexpr const char* k_sysfs_root = "/sys";

// The kernel name of the dax device at `path` ("dax0.0" for /dev/dax0.0, following symlinks).
std::string dax_devname(const std::string& path);

// The mode of dax device `devname` from the driver it is bound to
// (<sysfs>/bus/dax/devices/<devname>/driver): device_dax -> "devdax", fsdev_dax -> "famfs",
// kmem -> "system-ram", no driver -> "unbound", any other driver -> its name.
std::string dax_driver_mode(const std::string& devname, const std::string& sysfs = k_sysfs_root);
// The driver of `mode` ("devdax" -> "device_dax", ...); "" for unbound or an unknown mode.
std::string dax_mode_driver(const std::string& mode);

// Whether a command that maps the device itself (mkfs, fsck, mount's daemon, libfamfs) can use a
// dax device in `mode`: only devdax. Errc::unsupported otherwise, with a message naming the
// mode it is in, the mode needed and how to switch (--set-daxmode, daxctl reconfigure-device).
Result<void> dax_mode_mappable(const std::string& path, const std::string& mode);

// Whether a famfs kernel can map file data from the device at `path` of `kind`: a dax device
// (devdax, or meta_files: a famfs-mode one read through its metadata) bound to fsdev_dax (the
// kernel's fs_dax_get() refuses any other driver), on a host whose page and PMD sizes are the ones
// famfs maps are built for (host_geometry_fits). Errc::unsupported with the reason otherwise.
Result<void>
kernel_can_map(DeviceKind kind, const std::string& path, const std::string& sysfs = k_sysfs_root);

// The host's base page size (sysconf) and PMD size
// (<sysfs>/kernel/mm/transparent_hugepage/hpage_pmd_size; without that file, derived from the
// page size as one page-table page of 8-byte entries: 4 KiB -> 2 MiB, 64 KiB -> 512 MiB).
struct HostGeometry {
  std::uint64_t page_size = 0;
  std::uint64_t pmd_size = 0;
};
HostGeometry host_geometry(const std::string& sysfs = k_sysfs_root);
HostGeometry host_geometry(std::uint64_t page_size, const std::string& sysfs);

// famfs maps are built of 2 MiB-aligned extents (the allocation unit) and the kernel takes
// GET_FMAP replies into one page; famfs mode is refused unless the host has 4 KiB pages and
// 2 MiB PMDs (Errc::unsupported naming both sizes).
Result<void> host_geometry_fits(const HostGeometry& g);

} // namespace famfs::core
