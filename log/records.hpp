// In-memory forms of the on-media records and their codecs (see format.hpp for the bytes).
// Encoders write every byte of their output (zeros where nothing is stored); decoders read only
// inside the span they are given and return Errc::corrupt / Errc::bad_version with the place.
#pragma once

#include "log/format.hpp"
#include "log/result.hpp"
#include "log/uuid.hpp"

#include <span>
#include <string>
#include <variant>
#include <vector>

namespace famfs::log {

struct Superblock {
  u64 magic = k_super_magic;
  u64 version = k_version;
  u64 log_offset = k_log_offset;
  u64 log_len = k_default_log_len;
  u64 alloc_unit = k_alloc_unit;
  u32 omf_major = k_omf_major;
  u32 omf_minor = k_omf_minor;
  Uuid fs_uuid;
  Uuid dev_uuid;
  Uuid system_uuid;
  u64 crc = 0; // as stored (decode) / as computed (encode fills it)
  u32 sb_flags = 0;
  u64 dev_size = 0; // ts_daxdev.dd_size
  Uuid dd_uuid;
  std::string dev_name; // ts_daxdev.dd_daxdev, at most 64 bytes
};

// Writes `sb` into out[0, 200) with its CRC computed (sb.crc is ignored).
void encode_superblock(const Superblock& sb, std::span<std::byte> out);
// Decodes out[0, 200) without validating anything.
Result<Superblock> decode_superblock(std::span<const std::byte> in);
// Decodes and validates as upstream's check_super does: magic, version (exactly 48), CRC over
// [0, 96), alloc unit 4096 or 2 MiB. Errors: corrupt ("not a famfs file system", "checksum
// mismatch", ...) or bad_version (naming both versions).
Result<Superblock> parse_superblock(std::span<const std::byte> in);
// The allocation units a superblock may name: 2 MiB (k_alloc_unit) or 4 KiB.
bool valid_alloc_unit(u64 alloc_unit);
// The allocation unit to count units with: the superblock's when valid (always, after
// parse_superblock), else 2 MiB (fsck of a damaged superblock).
u64 alloc_unit_of(const Superblock& sb);
// The CRC that belongs in the superblock stored in `in` (over bytes [0, 96)).
u64 superblock_crc(std::span<const std::byte> in);

struct LogHeader {
  u64 magic = k_log_magic;
  u64 log_len = 0;
  u64 last_index = 0;
  u64 crc = 0;
  u64 next_seqnum = 0;
  u64 next_index = 0;
};

// A fresh header for a log of `log_len` bytes.
LogHeader make_log_header(u64 log_len);
// Writes `h` into out[0, 48) with its CRC computed (h.crc is ignored).
void encode_log_header(const LogHeader& h, std::span<std::byte> out);
// Writes only next_seqnum and next_index (the fields that change on append).
void encode_log_counters(u64 next_seqnum, u64 next_index, std::span<std::byte> out);
// Decodes without validating.
Result<LogHeader> decode_log_header(std::span<const std::byte> in);
// Decodes and validates magic and CRC, last_index against log_len, and next_index against the
// slot count. `log_len` is the length the superblock declares (0 = do not compare).
Result<LogHeader> parse_log_header(std::span<const std::byte> in, u64 expected_log_len);
u64 log_header_crc(std::span<const std::byte> in);

struct Extent {
  u64 devindex = 0;
  u64 offset = 0;
  u64 len = 0;
  friend bool operator==(const Extent&, const Extent&) = default;
};

enum class ExtType : u32 { simple = 0, interleaved = 1 };

// A file's map. Simple: `extents` in file order. Interleaved (one interleaved extent, as upstream
// writes): `extents` are the strips, `chunk_size` the chunk.
struct Fmap {
  ExtType type = ExtType::simple;
  std::vector<Extent> extents;
  u64 chunk_size = 0;
  friend bool operator==(const Fmap&, const Fmap&) = default;
  // Sum of extent lengths: the bytes this map can hold.
  u64 capacity() const;
};

// The mode bits famfs writes and serves on files and directories: read, write and execute for
// user, group and other. setuid, setgid and sticky are refused (a setuid file in memory shared by
// every host is a privilege hole wherever it is mounted without nosuid; with no delete, sticky
// means nothing); bits above 07777 are not a permission mode at all.
inline constexpr u32 k_mode_bits = 0777;

// Why famfs does not accept `mode` ("mode 04755 has the setuid bit", "mode 037777777777 has bits
// outside 07777"), or "" when only k_mode_bits are set.
std::string mode_problem(u32 mode);

struct FileEntry {
  u64 size = 0;
  u32 flags = k_fm_all_hosts_rw;
  u32 uid = 0;
  u32 gid = 0;
  u32 mode = 0644;
  std::string relpath;
  Fmap fmap;
};

struct MkdirEntry {
  u32 uid = 0;
  u32 gid = 0;
  u32 mode = 0755;
  std::string relpath;
};

struct DaxdevEntry {
  u64 size = 0;
  Uuid uuid;
  u32 index = 0;
};

enum class EntryType : u32 { file = 0, mkdir = 1, del = 2, add_daxdev = 3, invalid = 4 };

// A decoded log entry. `body` is monostate for DELETE and INVALID (and any type we ignore).
struct LogEntry {
  u64 seqnum = 0;
  EntryType type = EntryType::invalid;
  std::variant<std::monostate, FileEntry, MkdirEntry, DaxdevEntry> body;
};

// Writes `e` into out[0, 544): all bytes zeroed first, then the fields, then the CRC.
// The body must be valid for encoding (paths < 80 bytes, at most 16 extents/strips); the caller
// checks with validate_for_encoding first.
void encode_entry(const LogEntry& e, std::span<std::byte> out);
// Checks that `e` can be encoded faithfully (path length, extent counts).
Result<void> validate_for_encoding(const LogEntry& e);
// The CRC that belongs in the entry stored in `in`.
u64 entry_crc(std::span<const std::byte> in);
// Decodes an entry stored in `in` (544 bytes) at slot `index`, checking the seqnum, the CRC,
// the type and the structure of the map. `where` names the entry in messages
// ("log entry 17 at device offset 0x20c2f0").
Result<LogEntry> decode_entry(std::span<const std::byte> in, u64 index, std::string_view where);

} // namespace famfs::log
