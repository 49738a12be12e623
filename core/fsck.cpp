#include "core/fsck.hpp"

#include "core/allocator.hpp"
#include "core/device.hpp"
#include "core/id_index.hpp"
#include "core/json.hpp"
#include "core/meta_source.hpp"
#include "log/fmap.hpp"
#include "log/path.hpp"
#include "log/quote.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace famfs::core {

using log::u32;

const char* to_string(Severity s) {
  switch (s) {
  case Severity::info:
    return "info";
  case Severity::warning:
    return "warning";
  case Severity::error:
    return "error";
  }
  return "error";
}

const char* to_string(ProblemKind k) {
  switch (k) {
  case ProblemKind::sb_magic:
    return "sb_magic";
  case ProblemKind::sb_version:
    return "sb_version";
  case ProblemKind::sb_crc:
    return "sb_crc";
  case ProblemKind::sb_alloc_unit:
    return "sb_alloc_unit";
  case ProblemKind::sb_geometry:
    return "sb_geometry";
  case ProblemKind::sb_device_size:
    return "sb_device_size";
  case ProblemKind::backup_missing:
    return "backup_missing";
  case ProblemKind::backup_damaged:
    return "backup_damaged";
  case ProblemKind::backup_mismatch:
    return "backup_mismatch";
  case ProblemKind::log_magic:
    return "log_magic";
  case ProblemKind::log_crc:
    return "log_crc";
  case ProblemKind::log_length:
    return "log_length";
  case ProblemKind::log_next_index:
    return "log_next_index";
  case ProblemKind::log_counters:
    return "log_counters";
  case ProblemKind::log_tail:
    return "log_tail";
  case ProblemKind::entry_empty:
    return "entry_empty";
  case ProblemKind::entry_seqnum:
    return "entry_seqnum";
  case ProblemKind::entry_crc:
    return "entry_crc";
  case ProblemKind::entry_type:
    return "entry_type";
  case ProblemKind::entry_structure:
    return "entry_structure";
  case ProblemKind::path_invalid:
    return "path_invalid";
  case ProblemKind::path_reserved:
    return "path_reserved";
  case ProblemKind::path_no_parent:
    return "path_no_parent";
  case ProblemKind::path_duplicate:
    return "path_duplicate";
  case ProblemKind::extent_device:
    return "extent_device";
  case ProblemKind::extent_alignment:
    return "extent_alignment";
  case ProblemKind::extent_bounds:
    return "extent_bounds";
  case ProblemKind::extent_reserved:
    return "extent_reserved";
  case ProblemKind::extent_short:
    return "extent_short";
  case ProblemKind::cross_link:
    return "cross_link";
  case ProblemKind::entry_mode:
    return "entry_mode";
  case ProblemKind::file_empty:
    return "file_empty";
  }
  return "unknown";
}

std::size_t Report::count(Severity s) const {
  return static_cast<std::size_t>(std::count_if(problems.begin(), problems.end(),
                                                [s](const Problem& p) { return p.severity == s; }));
}

std::vector<const Problem*> Report::of_kind(ProblemKind k) const {
  std::vector<const Problem*> out;
  for (const auto& p : problems) {
    if (p.kind == k) {
      out.push_back(&p);
    }
  }
  return out;
}

namespace {

using log::all_zero;

bool is_pow2(u64 v) {
  return v != 0 && (v & (v - 1)) == 0;
}

u64 round_up(u64 v, u64 a) {
  return v % a == 0 ? v : v + (a - v % a);
}

// The name of the superblock field at byte `off` (for "differs" messages).
const char* sb_field_at(std::size_t off) {
  struct F {
    std::size_t end;
    const char* name;
  };
  static constexpr F k_fields[] = {
      {8, "magic"},         {16, "version"},      {24, "log offset"}, {32, "log length"},
      {40, "alloc unit"},   {48, "OMF version"},  {64, "fs UUID"},    {80, "device UUID"},
      {96, "system UUID"},  {104, "checksum"},    {112, "flags"},     {120, "device size"},
      {136, "daxdev UUID"}, {200, "device name"},
  };
  for (const auto& f : k_fields) {
    if (off < f.end) {
      return f.name;
    }
  }
  return "bytes";
}

// The state of one superblock copy.
struct SbState {
  bool readable = false; // the bytes exist
  bool zero = false;     // all zero
  bool magic = false;
  bool version = false;
  bool crc = false;
  bool alloc_unit = false;
  log::Superblock sb;
  std::vector<Problem> problems; // what is wrong with it
  bool valid() const { return magic && version && crc && alloc_unit; }
};

SbState examine_superblock(std::span<const std::byte> b, std::string_view what, u64 offset) {
  SbState s;
  if (b.size() < log::k_superblock_size) {
    return s;
  }
  s.readable = true;
  s.zero = all_zero(b.first(log::k_superblock_size));
  auto add = [&](ProblemKind k, std::string msg) {
    s.problems.push_back(Problem{Severity::error, k, k_no_entry, k_no_entry, offset,
                                 log::k_superblock_size, std::move(msg)});
  };
  auto d = log::decode_superblock(b);
  if (!d) {
    return s; // cannot happen: the length was checked
  }
  s.sb = *d;
  if (s.sb.magic != log::k_super_magic) {
    add(ProblemKind::sb_magic,
        fmt::format("{}: not a famfs file system (no superblock magic)", what));
    return s;
  }
  s.magic = true;
  s.version = s.sb.version == log::k_version;
  if (!s.version) {
    add(ProblemKind::sb_version,
        fmt::format("{}: version {} is not supported (this famfs reads version {})", what,
                    s.sb.version, log::k_version));
  }
  const u64 want = log::superblock_crc(b);
  s.crc = s.sb.crc == want;
  if (!s.crc) {
    add(ProblemKind::sb_crc,
        fmt::format("{}: checksum mismatch (stored {:#x}, computed {:#x})", what, s.sb.crc, want));
  }
  s.alloc_unit = log::valid_alloc_unit(s.sb.alloc_unit);
  if (!s.alloc_unit) {
    add(ProblemKind::sb_alloc_unit,
        fmt::format("{}: invalid allocation unit {:#x} (4096 or 0x200000 expected)", what,
                    s.sb.alloc_unit));
  }
  return s;
}

struct PathInfo {
  bool dir = false;
  u64 index = 0;
};

// Every path the log created, for the parent and duplicate checks: the paths end to end in one
// string, found through a flat hash index (no allocation per path: a million entries are checked
// in a few hundred milliseconds).
class PathTable {
public:
  void reserve(u64 n) {
    m_recs.reserve(n);
    m_index.reserve(n);
  }
  const PathInfo* find(std::string_view path) const {
    const IdIndex::Id id = m_index.find(name_hash(path), [&](IdIndex::Id k) {
      const Rec& r = m_recs[k - 1];
      return std::string_view(m_bytes).substr(r.offset, r.length) == path;
    });
    return id == 0 ? nullptr : &m_recs[id - 1].info;
  }
  // Adds `path` (find() did not find it).
  void add(std::string_view path, PathInfo info) {
    m_recs.push_back(Rec{m_bytes.size(), path.size(), info});
    m_bytes.append(path);
    m_index.insert(name_hash(path), static_cast<IdIndex::Id>(m_recs.size()));
  }

private:
  struct Rec {
    std::size_t offset = 0;
    std::size_t length = 0;
    PathInfo info;
  };
  std::string m_bytes;
  std::vector<Rec> m_recs;
  IdIndex m_index;
};

struct Interval {
  u64 start = 0;
  u64 end = 0;
  u64 owner = k_no_entry; // log entry; k_no_entry = the superblock and log
};

class Checker {
public:
  Checker(const CheckInput& in, Report& r) : m_in(in), m_r(r) {}

  void run() {
    m_r.device = m_in.device;
    m_r.device_size = m_in.device_size;
    if (!check_superblocks()) {
      return;
    }
    check_geometry();
    if (!m_log.empty()) {
      check_log();
    }
  }

private:
  void add(Severity sev,
           ProblemKind k,
           std::string msg,
           u64 index = k_no_entry,
           u64 other = k_no_entry,
           u64 offset = 0,
           u64 length = 0) {
    m_r.problems.push_back(Problem{sev, k, index, other, offset, length, std::move(msg)});
  }

  // The readable bytes [off, off + len), or an empty span when they are not all there.
  std::span<const std::byte> region(u64 off, u64 len) const {
    return log::region_of(m_in.bytes, off, len);
  }

  // Primary and backup: picks the superblock to check with. False when there is none.
  bool check_superblocks() {
    const std::string bname = fmt::format("backup superblock at {:#x}", log::k_backup_sb_offset);
    SbState p = examine_superblock(region(0, log::k_superblock_size), "superblock", 0);
    SbState b = examine_superblock(region(log::k_backup_sb_offset, log::k_superblock_size), bname,
                                   log::k_backup_sb_offset);
    if (!p.readable) {
      add(Severity::error, ProblemKind::sb_magic,
          fmt::format("superblock: the device holds {} bytes, too few for a superblock",
                      m_in.bytes.size()),
          k_no_entry, k_no_entry, 0, log::k_superblock_size);
      return false;
    }
    for (auto& pr : p.problems) {
      m_r.problems.push_back(std::move(pr));
    }
    // The backup: absent is normal for file systems made by upstream famfs, which never write
    // one. Bytes there that are not a superblock may be leftovers from an earlier use of the
    // device (upstream mkfs does not clear them), so they only warrant a warning; a superblock
    // there that is damaged, or that disagrees with the primary, is an error.
    if (!b.readable || b.zero) {
      add(Severity::info, ProblemKind::backup_missing,
          fmt::format("{}: none (upstream famfs does not write one)", bname), k_no_entry,
          k_no_entry, log::k_backup_sb_offset, log::k_superblock_size);
    } else if (!b.magic) {
      add(Severity::warning, ProblemKind::backup_damaged,
          fmt::format("{}: not a superblock (the bytes there are something else)", bname),
          k_no_entry, k_no_entry, log::k_backup_sb_offset, log::k_superblock_size);
    } else if (!b.valid()) {
      for (auto& pr : b.problems) {
        pr.kind = ProblemKind::backup_damaged;
        m_r.problems.push_back(std::move(pr));
      }
    } else if (p.valid()) {
      auto pb = region(0, log::k_superblock_size);
      auto bb = region(log::k_backup_sb_offset, log::k_superblock_size);
      auto mis = std::mismatch(pb.begin(), pb.end(), bb.begin());
      if (mis.first != pb.end()) {
        auto off = static_cast<std::size_t>(mis.first - pb.begin());
        add(Severity::error, ProblemKind::backup_mismatch,
            fmt::format("{}: differs from the primary superblock (first in the {} at byte {})",
                        bname, sb_field_at(off), off),
            k_no_entry, k_no_entry, log::k_backup_sb_offset, log::k_superblock_size);
      }
    }

    if (p.valid()) {
      m_r.source = SbSource::primary;
      m_r.sb = p.sb;
    } else if (b.valid()) {
      m_r.source = SbSource::backup;
      m_r.sb = b.sb;
    } else if (p.magic && p.version) {
      // A famfs superblock of our version whose checksum (or allocation unit) is wrong and no
      // backup to stand in: check the rest through it, as far as its fields make sense.
      m_r.source = SbSource::unverified_primary;
      m_r.sb = p.sb;
    } else {
      return false;
    }
    if (m_r.source == SbSource::unverified_primary) {
      m_r.role = Role::no_superblock;
    } else if (m_in.host) {
      m_r.role = role_for(m_r.sb, *m_in.host);
    } else {
      m_r.role = Role::client;
    }
    m_au = log::alloc_unit_of(m_r.sb);
    return true;
  }

  // Where the log is, how big the device is. Sets m_log when the log can be examined.
  void check_geometry() {
    const log::Superblock& sb = m_r.sb;
    const u64 dev = m_in.device_size;
    const bool offset_ok = sb.log_offset == log::k_log_offset;
    if (!offset_ok) {
      add(Severity::error, ProblemKind::sb_geometry,
          fmt::format("superblock: log offset {:#x} (famfs puts the log at {:#x})", sb.log_offset,
                      log::k_log_offset));
    }
    if (!is_pow2(sb.log_len) || sb.log_len < log::k_min_log_len) {
      add(Severity::error, ProblemKind::sb_geometry,
          fmt::format("superblock: log length {} is not a power of two of at least 8 MiB",
                      sb.log_len));
    }
    const bool log_fits = sb.log_len <= dev && sb.log_offset <= dev - sb.log_len;
    if (!log_fits) {
      add(Severity::error, ProblemKind::sb_geometry,
          fmt::format("superblock: the log [{:#x}, +{:#x}) does not fit the {}-byte device",
                      sb.log_offset, sb.log_len, dev));
    }
    if (sb.dev_size > dev) {
      add(Severity::error, ProblemKind::sb_device_size,
          fmt::format("superblock: records a device size of {} bytes, but {} holds {}", sb.dev_size,
                      m_in.device, dev));
    }
    if (sb.dev_size < log::first_data_offset(sb.log_len)) {
      add(Severity::error, ProblemKind::sb_device_size,
          fmt::format("superblock: records a device size of {} bytes, too small for its own log",
                      sb.dev_size));
    }
    m_limit = std::min(sb.dev_size, dev);
    if (!offset_ok || !log_fits || sb.log_len < log::k_log_header_size + log::k_log_entry_size) {
      return;
    }
    m_log = region(sb.log_offset, sb.log_len);
    if (m_log.empty()) {
      add(Severity::error, ProblemKind::sb_geometry,
          fmt::format("log: only {} of the device's bytes could be read; the log needs {}",
                      m_in.bytes.size(), sb.log_offset + sb.log_len));
    }
  }

  std::string where(u64 i) const {
    return fmt::format("log entry {} at device offset {:#x}", i,
                       m_r.sb.log_offset + log::entry_offset(i));
  }

  void check_log() {
    const log::Superblock& sb = m_r.sb;
    const u64 log_off = sb.log_offset;
    auto h = log::decode_log_header(m_log);
    if (!h) {
      return; // cannot happen: the log is at least one header and one entry long
    }
    FsckStats& st = m_r.stats;
    m_r.log_checked = true;
    const u64 last = log::last_index_for(sb.log_len);
    const u64 slots = last + 1;
    if (h->magic != log::k_log_magic) {
      add(Severity::error, ProblemKind::log_magic,
          fmt::format("log header at {:#x}: bad magic {:#x} (expected {:#x})", log_off, h->magic,
                      log::k_log_magic),
          k_no_entry, k_no_entry, log_off, log::k_log_header_size);
    }
    const u64 want = log::log_header_crc(m_log);
    const bool crc_ok = h->crc == want;
    if (!crc_ok) {
      add(Severity::error, ProblemKind::log_crc,
          fmt::format("log header at {:#x}: checksum mismatch (stored {:#x}, computed {:#x})",
                      log_off, h->crc, want),
          k_no_entry, k_no_entry, log_off, log::k_log_header_size);
    }
    if (h->log_len != sb.log_len) {
      add(Severity::error, ProblemKind::log_length,
          fmt::format("log header at {:#x}: log length {} differs from the superblock's {}",
                      log_off, h->log_len, sb.log_len),
          k_no_entry, k_no_entry, log_off, log::k_log_header_size);
    }
    if (h->last_index != last) {
      add(Severity::error, ProblemKind::log_length,
          fmt::format("log header at {:#x}: last index {} (a {}-byte log has {})", log_off,
                      h->last_index, sb.log_len, last),
          k_no_entry, k_no_entry, log_off, log::k_log_header_size);
    }
    // The summary prints the header's own numbers, as upstream does, when they are believable.
    st.log_len = h->log_len == sb.log_len || crc_ok ? h->log_len : sb.log_len;
    st.log_last_index = h->last_index == last || crc_ok ? h->last_index : last;
    st.next_index = h->next_index;

    u64 scan_end = h->next_index;
    if (h->next_index > slots) {
      // Scan up to the last slot in use rather than every slot of a garbage index.
      u64 used = slots;
      while (used > 0 && all_zero(slot(used - 1))) {
        --used;
      }
      add(Severity::error, ProblemKind::log_next_index,
          fmt::format("log header at {:#x}: next index {} is past the last slot {} (slots in use "
                      "end at {})",
                      log_off, h->next_index, last, used),
          k_no_entry, k_no_entry, log_off, log::k_log_header_size);
      scan_end = used;
    }
    if (h->next_seqnum != h->next_index) {
      add(Severity::error, ProblemKind::log_counters,
          fmt::format("log header at {:#x}: next sequence number {} differs from next index {}",
                      log_off, h->next_seqnum, h->next_index),
          k_no_entry, k_no_entry, log_off, log::k_log_header_size);
    }
    if (h->next_index < slots) {
      check_tail(h->next_index);
    }

    m_paths.reserve(scan_end);
    m_devices.assign(1, true); // device 0 is the primary
    for (u64 i = 0; i < scan_end; ++i) {
      check_entry(i);
    }
    check_cross_links();
    const u64 dd = m_r.sb.dev_size;
    // Whole allocation units only: the partial unit at the end of a device whose size is not a
    // multiple of the unit can never be allocated, so it is not free space. (Upstream rounds up
    // here and counts it, and its allocator could hand that unit out past the device's end; ours
    // never does, and an extent there is an extent_bounds error.)
    st.bitmap_capacity = dd / m_au * m_au;
  }

  std::span<const std::byte> slot(u64 i) const {
    return m_log.subspan(log::entry_offset(i), log::k_log_entry_size);
  }

  // The slot just past the last entry should be empty: mkfs zeroes the log and the writer fills
  // slots in order. A complete entry there is what a crash between persisting an entry and
  // advancing the header leaves behind; it was never committed and the next append reuses it.
  void check_tail(u64 n) {
    auto s = slot(n);
    if (all_zero(s)) {
      return;
    }
    const u64 off = m_r.sb.log_offset + log::entry_offset(n);
    if (log::get64(s, 0) == n && log::get64(s, log::k_entry_crc_covered) == log::entry_crc(s)) {
      add(Severity::warning, ProblemKind::log_tail,
          fmt::format("{}: holds a complete entry past the end of the log (never committed; "
                      "a crash before the log header was updated?)",
                      where(n)),
          n, k_no_entry, off, log::k_log_entry_size);
    } else {
      add(Severity::warning, ProblemKind::log_tail,
          fmt::format("{}: slot past the end of the log is not empty", where(n)), n, k_no_entry,
          off, log::k_log_entry_size);
    }
  }

  void entry_problem(u64 i, Severity sev, ProblemKind k, std::string msg) {
    add(sev, k, std::move(msg), i, k_no_entry, m_r.sb.log_offset + log::entry_offset(i),
        log::k_log_entry_size);
  }

  // An entry that did not decode, diagnosed field by field, so that it gets every problem it has.
  void diagnose_entry(u64 i, std::span<const std::byte> s) {
    FsckStats& st = m_r.stats;
    if (all_zero(s)) {
      st.bad_entries++;
      entry_problem(i, Severity::error, ProblemKind::entry_empty,
                    fmt::format("{}: empty slot inside the log (is next index {} too large?)",
                                where(i), m_r.stats.next_index));
      return;
    }
    const u64 seq = log::get64(s, 0);
    const u64 crc = log::get64(s, log::k_entry_crc_covered);
    const u64 want = log::entry_crc(s);
    bool bad = false;
    if (seq != i) {
      bad = true;
      entry_problem(i, Severity::error, ProblemKind::entry_seqnum,
                    fmt::format("{}: sequence number {} (expected {})", where(i), seq, i));
    }
    if (crc != want) {
      bad = true;
      entry_problem(
          i, Severity::error, ProblemKind::entry_crc,
          fmt::format("{}: checksum mismatch (stored {:#x}, computed {:#x})", where(i), crc, want));
    }
    if (bad) {
      st.bad_entries++;
      return;
    }
    const u32 type = log::get32(s, 8);
    if (type > static_cast<u32>(log::EntryType::invalid)) {
      entry_problem(i, Severity::error, ProblemKind::entry_type,
                    fmt::format("{}: unknown entry type {}", where(i), type));
      return;
    }
    entry_problem(i, Severity::error, ProblemKind::entry_structure,
                  log::decode_entry(s, i, where(i)).error().message);
  }

  void check_entry(u64 i) {
    FsckStats& st = m_r.stats;
    auto s = slot(i);
    // The fast path decodes once (one CRC, no message formatting); only a failure is diagnosed
    // field by field.
    auto e = log::decode_entry(s, i, {});
    if (!e) {
      diagnose_entry(i, s);
      return;
    }
    switch (e->type) {
    case log::EntryType::file: {
      const auto& f = std::get<log::FileEntry>(e->body);
      st.files++;
      st.fsize_sum += f.size;
      check_path(i, f.relpath, false);
      check_extents(i, f);
      check_mode(i, f.relpath, f.mode);
      if (f.size == 0) {
        entry_problem(i, Severity::info, ProblemKind::file_empty,
                      fmt::format("log entry {} ({}): file of size 0 (famfs creat and cp never "
                                  "make one)",
                                  i, f.relpath));
      }
      break;
    }
    case log::EntryType::mkdir: {
      const auto& m = std::get<log::MkdirEntry>(e->body);
      st.directories++;
      check_path(i, m.relpath, true);
      check_mode(i, m.relpath, m.mode);
      break;
    }
    case log::EntryType::add_daxdev: {
      st.daxdevs++;
      u32 idx = std::get<log::DaxdevEntry>(e->body).index;
      if (idx < 4096) {
        if (m_devices.size() <= idx) {
          m_devices.resize(idx + 1, false);
        }
        m_devices[idx] = true;
      }
      break;
    }
    case log::EntryType::del:
      entry_problem(i, Severity::warning, ProblemKind::entry_type,
                    fmt::format("{}: reserved entry type DELETE (ignored)", where(i)));
      break;
    case log::EntryType::invalid:
      break; // upstream's placeholder type; replay ignores it
    }
  }

  // Only log::k_mode_bits are served; anything else is reported. Bits that are no mode at all
  // are an error; setuid, setgid and sticky a warning, as upstream's -m can write them.
  void check_mode(u64 i, const std::string& relpath, u32 mode) {
    const std::string why = log::mode_problem(mode);
    if (why.empty()) {
      return;
    }
    const Severity sev = (mode & ~07777U) != 0 ? Severity::error : Severity::warning;
    add(sev, ProblemKind::entry_mode,
        fmt::format("log entry {} ({}): {}; served as {:#o}", i, relpath, why,
                    mode & log::k_mode_bits),
        i, k_no_entry, m_r.sb.log_offset + log::entry_offset(i), log::k_log_entry_size);
  }

  void check_path(u64 i, const std::string& relpath, bool dir) {
    const u64 off = m_r.sb.log_offset + log::entry_offset(i);
    auto problem = [&](ProblemKind k, std::string msg, u64 other = k_no_entry) {
      add(Severity::error, k, std::move(msg), i, other, off, log::k_log_entry_size);
    };
    std::string joined; // the normal form, when relpath is not in it already
    if (!log::is_normal(relpath)) {
      auto parts = log::split_relpath(relpath);
      if (!parts) {
        problem(ProblemKind::path_invalid,
                fmt::format("log entry {}: {}", i, parts.error().message));
        return;
      }
      joined = log::join_path(*parts);
    }
    const std::string_view norm = joined.empty() ? std::string_view(relpath) : joined;
    if (auto reserved = log::check_unreserved(norm); !reserved) {
      problem(ProblemKind::path_reserved,
              fmt::format("log entry {}: {}", i, reserved.error().message));
      return;
    }
    const std::size_t slash = norm.rfind('/');
    if (slash != std::string::npos) {
      const std::string_view parent = norm.substr(0, slash);
      const PathInfo* it = m_paths.find(parent);
      if (it == nullptr) {
        problem(ProblemKind::path_no_parent,
                fmt::format("log entry {} ({}): parent directory {} was not created by an earlier "
                            "entry",
                            i, relpath, parent));
        return;
      }
      if (!it->dir) {
        problem(ProblemKind::path_no_parent,
                fmt::format("log entry {} ({}): parent {} is a file (log entry {})", i, relpath,
                            parent, it->index),
                it->index);
        return;
      }
    }
    if (const PathInfo* it = m_paths.find(norm); it != nullptr) {
      problem(ProblemKind::path_duplicate,
              fmt::format("log entry {} ({}): duplicate path; log entry {} already created it as a "
                          "{}",
                          i, relpath, it->index, it->dir ? "directory" : "file"),
              it->index);
      return;
    }
    m_paths.add(norm, PathInfo{dir, i});
  }

  void check_extents(u64 i, const log::FileEntry& f) {
    const u64 off = m_r.sb.log_offset + log::entry_offset(i);
    const bool il = f.fmap.type == log::ExtType::interleaved;
    const char* noun = il ? "strip" : "extent";
    const u64 reserved_end = log::k_log_offset + m_r.sb.log_len;
    auto problem = [&](ProblemKind k, std::string msg, u64 at = 0, u64 len = 0) {
      add(Severity::error, k, fmt::format("log entry {} ({}): {}", i, f.relpath, msg), i,
          k_no_entry, len != 0 ? at : off, len != 0 ? len : log::k_log_entry_size);
    };
    if (il && (f.fmap.chunk_size % m_au) != 0) {
      problem(ProblemKind::extent_alignment,
              fmt::format("interleave chunk size {:#x} is not a multiple of the allocation unit "
                          "{:#x}",
                          f.fmap.chunk_size, m_au));
    }
    for (std::size_t k = 0; k < f.fmap.extents.size(); ++k) {
      const log::Extent& x = f.fmap.extents[k];
      if (x.devindex >= m_devices.size() || !m_devices[x.devindex]) {
        problem(ProblemKind::extent_device,
                fmt::format("{} {} is on device index {}, which no earlier entry added", noun, k,
                            x.devindex));
        continue;
      }
      if (x.len == 0) {
        problem(ProblemKind::extent_alignment, fmt::format("{} {} has length 0", noun, k));
        continue;
      }
      if (x.offset % m_au != 0 || x.len % m_au != 0) {
        problem(ProblemKind::extent_alignment,
                fmt::format("{} {} [{:#x}, +{:#x}) is not aligned to the allocation unit {:#x}",
                            noun, k, x.offset, x.len, m_au),
                x.offset, x.len);
      }
      if (x.devindex != 0) {
        continue; // a secondary device: its size is not known here
      }
      const bool overflow = x.len > ~0ULL - x.offset;
      const u64 end = overflow ? ~0ULL : x.offset + x.len;
      if (overflow || end > m_limit) {
        problem(ProblemKind::extent_bounds,
                fmt::format("{} {} [{:#x}, +{:#x}) runs past the end of the device ({} bytes)",
                            noun, k, x.offset, x.len, m_limit),
                x.offset, x.len);
      }
      if (x.offset < reserved_end) {
        problem(ProblemKind::extent_reserved,
                fmt::format("{} {} [{:#x}, +{:#x}) overlaps the superblock and log [0, {:#x})",
                            noun, k, x.offset, x.len, reserved_end),
                x.offset, x.len);
      }
      // Claimed allocation units (the allocator's rule), clipped to the device, for cross-links
      // and the statistics.
      const UnitRange units = units_of(x, m_au);
      const u64 s = units.first * m_au;
      const u64 e = std::min(units.end, round_up(m_limit, m_au) / m_au) * m_au;
      if (s < e) {
        m_intervals.push_back(Interval{s, e, i});
      }
    }
    const u64 holds = il ? log::addressable(f.fmap) : f.fmap.capacity();
    if (holds < f.size) {
      problem(ProblemKind::extent_short,
              fmt::format("its {}s hold {} bytes, less than its size {}", noun, holds, f.size));
    }
  }

  // Sorts every claimed range by start; a range that starts before the furthest end seen so far
  // overlaps the range that reached furthest (all earlier ranges start at or before it, so the
  // part already claimed is exactly [start, furthest end)). Counts collisions per allocation
  // unit as upstream's bitmap does, and the union as the allocated total.
  void check_cross_links() {
    FsckStats& st = m_r.stats;
    const u64 reserved = round_up(log::k_log_offset + m_r.sb.log_len, m_au);
    m_intervals.push_back(Interval{0, reserved, k_no_entry});
    auto by_start = [](const Interval& a, const Interval& b) {
      return a.start != b.start ? a.start < b.start : a.end < b.end;
    };
    // The allocator hands out units in order, so the ranges of a log are often sorted already:
    // sort only when one is out of order (the reserved range, at offset 0, goes first).
    std::rotate(m_intervals.begin(), m_intervals.end() - 1, m_intervals.end());
    auto unsorted = std::is_sorted_until(m_intervals.begin(), m_intervals.end(), by_start);
    if (unsorted != m_intervals.end()) {
      std::sort(m_intervals.begin(), m_intervals.end(), by_start);
    }
    u64 max_end = 0;
    u64 max_owner = k_no_entry;
    bool any = false;
    u64 alloc = 0;
    for (const Interval& iv : m_intervals) {
      if (any && iv.start < max_end) {
        const u64 ov_end = std::min(iv.end, max_end);
        st.collisions += (ov_end - iv.start) / m_au;
        // Overlaps with the reserved region are reported as extent_reserved already.
        if (iv.owner != k_no_entry && max_owner != k_no_entry) {
          report_cross_link(iv.owner, max_owner, iv.start, ov_end - iv.start);
        }
      }
      if (!any || iv.end > max_end) {
        alloc += iv.end - std::max(iv.start, any ? max_end : 0);
        max_end = iv.end;
        max_owner = iv.owner;
        any = true;
      }
    }
    st.alloc_sum = alloc;
  }

  // The path of the file entry at `i` (decoded again: cross-links are rare, so no path is kept
  // per entry on the fast path).
  std::string file_path(u64 i) const {
    auto e = log::decode_entry(slot(i), i, {});
    if (e && e->type == log::EntryType::file) {
      return std::get<log::FileEntry>(e->body).relpath;
    }
    return "?";
  }

  void report_cross_link(u64 a, u64 b, u64 start, u64 len) {
    const u64 later = std::max(a, b);
    const u64 earlier = std::min(a, b);
    std::string msg;
    if (a == b) {
      msg = fmt::format("cross-link: log entry {} ({}) claims [{:#x}, +{:#x}) twice", a,
                        file_path(a), start, len);
    } else {
      msg = fmt::format("cross-link: log entry {} ({}) and log entry {} ({}) both claim "
                        "[{:#x}, +{:#x})",
                        later, file_path(later), earlier, file_path(earlier), start, len);
    }
    add(Severity::error, ProblemKind::cross_link, std::move(msg), later, earlier, start, len);
  }

  const CheckInput& m_in;
  Report& m_r;
  u64 m_au = log::k_alloc_unit;
  u64 m_limit = 0; // extents must end at or before this device offset
  std::span<const std::byte> m_log;
  PathTable m_paths;
  std::vector<bool> m_devices; // device indexes known so far
  std::vector<Interval> m_intervals;
};

} // namespace

Report check_image(const CheckInput& in) {
  Report r;
  Checker(in, r).run();
  return r;
}

void invalidate_metadata(const Device& dev) {
  const u64 meta = std::min<u64>(dev.size(), log::k_log_offset);
  dev.invalidate(0, meta);
  auto sb =
      log::decode_superblock(dev.bytes().first(std::min<u64>(dev.size(), log::k_superblock_size)));
  if (sb && sb->log_offset == log::k_log_offset && sb->log_len <= dev.size() - meta) {
    dev.invalidate(meta, sb->log_len);
  }
}

namespace {

Result<void> read_at(const Device& dev, std::span<std::byte> dst, u64 off) {
  while (!dst.empty()) {
    const auto n = ::pread(dev.fd(), dst.data(), dst.size(), static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return sys_error(n < 0 ? errno : EIO, "reading the metadata");
    }
    dst = dst.subspan(static_cast<std::size_t>(n));
    off += static_cast<u64>(n);
  }
  return {};
}

// The superblock region and the log its superblock (or the backup) declares, read with pread.
Result<std::vector<std::byte>> read_metadata(const Device& dev) {
  std::vector<std::byte> buf(static_cast<std::size_t>(std::min(dev.size(), log::k_log_offset)));
  FAMFS_TRY(read_at(dev, buf, 0));
  for (u64 at : {u64{0}, log::k_backup_sb_offset}) {
    if (at >= buf.size()) {
      break;
    }
    auto sb = log::parse_superblock(std::span<const std::byte>(buf).subspan(at));
    if (!sb || sb->log_offset != log::k_log_offset) {
      continue;
    }
    const u64 end = std::min(dev.size(), sb->log_offset + std::min(sb->log_len, dev.size()));
    const std::size_t old = buf.size();
    buf.resize(static_cast<std::size_t>(end));
    FAMFS_TRY(read_at(dev, std::span<std::byte>(buf).subspan(old), old));
    break;
  }
  return buf;
}

} // namespace

Result<Report> check_device(const std::string& path, MetadataAccess access) {
  FAMFS_TRY_ASSIGN(Device dev, open_metadata(path, OpenMode::read_only));
  CheckInput in;
  in.device = path;
  in.device_size = dev.size();
  // Another host may have written the metadata: drop cached copies before reading them.
  invalidate_metadata(dev);
  std::vector<std::byte> copy;
  if (!dev.data_mapped()) {
    // A mounted famfs-mode device: only its .meta files are mapped (core/meta_source.hpp).
    in.bytes = dev.bytes().first(dev.metadata_end());
  } else if (access == MetadataAccess::read) {
    FAMFS_TRY_ASSIGN(copy, read_metadata(dev));
    in.bytes = copy;
  } else {
    in.bytes = dev.bytes();
  }
  auto host = get_system_uuid();
  if (host) {
    in.host = *host;
  }
  return check_image(in);
}

// ---- output ----

namespace {

// printf formatting, so that rounding (and "inf" for an empty file system) is upstream's.
std::string printf_2f(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%0.2f", v);
  return buf;
}

std::string printf_1f(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

} // namespace

const char* role_text(Role r) {
  switch (r) {
  case Role::master:
    return "Owner";
  case Role::client:
    return "Client";
  case Role::no_superblock:
    return "Invalid superblock";
  }
  return "Client";
}

std::string summary_text(const Report& r, Detail detail, SizeStyle sizes) {
  const bool human = sizes == SizeStyle::human;
  auto sz = [sizes](u64 n) { return size_text(n, sizes); };
  if (!r.usable()) {
    return {};
  }
  const log::Superblock& sb = r.sb;
  std::string o;
  o += "Famfs Superblock:\n";
  o += fmt::format("  Filesystem UUID:   {}\n", sb.fs_uuid.str());
  o += fmt::format("  Device UUID:       {}\n", sb.dev_uuid.str());
  o += fmt::format("  System UUID:       {}\n", sb.system_uuid.str());
  o += fmt::format("  role of this node: {}\n", role_text(r.role));
  o += fmt::format("  alloc_unit:        {:#x}\n", sb.alloc_unit);
  o += fmt::format("  OMF major version: {}\n", sb.omf_major);
  o += fmt::format("  OMF minor version: {}\n", sb.omf_minor);
  o += fmt::format("  sizeof superblock: {}\n", log::k_superblock_size);
  o += fmt::format("  log size{}  {}\n", human ? ":        " : " (bytes):", sz(sb.log_len));
  o += fmt::format("  primary: {}   {}\n", sb.dev_name, sz(sb.dev_size));
  o += "\n";
  if (!r.log_checked) {
    return o;
  }
  const FsckStats& st = r.stats;
  const u64 slots = st.log_last_index + 1;
  o += "Log stats:\n";
  o += fmt::format("  # of log entries in use: {} of {}\n", st.next_index, slots);
  o += fmt::format("  Log size in use:          {}\n",
                   sz(log::k_log_header_size + log::k_log_entry_size * st.next_index));
  o += fmt::format("  Log size (total{}    {}\n", human ? ")      " : " bytes)", sz(st.log_len));
  if (st.collisions != 0) {
    o += fmt::format("ERROR: {} ALLOCATION COLLISIONS FOUND\n", st.collisions);
  } else {
    o += "  No allocation errors found\n\n";
    const u64 free = st.bitmap_capacity > st.alloc_sum ? st.bitmap_capacity - st.alloc_sum : 0;
    o += "Capacity:\n";
    o += fmt::format("  Device capacity:        {}\n", sz(sb.dev_size));
    o += fmt::format("  Bitmap capacity:        {}\n", sz(st.bitmap_capacity));
    o += fmt::format("  Sum of file sizes:      {}\n", sz(st.fsize_sum));
    o += fmt::format("  Allocated {}:        {}\n", human ? "space" : "bytes", sz(st.alloc_sum));
    o += fmt::format("  Free space:             {}\n", sz(free));
    o += "  Space amplification:     "
         + printf_2f(static_cast<double>(st.alloc_sum) / static_cast<double>(st.fsize_sum)) + "\n";
    o += "  Percent used:            "
         + printf_1f(static_cast<double>(st.alloc_sum) * 100.0
                     / static_cast<double>(st.bitmap_capacity))
         + "%\n";
    o += "\n";
  }
  o += "Famfs log:\n";
  o += fmt::format("  {} of {} entries used\n", st.next_index, slots);
  o += fmt::format("  {} bad log entries detected\n", st.bad_entries);
  o += fmt::format("  {} files\n", st.files);
  o += fmt::format("  {} directories\n", st.directories);
  o += "\n";
  if (detail == Detail::verbose) {
    o += "Verbose:\n";
    o += fmt::format("  log_offset:        {}\n", sb.log_offset);
    o += fmt::format("  log_len:           {}\n", sb.log_len);
    o += "  log_entry components:\n";
    o += fmt::format("      sizeof(log header) {}\n", log::k_log_header_size);
    o += fmt::format("      sizeof(log_entry)  {}\n", log::k_log_entry_size);
    o += fmt::format("          sizeof(mkdir)     {}\n", sizeof(log::OmfMkdir));
    o += fmt::format("          sizeof(file_meta) {}\n", sizeof(log::OmfFileMeta));
    o += fmt::format("              sizeof(fmap)    {}\n", sizeof(log::OmfFmap));
    o += fmt::format("                  sizeof(interleaved_ext[1]): {}\n",
                     sizeof(log::OmfInterleavedExtent));
    o += fmt::format("                  sizeof(famfs_simple_ext[16]): {}\n",
                     sizeof(log::OmfSimpleExtent));
    o += fmt::format("  last_log_index:    {}\n", st.log_last_index);
    o += fmt::format("  usable log size:   {}\n",
                     log::k_log_header_size + log::k_log_entry_size * st.log_last_index);
    o += fmt::format("  sizeof(struct famfs_log_file_meta): {}\n", sizeof(log::OmfFileMeta));
    o += "\n";
  }
  return o;
}

std::string problems_text(const Report& r, Severity min) {
  std::string o;
  for (const auto& p : r.problems) {
    if (p.severity >= min) {
      // Paths come from the log, which anyone may have written: no control byte reaches a
      // terminal raw.
      o += fmt::format("  {}: {}\n", to_string(p.severity), log::escape_controls(p.message));
    }
  }
  return o;
}

namespace {

const char* to_string(SbSource s) {
  switch (s) {
  case SbSource::none:
    return "none";
  case SbSource::primary:
    return "primary";
  case SbSource::backup:
    return "backup";
  case SbSource::unverified_primary:
    return "unverified primary";
  }
  return "none";
}

} // namespace

std::string report_json(const Report& r, int exit_code) {
  JsonWriter j;
  j.begin_object();
  write_report_members(j, r, exit_code);
  j.end_object();
  return j.str();
}

void write_problems(JsonWriter& j, std::string_view key, const Report& r) {
  j.begin_array(key);
  for (const auto& p : r.problems) {
    j.begin_object();
    j.member("severity", to_string(p.severity));
    j.member("kind", to_string(p.kind));
    if (p.index != k_no_entry) {
      j.member("entry", p.index);
    }
    if (p.other != k_no_entry) {
      j.member("other_entry", p.other);
    }
    j.member("offset", p.offset);
    j.member("length", p.length);
    j.member("message", p.message);
    j.end_object();
  }
  j.end_array();
}

void write_report_members(JsonWriter& j, const Report& r, int exit_code) {
  j.member("device", r.device);
  j.member("device_size", r.device_size);
  j.member("exit_code", exit_code);
  j.member("clean", r.errors() == 0 && r.usable());
  j.member("errors", static_cast<u64>(r.errors()));
  j.member("warnings", static_cast<u64>(r.warnings()));
  j.member("superblock_source", to_string(r.source));
  if (r.usable()) {
    const log::Superblock& sb = r.sb;
    j.begin_object("superblock");
    j.member("fs_uuid", sb.fs_uuid.str());
    j.member("device_uuid", sb.dev_uuid.str());
    j.member("master_system_uuid", sb.system_uuid.str());
    // The one JSON role naming (famfs status says it too): master or client.
    j.member("role", r.role == Role::master   ? "master"
                     : r.role == Role::client ? "client"
                                              : "unknown");
    j.member("version", sb.version);
    j.member("alloc_unit", sb.alloc_unit);
    j.member("omf_major", sb.omf_major);
    j.member("omf_minor", sb.omf_minor);
    j.member("log_offset", sb.log_offset);
    j.member("log_len", sb.log_len);
    j.member("primary_daxdev", sb.dev_name);
    j.member("primary_size", sb.dev_size);
    j.end_object();
  }
  if (r.log_checked) {
    const FsckStats& st = r.stats;
    j.begin_object("log");
    j.member("entries_used", st.next_index);
    j.member("slots", st.log_last_index + 1);
    j.member("log_len", st.log_len);
    j.member("bad_entries", st.bad_entries);
    j.member("files", st.files);
    j.member("directories", st.directories);
    j.member("daxdevs", st.daxdevs);
    j.end_object();
    j.begin_object("capacity");
    j.member("device_capacity", r.sb.dev_size);
    j.member("bitmap_capacity", st.bitmap_capacity);
    j.member("sum_of_file_sizes", st.fsize_sum);
    j.member("allocated_bytes", st.alloc_sum);
    j.member("free_bytes",
             st.bitmap_capacity > st.alloc_sum ? st.bitmap_capacity - st.alloc_sum : 0);
    j.member("allocation_collisions", st.collisions);
    j.end_object();
  }
  write_problems(j, "problems", r);
}

} // namespace famfs::core
