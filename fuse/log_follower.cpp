// A step has two phases. The first (look) holds the shared lock: it probes what it reads under a
// guard, reads the log header once and runs the clobber check once; readers go on meanwhile. The
// second (apply) runs only when the log has grown: it holds the exclusive lock and reads the
// header once more, because another thread may have applied entries since (an older header
// would look like a log that shrank). Whatever changes between the phases is caught by the next
// step's clobber check.
#include "fuse/log_follower.hpp"

#include "core/allocator.hpp"
#include "core/media_guard.hpp"
#include "core/trace.hpp"
#include "fuse/channel.hpp"
#include "log/records.hpp"

#include <fmt/format.h>

#include <time.h>

#include <algorithm>

namespace famfs::fuse {

// ---- Health ----

void Health::mark_clobbered(const std::string& why) {
  std::lock_guard lock(m_mutex);
  if (m_clobbered.load()) {
    return;
  }
  m_clobber_reason = why;
  m_clobbered.store(true);
  FAMFS_TRACE(0,
              "CLOBBERED: {}; file data is no longer served (OPEN, READ, WRITE and GET_FMAP "
              "fail with EIO); unmount this file system",
              why);
}

std::string Health::clobber_reason() const {
  std::lock_guard lock(m_mutex);
  return m_clobber_reason;
}

bool Health::note_problem(const std::string& problem) {
  std::lock_guard lock(m_mutex);
  if (problem == m_last_problem) {
    return false;
  }
  m_last_problem = problem;
  return true;
}

void Health::clear_problem() {
  std::lock_guard lock(m_mutex);
  m_last_problem.clear();
}

// ---- Following ----

LogFollower::LogFollower(core::Image& img, const ServerOptions& opts)
    : m_img(img), m_opts(opts), m_dev_size(img.device().size()) {
  if (opts.replayed != nullptr && opts.replayed->mark.log_seen) {
    m_tree = std::move(opts.replayed->tree); // the daemon's own copy after the fork
    m_mark = opts.replayed->mark;
    trace_replay(opts.replayed->report, opts.replayed->log_size);
  } else {
    m_tree = core::mount_tree(img);
    m_mark.fs_uuid = img.superblock().fs_uuid;
  }
  {
    std::unique_lock lock(m_tree_mutex);
    account_new_nodes();
  }
  // The whole log at mount time, batch after batch.
  while (step(RetryBadEntry::yes) > 0) {
  }
  m_started = clock_now(); // from now on, a directory that gains names gets a time of its own
}

Time clock_now() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return Time{static_cast<u64>(t.tv_sec), static_cast<u32>(t.tv_nsec)};
}

u64 LogFollower::step(RetryBadEntry retry) {
  std::lock_guard one_at_a_time(m_step_mutex);
  if (m_health.clobbered()) {
    return 0; // nothing more is applied once the media changed under us
  }
  const Look l = look(Probe::through_end);
  if (!l.readable || l.applied >= l.size) {
    return 0;
  }
  if (retry == RetryBadEntry::no && m_stuck_next_index.load() == l.size) {
    return 0; // stopped at a bad entry and the log has not grown since
  }
  return apply();
}

void LogFollower::check() {
  if (!m_health.clobbered()) {
    (void)look(Probe::last_applied); // frozen tree, but still watching for clobbering
  }
}

Result<void> LogFollower::switch_metadata(const core::MetaFiles& files) {
  FAMFS_TRY_ASSIGN(core::OpenedMetaFiles f,
                   core::open_meta_files(files, core::OpenMode::read_only));
  const auto& sb = m_img.superblock();
  if (!(f.sb.fs_uuid == sb.fs_uuid)) {
    return fail(Errc::corrupt, "{}: holds file system {}, not {}, which was read before the mount",
                files.superblock, f.sb.fs_uuid.str(), sb.fs_uuid.str());
  }
  {
    std::unique_lock lock(m_tree_mutex);
    FAMFS_TRY(m_img.device().map_meta_files(f));
  }
  FAMFS_TRACE(1, "metadata: read through {} and {} from now on", files.superblock, files.log);
  return {};
}

u64 LogFollower::applied() const {
  std::shared_lock lock(m_tree_mutex);
  return m_tree.applied();
}

LogFollower::Look LogFollower::look(Probe what) {
  const Findings f = inspect(what);
  if (f.lost) {
    metadata_lost(*f.lost, f.look.applied);
    return f.look;
  }
  m_health.mark_metadata_readable();
  if (!f.clobber.empty()) {
    m_health.mark_clobbered(f.clobber);
  } else if (!f.unreadable.empty() && m_health.note_problem(f.unreadable)) {
    FAMFS_TRACE(1, "log unreadable; serving the {} entries replayed so far: {}", f.look.applied,
                f.unreadable);
  }
  return f.look;
}

LogFollower::Findings LogFollower::inspect(Probe what) const {
  Findings f;
  std::shared_lock lock(m_tree_mutex);
  f.look.applied = m_tree.applied();
  const auto& sb = m_img.superblock();
  // The superblock and the log are read straight from the mapping: touch what is read under a
  // guard first. Only the superblock, the log header and the entries from the last applied one
  // on are read, so only those are probed. On non-coherent memory each read drops our cached
  // copy first, for exactly what it reads (read_superblock, Image::log, invalidate_entries).
  for (auto [off, len] : {std::pair{u64{0}, log::k_superblock_size},
                          std::pair{sb.log_offset, log::k_log_header_size}}) {
    if (auto p = probe(off, len); !p) {
      f.lost = std::move(p).error();
      return f;
    }
  }
  auto view = m_img.log(); // the one header read of this phase
  if (view) {
    const u64 crc_index = m_mark.crc_index;
    const u64 first = crc_index != core::k_no_index ? crc_index : m_tree.applied();
    const u64 slots = (sb.log_len - log::k_log_header_size) / log::k_log_entry_size;
    const u64 end = what == Probe::through_end      ? std::min(view->size(), slots)
                    : crc_index != core::k_no_index ? crc_index + 1
                                                    : first;
    if (end > first) {
      auto p =
          probe(sb.log_offset + log::entry_offset(first), (end - first) * log::k_log_entry_size);
      if (!p) {
        f.lost = std::move(p).error();
        return f;
      }
    }
  }
  f.clobber = find_clobber(view);
  if (f.clobber.empty() && !view) {
    f.unreadable = view.error().message;
  }
  f.look.readable = f.clobber.empty() && view.has_value();
  f.look.size = view ? view->size() : 0;
  return f;
}

Result<void> LogFollower::probe(u64 off, u64 len) const {
  return core::guarded_probe(m_img.device().at(off), len);
}

void LogFollower::metadata_lost(const Error& e, u64 applied) {
  m_health.mark_metadata_lost();
  if (m_health.note_problem(e.message)) {
    m_health.count_media_error(); // once per lost place, not once per poll
    FAMFS_TRACE(0, "log: {}; serving the {} entries replayed so far", e.message, applied);
  }
}

u64 LogFollower::apply() {
  std::unique_lock lock(m_tree_mutex);
  auto view = m_img.log(); // the one header read of this phase
  if (!view) {
    return 0; // the next step reports it
  }
  m_mark.log_seen = true;
  const u64 size = view->size();
  const u64 from = m_tree.applied();
  if (size <= from) {
    return 0; // another thread applied them (or the log shrank: the next step says so)
  }
  const u64 count =
      m_opts.follow_batch > 0 ? std::min(size - from, m_opts.follow_batch) : size - from;
  const u64 nodes_before = m_tree.node_count();
  invalidate_entries(from, count);
  // The created paths are only traced (-vv): without that, replay builds no string per entry.
  const core::ReplayReport report = m_tree.catch_up(
      *view, count,
      core::trace_level() >= 2 ? core::Tree::KeepCreated::yes : core::Tree::KeepCreated::no);
  account_new_nodes();
  const std::vector<u64> named_dirs = dirs_named_since(nodes_before);
  m_mark.remember(*view, m_tree.applied());
  trace_replay(report, size);
  const u64 applied = m_tree.applied() - from;
  lock.unlock();
  notify_dirs_changed(named_dirs);
  return applied;
}

std::vector<u64> LogFollower::dirs_named_since(u64 nodes_before) {
  if (m_started == Time{}) {
    return {}; // the mount's own replay: no kernel to tell yet, and every inode shows the start
  }
  // Nodes are only ever added, with the next inode numbers: the new ones are those past
  // nodes_before, and their parents are the directories whose listing (and, for a new
  // subdirectory, nlink) the kernel may hold for the timeouts. The step tells it (after the
  // lock is released).
  std::vector<u64> named;
  for (u64 ino = nodes_before + 1; ino <= m_tree.node_count(); ++ino) {
    if (const core::Node* n = m_tree.get(ino); n != nullptr) {
      named.push_back(n->parent);
    }
  }
  std::sort(named.begin(), named.end());
  named.erase(std::unique(named.begin(), named.end()), named.end());
  const Time now = clock_now();
  for (u64 dir : named) {
    const auto it = m_dir_times.find(dir);
    const Time last = it != m_dir_times.end() ? it->second : m_started;
    m_dir_times[dir] = std::max(now, last.next()); // a new mtime for every change
  }
  return named;
}

void LogFollower::trace_replay(const core::ReplayReport& report, u64 size) {
  for (const auto& path : report.created) {
    FAMFS_TRACE(2, "log: {}", path);
  }
  if (report.entries > 0) {
    FAMFS_TRACE(1, "log: applied {} entries ({} files, {} directories); {} of {} in the tree",
                report.entries, report.new_files, report.new_dirs, m_tree.applied(), size);
  }
  const std::size_t n = report.problems.size();
  for (std::size_t i = 0; i < n; ++i) {
    const bool is_stop = report.stopped && i + 1 == n;
    if (!is_stop) {
      FAMFS_TRACE(1, "log: {}", report.problems[i]);
    }
  }
  if (report.stopped) {
    m_stuck_next_index.store(size);
    if (m_health.note_problem(report.problems.back())) {
      FAMFS_TRACE(1, "log: replay stopped at entry {}; serving the valid prefix: {}",
                  m_tree.applied(), report.problems.back());
    }
  } else {
    m_stuck_next_index.store(~0ULL);
    m_health.clear_problem();
  }
}

std::string LogFollower::find_clobber(const Result<log::LogView>& view) const {
  if (view && m_mark.crc_index != core::k_no_index && m_mark.crc_index < view->size()) {
    invalidate_entries(m_mark.crc_index, 1); // clobber_reason reads it again
  }
  return core::clobber_reason(m_img.device(), m_mark, view);
}

void LogFollower::invalidate_entries(u64 first, u64 count) const {
  // A pmem block device is read through this host's page cache: invalidate as on non-coherent
  // memory, or the entries other hosts appended stay hidden behind old pages.
  if (!(m_opts.non_coherent || m_img.device().page_cached()) || count == 0) {
    return;
  }
  const u64 log_offset = m_img.superblock().log_offset;
  m_img.device().invalidate(log_offset + log::entry_offset(first), count * log::k_log_entry_size);
}

void LogFollower::notify_dirs_changed(const std::vector<u64>& dirs) const {
  // The attributes only: the next listing of the directory then asks for them (it starts with
  // the mtime, FUSE_AUTO_INVAL_DATA), finds the new mtime (dirs_named_since) and drops the cached
  // listing itself, in the reader's thread. Also dropping the pages (the cached listing) here
  // would make this write wait for their page locks, which a reader copying a cached listing out
  // holds while it may fault on a buffer mapped from this mount: a READ that no worker might be
  // free to serve while this step holds the step mutex.
  for (u64 ino : dirs) {
    if (auto w = notify(ino, Inval::attrs); !w) {
      FAMFS_TRACE(1, "notifying the kernel that node {} changed: {}", ino, w.error().message);
    }
  }
}

Result<void> LogFollower::invalidate_data(u64 ino) const {
  return notify(ino, Inval::attrs_and_data);
}

Result<void> LogFollower::notify(u64 ino, Inval what) const {
  const int fd = m_notify_fd.load();
  if (fd < 0) {
    return {};
  }
  const std::vector<std::byte> msg = encode_notify_inval_inode(ino, what);
  const iovec iov{const_cast<std::byte*>(msg.data()), msg.size()};
  // ENOENT (the kernel holds nothing for this inode) counts as done (write_reply).
  return write_reply(fd, std::span<const iovec>(&iov, 1));
}

// ---- STATFS accounting ----

FsCounts LogFollower::counts() const {
  FsCounts c;
  c.unit = log::alloc_unit_of(m_img.superblock());
  {
    std::shared_lock lock(m_tree_mutex);
    c.blocks = m_dev_size / c.unit;
    c.bfree = c.blocks - std::min(c.blocks, m_used_au_count);
    c.files = m_tree.node_count();
  }
  // Inodes: every log slot can become one; the free ones are the slots left. The log header is
  // only read when the last step found the metadata readable (not clobbered, no media error).
  if (!m_health.clobbered() && !m_health.metadata_lost()) {
    if (auto view = m_img.log(); view) {
      c.ffree = view->header().last_index + 1 - view->header().next_index;
    }
  }
  c.files += c.ffree;
  return c;
}

void LogFollower::account_new_nodes() {
  const u64 au = log::alloc_unit_of(m_img.superblock());
  for (u64 ino = m_accounted_nodes + 1; ino <= m_tree.node_count(); ++ino) {
    const core::Node* n = m_tree.get(ino);
    if (n == nullptr || n->kind != core::NodeKind::file) {
      continue;
    }
    for (const auto& e : n->fmap.extents) {
      if (e.offset >= m_dev_size) {
        continue;
      }
      // The units it claims (core::units_of, the one rule), those on the device.
      const core::UnitRange u = core::units_of(e, au);
      add_used(u.first, std::min(u.end, (m_dev_size + au - 1) / au));
    }
  }
  m_accounted_nodes = m_tree.node_count();
}

void LogFollower::add_used(u64 first, u64 end) {
  // An interval set, so that a hostile log (thousands of entries each claiming the whole device)
  // costs O(log n) per extent, not one step per allocation unit.
  if (first >= end) {
    return;
  }
  auto it = m_used_au.upper_bound(first);
  if (it != m_used_au.begin() && std::prev(it)->second >= first) {
    --it;
    // The common case (files allocated one after another): the new units touch only this
    // interval, which grows in place.
    const auto next = std::next(it);
    if (next == m_used_au.end() || next->first > end) {
      if (end > it->second) {
        m_used_au_count += end - it->second;
        it->second = end;
      }
      return;
    }
  }
  while (it != m_used_au.end() && it->first <= end) {
    first = std::min(first, it->first);
    end = std::max(end, it->second);
    m_used_au_count -= it->second - it->first;
    it = m_used_au.erase(it);
  }
  m_used_au.emplace(first, end);
  m_used_au_count += end - first;
}

} // namespace famfs::fuse
