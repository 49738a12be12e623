#include "log/records.hpp"

#include <fmt/format.h>

#include <libdeflate.h>

#include <algorithm>
#include <cstring>

namespace famfs::log {

// libdeflate computes zlib's CRC-32 (same polynomial, seed and result) with carry-less multiply
// where the CPU has it: about three times zlib's speed, which a replay of a big log feels.
u32 crc32(std::span<const std::byte> bytes) {
  return ::libdeflate_crc32(0, bytes.data(), bytes.size());
}

namespace {

template <typename Omf> Omf load_struct(std::span<const std::byte> in) {
  Omf o;
  std::memcpy(&o, in.data(), sizeof(Omf));
  return o;
}

template <typename Omf> void store_struct(const Omf& o, std::span<std::byte> out) {
  std::memcpy(out.data(), &o, sizeof(Omf));
}

OmfUuid to_omf(const Uuid& u) {
  OmfUuid o;
  std::memcpy(o.b.data(), u.bytes.data(), 16);
  return o;
}

Uuid from_omf(const OmfUuid& o) {
  Uuid u;
  std::memcpy(u.bytes.data(), o.b.data(), 16);
  return u;
}

template <std::size_t N> void put_string(std::array<char, N>& field, std::string_view s) {
  field.fill(0);
  std::memcpy(field.data(), s.data(), std::min(N, s.size()));
}

// A string field that need not be NUL-terminated (the daxdev name).
template <std::size_t N> std::string get_string_unterminated(const std::array<char, N>& field) {
  std::size_t n = 0;
  while (n < N && field[n] != 0) {
    ++n;
  }
  return std::string(field.data(), n);
}

} // namespace

// ---- superblock ----

u64 superblock_crc(std::span<const std::byte> in) {
  return crc32(in.first(k_sb_crc_covered));
}

void encode_superblock(const Superblock& sb, std::span<std::byte> out) {
  FAMFS_ASSERT(out.size() >= k_superblock_size);
  OmfSuperblock o{};
  o.ts_magic.set(sb.magic);
  o.ts_version.set(sb.version);
  o.ts_log_offset.set(sb.log_offset);
  o.ts_log_len.set(sb.log_len);
  o.ts_alloc_unit.set(sb.alloc_unit);
  o.ts_omf_ver_major.set(sb.omf_major);
  o.ts_omf_ver_minor.set(sb.omf_minor);
  o.ts_uuid = to_omf(sb.fs_uuid);
  o.ts_dev_uuid = to_omf(sb.dev_uuid);
  o.ts_system_uuid = to_omf(sb.system_uuid);
  o.ts_sb_flags.set(sb.sb_flags);
  o.ts_daxdev.dd_size.set(sb.dev_size);
  o.ts_daxdev.dd_uuid = to_omf(sb.dd_uuid);
  put_string(o.ts_daxdev.dd_daxdev, sb.dev_name);
  store_struct(o, out);
  u64 crc = superblock_crc(out);
  put64(out, offsetof(OmfSuperblock, ts_crc), crc);
}

Result<Superblock> decode_superblock(std::span<const std::byte> in) {
  if (in.size() < k_superblock_size) {
    return fail(Errc::corrupt, "superblock: {} bytes, need {}", in.size(), k_superblock_size);
  }
  auto o = load_struct<OmfSuperblock>(in);
  Superblock sb;
  sb.magic = o.ts_magic.get();
  sb.version = o.ts_version.get();
  sb.log_offset = o.ts_log_offset.get();
  sb.log_len = o.ts_log_len.get();
  sb.alloc_unit = o.ts_alloc_unit.get();
  sb.omf_major = o.ts_omf_ver_major.get();
  sb.omf_minor = o.ts_omf_ver_minor.get();
  sb.fs_uuid = from_omf(o.ts_uuid);
  sb.dev_uuid = from_omf(o.ts_dev_uuid);
  sb.system_uuid = from_omf(o.ts_system_uuid);
  sb.crc = o.ts_crc.get();
  sb.sb_flags = o.ts_sb_flags.get();
  sb.dev_size = o.ts_daxdev.dd_size.get();
  sb.dd_uuid = from_omf(o.ts_daxdev.dd_uuid);
  sb.dev_name = get_string_unterminated(o.ts_daxdev.dd_daxdev);
  return sb;
}

Result<Superblock> parse_superblock(std::span<const std::byte> in) {
  FAMFS_TRY_ASSIGN(Superblock sb, decode_superblock(in));
  if (sb.magic != k_super_magic) {
    return fail(Errc::corrupt, "not a famfs file system (no superblock magic)");
  }
  if (sb.version != k_version) {
    return fail(Errc::bad_version, "superblock version {} is not supported (this famfs reads {})",
                sb.version, k_version);
  }
  u64 want = superblock_crc(in);
  if (sb.crc != want) {
    return fail(Errc::corrupt, "superblock: checksum mismatch (stored {:#x}, computed {:#x})",
                sb.crc, want);
  }
  if (!valid_alloc_unit(sb.alloc_unit)) {
    return fail(Errc::corrupt, "superblock: invalid allocation unit {:#x}", sb.alloc_unit);
  }
  return sb;
}

bool valid_alloc_unit(u64 alloc_unit) {
  return alloc_unit == k_alloc_unit || alloc_unit == 4096;
}

u64 alloc_unit_of(const Superblock& sb) {
  return valid_alloc_unit(sb.alloc_unit) ? sb.alloc_unit : k_alloc_unit;
}

// ---- log header ----

u64 log_header_crc(std::span<const std::byte> in) {
  return crc32(in.first(k_log_crc_covered));
}

LogHeader make_log_header(u64 log_len) {
  LogHeader h;
  h.log_len = log_len;
  h.last_index = last_index_for(log_len);
  return h;
}

void encode_log_header(const LogHeader& h, std::span<std::byte> out) {
  FAMFS_ASSERT(out.size() >= k_log_header_size);
  OmfLogHeader o{};
  o.famfs_log_magic.set(h.magic);
  o.famfs_log_len.set(h.log_len);
  o.famfs_log_last_index.set(h.last_index);
  o.famfs_log_next_seqnum.set(h.next_seqnum);
  o.famfs_log_next_index.set(h.next_index);
  store_struct(o, out);
  put64(out, offsetof(OmfLogHeader, famfs_log_crc), log_header_crc(out));
}

void encode_log_counters(u64 next_seqnum, u64 next_index, std::span<std::byte> out) {
  FAMFS_ASSERT(out.size() >= k_log_header_size);
  put64(out, offsetof(OmfLogHeader, famfs_log_next_seqnum), next_seqnum);
  put64(out, offsetof(OmfLogHeader, famfs_log_next_index), next_index);
}

Result<LogHeader> decode_log_header(std::span<const std::byte> in) {
  if (in.size() < k_log_header_size) {
    return fail(Errc::corrupt, "log header: {} bytes, need {}", in.size(), k_log_header_size);
  }
  auto o = load_struct<OmfLogHeader>(in);
  LogHeader h;
  h.magic = o.famfs_log_magic.get();
  h.log_len = o.famfs_log_len.get();
  h.last_index = o.famfs_log_last_index.get();
  h.crc = o.famfs_log_crc.get();
  h.next_seqnum = o.famfs_log_next_seqnum.get();
  h.next_index = o.famfs_log_next_index.get();
  return h;
}

Result<LogHeader> parse_log_header(std::span<const std::byte> in, u64 expected_log_len) {
  FAMFS_TRY_ASSIGN(LogHeader h, decode_log_header(in));
  if (h.magic != k_log_magic) {
    return fail(Errc::corrupt, "log header: bad magic {:#x}", h.magic);
  }
  u64 want = log_header_crc(in);
  if (h.crc != want) {
    return fail(Errc::corrupt, "log header: checksum mismatch (stored {:#x}, computed {:#x})",
                h.crc, want);
  }
  if (expected_log_len != 0 && h.log_len != expected_log_len) {
    return fail(Errc::corrupt, "log header: log length {} disagrees with the superblock's {}",
                h.log_len, expected_log_len);
  }
  if (h.log_len < k_log_header_size + k_log_entry_size) {
    return fail(Errc::corrupt, "log header: log length {} is too small", h.log_len);
  }
  if (h.last_index != last_index_for(h.log_len)) {
    return fail(Errc::corrupt, "log header: last index {} does not fit log length {} (expected {})",
                h.last_index, h.log_len, last_index_for(h.log_len));
  }
  if (h.next_index > h.last_index + 1) {
    return fail(Errc::corrupt, "log header: next index {} is past the last slot {}", h.next_index,
                h.last_index);
  }
  return h;
}

// ---- entries ----

u64 Fmap::capacity() const {
  u64 sum = 0;
  for (const auto& e : extents) {
    sum += e.len;
  }
  return sum;
}

u64 entry_crc(std::span<const std::byte> in) {
  return crc32(in.first(k_entry_crc_covered));
}

std::string mode_problem(u32 mode) {
  if ((mode & ~07777U) != 0) {
    return fmt::format("mode {:#o} has bits outside 07777 (not a permission mode)", mode);
  }
  struct Bit {
    u32 bit;
    const char* name;
  };
  static constexpr Bit k_special[] = {{04000U, "setuid"}, {02000U, "setgid"}, {01000U, "sticky"}};
  std::vector<const char*> names;
  for (const Bit& b : k_special) {
    if ((mode & b.bit) != 0) {
      names.push_back(b.name);
    }
  }
  if (names.empty()) {
    return {};
  }
  std::string bits = names[0];
  for (std::size_t i = 1; i < names.size(); ++i) {
    bits += fmt::format("{}{}", i + 1 == names.size() ? " and " : ", ", names[i]);
  }
  return fmt::format("mode {:#o} has the {} bit{} (famfs accepts permission bits 0 to 0777)", mode,
                     bits, names.size() > 1 ? "s" : "");
}

Result<void> validate_for_encoding(const LogEntry& e) {
  auto check_path = [](const std::string& p) -> Result<void> {
    if (p.size() >= k_max_pathlen) {
      return fail(Errc::invalid_argument, "{}: path is {} bytes; famfs paths are at most {}", p,
                  p.size(), k_max_pathlen - 1);
    }
    if (p.find('\0') != std::string::npos) {
      return fail(Errc::invalid_argument, "path contains a NUL byte");
    }
    return {};
  };
  if (const auto* f = std::get_if<FileEntry>(&e.body)) {
    FAMFS_TRY(check_path(f->relpath));
    if (f->fmap.type == ExtType::simple) {
      if (f->fmap.extents.empty() || f->fmap.extents.size() > k_max_simple_extents) {
        return fail(Errc::invalid_argument, "{}: {} extents (1 to {} allowed)", f->relpath,
                    f->fmap.extents.size(), k_max_simple_extents);
      }
    } else {
      if (f->fmap.extents.empty() || f->fmap.extents.size() > k_max_strips) {
        return fail(Errc::invalid_argument, "{}: {} strips (1 to {} allowed)", f->relpath,
                    f->fmap.extents.size(), k_max_strips);
      }
    }
  } else if (const auto* m = std::get_if<MkdirEntry>(&e.body)) {
    FAMFS_TRY(check_path(m->relpath));
  }
  return {};
}

namespace {

void encode_extent(const Extent& x, OmfSimpleExtent& o) {
  o.se_devindex.set(x.devindex);
  o.se_offset.set(x.offset);
  o.se_len.set(x.len);
}

Extent decode_extent(const OmfSimpleExtent& o) {
  return Extent{o.se_devindex.get(), o.se_offset.get(), o.se_len.get()};
}

} // namespace

void encode_entry(const LogEntry& e, std::span<std::byte> out) {
  FAMFS_ASSERT(out.size() >= k_log_entry_size);
  OmfLogEntry o{}; // every byte zero: padding and unused union bytes stay zero, as upstream
  o.famfs_log_entry_seqnum.set(e.seqnum);
  o.famfs_log_entry_type.set(static_cast<u32>(e.type));
  if (const auto* f = std::get_if<FileEntry>(&e.body)) {
    OmfFileMeta fm{};
    fm.fm_size.set(f->size);
    fm.fm_flags.set(f->flags);
    fm.fm_uid.set(f->uid);
    fm.fm_gid.set(f->gid);
    fm.fm_mode.set(f->mode);
    put_string(fm.fm_relpath, f->relpath);
    fm.fm_fmap.fmap_ext_type.set(static_cast<u32>(f->fmap.type));
    if (f->fmap.type == ExtType::simple) {
      std::array<OmfSimpleExtent, k_max_simple_extents> se{};
      FAMFS_ASSERT(f->fmap.extents.size() <= se.size());
      for (std::size_t i = 0; i < f->fmap.extents.size(); ++i) {
        encode_extent(f->fmap.extents[i], se[i]);
      }
      fm.fm_fmap.fmap_nextents.set(static_cast<u32>(f->fmap.extents.size()));
      static_assert(sizeof(se) <= sizeof(fm.fm_fmap.ext));
      std::memcpy(fm.fm_fmap.ext.data(), &se, sizeof(se));
    } else {
      OmfInterleavedExtent ie{};
      FAMFS_ASSERT(f->fmap.extents.size() <= ie.ie_strips.size());
      ie.ie_nstrips.set(f->fmap.extents.size());
      ie.ie_chunk_size.set(f->fmap.chunk_size);
      for (std::size_t i = 0; i < f->fmap.extents.size(); ++i) {
        encode_extent(f->fmap.extents[i], ie.ie_strips[i]);
      }
      fm.fm_fmap.fmap_nextents.set(1); // niext
      std::memcpy(fm.fm_fmap.ext.data(), &ie, sizeof(ie));
    }
    std::memcpy(o.payload.data(), &fm, sizeof(fm));
  } else if (const auto* m = std::get_if<MkdirEntry>(&e.body)) {
    OmfMkdir md{};
    md.md_uid.set(m->uid);
    md.md_gid.set(m->gid);
    md.md_mode.set(m->mode);
    put_string(md.md_relpath, m->relpath);
    std::memcpy(o.payload.data(), &md, sizeof(md));
  } else if (const auto* d = std::get_if<DaxdevEntry>(&e.body)) {
    OmfAddDaxdev dd{};
    dd.dd_size.set(d->size);
    dd.dd_uuid = to_omf(d->uuid);
    dd.dd_index.set(d->index);
    std::memcpy(o.payload.data(), &dd, sizeof(dd));
  }
  store_struct(o, out);
  put64(out, offsetof(OmfLogEntry, famfs_log_entry_crc), entry_crc(out));
}

namespace {

// A relpath field must hold a NUL inside its 80 bytes.
Result<std::string> decode_path(const std::array<char, k_max_pathlen>& field,
                                std::string_view where) {
  for (std::size_t n = 0; n < field.size(); ++n) {
    if (field[n] == 0) {
      return std::string(field.data(), n);
    }
  }
  return fail(Errc::corrupt, "{}: path is not NUL-terminated", where);
}

// A file's map: the simple extent list or the one interleaved extent, with their counts checked.
Result<Fmap> decode_fmap(const OmfFmap& omf, std::string_view where) {
  Fmap fmap;
  u32 ext_type = omf.fmap_ext_type.get();
  u32 n = omf.fmap_nextents.get();
  if (ext_type == static_cast<u32>(ExtType::simple)) {
    if (n == 0 || n > k_max_simple_extents) {
      return fail(Errc::corrupt, "{}: {} extents (1 to {} allowed)", where, n,
                  k_max_simple_extents);
    }
    std::array<OmfSimpleExtent, k_max_simple_extents> se;
    std::memcpy(&se, omf.ext.data(), sizeof(se));
    fmap.type = ExtType::simple;
    for (u32 i = 0; i < n; ++i) {
      fmap.extents.push_back(decode_extent(se[i]));
    }
  } else if (ext_type == static_cast<u32>(ExtType::interleaved)) {
    if (n != 1) {
      return fail(Errc::corrupt, "{}: {} interleaved extents (exactly 1 allowed)", where, n);
    }
    OmfInterleavedExtent ie;
    std::memcpy(&ie, omf.ext.data(), sizeof(ie));
    u64 nstrips = ie.ie_nstrips.get();
    if (nstrips == 0 || nstrips > k_max_strips) {
      return fail(Errc::corrupt, "{}: {} strips (1 to {} allowed)", where, nstrips, k_max_strips);
    }
    fmap.type = ExtType::interleaved;
    fmap.chunk_size = ie.ie_chunk_size.get();
    if (fmap.chunk_size == 0) {
      return fail(Errc::corrupt, "{}: interleaved chunk size 0", where);
    }
    for (u64 i = 0; i < nstrips; ++i) {
      fmap.extents.push_back(decode_extent(ie.ie_strips[i]));
    }
  } else {
    return fail(Errc::corrupt, "{}: unknown extent type {}", where, ext_type);
  }
  return fmap;
}

Result<FileEntry> decode_file(std::span<const std::byte> payload, std::string_view where) {
  auto fm = load_struct<OmfFileMeta>(payload);
  FileEntry f;
  f.size = fm.fm_size.get();
  f.flags = fm.fm_flags.get();
  f.uid = fm.fm_uid.get();
  f.gid = fm.fm_gid.get();
  f.mode = fm.fm_mode.get();
  FAMFS_TRY_ASSIGN(f.relpath, decode_path(fm.fm_relpath, where));
  FAMFS_TRY_ASSIGN(f.fmap, decode_fmap(fm.fm_fmap, where));
  return f;
}

} // namespace

Result<LogEntry> decode_entry(std::span<const std::byte> in, u64 index, std::string_view where) {
  if (in.size() < k_log_entry_size) {
    return fail(Errc::corrupt, "{}: truncated ({} of {} bytes)", where, in.size(),
                k_log_entry_size);
  }
  auto o = load_struct<OmfLogEntry>(in);
  LogEntry e;
  e.seqnum = o.famfs_log_entry_seqnum.get();
  if (e.seqnum != index) {
    return fail(Errc::corrupt, "{}: bad sequence number {} (expected {})", where, e.seqnum, index);
  }
  u64 want = entry_crc(in);
  u64 got = o.famfs_log_entry_crc.get();
  if (got != want) {
    return fail(Errc::corrupt, "{}: checksum mismatch", where);
  }
  u32 type = o.famfs_log_entry_type.get();
  switch (type) {
  case static_cast<u32>(EntryType::file): {
    e.type = EntryType::file;
    FAMFS_TRY_ASSIGN(e.body, decode_file(o.payload, where));
    break;
  }
  case static_cast<u32>(EntryType::mkdir): {
    e.type = EntryType::mkdir;
    auto md = load_struct<OmfMkdir>(o.payload);
    MkdirEntry m;
    m.uid = md.md_uid.get();
    m.gid = md.md_gid.get();
    m.mode = md.md_mode.get();
    FAMFS_TRY_ASSIGN(m.relpath, decode_path(md.md_relpath, where));
    e.body = std::move(m);
    break;
  }
  case static_cast<u32>(EntryType::add_daxdev): {
    e.type = EntryType::add_daxdev;
    auto dd = load_struct<OmfAddDaxdev>(o.payload);
    e.body = DaxdevEntry{dd.dd_size.get(), from_omf(dd.dd_uuid), dd.dd_index.get()};
    break;
  }
  case static_cast<u32>(EntryType::del):
    e.type = EntryType::del;
    break;
  case static_cast<u32>(EntryType::invalid):
    e.type = EntryType::invalid;
    break;
  default:
    return fail(Errc::corrupt, "{}: unknown entry type {}", where, type);
  }
  return e;
}

} // namespace famfs::log
