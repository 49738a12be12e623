// famfs on-media format, OMF 2.2 (superblock version 48), byte-compatible with upstream famfs.
//
// Device layout
//   [0, 2 MiB)                 superblock region: the 200-byte superblock at 0, and our backup
//                              copy at 0x1ff000 (upstream never reads past byte 200).
//   [2 MiB, 2 MiB + log_len)   the metadata log: a 48-byte header, then 544-byte entries.
//   after that                 file data, in 2 MiB allocation units (AU).
//
// All integers are little-endian. Unused bytes (padding, unused union bytes, the tail of a path,
// unused extents) are written as zero: upstream zero-fills every entry before filling it in, and
// the CRC covers those bytes.
//
// Superblock (200 bytes, offsets in bytes)
//   0 magic u64 = 0x87b282ff      8 version u64 = 48        16 log_offset u64 = 0x200000
//   24 log_len u64               32 alloc_unit u64 = 2 MiB  40 omf_major u32 = 2
//   44 omf_minor u32 = 2         48 fs uuid[16]             64 device uuid[16]
//   80 system uuid[16] (the master host)                    96 crc u64 (CRC32 in the low half)
//   104 sb_flags u32 (unused, 0) 108 pad u32                112 daxdev: size u64,
//   120 daxdev uuid[16], 136 daxdev name char[64] (not NUL-terminated when 64 long)
//   The CRC is zlib crc32(0, bytes [0, 96)). sb_flags and daxdev are not covered.
//   Readers accept exactly version 48 (another version is reported, naming both), magic, CRC,
//   and an alloc unit of 4096 or 2 MiB; OMF major/minor are written but not checked.
//
// Log header (48 bytes at log offset)
//   0 magic u64 = 0xbadcafef00d   8 log_len u64   16 last_index u64 = (log_len-48)/544 - 1
//   24 crc u64 = crc32 of bytes [0, 24)            32 next_seqnum u64   40 next_index u64
//   next_seqnum and next_index are not CRC-protected: they advance after an entry is persisted.
//
// Log entry i (544 bytes at log offset + 48 + 544*i)
//   0 seqnum u64 (must equal i)   8 type u32 (0 FILE, 1 MKDIR, 2 DELETE (never written),
//   3 ADD_DAXDEV, 4 INVALID)      12 pad u32      16 payload[520]     536 crc u64 = crc32 [0, 536)
//   FILE payload:  0 size u64, 8 flags u32 (2 = all hosts rw), 12 uid, 16 gid, 20 mode u32
//                  (permission bits only), 24 relpath char[80] (NUL-terminated), 104 fmap[416]
//   fmap:          0 ext_type u32 (0 simple, 1 interleaved), 4 pad, 8 nextents|niext u32, 12 pad,
//                  16 simple: 16 x {devindex u64, offset u64, len u64}
//                     interleaved: 1 x {nstrips u64, chunk_size u64, 16 x simple extent}
//   MKDIR payload: 0 uid u32, 4 gid u32, 8 mode u32, 12 relpath char[80]
//   ADD_DAXDEV:    0 size u64, 8 uuid[16], 24 index u32, 28 pad u32
//
// Interleaved placement (the kernel's rule): chunk c = off / chunk_size, strip = c mod nstrips,
// offset in strip = (c div nstrips) * chunk_size + off mod chunk_size.
//
// Compatibility: the version must match exactly; an unknown version is refused naming both.
#pragma once

#include "log/le.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace famfs::log {

inline constexpr u64 k_super_magic = 0x87b282ff;
inline constexpr u64 k_version = 48;
inline constexpr u32 k_omf_major = 2;
inline constexpr u32 k_omf_minor = 2;
inline constexpr u64 k_log_magic = 0xbadcafef00dULL;
inline constexpr u64 k_alloc_unit = 0x200000; // 2 MiB
inline constexpr u64 k_superblock_region = 0x200000;
inline constexpr u64 k_log_offset = 0x200000;
inline constexpr u64 k_default_log_len = 0x800000; // 8 MiB
inline constexpr u64 k_min_log_len = 0x800000;
inline constexpr u64 k_backup_sb_offset = 0x1ff000;
inline constexpr std::size_t k_max_pathlen = 80; // field size; paths are at most 79 bytes
inline constexpr std::size_t k_max_simple_extents = 16;
inline constexpr std::size_t k_max_strips = 16;
inline constexpr u64 k_max_nbuckets = 64;
inline constexpr std::size_t k_devname_len = 64;
inline constexpr u32 k_fm_all_hosts_rw = 2;

struct OmfUuid {
  std::array<std::byte, 16> b{};
};

// ---- On-media layouts. Only ever filled or read through memcpy and the le accessors. ----

struct OmfDaxdev {
  le64 dd_size;
  OmfUuid dd_uuid;
  std::array<char, k_devname_len> dd_daxdev;
};

struct OmfSuperblock {
  le64 ts_magic;
  le64 ts_version;
  le64 ts_log_offset;
  le64 ts_log_len;
  le64 ts_alloc_unit;
  le32 ts_omf_ver_major;
  le32 ts_omf_ver_minor;
  OmfUuid ts_uuid;
  OmfUuid ts_dev_uuid;
  OmfUuid ts_system_uuid;
  le64 ts_crc;
  le32 ts_sb_flags;
  le32 pad;
  OmfDaxdev ts_daxdev;
};

struct OmfLogHeader {
  le64 famfs_log_magic;
  le64 famfs_log_len;
  le64 famfs_log_last_index;
  le64 famfs_log_crc;
  le64 famfs_log_next_seqnum;
  le64 famfs_log_next_index;
};

struct OmfSimpleExtent {
  le64 se_devindex;
  le64 se_offset;
  le64 se_len;
};

struct OmfInterleavedExtent {
  le64 ie_nstrips;
  le64 ie_chunk_size;
  std::array<OmfSimpleExtent, k_max_strips> ie_strips;
};

struct OmfFmap {
  le32 fmap_ext_type;
  le32 pad0;
  le32 fmap_nextents; // fmap_niext for interleaved maps (a union upstream)
  le32 pad1;
  std::array<std::byte, sizeof(OmfInterleavedExtent)> ext; // se[16] or ie[1]
};

struct OmfFileMeta {
  le64 fm_size;
  le32 fm_flags;
  le32 fm_uid;
  le32 fm_gid;
  le32 fm_mode;
  std::array<char, k_max_pathlen> fm_relpath;
  OmfFmap fm_fmap;
};

struct OmfMkdir {
  le32 md_uid;
  le32 md_gid;
  le32 md_mode;
  std::array<char, k_max_pathlen> md_relpath;
};

struct OmfAddDaxdev {
  le64 dd_size;
  OmfUuid dd_uuid;
  le32 dd_index;
  le32 pad;
};

struct OmfLogEntry {
  le64 famfs_log_entry_seqnum;
  le32 famfs_log_entry_type;
  le32 pad;
  std::array<std::byte, sizeof(OmfFileMeta)> payload;
  le64 famfs_log_entry_crc;
};

// Layout pins: any change here is a format change (bump the version, update the golden tests).
static_assert(sizeof(OmfDaxdev) == 88);
static_assert(sizeof(OmfSuperblock) == 200);
static_assert(offsetof(OmfSuperblock, ts_omf_ver_major) == 40);
static_assert(offsetof(OmfSuperblock, ts_uuid) == 48);
static_assert(offsetof(OmfSuperblock, ts_system_uuid) == 80);
static_assert(offsetof(OmfSuperblock, ts_crc) == 96);
static_assert(offsetof(OmfSuperblock, ts_sb_flags) == 104);
static_assert(offsetof(OmfSuperblock, ts_daxdev) == 112);
static_assert(offsetof(OmfSuperblock, ts_daxdev) + offsetof(OmfDaxdev, dd_daxdev) == 136);
static_assert(sizeof(OmfLogHeader) == 48);
static_assert(offsetof(OmfLogHeader, famfs_log_crc) == 24);
static_assert(offsetof(OmfLogHeader, famfs_log_next_index) == 40);
static_assert(sizeof(OmfSimpleExtent) == 24);
static_assert(sizeof(OmfInterleavedExtent) == 400);
static_assert(sizeof(OmfFmap) == 416);
static_assert(sizeof(OmfFileMeta) == 520);
static_assert(offsetof(OmfFileMeta, fm_relpath) == 24);
static_assert(offsetof(OmfFileMeta, fm_fmap) == 104);
static_assert(sizeof(OmfMkdir) == 92);
static_assert(offsetof(OmfMkdir, md_relpath) == 12);
static_assert(sizeof(OmfAddDaxdev) == 32);
static_assert(offsetof(OmfAddDaxdev, dd_index) == 24);
static_assert(sizeof(OmfLogEntry) == 544);
static_assert(offsetof(OmfLogEntry, payload) == 16);
static_assert(offsetof(OmfLogEntry, famfs_log_entry_crc) == 536);

inline constexpr u64 k_superblock_size = sizeof(OmfSuperblock);                         // 200
inline constexpr u64 k_log_header_size = sizeof(OmfLogHeader);                          // 48
inline constexpr u64 k_log_entry_size = sizeof(OmfLogEntry);                            // 544
inline constexpr std::size_t k_sb_crc_covered = offsetof(OmfSuperblock, ts_crc);        // 96
inline constexpr std::size_t k_log_crc_covered = offsetof(OmfLogHeader, famfs_log_crc); // 24
inline constexpr std::size_t k_entry_crc_covered =
    offsetof(OmfLogEntry, famfs_log_entry_crc); // 536

// The last valid slot index of a log of `log_len` bytes (inclusive), as upstream computes it.
constexpr u64 last_index_for(u64 log_len) {
  return (log_len - k_log_header_size) / k_log_entry_size - 1;
}
// Number of entry slots in a log of `log_len` bytes.
constexpr u64 slots_for(u64 log_len) {
  return last_index_for(log_len) + 1;
}
// Byte offset of entry `index` from the start of the log.
constexpr u64 entry_offset(u64 index) {
  return k_log_header_size + index * k_log_entry_size;
}
// The first byte after the reserved region (superblock + log), rounded up to an allocation unit.
constexpr u64 first_data_offset(u64 log_len) {
  return (k_log_offset + log_len + k_alloc_unit - 1) / k_alloc_unit * k_alloc_unit;
}

static_assert(last_index_for(0x800000) == 15419);
static_assert(last_index_for(0x4000000) == 123360);
static_assert(first_data_offset(0x800000) == 0xa00000);

// zlib CRC-32 (ISO-HDLC) with seed 0, as every famfs checksum uses.
u32 crc32(std::span<const std::byte> bytes);

} // namespace famfs::log
