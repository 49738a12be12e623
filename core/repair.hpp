// Repairing a famfs file system (famfs fsck -y).
//
// Repair works from the checker's Report (core/fsck.hpp) in two steps. plan_repair() is pure: it
// reads the image bytes and the Report and returns the exact bytes to write (a RepairPlan of
// Fixes, each with its message), plus the errors it leaves alone and why. apply_plan() writes
// them, in place in memory (tests) or on a Device with every write persisted. repair_device()
// does the whole job on a device: refuses a mounted one, locks out local log writers, checks,
// plans, saves the metadata to a backup file, applies, and checks again.
//
// What is repaired:
//   log tail     entries after the last intact one (seqnum = index and CRC correct) are torn or
//                corrupt: their slots are zeroed and next_index/next_seqnum reset to the intact
//                prefix. Complete but uncommitted entries past the end (a command killed between
//                writing its entry and advancing the header) are zeroed too.
//   counters     next_seqnum != next_index: both set to the end of the intact prefix. When
//                next_index is the odd one out (next_seqnum agrees with intact entries followed
//                by an empty slot) the entries it dropped are kept.
//   log header   a CRC mismatch while magic, length and last index agree with the superblock:
//                the header is rewritten. Header fields that disagree are not guessed at.
//   superblocks  a damaged primary with a valid backup (confirmed by the log header's length):
//                the primary is restored from the backup. A missing, damaged or differing
//                backup with a valid primary: the backup is rewritten from the primary.
//   middle       an entry that is corrupt (or CRC-valid but unusable) with intact entries after
//                it: only with Force::yes, replaced by an INVALID entry (type 4, seqnum = index)
//                with a correct CRC, so the entries after it stay reachable. Its file is lost.
//   --drop PATH  every FILE entry with that path becomes INVALID (destructive: the file is gone
//                and its space free); the way out of a cross-link.
// Nothing else is touched: a superblock whose CRC is bad with no valid backup, wrong geometry,
// path or extent problems stay errors for a person to decide.
//
// Write order, so that a crash in the middle of a repair never leaves things worse than before
// (running repair again finishes the job): the backup file first (fsynced), then entry slots,
// then the log header, then the backup superblock, the primary superblock last. It mirrors the
// log writer: slots are complete before the header that counts them changes.
#pragma once

#include "core/device.hpp"
#include "core/fsck.hpp"
#include "core/mkfs.hpp"
#include "log/result.hpp"

#include <cstddef>
#include <ctime>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace famfs::core {

struct RepairOptions {
  Force force = Force::no;       // also replace corrupt entries in the middle of the log
  std::vector<std::string> drop; // file paths whose entries become INVALID (destructive)
};

// What one fix does (the names appear in the JSON output).
enum class FixKind {
  entry_invalidated,  // a corrupt entry in the middle replaced by INVALID (--force)
  file_dropped,       // a file entry turned INVALID (--drop)
  tail_zeroed,        // torn or corrupt entries after the last intact one
  uncommitted_zeroed, // complete entries past the end that were never committed
  log_header,         // counters reset and/or header CRC rewritten
  backup_sb,          // backup superblock (re)written from the primary
  primary_sb,         // primary superblock restored from the backup
};
const char* to_string(FixKind k);

// Write stages, in the order apply_plan() writes and persists them.
enum class Stage { entries = 0, log_header = 1, backup_sb = 2, primary_sb = 3 };

struct Fix {
  FixKind kind = FixKind::log_header;
  Stage stage = Stage::entries;
  u64 index = k_no_entry;       // the first log entry concerned, when there is one
  u64 offset = 0;               // device offset of the write
  u64 length = 0;               // bytes written
  std::vector<std::byte> bytes; // what is written; empty means `length` zero bytes
  std::string message;          // "<object>: <what was wrong>; <what was done>"
};

struct RepairPlan {
  std::vector<Fix> fixes;            // in write order (by stage)
  std::vector<std::string> declined; // errors left alone, each with the reason or the option
  bool force_would_help = false;     // corrupt entries in the middle were left (no Force::yes)
  bool drop_would_help = false;      // cross-links were left (no --drop)
  bool empty() const { return fixes.empty(); }
};

// Plans the repair of the image in `bytes` (the device from offset 0, at least through the log)
// that `r` was made from (check_image over the same bytes). Pure. Errors: no usable superblock
// (Errc::corrupt); a --drop path that is invalid (Errc::invalid_argument), names no file entry
// (Errc::not_found) or names a directory (Errc::invalid_argument).
Result<RepairPlan>
plan_repair(const Report& r, std::span<const std::byte> bytes, const RepairOptions& opts);

// Applies the first `count` fixes of `plan` (all by default) to `bytes`, in plan order.
void apply_plan(const RepairPlan& plan, std::span<std::byte> bytes, std::size_t count = ~0UL);

// Writes the plan to `dev`, in plan order, persisting each fix before the next one starts.
Result<void> apply_plan(const RepairPlan& plan, const Device& dev);

// "famfs-fsck-backup-<fs uuid>-<UTC yyyymmddThhmmss>.img" (a file name, no directory).
std::string default_backup_name(const log::Uuid& fs_uuid, std::time_t now);

// Saves the device's bytes [0, length) (the superblock region and the log) to a new file at
// `path` (never overwrites: Errc::exists), sparse where the device is zero, and fsyncs it. The
// file is a raw image prefix: `dd if=FILE of=DEVICE conv=notrunc` puts the metadata back.
Result<void> save_metadata(const Device& dev, u64 length, const std::string& path);

enum class Backup { yes, no };

struct RepairRequest {
  std::string device; // a backing file or device (not a mount point)
  RepairOptions options;
  Backup backup = Backup::yes;
  std::string backup_path; // empty: default_backup_name() in the current directory
  // Called once the backup file is complete, before anything is written to the device.
  std::function<void(const std::string& path)> on_backup_saved;
};

struct RepairOutcome {
  Report before;
  RepairPlan plan;
  std::string backup_path; // the saved metadata ("" when nothing was written or Backup::no)
  Report after;            // the check after writing (a copy of `before` when nothing was written)
  bool wrote() const { return !plan.fixes.empty(); }
};

// Repairs the file system on `req.device`. Refuses (before writing anything) a device mounted on
// this host (Errc::busy), a device another famfs command on this host is writing (Errc::busy), a
// host that is not the file system's master when there is something to write
// (Errc::permission), and an unwritable backup file. A device with no usable superblock is not
// an error: the outcome holds the report and an empty plan.
Result<RepairOutcome> repair_device(const RepairRequest& req);

} // namespace famfs::core
