// Checking a famfs file system (read-only). Spec §8 plus our stricter checks.
//
// The checker is a pure function over the device bytes (check_image), so tests feed it spans built
// in memory; check_device() adds the I/O. It never stops at the first problem: every problem goes
// into the Report with its kind and the log entry it concerns, so the CLI can print them all,
// pick the exit code, and a later repair pass (fsck -y) can act on each one.
//
// What is checked:
//   superblock  magic, version, CRC, allocation unit, log geometry (offset 2 MiB, length a power of
//               two >= 8 MiB that fits the device), recorded device size <= real size, and the
//               backup copy at 0x1ff000: absent (all zero, as upstream-made file systems are) is
//               fine; present, it must be valid and identical to the primary. A damaged primary
//               with a valid backup is checked through the backup.
//   log header  magic, CRC, length = the superblock's, last index, next index within the slots,
//               next_seqnum = next_index; the slot after the last entry should be empty.
//   entries     for each i in [0, next_index): seqnum = i, CRC, known type, sound structure;
//               relpath relative, <= 79 bytes, no ".." escaping the root, not .meta or inside it,
//               its parent created earlier as a directory, no duplicate path; extents on a known
//               device, inside it, outside the superblock and log, aligned to the allocation unit,
//               at most 16 extents / 16 strips, covering the file size; no allocation unit claimed
//               by two files (cross-links, naming both); a mode of only permission bits 0777
//               (log::mode_problem); files of size 0 are noted (info).
// Statistics are gathered the way upstream's famfs_fsck_scan does, so the summary text matches
// upstream's line for line on the same image.
#pragma once

#include "core/size_text.hpp"
#include "core/system_uuid.hpp"
#include "log/records.hpp"
#include "log/result.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace famfs::core {

using log::u64;

inline constexpr u64 k_no_entry = ~0ULL;

enum class Severity { info, warning, error };
const char* to_string(Severity s);

// What a problem is about. Repair keys off these; the names appear in the JSON output.
enum class ProblemKind {
  // Superblocks. `offset` is 0 for the primary, k_backup_sb_offset for the backup.
  sb_magic,        // no famfs magic
  sb_version,      // a version other than 48
  sb_crc,          // checksum mismatch
  sb_alloc_unit,   // allocation unit not 4096 or 2 MiB
  sb_geometry,     // log offset or length unusable, or the log does not fit the device
  sb_device_size,  // recorded device size larger than the device
  backup_missing,  // no backup superblock (info: upstream never writes one)
  backup_damaged,  // bytes at 0x1ff000 that are not a valid superblock
  backup_mismatch, // a valid backup that differs from the primary
  // Log header.
  log_magic,
  log_crc,
  log_length,     // length differs from the superblock's, or last index wrong
  log_next_index, // next index past the last slot
  log_counters,   // next_seqnum != next_index
  log_tail,       // the slot after the last entry is not empty
  // Entries (`index` says which).
  entry_empty, // an all-zero slot below next_index
  entry_seqnum,
  entry_crc,
  entry_type,       // unknown type (error) or the reserved DELETE type (warning)
  entry_structure,  // CRC-valid but malformed (extent counts, unterminated path, ...)
  path_invalid,     // absolute, empty, too long, escaping the root, or naming the root
  path_reserved,    // .meta or a path inside it (log/path.hpp)
  path_no_parent,   // parent not created by an earlier entry, or not a directory
  path_duplicate,   // same path as an earlier entry (`other`)
  extent_device,    // device index that no entry added
  extent_alignment, // offset or length not a multiple of the allocation unit, or zero length
  extent_bounds,    // past the end of the device
  extent_reserved,  // inside the superblock and log region
  extent_short,     // extents hold fewer bytes than the file size
  entry_mode,       // a mode famfs does not accept (log::mode_problem): bits above 07777 (error),
                    // setuid, setgid or sticky (warning: upstream's creat/mkdir -m can write them)
  file_empty,       // a file of size 0 (info: valid in the format, but no famfs command makes one)
  cross_link,       // an allocation unit claimed by two files (`index` and `other`)
};
const char* to_string(ProblemKind k);

struct Problem {
  Severity severity = Severity::error;
  ProblemKind kind = ProblemKind::entry_crc;
  u64 index = k_no_entry; // the log entry concerned
  u64 other = k_no_entry; // the other entry (duplicate path, cross-link)
  u64 offset = 0;         // device offset of the damaged structure or range
  u64 length = 0;         // bytes concerned (cross-links, extents), when meaningful
  std::string message;    // complete text: "<object>: <what>"
};

// Which superblock the rest of the check trusted.
enum class SbSource { none, primary, backup, unverified_primary };

// The numbers of upstream's fsck summary (spec §8.1), plus ours.
struct FsckStats {
  u64 log_len = 0;        // the log header's length (the superblock's when the header is bad)
  u64 log_last_index = 0; // inclusive
  u64 next_index = 0;     // entries in use
  u64 bad_entries = 0;    // seqnum or CRC failures
  u64 files = 0;
  u64 directories = 0;
  u64 daxdevs = 0;    // ADD_DAXDEV entries
  u64 collisions = 0; // allocation units claimed more than once (upstream's count)
  u64 fsize_sum = 0;  // sum of file sizes
  u64 alloc_sum = 0;  // bytes allocated, the superblock and log included
  u64 bitmap_capacity = 0;
};

struct Report {
  std::string device;  // as given
  u64 device_size = 0; // bytes
  SbSource source = SbSource::none;
  log::Superblock sb;       // the superblock checked with (source != none)
  Role role = Role::client; // no_superblock: checked through an unverified superblock
  bool log_checked = false; // the log could be examined (the stats are meaningful)
  FsckStats stats;
  std::vector<Problem> problems;

  // A superblock was usable, so the file system was checked.
  bool usable() const { return source != SbSource::none; }
  std::size_t count(Severity s) const;
  std::size_t errors() const { return count(Severity::error); }
  std::size_t warnings() const { return count(Severity::warning); }
  // Problems of one kind (repair).
  std::vector<const Problem*> of_kind(ProblemKind k) const;
};

struct CheckInput {
  std::span<const std::byte> bytes; // the device from offset 0; may end after the log
  u64 device_size = 0;              // the device's real size (>= bytes.size())
  std::string device;               // name for messages
  std::optional<log::Uuid> host;    // this host's system UUID; none -> role "Client"
};

// Checks an image. Never fails: everything found is in the Report.
Report check_image(const CheckInput& in);

class Device;
// Drops cached copies of the superblock region and of the log the superblock declares, before
// reading metadata another host may have written (a no-op on regular files).
void invalidate_metadata(const Device& dev);

// How check_device() reads the superblock region and the log: through the device mapping (the
// default), or with read(2) into memory (upstream's fsck -r, for devices whose mapping and
// read path may disagree).
enum class MetadataAccess { mmap, read };

// Opens `path` read-only (a backing file or a device) and checks it. Errors only for what stops
// the check from running (the device cannot be opened, mapped or read).
Result<Report> check_device(const std::string& path, MetadataAccess access = MetadataAccess::mmap);

// Upstream's summary text (spec §8.1): superblock, log stats, capacity (omitted when there are
// collisions), log counts, then with Detail::verbose the struct-size block. Empty when !usable().
// SizeStyle::human prints the byte sizes outside the verbose block as human_size() does, and
// says "Allocated space" (as upstream's --human) and "log size" without "(bytes)".
enum class Detail { summary, verbose };
std::string summary_text(const Report& r, Detail detail, SizeStyle sizes = SizeStyle::bytes);

// The role as fsck prints it (upstream's words, in the text and the JSON): "Owner" for the
// master, "Client", or "Invalid superblock" (Role::no_superblock).
const char* role_text(Role r);

// One line per problem at or above `min`: "  error: <message>".
std::string problems_text(const Report& r, Severity min);

// The report as a JSON document (core/json.hpp): device, superblock, log, capacity, counts,
// problems, and `exit_code` as given.
std::string report_json(const Report& r, int exit_code);

class JsonWriter;
// The members of report_json()'s object, written into an object `j` has open (so that fsck -y
// can add its own members).
void write_report_members(JsonWriter& j, const Report& r, int exit_code);
// An array `key` of the report's problems, as in report_json().
void write_problems(JsonWriter& j, std::string_view key, const Report& r);

} // namespace famfs::core
