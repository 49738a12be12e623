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

// Opens both files of `files` and checks the superblock the first one holds (magic, version,
// CRC, the log right after it) and that the second one holds the whole log it declares. Errors
// name the file that is missing, unreadable, too short or not a famfs superblock.
Result<OpenedMetaFiles> open_meta_files(const MetaFiles& files, OpenMode mode);

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

// How famfs mount reads the metadata of the device it mounts. map_device: it maps the device
// as it is (a backing file, pmem, a devdax-mode dax device; a dax device in any other mode is
// then refused by Device::open with the mode it needs), and the daemon serves from that mapping.
// famfs_mode: the famfs-mode sequence (core/dax_mode.hpp famfs_mode_mount): the metadata is
// copied in devdax mode, the device goes back to famfs mode, and the daemon serves from the
// copy until the kernel has negotiated FUSE famfs, then from its mount's .meta files.
enum class MountSequence { map_device, famfs_mode };
// Whether famfs mount was asked to put the device in devdax mode (--set-daxmode).
enum class SetDaxmode { no, yes };

// The choice, from facts: `mode` the dax mode of `path` ("" when it is not a dax device),
// `mountpoint` its famfs mount on this machine ("" when none), `g` this host's page and PMD
// sizes. famfs_mode for a famfs-mode device without SetDaxmode::yes; Errc::busy when such a
// device is mounted already (its mode is never switched under a mount), Errc::unsupported when
// the host geometry does not fit famfs maps (host_geometry_fits). map_device otherwise.
Result<MountSequence> choose_mount_sequence(const std::string& path,
                                            const std::string& mode,
                                            SetDaxmode set_daxmode,
                                            const std::string& mountpoint,
                                            const HostGeometry& g);
// The choice for `path` on this host: its dax mode from `sysfs` (as meta_source_for finds it),
// its famfs mount from `mountinfo`, the host geometry from `sysfs`.
Result<MountSequence> mount_sequence_for(const std::string& path,
                                         SetDaxmode set_daxmode,
                                         const std::string& sysfs = k_sysfs_root,
                                         const std::string& mountinfo = "/proc/self/mountinfo");

// Opens the metadata of `path` as meta_source_for chooses: Device::open (the whole device) or
// Device::open_meta_files (the mount's .meta files).
Result<Device> open_metadata(const std::string& path, OpenMode mode);

} // namespace famfs::core
