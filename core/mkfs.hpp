// Making a famfs file system (spec §3, with our deviations: regular files allowed, a backup
// superblock, strict checks before anything is written).
#pragma once

#include "log/records.hpp"
#include "log/result.hpp"

#include <string>

namespace famfs::core {

enum class Force { no, yes };
enum class Kill { no, yes };

struct MkfsOptions {
  log::u64 log_len = log::k_default_log_len;
  Force force = Force::no;
  Kill kill = Kill::no;     // with force: only zero the superblock magic
  log::u64 create_size = 0; // regular files: create or grow (sparse) to this size; never shrink
};

// Smallest device for a log of `log_len`: superblock region + log + one allocation unit.
log::u64 min_device_size(log::u64 log_len);

// Validates a log length: a power of two, at least 8 MiB.
Result<void> check_log_len(log::u64 log_len);

// Formats `path`. Refuses (before writing anything) a bad log length, a device mounted anywhere,
// a device too small for superblock + log + one allocation unit (naming the minimum), and an
// existing famfs (a superblock magic in the primary or backup slot) without Force::yes, and a
// create_size that needs more than the free space of the backing file's file system
// (Errc::no_space: "100 TiB is larger than the 64 MiB free on /dev/shm"). A backing file that
// mkfs created is removed again when it fails; one that existed before is never removed.
// Then: zeroes the magics of an existing file system, writes and persists the zeroed log with
// its header, then the backup superblock (0x1ff000), then the primary superblock last.
// With Kill::yes and Force::yes it only zeroes the superblock magics (primary and backup) and
// returns the superblock that was there; nothing else is written.
Result<log::Superblock> mkfs(const std::string& path, const MkfsOptions& opts);

} // namespace famfs::core
