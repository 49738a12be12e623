// Signatures of other file systems and partition tables on a device (libblkid), so that mkfs
// never overwrites one without --force, and with --force leaves none behind for blkid to report.
#pragma once

#include "log/result.hpp"

#include <string>
#include <vector>

namespace famfs::core {

// What blkid finds on `fd` (a regular file or block device), one phrase each: "an ext4 file
// system", "a dos partition table". With Wipe::yes each one found is also erased (its magic
// bytes zeroed, as wipefs(8) does) and the device synced. famfs itself is not known to blkid.
enum class Wipe { no, yes };
Result<std::vector<std::string>> foreign_signatures(int fd, const std::string& path, Wipe wipe);

} // namespace famfs::core
