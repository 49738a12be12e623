// Builds famfs images through the log/ API, for tests: the superblock (and its backup), the log
// header and chosen entries, laid out as mkfs and the log writer lay them out. The image is held
// in memory as its metadata prefix ([0, 2 MiB + log_len)); the device it stands for can be much
// larger (device_size), and write_to() makes it a sparse backing file.
// Damage helpers write raw bytes, so tests can make logs no famfs writer would make.
#pragma once

#include "core/fsck.hpp"
#include "log/format.hpp"
#include "log/records.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace famfs::test {

using log::u32;
using log::u64;

inline constexpr u64 k_mib = 1ULL << 20;

// A UUID whose bytes are first, first+1, ... (as in spec §2.2).
inline log::Uuid seq_uuid(std::uint8_t first) {
  log::Uuid u;
  for (std::uint8_t i = 0; i < 16; ++i) {
    u.bytes[i] = static_cast<std::uint8_t>(first + i);
  }
  return u;
}

class ImageBuilder {
public:
  // A fresh file system: superblock with UUIDs 00.., 10.., 20.. (system UUID = the host's in
  // host_uuid()), device name "/dev/dax0.0", an empty log; the backup superblock when `backup`.
  explicit ImageBuilder(u64 device_size = 64 * k_mib,
                        u64 log_len = log::k_default_log_len,
                        bool backup = true)
      : m_device_size(device_size), m_backup(backup) {
    m_sb.log_len = log_len;
    m_sb.fs_uuid = seq_uuid(0x00);
    m_sb.dev_uuid = seq_uuid(0x10);
    m_sb.system_uuid = host_uuid();
    m_sb.dev_size = device_size;
    m_sb.dev_name = "/dev/dax0.0";
    m_bytes.assign(log::k_log_offset + log_len, std::byte{0});
    m_next_free = log::first_data_offset(log_len);
    commit_superblock();
    commit_header();
  }

  static log::Uuid host_uuid() { return seq_uuid(0x20); }

  // Edit the superblock, then commit_superblock() to re-encode it (CRC included) into both slots.
  log::Superblock& sb() { return m_sb; }
  void commit_superblock() {
    log::encode_superblock(m_sb, span(0, log::k_superblock_size));
    if (m_backup) {
      log::encode_superblock(m_sb, span(log::k_backup_sb_offset, log::k_superblock_size));
    }
  }

  // Appends an entry (its seqnum set to its index) and returns the index.
  u64 entry(log::LogEntry e) {
    const u64 i = m_count;
    e.seqnum = i;
    if (log::entry_offset(i + 1) > m_sb.log_len) {
      throw std::runtime_error("ImageBuilder: log full");
    }
    log::encode_entry(e, slot(i));
    m_count++;
    commit_header();
    return i;
  }
  u64 mkdir(std::string path, u32 mode = 0755, u32 uid = 0, u32 gid = 0) {
    log::LogEntry e;
    e.type = log::EntryType::mkdir;
    e.body = log::MkdirEntry{uid, gid, mode, std::move(path)};
    return entry(std::move(e));
  }
  // A file with the given map.
  u64 file(std::string path, u64 size, log::Fmap map, u32 mode = 0644, u32 uid = 0, u32 gid = 0) {
    log::LogEntry e;
    e.type = log::EntryType::file;
    log::FileEntry f;
    f.size = size;
    f.mode = mode;
    f.uid = uid;
    f.gid = gid;
    f.relpath = std::move(path);
    f.fmap = std::move(map);
    e.body = std::move(f);
    return entry(std::move(e));
  }
  // A file with simple extents.
  u64 file(std::string path, u64 size, std::vector<log::Extent> extents, u32 mode = 0644) {
    log::Fmap m;
    m.extents = std::move(extents);
    return file(std::move(path), size, std::move(m), mode);
  }
  // A file placed in the next free allocation units (one extent, rounded up to 2 MiB).
  u64 file(std::string path, u64 size) {
    const u64 len = (size + log::k_alloc_unit - 1) / log::k_alloc_unit * log::k_alloc_unit;
    log::Extent x{0, m_next_free, len == 0 ? log::k_alloc_unit : len};
    m_next_free += x.len;
    return file(std::move(path), size, std::vector<log::Extent>{x});
  }
  // An interleaved file.
  u64 interleaved(std::string path, u64 size, u64 chunk, std::vector<log::Extent> strips) {
    log::Fmap m;
    m.type = log::ExtType::interleaved;
    m.chunk_size = chunk;
    m.extents = std::move(strips);
    return file(std::move(path), size, std::move(m));
  }
  u64 daxdev(u64 size, log::Uuid uuid, u32 index) {
    log::LogEntry e;
    e.type = log::EntryType::add_daxdev;
    e.body = log::DaxdevEntry{size, uuid, index};
    return entry(std::move(e));
  }

  // Log header counters (next_seqnum = next_index = entries appended, unless overridden).
  void set_counters(u64 next_seqnum, u64 next_index) {
    log::encode_log_counters(next_seqnum, next_index,
                             span(log::k_log_offset, log::k_log_header_size));
  }
  u64 count() const { return m_count; }

  // ---- raw damage ----
  std::vector<std::byte>& bytes() { return m_bytes; }
  const std::vector<std::byte>& bytes() const { return m_bytes; }
  void flip(u64 off, unsigned mask = 0x01) { m_bytes.at(off) ^= static_cast<std::byte>(mask); }
  // Device offset of entry i.
  static u64 entry_at(u64 i) { return log::k_log_offset + log::entry_offset(i); }
  // The raw slot of entry i.
  std::span<std::byte> slot(u64 i) { return span(entry_at(i), log::k_log_entry_size); }
  // Recomputes the CRC of entry i after raw edits (so only the intended damage remains).
  void restamp(u64 i) {
    auto s = slot(i);
    log::put64(s, log::k_entry_crc_covered, log::entry_crc(s));
  }
  // Writes a path into entry i's relpath field (raw: no length check), and restamps.
  void set_path(u64 i, const std::string& path, bool is_file = true) {
    auto s = slot(i);
    const std::size_t off = is_file ? 16 + 24 : 16 + 12;
    std::memset(s.data() + off, 0, log::k_max_pathlen);
    std::memcpy(s.data() + off, path.data(), std::min(path.size(), log::k_max_pathlen));
    restamp(i);
  }

  u64 device_size() const { return m_device_size; }
  // Input for core::check_image over this image.
  core::CheckInput input(std::optional<log::Uuid> host = host_uuid()) const {
    core::CheckInput in;
    in.bytes = m_bytes;
    in.device_size = m_device_size;
    in.device = "test.img";
    in.host = host;
    return in;
  }
  core::Report check() const { return core::check_image(input()); }

  // Writes the image as a sparse backing file of device_size bytes.
  void write_to(const std::string& path) const {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw std::runtime_error("cannot create " + path);
    }
    bool ok = ::ftruncate(fd, static_cast<off_t>(m_device_size)) == 0;
    // Only the non-zero 4 KiB blocks, so the file stays sparse.
    for (u64 off = 0; ok && off < m_bytes.size(); off += 4096) {
      const u64 n = std::min<u64>(4096, m_bytes.size() - off);
      bool zero = true;
      for (u64 k = 0; k < n && zero; ++k) {
        zero = m_bytes[off + k] == std::byte{0};
      }
      if (!zero) {
        ok = ::pwrite(fd, m_bytes.data() + off, n, static_cast<off_t>(off))
             == static_cast<ssize_t>(n);
      }
    }
    ::close(fd);
    if (!ok) {
      throw std::runtime_error("cannot write " + path);
    }
  }

private:
  std::span<std::byte> span(u64 off, u64 len) {
    return std::span<std::byte>(m_bytes).subspan(off, len);
  }
  void commit_header() {
    log::LogHeader h = log::make_log_header(m_sb.log_len);
    h.next_index = m_count;
    h.next_seqnum = m_count;
    log::encode_log_header(h, span(log::k_log_offset, log::k_log_header_size));
  }

  u64 m_device_size;
  bool m_backup;
  log::Superblock m_sb;
  std::vector<std::byte> m_bytes;
  u64 m_count = 0;
  u64 m_next_free = 0;
};

// The big image of the scale bench and test: `entries` entries, one directory per 100
// ("dirNNNNN", at least one), then the files "dirNNNNN/fileFFFFFFF" of 4096 + F bytes, one
// allocation unit each, file F in directory F mod dirs; a log of 64 MiB or the power of two that
// holds them, on a device just large enough (sparse when written).
struct BigImage {
  u64 dirs = 0;
  u64 files = 0;
  u64 log_len = 0;
  u64 device_size = 0;
  explicit BigImage(u64 entries) {
    log_len = 64 * k_mib;
    while (log::slots_for(log_len) < entries) {
      log_len *= 2;
    }
    dirs = std::max<u64>(1, entries / 100);
    files = entries > dirs ? entries - dirs : 0;
    device_size = log::first_data_offset(log_len) + (files + 1) * log::k_alloc_unit;
  }
  static std::string dir_name(u64 d) { return fmt::format("dir{:05}", d); }
  std::string file_path(u64 f) const { return fmt::format("dir{:05}/file{:07}", f % dirs, f); }
  ImageBuilder build() const {
    ImageBuilder b(device_size, log_len);
    for (u64 d = 0; d < dirs; ++d) {
      b.mkdir(dir_name(d));
    }
    for (u64 f = 0; f < files; ++f) {
      b.file(file_path(f), 4096 + f);
    }
    return b;
  }
};

} // namespace famfs::test
