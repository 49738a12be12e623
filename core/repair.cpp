#include "core/repair.hpp"

#include "core/media_guard.hpp"
#include "core/mounts.hpp"
#include "core/system_uuid.hpp"
#include "core/trace.hpp"
#include "core/unique_fd.hpp"
#include "log/path.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace famfs::core {

const char* to_string(FixKind k) {
  switch (k) {
  case FixKind::entry_invalidated:
    return "entry_invalidated";
  case FixKind::file_dropped:
    return "file_dropped";
  case FixKind::tail_zeroed:
    return "tail_zeroed";
  case FixKind::uncommitted_zeroed:
    return "uncommitted_zeroed";
  case FixKind::log_header:
    return "log_header";
  case FixKind::backup_sb:
    return "backup_sb";
  case FixKind::primary_sb:
    return "primary_sb";
  }
  return "unknown";
}

namespace {

constexpr u64 k_entry_size = log::k_log_entry_size;

using log::all_zero;

// An entry whose bytes are what some writer persisted for slot `i`: its sequence number is the
// index and its CRC matches. Its content may still be unusable (the checker says so).
bool intact(std::span<const std::byte> s, u64 i) {
  return !all_zero(s) && log::get64(s, 0) == i
         && log::get64(s, log::k_entry_crc_covered) == log::entry_crc(s);
}

bool has_error(const Report& r, ProblemKind k) {
  return std::any_of(r.problems.begin(), r.problems.end(), [k](const Problem& p) {
    return p.kind == k && p.severity == Severity::error;
  });
}

// "3, 5, 9" (at most `max` numbers, then ", ...").
std::string index_list(const std::vector<u64>& v, std::size_t max = 10) {
  std::string s;
  for (std::size_t k = 0; k < v.size() && k < max; ++k) {
    s += (k == 0 ? "" : ", ") + std::to_string(v[k]);
  }
  if (v.size() > max) {
    s += ", ...";
  }
  return s;
}

std::string range_text(u64 first, u64 end) {
  return end - first == 1 ? fmt::format("log entry {}", first)
                          : fmt::format("log entries {} to {}", first, end - 1);
}

std::vector<std::byte> copy_of(std::span<const std::byte> b) {
  return std::vector<std::byte>(b.begin(), b.end());
}

std::vector<std::byte> invalid_entry(u64 i) {
  std::vector<std::byte> out(k_entry_size);
  log::LogEntry e;
  e.seqnum = i;
  e.type = log::EntryType::invalid;
  log::encode_entry(e, out);
  return out;
}

class Planner {
public:
  Planner(const Report& r, std::span<const std::byte> bytes, const RepairOptions& o, RepairPlan& p)
      : m_r(r), m_bytes(bytes), m_o(o), m_p(p) {}

  Result<void> run() {
    if (!m_r.usable()) {
      return fail(Errc::corrupt,
                  "{}: no usable superblock (neither the primary nor the backup at {:#x}); there "
                  "is nothing to repair from",
                  m_r.device, log::k_backup_sb_offset);
    }
    if (m_r.source == SbSource::unverified_primary) {
      decline("superblock: its checksum (or allocation unit) is wrong and there is no valid "
              "backup superblock; repair does not guess which field is damaged");
      return {};
    }
    if (has_error(m_r, ProblemKind::sb_geometry)) {
      decline("superblock: its log geometry is unusable; repair does not guess it");
      return {};
    }
    plan_superblocks();
    FAMFS_TRY(plan_log());
    std::stable_sort(m_p.fixes.begin(), m_p.fixes.end(),
                     [](const Fix& a, const Fix& b) { return a.stage < b.stage; });
    return {};
  }

private:
  void decline(std::string s) { m_p.declined.push_back(std::move(s)); }
  // A fixed reason (built with fmt::format: GCC 12 at -O3 warns falsely, -Warray-bounds, on a
  // std::string made from a literal once inlined here).
  void decline(const char* s) { m_p.declined.push_back(fmt::format("{}", s)); }

  void add(FixKind k,
           Stage st,
           u64 index,
           u64 offset,
           u64 length,
           std::vector<std::byte> bytes,
           std::string msg) {
    m_p.fixes.push_back(Fix{k, st, index, offset, length, std::move(bytes), std::move(msg)});
  }

  std::span<const std::byte> region(u64 off, u64 len) const {
    return log::region_of(m_bytes, off, len);
  }

  void plan_superblocks() {
    const u64 bk = log::k_backup_sb_offset;
    auto primary = region(0, log::k_superblock_size);
    auto backup = region(bk, log::k_superblock_size);
    if (primary.empty() || backup.empty()) {
      return;
    }
    if (m_r.source == SbSource::backup) {
      // The primary is damaged and the backup valid. The backup could be a leftover of an
      // earlier file system on the device (upstream's mkfs never writes there), so it must
      // agree with the log it would describe.
      auto hdr = region(m_r.sb.log_offset, log::k_log_header_size);
      const bool confirmed = !hdr.empty() && log::get64(hdr, 0) == log::k_log_magic
                             && log::get64(hdr, 8) == m_r.sb.log_len;
      if (confirmed) {
        add(FixKind::primary_sb, Stage::primary_sb, k_no_entry, 0, log::k_superblock_size,
            copy_of(backup),
            fmt::format("superblock: damaged; restored from the backup superblock at {:#x}", bk));
      } else {
        decline(fmt::format("superblock: damaged, and the log header does not confirm the backup "
                            "superblock at {:#x} (log length {}); not restored",
                            bk, m_r.sb.log_len));
      }
      return;
    }
    const char* why = nullptr;
    if (!m_r.of_kind(ProblemKind::backup_mismatch).empty()) {
      why = "differed from the primary";
    } else if (!m_r.of_kind(ProblemKind::backup_damaged).empty()) {
      why = "was damaged";
    } else if (!m_r.of_kind(ProblemKind::backup_missing).empty()) {
      why = "was missing";
    }
    if (why != nullptr) {
      add(FixKind::backup_sb, Stage::backup_sb, k_no_entry, bk, log::k_superblock_size,
          copy_of(primary),
          fmt::format("backup superblock at {:#x}: {}; rewritten from the primary", bk, why));
    }
  }

  std::span<const std::byte> slot(u64 i) const {
    return m_log.subspan(log::entry_offset(i), k_entry_size);
  }
  u64 slot_offset(u64 i) const { return m_r.sb.log_offset + log::entry_offset(i); }

  Result<void> plan_log() {
    if (!m_r.log_checked) {
      if (!m_o.drop.empty()) {
        decline("--drop: the log could not be examined; nothing dropped");
      }
      return {};
    }
    const log::Superblock& sb = m_r.sb;
    m_log = region(sb.log_offset, sb.log_len);
    if (m_log.empty()) {
      return {};
    }
    auto hd = log::decode_log_header(m_log);
    if (!hd) {
      return {};
    }
    const log::LogHeader h = *hd;
    const u64 last = log::last_index_for(sb.log_len);
    const u64 slots = last + 1;
    if (h.magic != log::k_log_magic || h.log_len != sb.log_len || h.last_index != last) {
      decline(fmt::format("log header at {:#x}: its magic, length or last index disagree with the "
                          "superblock; repair does not rebuild it",
                          sb.log_offset));
      return {};
    }
    const bool crc_bad = h.crc != log::log_header_crc(m_log);

    const u64 n = log_end(h, slots);

    // The intact prefix ends after the last intact entry.
    std::vector<bool> ok(n);
    u64 end = 0;
    for (u64 i = 0; i < n; ++i) {
      ok[i] = intact(slot(i), i);
      if (ok[i]) {
        end = i + 1;
      }
    }

    const std::set<u64> unusable = plan_unusable(end, ok);
    FAMFS_TRY(plan_drops(end, ok, unusable));
    plan_tail(end, n, slots);
    plan_header(h, crc_bad, end);
    if (has_error(m_r, ProblemKind::cross_link) && m_o.drop.empty()) {
      m_p.drop_would_help = true;
      decline("cross-links: both files claim the same space; --drop PATH turns one file's entry "
              "INVALID (destructive: that file is lost)");
    }
    return {};
  }

  // Where the header says the log ends, bounded by the slots that exist.
  u64 log_end(const log::LogHeader& h, u64 slots) const {
    u64 n = h.next_index;
    if (n > slots) {
      n = slots;
      while (n > 0 && all_zero(slot(n - 1))) {
        --n;
      }
    } else if (h.next_seqnum > n && h.next_seqnum <= slots
               && (h.next_seqnum == slots || all_zero(slot(h.next_seqnum)))) {
      // The counters are written together, so they differ only when one is damaged. When
      // next_seqnum is backed by intact entries up to an empty slot, next_index is the bad one.
      bool backed = true;
      for (u64 i = n; i < h.next_seqnum && backed; ++i) {
        backed = intact(slot(i), i);
      }
      if (backed) {
        n = h.next_seqnum;
      }
    }
    return n;
  }

  // Entries inside the prefix [0, end) that cannot be used: not intact, or intact with an unknown
  // type or a broken structure. They hide every entry after them from replay: with --force each
  // becomes an INVALID entry, without it repair declines.
  std::set<u64> plan_unusable(u64 end, const std::vector<bool>& ok) {
    std::set<u64> unusable;
    for (const auto& p : m_r.problems) {
      if (p.index < end && p.severity == Severity::error
          && (p.kind == ProblemKind::entry_type || p.kind == ProblemKind::entry_structure)) {
        unusable.insert(p.index);
      }
    }
    for (u64 i = 0; i < end; ++i) {
      if (!ok[i]) {
        unusable.insert(i);
      }
    }
    if (!unusable.empty()) {
      if (m_o.force == Force::yes) {
        for (u64 i : unusable) {
          add(FixKind::entry_invalidated, Stage::entries, i, slot_offset(i), k_entry_size,
              invalid_entry(i),
              fmt::format("log entry {} at device offset {:#x}: corrupt, with valid entries after "
                          "it; replaced by an INVALID entry (what it created is lost)",
                          i, slot_offset(i)));
        }
      } else {
        m_p.force_would_help = true;
        const std::vector<u64> v(unusable.begin(), unusable.end());
        decline(fmt::format("{} {}: corrupt in the middle of the log (valid entries follow); "
                            "--force replaces {} with an INVALID entry",
                            v.size() == 1 ? "log entry" : "log entries", index_list(v),
                            v.size() == 1 ? "it" : "each"));
      }
    }
    return unusable;
  }

  // Slots after the intact prefix: torn or corrupt ones before the log's end, uncommitted ones
  // after it; both are zeroed.
  void plan_tail(u64 end, u64 n, u64 slots) {
    if (end < n) {
      add(FixKind::tail_zeroed, Stage::entries, end, slot_offset(end), (n - end) * k_entry_size, {},
          fmt::format("{}: torn or corrupt after the last valid entry{}; zeroed",
                      range_text(end, n),
                      end == 0 ? std::string(" (there is none)") : fmt::format(" {}", end - 1)));
    }
    u64 u = n;
    while (u < slots && !all_zero(slot(u))) {
      ++u;
    }
    if (u > n) {
      add(FixKind::uncommitted_zeroed, Stage::entries, n, slot_offset(n), (u - n) * k_entry_size,
          {},
          fmt::format("{}: past the end of the log, never committed (a command killed before it "
                      "advanced the log header?); zeroed",
                      range_text(n, u)));
    }
  }

  // The log header rewritten when its checksum or counters disagree with the intact prefix.
  void plan_header(const log::LogHeader& h, bool crc_bad, u64 end) {
    const log::Superblock& sb = m_r.sb;
    if (crc_bad || h.next_index != end || h.next_seqnum != end) {
      std::vector<std::byte> hb = copy_of(m_log.first(log::k_log_header_size));
      std::string what;
      if (crc_bad) {
        log::LogHeader nh = h;
        nh.next_seqnum = end;
        nh.next_index = end;
        log::encode_log_header(nh, hb);
        what = "checksum mismatch (magic, length and last index agree with the superblock); "
               "rewritten";
      } else {
        log::encode_log_counters(end, end, hb);
      }
      if (h.next_index != end || h.next_seqnum != end) {
        what += fmt::format("{}next index {} -> {}, next sequence number {} -> {}",
                            what.empty() ? "" : "; ", h.next_index, end, h.next_seqnum, end);
      }
      add(FixKind::log_header, Stage::log_header, k_no_entry, sb.log_offset, log::k_log_header_size,
          std::move(hb), fmt::format("log header at {:#x}: {}", sb.log_offset, what));
    }
  }

  Result<void> plan_drops(u64 end, const std::vector<bool>& ok, const std::set<u64>& unusable) {
    for (const std::string& want : m_o.drop) {
      auto parts = log::split_relpath(want);
      if (!parts) {
        return fail(Errc::invalid_argument, "--drop {}: {}", want, parts.error().message);
      }
      const std::string norm = log::join_path(*parts);
      bool found = false;
      for (u64 i = 0; i < end; ++i) {
        if (!ok[i] || unusable.count(i) != 0) {
          continue;
        }
        auto e = log::decode_entry(slot(i), i, {});
        if (!e) {
          continue;
        }
        const std::string* rel = nullptr;
        if (e->type == log::EntryType::file) {
          rel = &std::get<log::FileEntry>(e->body).relpath;
        } else if (e->type == log::EntryType::mkdir) {
          rel = &std::get<log::MkdirEntry>(e->body).relpath;
        }
        if (rel == nullptr) {
          continue;
        }
        auto rp = log::split_relpath(*rel);
        if (!(*rel == want || (rp && log::join_path(*rp) == norm))) {
          continue;
        }
        if (e->type == log::EntryType::mkdir) {
          return fail(Errc::invalid_argument,
                      "--drop {}: log entry {} makes it a directory; only files can be dropped",
                      want, i);
        }
        found = true;
        add(FixKind::file_dropped, Stage::entries, i, slot_offset(i), k_entry_size,
            invalid_entry(i),
            fmt::format("log entry {} ({}): dropped as asked (--drop): replaced by an INVALID "
                        "entry; the file is gone and its space free",
                        i, *rel));
      }
      if (!found) {
        return fail(Errc::not_found, "--drop {}: no file of that path in the log", want);
      }
    }
    return {};
  }

  const Report& m_r;
  std::span<const std::byte> m_bytes;
  const RepairOptions& m_o;
  RepairPlan& m_p;
  std::span<const std::byte> m_log;
};

} // namespace

Result<RepairPlan>
plan_repair(const Report& r, std::span<const std::byte> bytes, const RepairOptions& opts) {
  RepairPlan p;
  FAMFS_TRY(Planner(r, bytes, opts, p).run());
  return p;
}

namespace {

void write_fix(const Fix& f, std::span<std::byte> bytes) {
  FAMFS_ASSERT(f.offset <= bytes.size() && f.length <= bytes.size() - f.offset);
  if (f.bytes.empty()) {
    std::memset(bytes.data() + f.offset, 0, f.length);
  } else {
    FAMFS_ASSERT(f.bytes.size() == f.length);
    std::memcpy(bytes.data() + f.offset, f.bytes.data(), f.length);
  }
}

} // namespace

void apply_plan(const RepairPlan& plan, std::span<std::byte> bytes, std::size_t count) {
  for (std::size_t k = 0; k < plan.fixes.size() && k < count; ++k) {
    write_fix(plan.fixes[k], bytes);
  }
}

Result<void> apply_plan(const RepairPlan& plan, const Device& dev) {
  for (std::size_t k = 0; k < plan.fixes.size(); ++k) {
    const Fix& f = plan.fixes[k];
    if (f.offset > dev.size() || f.length > dev.size() - f.offset) {
      return fail(Errc::internal, "{}: repair write [{:#x}, +{:#x}) outside the device", dev.path(),
                  f.offset, f.length);
    }
    write_fix(f, dev.bytes());
    // Each fix is durable before the next starts: the plan's order is the crash-safety order.
    FAMFS_TRY(dev.persist(f.offset, f.length));
    FAMFS_TRACE(1, "repair: {} [{:#x}, +{:#x}) persisted", to_string(f.kind), f.offset, f.length);
  }
  return {};
}

std::string default_backup_name(const log::Uuid& fs_uuid, std::time_t now) {
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
  return fmt::format("famfs-fsck-backup-{}-{}.img", fs_uuid.str(), stamp);
}

Result<void> save_metadata(const Device& dev, u64 length, const std::string& path) {
  length = std::min(length, dev.size());
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) {
    Error e = sys_error(errno, path);
    if (e.sys_errno == EEXIST) {
      e = with_hint(make_error(Errc::exists, "{}: backup file already exists", path),
                    "give another --backup FILE; repair never overwrites one");
    }
    return Unexpected{std::move(e)};
  }
  auto cleanup_on_error = [&](Error e) -> Result<void> {
    ::unlink(path.c_str());
    return Unexpected{std::move(e)};
  };
  constexpr u64 k_chunk = 64 * 1024;
  const std::byte* base = dev.at(0);
  for (u64 off = 0; off < length; off += k_chunk) {
    const u64 n = std::min(k_chunk, length - off);
    if (all_zero(std::span<const std::byte>(base + off, n))) {
      continue; // leave a hole
    }
    u64 done = 0;
    while (done < n) {
      const ssize_t w =
          ::pwrite(fd.get(), base + off + done, n - done, static_cast<off_t>(off + done));
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w <= 0) {
        return cleanup_on_error(w < 0
                                    ? device_syscall_error(errno, base + off + done, n - done, path)
                                    : sys_error(EIO, path));
      }
      done += static_cast<u64>(w);
    }
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(length)) != 0 || ::fsync(fd.get()) != 0) {
    return cleanup_on_error(sys_error(errno, path));
  }
  auto closed = fd.close();
  if (!closed) {
    return cleanup_on_error(closed.error());
  }
  // The directory entry too, so the backup survives a crash during the repair that follows.
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd) {
    ::fsync(dfd.get());
  }
  return {};
}

namespace {

CheckInput input_for(const Device& dev, const std::string& path) {
  CheckInput in;
  in.device = path;
  in.device_size = dev.size();
  in.bytes = dev.bytes();
  auto host = get_system_uuid();
  if (host) {
    in.host = *host;
  }
  return in;
}

} // namespace

Result<RepairOutcome> repair_device(const RepairRequest& req) {
  std::string mnt;
  FAMFS_TRY_ASSIGN(bool mounted, device_is_mounted(req.device, &mnt));
  if (mounted) {
    return Unexpected{with_hint(
        make_error(Errc::busy, "{}: device is mounted on {}; repair needs it unmounted", req.device,
                   mnt),
        fmt::format("unmount it first (famfs umount {}); famfs fsck -n checks it as it is", mnt))};
  }
  FAMFS_TRY_ASSIGN(Device dev, Device::open(req.device, OpenMode::read_write));
  // The log writers' lock (core/log_writer.cpp): no famfs command on this host appends while the
  // repair reads and writes.
  UniqueFd lock(::open(req.device.c_str(), O_RDONLY | O_CLOEXEC));
  if (!lock) {
    return Unexpected{sys_error(errno, req.device)};
  }
  while (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Unexpected{with_hint(
          make_error(Errc::busy, "{}: another famfs command is writing to the device", req.device),
          "let it finish, then run the repair again")};
    }
    if (errno != EINTR) {
      return Unexpected{sys_error(errno, req.device + ": flock")};
    }
  }
  invalidate_metadata(dev);

  RepairOutcome out;
  out.before = check_image(input_for(dev, req.device));
  if (!out.before.usable()) {
    out.after = out.before;
    return out;
  }
  FAMFS_TRY_ASSIGN(out.plan, plan_repair(out.before, dev.bytes(), req.options));
  if (out.plan.empty()) {
    out.after = out.before;
    return out;
  }
  FAMFS_TRY_ASSIGN(log::Uuid host, get_system_uuid());
  if (role_for(out.before.sb, host) != Role::master) {
    return Unexpected{with_hint(
        make_error(Errc::permission,
                   "{}: this host is a client of the file system (host {}, master {}); only the "
                   "master repairs it",
                   req.device, host.str(), out.before.sb.system_uuid.str()),
        fmt::format("run famfs fsck -y on the master host, or check {}", system_uuid_file()))};
  }
  if (req.backup == Backup::yes) {
    const u64 length = out.before.sb.log_offset + out.before.sb.log_len;
    std::string path = req.backup_path;
    if (path.empty()) {
      // The default name has a one-second stamp: a second repair within that second gets a
      // numbered name rather than a refusal.
      const std::string base = default_backup_name(out.before.sb.fs_uuid, std::time(nullptr));
      path = base;
      Result<void> saved = save_metadata(dev, length, path);
      for (int k = 1; !saved && saved.error().code == Errc::exists && k < 100; ++k) {
        path = fmt::format("{}.{}", base, k);
        saved = save_metadata(dev, length, path);
      }
      FAMFS_TRY(std::move(saved));
    } else {
      FAMFS_TRY(save_metadata(dev, length, path));
    }
    out.backup_path = path;
    if (req.on_backup_saved) {
      req.on_backup_saved(path);
    }
  }
  FAMFS_TRY(apply_plan(out.plan, dev));
  out.after = check_image(input_for(dev, req.device));
  return out;
}

} // namespace famfs::core
