// Where the superblock and log of a famfs device are read from, chosen by the device's mode.
// A backing file, a pmem block device or a dax device in devdax mode: a mapping of the device
// itself (core/device.hpp). A dax device in famfs mode (bound to fsdev_dax, which has no mmap):
// the .meta/.superblock and .meta/.log files of its famfs mount, which a famfs kernel maps with
// DAX through the fmaps the daemon serves. Upstream famfs does the same: only mkfs and fsck of an
// unmounted device map the raw device, everything else maps the .meta files.
#pragma once

#include "core/dax_sysfs.hpp"
#include "core/device.hpp"
#include "core/mounts.hpp"
#include "log/result.hpp"

#include <string>

namespace famfs::core {

enum class MetaAccess { device, mount_files };

struct MetaSource {
  MetaAccess access = MetaAccess::device;
  std::string mountpoint; // mount_files: the famfs mount whose .meta files hold the metadata
};

// <mountpoint>/.meta/.superblock and <mountpoint>/.meta/.log.
struct MetaFiles {
  std::string superblock;
  std::string log;
};
MetaFiles meta_files(const std::string& mountpoint);

// The choice, from facts: `kind` by the file type of `path`, `mode` its dax mode
// (dax_driver_mode; ignored unless kind is devdax), `mountpoint` the famfs mount of `path` on
// this host ("" when not mounted). A famfs-mode device that is not mounted, and a dax device in
// any mode but devdax or famfs, is Errc::unsupported with dax_mode_mappable's message (the mode
// needed and how to switch).
Result<MetaSource> choose_meta_source(const std::string& path,
                                      DeviceKind kind,
                                      const std::string& mode,
                                      const std::string& mountpoint);

// The choice for `path` on this host: its file type (stat), its dax mode from `sysfs` (a character
// device sysfs does not list as a dax device is left to Device::open to refuse), and, only
// for a famfs-mode device, its famfs mount from `mountinfo` (source compared by realpath).
Result<MetaSource> meta_source_for(const std::string& path,
                                   const std::string& sysfs = k_sysfs_root,
                                   const std::string& mountinfo = "/proc/self/mountinfo");

// Opens the metadata of `path` as meta_source_for chooses: Device::open (the whole device) or
// Device::open_meta_files (the mount's .meta files).
Result<Device> open_metadata(const std::string& path, OpenMode mode);

} // namespace famfs::core
