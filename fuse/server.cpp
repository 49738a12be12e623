// Lock order (the only one in the FUSE server):
//   1. m_tree_mutex  (std::shared_mutex; exclusive only while log entries are applied)
//   2. m_state_mutex (inode table: lookup counts and in-memory attributes; open directories)
// A thread holding m_state_mutex never takes m_tree_mutex. Neither lock is held across a reply
// write or a copy to or from the device. Node pointers are valid only under m_tree_mutex (replay
// appends to a vector that may reallocate), so handlers copy what they need out of the tree,
// release the lock, and only then touch device memory.
#include "fuse/server.hpp"

#include "core/log_health.hpp"
#include "core/media_guard.hpp"
#include "core/trace.hpp"
#include "fuse/famfs_fmap.hpp"
#include "log/fmap.hpp"
#include "log/records.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace famfs::fuse {

namespace {

constexpr u32 k_perm_mask = 07777;
constexpr u32 k_write_bits = S_IWUSR | S_IWGRP | S_IWOTH;
constexpr u64 k_generation = 1; // nodeids are never reused, so one generation suffices
// READ replies point into the device with one iovec per piece; past this many pieces we copy.
constexpr std::size_t k_max_zero_copy_pieces = 512;

Outcome reply_to(const Request& r, Reply reply) {
  Outcome o;
  o.unique = r.header.unique;
  o.reply = std::move(reply);
  return o;
}

Outcome error_to(const Request& r, int err) {
  return reply_to(r, Reply::error(err));
}

Outcome no_reply() {
  Outcome o;
  o.send = false;
  o.reply = Reply::none();
  return o;
}

} // namespace

Server::Server(core::Image& img, ServerOptions opts) : m_img(img), m_opts(opts) {
  if (m_opts.famfs_abi == nullptr) {
    m_opts.famfs_abi = &k_default_famfs_abi;
  }
  m_dev_size = img.device().size();
  const auto& sb = img.superblock();
  m_tree.add_meta(sb.log_offset, sb.log_len);
  m_tree.set_bounds(sb.log_offset + sb.log_len, m_dev_size); // a bad map: traced, not served
  m_fs_uuid = sb.fs_uuid;
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  m_start_sec = static_cast<u64>(now.tv_sec);
  m_start_nsec = static_cast<u32>(now.tv_nsec);
  {
    std::unique_lock lock(m_tree_mutex);
    account_new_nodes();
  }
  // The whole log at mount time, batch after batch.
  while (refresh(true) > 0) {
  }
}

Server::~Server() = default;

// ---- Following the log ----

std::string Server::find_clobber(const Result<log::LogView>& view) const {
  if (view && m_crc_index != core::k_no_index && m_crc_index < view->size()) {
    invalidate_entries(m_crc_index, 1);
  }
  const core::ReplayMark mark{m_fs_uuid, m_tree.applied(), m_crc_index, m_last_crc, m_log_seen};
  return core::clobber_reason(m_img.device(), mark, view);
}

bool Server::still_healthy(Result<log::LogView>& view) {
  std::string why;
  {
    std::shared_lock lock(m_tree_mutex);
    view = m_img.log();
    why = find_clobber(view);
  }
  if (why.empty()) {
    return true;
  }
  mark_clobbered(why);
  return false;
}

void Server::invalidate_entries(u64 first, u64 count) const {
  if (!m_opts.non_coherent || count == 0) {
    return;
  }
  const u64 log_offset = m_img.superblock().log_offset;
  m_img.device().invalidate(log_offset + log::entry_offset(first), count * log::k_log_entry_size);
}

void Server::follow_on_demand() {
  if (m_opts.follow_interval.count() > 0) {
    refresh();
  }
}

void Server::mark_clobbered(const std::string& why) {
  std::lock_guard lock(m_health_mutex);
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

std::string Server::status_text() const {
  u64 applied = 0;
  {
    std::shared_lock lock(m_tree_mutex);
    applied = m_tree.applied();
  }
  std::string reason;
  {
    std::lock_guard lock(m_health_mutex);
    reason = m_clobber_reason;
  }
  const bool healthy = !m_clobbered.load();
  return fmt::format("pid={}\nrole={}\nhost_uuid={}\nfs_uuid={}\nentries_applied={}\nhealthy={}\n"
                     "reason={}\ndata_path={}\nwritable={}\nnon_coherent={}\n"
                     "follow_interval_ms={}\nmedia_errors={}\n",
                     ::getpid(), m_opts.role, m_opts.host_uuid, m_fs_uuid.str(), applied,
                     healthy ? "yes" : "no", reason, data_path(), m_opts.writable ? "yes" : "no",
                     m_opts.non_coherent ? "yes" : "no", m_opts.follow_interval.count(),
                     m_media_errors.load());
}

u64 Server::refresh(bool force) {
  if (m_clobbered.load()) {
    return 0; // nothing more is applied once the media changed under us
  }
  // The superblock and the log are read straight from the mapping below; touch what is read
  // under a guard first, so that lost memory there stops this refresh instead of the daemon.
  // What was replayed so far is still served. Only the superblock, the log header and the
  // entries from the last applied one on are read, so only those are probed.
  if (!header_readable()) {
    return 0;
  }
  const auto& sb = m_img.superblock();
  // On non-coherent memory another host wrote the log through its own caches, so each read
  // below drops ours first, for exactly what it reads: the superblock (read_superblock), the
  // log header (Image::log), the last applied entry (find_clobber) and the new entries.
  auto view = m_img.log();
  if (view) {
    u64 first = 0;
    {
      std::shared_lock lock(m_tree_mutex);
      first = m_crc_index != core::k_no_index ? m_crc_index : m_tree.applied();
    }
    const u64 slots = (sb.log_len - log::k_log_header_size) / log::k_log_entry_size;
    const u64 end = std::min(view->size(), slots);
    if (end > first
        && !meta_readable(sb.log_offset + log::entry_offset(first),
                          (end - first) * log::k_log_entry_size)) {
      return 0;
    }
  }
  m_meta_lost.store(false);
  if (!still_healthy(view)) { // reads the header again, under the lock
    return 0;
  }
  if (!view) {
    std::unique_lock lock(m_tree_mutex);
    if (view.error().message != m_last_problem) {
      m_last_problem = view.error().message;
      FAMFS_TRACE(1, "log unreadable; serving the {} entries replayed so far: {}", m_tree.applied(),
                  m_last_problem);
    }
    return 0;
  }
  u64 size = view->size();
  {
    std::shared_lock lock(m_tree_mutex);
    if (m_tree.applied() >= size) {
      return 0;
    }
    if (!force && m_stuck_next_index.load() == size) {
      return 0; // stopped at a bad entry and the log has not grown since
    }
  }
  std::unique_lock lock(m_tree_mutex);
  // Another thread may have applied entries since the header was read: read it again under
  // this lock, or the older header would look like a log that shrank.
  view = m_img.log();
  if (!view) {
    return 0; // the next step reports it
  }
  size = view->size();
  m_log_seen = true;
  if (std::string why = find_clobber(view); !why.empty()) {
    lock.unlock();
    mark_clobbered(why);
    return 0;
  }
  const u64 nodes_before = m_tree.node_count();
  const u64 from = m_tree.applied();
  u64 count = size - std::min(size, from);
  if (m_opts.follow_batch > 0) {
    count = std::min(count, m_opts.follow_batch);
  }
  invalidate_entries(from, count);
  // The created paths are only traced (-vv): without that, replay builds no string per entry.
  core::ReplayReport report = m_tree.catch_up(
      *view, count,
      core::trace_level() >= 2 ? core::Tree::KeepCreated::yes : core::Tree::KeepCreated::no);
  account_new_nodes();
  // A new subdirectory changes its parent's nlink, which the kernel may hold for the attribute
  // timeout: tell it (after the lock is released).
  std::vector<u64> changed_dirs;
  for (u64 ino = nodes_before + 1; ino <= m_tree.node_count(); ++ino) {
    const core::Node* n = m_tree.get(ino);
    if (n != nullptr && n->kind == core::NodeKind::dir) {
      changed_dirs.push_back(n->parent);
    }
  }
  std::sort(changed_dirs.begin(), changed_dirs.end());
  changed_dirs.erase(std::unique(changed_dirs.begin(), changed_dirs.end()), changed_dirs.end());
  if (m_tree.applied() > 0) {
    m_crc_index = m_tree.applied() - 1;
    m_last_crc = log::entry_crc(view->slot(m_crc_index));
  }
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
    if (report.problems.back() != m_last_problem) {
      m_last_problem = report.problems.back();
      FAMFS_TRACE(1, "log: replay stopped at entry {}; serving the valid prefix: {}",
                  m_tree.applied(), m_last_problem);
    }
  } else {
    m_stuck_next_index.store(~0ULL);
    m_last_problem.clear();
  }
  const u64 applied = m_tree.applied() - from;
  lock.unlock();
  notify_attrs_changed(changed_dirs);
  return applied;
}

void Server::notify_attrs_changed(const std::vector<u64>& inos) {
  const int fd = m_notify_fd.load();
  if (fd < 0) {
    return;
  }
  for (u64 ino : inos) {
    const std::vector<std::byte> msg = encode_notify_inval_inode(ino);
    const iovec iov{const_cast<std::byte*>(msg.data()), msg.size()};
    // ENOENT (the kernel holds nothing for this inode) counts as done.
    if (auto w = write_reply(fd, std::span<const iovec>(&iov, 1)); !w) {
      FAMFS_TRACE(1, "notifying the kernel that node {} changed: {}", ino, w.error().message);
    }
  }
}

void Server::account_new_nodes() {
  const u64 au =
      m_img.superblock().alloc_unit == 0 ? log::k_alloc_unit : m_img.superblock().alloc_unit;
  for (u64 ino = m_accounted_nodes + 1; ino <= m_tree.node_count(); ++ino) {
    const core::Node* n = m_tree.get(ino);
    if (n == nullptr || n->kind != core::NodeKind::file) {
      continue;
    }
    for (const auto& e : n->fmap.extents) {
      if (e.offset >= m_dev_size) {
        continue;
      }
      const u64 end = e.offset + std::min(e.len, m_dev_size - e.offset);
      add_used(e.offset / au, (end + au - 1) / au);
    }
  }
  m_accounted_nodes = m_tree.node_count();
}

void Server::add_used(u64 first, u64 end) {
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

// ---- Helpers ----

Attr Server::attr_of(const core::Node& n) const {
  Attr a;
  a.ino = n.ino;
  const bool dir = n.kind == core::NodeKind::dir;
  u32 perm = n.mode & k_perm_mask;
  a.uid = n.uid;
  a.gid = n.gid;
  a.atime = a.mtime = a.ctime = m_start_sec;
  a.atimensec = a.mtimensec = a.ctimensec = m_start_nsec;
  {
    std::lock_guard lock(m_state_mutex);
    auto it = m_inodes.find(n.ino);
    if (it != m_inodes.end()) {
      const InodeState& s = it->second;
      perm = s.mode.value_or(perm);
      a.uid = s.uid.value_or(a.uid);
      a.gid = s.gid.value_or(a.gid);
      if (s.atime) {
        a.atime = s.atime->sec;
        a.atimensec = s.atime->nsec;
      }
      if (s.mtime) {
        a.mtime = s.mtime->sec;
        a.mtimensec = s.mtime->nsec;
      }
      if (s.ctime) {
        a.ctime = s.ctime->sec;
        a.ctimensec = s.ctime->nsec;
      }
    }
  }
  if (dir) {
    a.mode = S_IFDIR | perm;
    a.nlink = 2 + n.subdirs; // cached in the tree: O(1) per GETATTR
    a.size = 4096;
    a.blocks = 8;
  } else {
    if (!m_opts.writable || n.meta) {
      perm &= ~k_write_bits; // what this mount will not let anyone write
    }
    a.mode = S_IFREG | perm;
    a.nlink = 1;
    a.size = n.size;
    a.blocks = (n.fmap.capacity() + 511) / 512;
  }
  a.blksize = k_max_io;
  return a;
}

void Server::add_lookups(u64 ino, u64 n) {
  std::lock_guard lock(m_state_mutex);
  m_inodes[ino].nlookup += n;
}

u64 Server::lookup_count(u64 ino) const {
  std::lock_guard lock(m_state_mutex);
  auto it = m_inodes.find(ino);
  return it == m_inodes.end() ? 0 : it->second.nlookup;
}

u64 Server::applied_entries() const {
  std::shared_lock lock(m_tree_mutex);
  return m_tree.applied();
}

unsigned Server::worker_count() const {
  return m_workers;
}

void Server::snapshot_dir(const core::Node& dir, DirHandle& h) const {
  h.ino = dir.ino;
  h.items.clear();
  h.items.reserve(dir.children.size() + 2);
  h.items.push_back(DirItem{".", dir.ino, true});
  h.items.push_back(DirItem{"..", dir.parent, true});
  for (const auto& [name, ino] : dir.children) {
    const core::Node* c = m_tree.get(ino);
    h.items.push_back(DirItem{name, ino, c != nullptr && c->kind == core::NodeKind::dir});
  }
}

std::vector<log::Piece> Server::pieces_of(const core::Node& n, u64 off, u64 len) const {
  std::vector<log::Piece> out;
  log::for_each_piece(n.fmap, off, len, [&](u64 /*file_off*/, log::Piece p) {
    if (p.dev_off > m_dev_size || p.len > m_dev_size - p.dev_off) {
      return false; // the map points past the device: serve nothing from there on
    }
    if (!out.empty() && out.back().dev_off + out.back().len == p.dev_off) {
      out.back().len += p.len;
    } else {
      out.push_back(p);
    }
    return true;
  });
  return out;
}

// ---- Dispatch ----

Server::Handler Server::handler_for(u32 opcode) const {
  switch (opcode) {
  case FUSE_INIT:
    return &Server::do_init;
  case FUSE_LOOKUP:
    return &Server::do_lookup;
  case FUSE_FORGET:
    return &Server::do_forget;
  case FUSE_BATCH_FORGET:
    return &Server::do_batch_forget;
  case FUSE_GETATTR:
    return &Server::do_getattr;
  case FUSE_SETATTR:
    return &Server::do_setattr;
  case FUSE_OPENDIR:
    return &Server::do_opendir;
  case FUSE_READDIR:
  case FUSE_READDIRPLUS:
    return &Server::do_readdir;
  case FUSE_RELEASEDIR:
    return &Server::do_releasedir;
  case FUSE_OPEN:
    return &Server::do_open;
  case FUSE_READ:
    return &Server::do_read;
  case FUSE_WRITE:
    return &Server::do_write;
  case FUSE_RELEASE:
    return &Server::do_release;
  case FUSE_FLUSH:
    return &Server::do_flush;
  case FUSE_FSYNC:
  case FUSE_FSYNCDIR:
    return &Server::do_fsync;
  case FUSE_STATFS:
    return &Server::do_statfs;
  case FUSE_ACCESS:
    return &Server::do_access;
  case FUSE_GETXATTR:
    return &Server::do_getxattr;
  case FUSE_LISTXATTR:
    return &Server::do_listxattr;
  case FUSE_INTERRUPT:
    return &Server::do_interrupt;
  case FUSE_DESTROY:
    return &Server::do_destroy;
  case FUSE_READLINK:
    return &Server::do_readlink;
  case FUSE_SYMLINK:
  case FUSE_MKNOD:
  case FUSE_MKDIR:
  case FUSE_UNLINK:
  case FUSE_RMDIR:
  case FUSE_RENAME:
  case FUSE_RENAME2:
  case FUSE_LINK:
  case FUSE_CREATE:
  case FUSE_TMPFILE:
  case FUSE_SETXATTR:
  case FUSE_REMOVEXATTR:
  case FUSE_FALLOCATE:
    return &Server::do_refused;
  default:
    return nullptr;
  }
}

Outcome Server::handle(std::span<const std::byte> bytes) {
  auto req = decode_request(bytes);
  if (!req) {
    // Answer when we can address the reply: the unique id sits at bytes [8, 16).
    if (bytes.size() < 16) {
      FAMFS_TRACE(1, "dropping a {}-byte request: {}", bytes.size(), req.error().message);
      return no_reply();
    }
    fuse_in_header h{};
    std::memcpy(&h, bytes.data(), std::min(bytes.size(), sizeof(h)));
    FAMFS_TRACE(1, "malformed request {}: {}", h.unique, req.error().message);
    if (bytes.size() >= k_in_header_size
        && (h.opcode == FUSE_FORGET || h.opcode == FUSE_BATCH_FORGET
            || h.opcode == FUSE_INTERRUPT)) {
      return no_reply(); // these never get a reply, even a malformed one
    }
    Outcome o;
    o.unique = h.unique;
    o.reply = Reply::error(EINVAL);
    return o;
  }
  const Request& r = *req;
  const u32 op = r.header.opcode;
  FAMFS_TRACE(3, "{} unique {} node {} ({} bytes)", opcode_name(op), r.header.unique,
              r.header.nodeid, r.header.len);
  if (!m_initialized.load() && op != FUSE_INIT) {
    return error_to(r, EIO);
  }
  if (op == m_opts.famfs_abi->op_get_fmap || op == m_opts.famfs_abi->op_get_daxdev) {
    // The famfs kernel extension: served only when negotiated at INIT; a kernel that sends
    // these anyway gets ENOSYS.
    if (!m_famfs.load()) {
      FAMFS_TRACE(2, "{}: famfs extension not negotiated", opcode_name(op));
      return error_to(r, ENOSYS);
    }
    return op == m_opts.famfs_abi->op_get_fmap ? do_get_fmap(r) : do_get_daxdev(r);
  }
  Handler h = handler_for(op);
  if (h == nullptr) {
    FAMFS_TRACE(2, "{}: not implemented", opcode_name(op));
    return error_to(r, ENOSYS);
  }
  Outcome o = (this->*h)(r);
  if (o.send && o.reply.error() != 0) {
    FAMFS_TRACE(3, "{} unique {}: error {}", opcode_name(op), r.header.unique, o.reply.error());
  }
  return o;
}

// ---- Handlers ----

Outcome Server::do_init(const Request& r) {
  const auto& in = std::get<InitIn>(r.body);
  if (in.major < k_kernel_major) {
    FAMFS_TRACE(1, "INIT: kernel protocol {}.{} is too old", in.major, in.minor);
    return error_to(r, EPROTO);
  }
  if (in.major > k_kernel_major) {
    // The kernel offers a newer major: answer with ours; it retries INIT with that.
    InitOut o;
    return reply_to(r, init_reply(o));
  }
  if (in.minor < k_min_kernel_minor) {
    FAMFS_TRACE(1, "INIT: kernel protocol 7.{} is older than 7.{}", in.minor, k_min_kernel_minor);
    return error_to(r, EPROTO);
  }
  const u64 want = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_PARALLEL_DIROPS | FUSE_DO_READDIRPLUS
                   | FUSE_READDIRPLUS_AUTO | FUSE_MAX_PAGES | FUSE_ASYNC_DIO | FUSE_INIT_EXT
                   | (static_cast<u64>(k_flags2_direct_io_allow_mmap) << 32);
  const u64 famfs_bit = static_cast<u64>(m_opts.famfs_abi->flags2_dax_fmap) << 32;
  InitOut o;
  o.minor = std::min(in.minor, k_kernel_minor);
  o.flags = want & in.flags;
  if ((in.flags & FUSE_INIT_EXT) == 0) {
    o.flags &= 0xffffffffULL;
  }
  o.max_readahead = std::min(in.max_readahead, k_max_io);
  o.max_write = k_max_io;
  long page = ::sysconf(_SC_PAGESIZE);
  o.max_pages = static_cast<u16>(k_max_io / static_cast<u32>(page > 0 ? page : 4096));
  o.max_background = 64;
  o.congestion_threshold = 48;
  o.time_gran = 1;
  m_minor = o.minor;
  FAMFS_TRACE(1, "INIT: kernel {}.{} flags {:#x}; we speak {}.{} with flags {:#x}", in.major,
              in.minor, in.flags, o.major, o.minor, o.flags);
  // famfs DAX fmaps (fuse-famfs-protocol.md §1): acknowledged iff the kernel offered the bit
  // (which travels in flags2, so only with FUSE_INIT_EXT) and our device can be mapped by it.
  const bool offered = (in.flags & FUSE_INIT_EXT) != 0 && (in.flags & famfs_bit) != 0;
  const bool famfs = offered && m_opts.fmap_capable;
  if (famfs) {
    o.flags |= famfs_bit | FUSE_INIT_EXT;
    FAMFS_TRACE(1, "INIT: famfs DAX fmaps ({}) accepted: the kernel maps file data from {}",
                m_opts.famfs_abi->name,
                m_opts.daxdev_path.empty() ? m_img.device().path() : m_opts.daxdev_path);
  } else if (offered) {
    FAMFS_TRACE(1,
                "INIT: kernel offers famfs DAX fmaps ({}); not acknowledged: the {} backing is "
                "not a devdax device, so this server carries the data itself",
                m_opts.famfs_abi->name, core::to_string(m_img.device().kind()));
  } else {
    FAMFS_TRACE(1, "INIT: no famfs DAX fmaps offered ({} numbering); data path: {}",
                m_opts.famfs_abi->name, k_data_path_userspace);
  }
  m_famfs.store(famfs);
  m_initialized.store(true);
  return reply_to(r, init_reply(o));
}

Outcome Server::do_lookup(const Request& r) {
  const auto& in = std::get<NameIn>(r.body);
  follow_on_demand();
  std::shared_lock lock(m_tree_mutex);
  const core::Node* p = m_tree.get(r.header.nodeid);
  if (p == nullptr) {
    return error_to(r, ENOENT);
  }
  if (p->kind != core::NodeKind::dir) {
    return error_to(r, ENOTDIR);
  }
  const core::Node* n = m_tree.lookup(p->ino, std::string(in.name));
  if (n == nullptr) {
    // A plain ENOENT: the kernel does not cache it, so a file that appears later is found.
    return error_to(r, ENOENT);
  }
  Attr a = attr_of(*n);
  lock.unlock();
  add_lookups(a.ino, 1);
  return reply_to(r, entry_reply(a, k_generation, m_opts.entry_timeout, m_opts.attr_timeout));
}

Outcome Server::do_forget(const Request& r) {
  const auto& in = std::get<ForgetIn>(r.body);
  std::lock_guard lock(m_state_mutex);
  auto it = m_inodes.find(r.header.nodeid);
  if (it != m_inodes.end()) {
    it->second.nlookup -= std::min(it->second.nlookup, in.nlookup);
  }
  return no_reply();
}

Outcome Server::do_batch_forget(const Request& r) {
  const auto& in = std::get<BatchForgetIn>(r.body);
  std::lock_guard lock(m_state_mutex);
  for (const auto& item : in.items) {
    auto it = m_inodes.find(item.nodeid);
    if (it != m_inodes.end()) {
      it->second.nlookup -= std::min(it->second.nlookup, item.nlookup);
    }
  }
  return no_reply();
}

Outcome Server::do_getattr(const Request& r) {
  std::shared_lock lock(m_tree_mutex);
  const core::Node* n = m_tree.get(r.header.nodeid);
  if (n == nullptr) {
    return error_to(r, ENOENT);
  }
  Attr a = attr_of(*n);
  lock.unlock();
  return reply_to(r, attr_reply(a, m_opts.attr_timeout));
}

Outcome Server::do_setattr(const Request& r) {
  const auto& in = std::get<SetattrIn>(r.body);
  std::shared_lock lock(m_tree_mutex);
  const core::Node* n = m_tree.get(r.header.nodeid);
  if (n == nullptr) {
    return error_to(r, ENOENT);
  }
  if ((in.valid & FATTR_SIZE) != 0) {
    if (n->kind == core::NodeKind::dir) {
      return error_to(r, EISDIR);
    }
    if (in.size != n->size) {
      return error_to(r, EPERM); // famfs files never change size
    }
  }
  if ((in.valid & (FATTR_MODE | FATTR_UID | FATTR_GID)) != 0 && n->meta) {
    return error_to(r, EPERM);
  }
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const Time now_t{static_cast<u64>(now.tv_sec), static_cast<u32>(now.tv_nsec)};
  {
    std::lock_guard state_lock(m_state_mutex);
    InodeState& s = m_inodes[n->ino];
    bool changed = false;
    if ((in.valid & FATTR_MODE) != 0) {
      s.mode = in.mode & k_perm_mask;
      changed = true;
    }
    if ((in.valid & FATTR_UID) != 0) {
      s.uid = in.uid;
      changed = true;
    }
    if ((in.valid & FATTR_GID) != 0) {
      s.gid = in.gid;
      changed = true;
    }
    if ((in.valid & FATTR_ATIME) != 0) {
      s.atime = (in.valid & FATTR_ATIME_NOW) != 0 ? now_t : Time{in.atime, in.atimensec};
      changed = true;
    }
    if ((in.valid & FATTR_MTIME) != 0) {
      s.mtime = (in.valid & FATTR_MTIME_NOW) != 0 ? now_t : Time{in.mtime, in.mtimensec};
      changed = true;
    }
    if ((in.valid & FATTR_CTIME) != 0) {
      s.ctime = Time{in.ctime, in.ctimensec};
    } else if (changed) {
      s.ctime = now_t;
    }
  }
  Attr a = attr_of(*n);
  lock.unlock();
  return reply_to(r, attr_reply(a, m_opts.attr_timeout));
}

Outcome Server::do_opendir(const Request& r) {
  follow_on_demand();
  auto h = std::make_shared<DirHandle>();
  {
    std::shared_lock lock(m_tree_mutex);
    const core::Node* n = m_tree.get(r.header.nodeid);
    if (n == nullptr) {
      return error_to(r, ENOENT);
    }
    if (n->kind != core::NodeKind::dir) {
      return error_to(r, ENOTDIR);
    }
    snapshot_dir(*n, *h);
  }
  fuse_open_out out{};
  {
    std::lock_guard lock(m_state_mutex);
    out.fh = m_next_fh++;
    m_dirs[out.fh] = std::move(h);
  }
  // No FOPEN_CACHE_DIR and no FOPEN_KEEP_CACHE: every listing comes from us.
  return reply_to(r, Reply::of(out));
}

Outcome Server::do_readdir(const Request& r) {
  const auto& in = std::get<ReadIn>(r.body);
  const bool plus = r.header.opcode == FUSE_READDIRPLUS;
  std::shared_ptr<DirHandle> h;
  {
    std::lock_guard lock(m_state_mutex);
    auto it = m_dirs.find(in.fh);
    if (it == m_dirs.end() || it->second->ino != r.header.nodeid) {
      return error_to(r, EBADF);
    }
    h = it->second;
  }
  if (in.offset == 0) {
    // A new pass over the directory (first read or rewinddir): pick up new log entries.
    follow_on_demand();
    auto fresh = std::make_shared<DirHandle>();
    {
      std::shared_lock lock(m_tree_mutex);
      const core::Node* n = m_tree.get(h->ino);
      if (n == nullptr) {
        return error_to(r, ENOENT);
      }
      snapshot_dir(*n, *fresh);
    }
    std::lock_guard lock(m_state_mutex);
    m_dirs[in.fh] = fresh;
    h = std::move(fresh);
  }
  DirBuffer buf(std::min<std::size_t>(in.size, k_max_io));
  std::vector<u64> counted;
  {
    std::shared_lock lock(m_tree_mutex);
    for (u64 i = in.offset; i < h->items.size(); ++i) {
      const DirItem& item = h->items[i];
      const u32 type = item.dir ? DT_DIR : DT_REG;
      if (!plus) {
        if (!buf.add(item.name, item.ino, type, i + 1)) {
          break;
        }
        continue;
      }
      if (item.name == "." || item.name == "..") {
        // nodeid 0: no entry and no lookup count, just the name.
        fuse_entry_out e{};
        e.attr.ino = item.ino;
        e.attr.mode = type << 12;
        if (!buf.add_plus(item.name, e, type, i + 1)) {
          break;
        }
        continue;
      }
      const core::Node* n = m_tree.get(item.ino);
      if (n == nullptr) {
        continue;
      }
      fuse_entry_out e =
          make_entry(attr_of(*n), k_generation, m_opts.entry_timeout, m_opts.attr_timeout);
      if (!buf.add_plus(item.name, e, type, i + 1)) {
        break;
      }
      counted.push_back(item.ino);
    }
  }
  if (!counted.empty()) {
    std::lock_guard lock(m_state_mutex);
    for (u64 ino : counted) {
      m_inodes[ino].nlookup++;
    }
  }
  return reply_to(r, Reply::bytes(buf.take()));
}

Outcome Server::do_releasedir(const Request& r) {
  const auto& in = std::get<ReleaseIn>(r.body);
  std::lock_guard lock(m_state_mutex);
  m_dirs.erase(in.fh);
  return reply_to(r, Reply::ok());
}

Outcome Server::do_open(const Request& r) {
  const auto& in = std::get<OpenIn>(r.body);
  if (m_clobbered.load()) {
    return error_to(r, EIO); // the media changed under this mount (status_text says how)
  }
  std::shared_lock lock(m_tree_mutex);
  const core::Node* n = m_tree.get(r.header.nodeid);
  if (n == nullptr) {
    return error_to(r, ENOENT);
  }
  if (n->kind == core::NodeKind::dir) {
    return error_to(r, EISDIR);
  }
  if ((in.flags & O_ACCMODE) != O_RDONLY) {
    if (n->meta) {
      return error_to(r, EPERM);
    }
    if (!m_opts.writable) {
      return error_to(r, EROFS);
    }
  }
  fuse_open_out out{};
  // Direct I/O: every read and write comes to us, so data written by another host (or process
  // on the device) is never hidden behind a stale page cache.
  out.open_flags = FOPEN_DIRECT_IO;
  if (m_opts.writable) {
    out.open_flags |= FOPEN_PARALLEL_DIRECT_WRITES;
  }
  return reply_to(r, Reply::of(out));
}

Outcome Server::do_read(const Request& r) {
  const auto& in = std::get<ReadIn>(r.body);
  if (m_clobbered.load()) {
    return error_to(r, EIO);
  }
  std::vector<log::Piece> pieces;
  {
    std::shared_lock lock(m_tree_mutex);
    const core::Node* n = m_tree.get(r.header.nodeid);
    if (n == nullptr) {
      return error_to(r, ENOENT);
    }
    if (n->kind == core::NodeKind::dir) {
      return error_to(r, EISDIR);
    }
    if (in.offset >= n->size || in.size == 0) {
      return reply_to(r, Reply::ok()); // end of file
    }
    const u64 len = std::min<u64>({in.size, k_max_io, n->size - in.offset});
    pieces = pieces_of(*n, in.offset, len);
  }
  if (pieces.empty()) {
    FAMFS_TRACE(1, "READ node {} offset {}: the file's map does not cover it", r.header.nodeid,
                in.offset);
    return error_to(r, EIO);
  }
  const core::Device& dev = m_img.device();
  if (pieces.size() > k_max_zero_copy_pieces) {
    u64 total = 0;
    for (const auto& p : pieces) {
      total += p.len;
    }
    std::vector<std::byte> copy(total);
    u64 done = 0;
    for (const auto& p : pieces) {
      if (auto c = core::guarded_copy(copy.data() + done, dev.at(p.dev_off), p.len); !c) {
        return media_error_reply(r, c.error());
      }
      done += p.len;
    }
    return reply_to(r, Reply::bytes(std::move(copy)));
  }
  // Zero copy: the reply's iovecs point straight into the device mapping. Lost memory there
  // makes the kernel's copy fail with EFAULT when the reply is written (see serve()).
  Reply reply = Reply::ok();
  for (const auto& p : pieces) {
    reply.add_data(std::span<const std::byte>(dev.at(p.dev_off), p.len));
  }
  return reply_to(r, std::move(reply));
}

Outcome Server::do_write(const Request& r) {
  const auto& in = std::get<WriteIn>(r.body);
  if (m_clobbered.load()) {
    return error_to(r, EIO);
  }
  if (!m_opts.writable || !m_img.device().writable()) {
    return error_to(r, EROFS);
  }
  std::vector<log::Piece> pieces;
  {
    std::shared_lock lock(m_tree_mutex);
    const core::Node* n = m_tree.get(r.header.nodeid);
    if (n == nullptr) {
      return error_to(r, ENOENT);
    }
    if (n->kind == core::NodeKind::dir) {
      return error_to(r, EISDIR);
    }
    if (n->meta) {
      return error_to(r, EPERM);
    }
    if (in.size == 0) {
      fuse_write_out out{};
      return reply_to(r, Reply::of(out));
    }
    if (in.offset >= n->size) {
      return error_to(r, EPERM); // famfs files never grow
    }
    const u64 len = std::min<u64>(in.size, n->size - in.offset);
    pieces = pieces_of(*n, in.offset, len);
  }
  const u64 reserved = log::first_data_offset(m_img.superblock().log_len);
  u64 done = 0;
  const core::Device& dev = m_img.device();
  for (const auto& p : pieces) {
    if (p.dev_off < reserved) {
      FAMFS_TRACE(1, "WRITE node {}: map points into the superblock or log; refused",
                  r.header.nodeid);
      break;
    }
    if (auto c = core::guarded_copy(dev.at(p.dev_off), in.data.data() + done, p.len); !c) {
      return media_error_reply(r, c.error());
    }
    done += p.len;
  }
  if (done == 0) {
    return error_to(r, EIO);
  }
  fuse_write_out out{};
  out.size = static_cast<u32>(done);
  return reply_to(r, Reply::of(out));
}

Outcome Server::do_release(const Request& r) {
  return reply_to(r, Reply::ok());
}

Outcome Server::do_flush(const Request& r) {
  return reply_to(r, Reply::ok());
}

Outcome Server::do_fsync(const Request& r) {
  if (r.header.opcode == FUSE_FSYNCDIR) {
    return reply_to(r, Reply::ok());
  }
  std::vector<log::Piece> pieces;
  {
    std::shared_lock lock(m_tree_mutex);
    const core::Node* n = m_tree.get(r.header.nodeid);
    if (n == nullptr) {
      return error_to(r, ENOENT);
    }
    if (n->kind == core::NodeKind::dir) {
      return reply_to(r, Reply::ok());
    }
    pieces = pieces_of(*n, 0, n->size);
  }
  if (!m_img.device().writable()) {
    return reply_to(r, Reply::ok()); // nothing of ours to persist on a read-only mapping
  }
  for (const auto& p : pieces) {
    auto done = m_img.device().persist(p.dev_off, p.len);
    if (!done) {
      FAMFS_TRACE(1, "FSYNC node {}: {}", r.header.nodeid, done.error().message);
      return error_to(r, to_errno(done.error()));
    }
  }
  return reply_to(r, Reply::ok());
}

Outcome Server::do_statfs(const Request& r) {
  const auto& sb = m_img.superblock();
  const u64 au = sb.alloc_unit == 0 ? log::k_alloc_unit : sb.alloc_unit;
  fuse_statfs_out out{};
  {
    std::shared_lock lock(m_tree_mutex);
    out.st.blocks = m_dev_size / au;
    out.st.bfree = out.st.blocks - std::min(out.st.blocks, m_used_au_count);
    out.st.files = m_tree.node_count();
  }
  out.st.bavail = out.st.bfree;
  // Inodes: every log slot can become one; the free ones are the slots left. The log header is
  // only read when refresh() found the metadata readable (not clobbered, no media error).
  if (!m_clobbered.load() && !m_meta_lost.load()) {
    if (auto view = m_img.log(); view) {
      out.st.ffree = view->header().last_index + 1 - view->header().next_index;
    }
  }
  out.st.files += out.st.ffree;
  out.st.bsize = static_cast<u32>(au);
  out.st.frsize = static_cast<u32>(au);
  out.st.namelen = static_cast<u32>(log::k_max_pathlen - 1);
  return reply_to(r, Reply::of(out));
}

Outcome Server::do_access(const Request& r) {
  const auto& in = std::get<AccessIn>(r.body);
  std::shared_lock lock(m_tree_mutex);
  const core::Node* n = m_tree.get(r.header.nodeid);
  if (n == nullptr) {
    return error_to(r, ENOENT);
  }
  if ((in.mask & W_OK) != 0 && n->kind == core::NodeKind::file) {
    if (n->meta) {
      return error_to(r, EACCES);
    }
    if (!m_opts.writable) {
      return error_to(r, EROFS);
    }
  }
  return reply_to(r, Reply::ok());
}

namespace {

// A GETXATTR/LISTXATTR answer: the size when asked for it (size 0), ERANGE when it does not fit.
Reply xattr_value(u32 asked, std::string_view value) {
  if (asked == 0) {
    fuse_getxattr_out out{};
    out.size = static_cast<u32>(value.size());
    return Reply::of(out);
  }
  if (value.size() > asked) {
    return Reply::error(ERANGE);
  }
  const auto* p = reinterpret_cast<const std::byte*>(value.data());
  return Reply::bytes(std::vector<std::byte>(p, p + value.size()));
}

} // namespace

std::variant<std::string, int> Server::xattr_of(u64 ino, std::string_view name) const {
  // Only the user namespace exists here. security.*, system.* (POSIX ACLs) and trusted.* get
  // EOPNOTSUPP, not ENODATA: `ls -l` asks for security.selinux and system.posix_acl_access on
  // every file, and stops asking for the rest of a device once it is told "not supported"
  // (coreutils caches that per st_dev), so a listing costs two round trips in all instead of
  // two per file. (ENOSYS would stop the kernel sending GETXATTR at all, our names included.)
  if (!name.starts_with("user.")) {
    return EOPNOTSUPP;
  }
  if ((name == k_status_xattr || name == k_logplay_xattr) && ino == core::k_root_ino) {
    return status_text();
  }
  std::shared_lock lock(m_tree_mutex);
  const core::Node* n = m_tree.get(ino);
  if (n == nullptr) {
    return ENOENT;
  }
  if (name == k_fmap_xattr && n->kind == core::NodeKind::file) {
    return log::fmap_text(n->fmap);
  }
  return ENODATA;
}

Outcome Server::do_getxattr(const Request& r) {
  const auto& in = std::get<GetxattrIn>(r.body);
  if (in.name == k_logplay_xattr && r.header.nodeid == core::k_root_ino) {
    refresh(true); // famfs logplay: follow the log now, whatever the follow interval
  }
  auto v = xattr_of(r.header.nodeid, in.name);
  if (const int* err = std::get_if<int>(&v)) {
    return error_to(r, *err);
  }
  return reply_to(r, xattr_value(in.size, std::get<std::string>(v)));
}

Outcome Server::do_listxattr(const Request& r) {
  const auto& in = std::get<GetxattrIn>(r.body);
  std::string list;
  {
    std::shared_lock lock(m_tree_mutex);
    const core::Node* n = m_tree.get(r.header.nodeid);
    if (n == nullptr) {
      return error_to(r, ENOENT);
    }
    if (n->kind == core::NodeKind::file) {
      list.append(k_fmap_xattr);
      list.push_back('\0');
    }
    if (n->ino == core::k_root_ino) {
      list.append(k_status_xattr);
      list.push_back('\0');
    }
  }
  return reply_to(r, xattr_value(in.size, list));
}

Outcome Server::do_interrupt(const Request& r) {
  // Every handler finishes quickly and never blocks, so there is nothing to cancel: the
  // interrupted request gets its normal reply. INTERRUPT itself never gets one.
  FAMFS_TRACE(3, "INTERRUPT of request {}", std::get<InterruptIn>(r.body).unique);
  return no_reply();
}

Outcome Server::do_destroy(const Request& r) {
  FAMFS_TRACE(1, "DESTROY: the kernel is done with this mount");
  m_done.store(true);
  Outcome o = reply_to(r, Reply::ok());
  o.destroy = true;
  return o;
}

Outcome Server::do_readlink(const Request& r) {
  return error_to(r, EINVAL);
}

Outcome Server::do_refused(const Request& r) {
  FAMFS_TRACE(2, "{} refused: famfs files and directories are made through the log",
              opcode_name(r.header.opcode));
  return error_to(r, EPERM);
}

Outcome Server::do_get_fmap(const Request& r) {
  // in_header.nodeid is the file; no body (fuse-famfs-protocol.md §2, §3). Any failure fails
  // the kernel's open(2), so every refusal is traced with the reason.
  if (m_clobbered.load()) {
    // No map into media that changed under this mount: the kernel would read another file
    // system's bytes through it.
    FAMFS_TRACE(1, "GET_FMAP node {}: the file system was clobbered; open fails with EIO",
                r.header.nodeid);
    return error_to(r, EIO);
  }
  std::vector<std::byte> msg;
  {
    std::shared_lock lock(m_tree_mutex);
    const core::Node* n = m_tree.get(r.header.nodeid);
    if (n == nullptr) {
      FAMFS_TRACE(1, "GET_FMAP node {}: no such node", r.header.nodeid);
      return error_to(r, ENOENT);
    }
    if (n->kind != core::NodeKind::file) {
      FAMFS_TRACE(1, "GET_FMAP node {}: not a regular file", r.header.nodeid);
      return error_to(r, EINVAL);
    }
    // file_size is exactly what attr_of reports as st_size (n->size): the kernel marks the file
    // bad if the two ever differ.
    auto enc = encode_famfs_fmap(n->fmap, n->size, *m_opts.famfs_abi);
    if (!enc) {
      FAMFS_TRACE(1,
                  "GET_FMAP node {} ({}): the kernel cannot take this map, open fails with EIO: "
                  "{}",
                  r.header.nodeid, log::fmap_text(n->fmap), enc.error().message);
      return error_to(r, EIO);
    }
    msg = std::move(*enc);
  }
  FAMFS_TRACE(3, "GET_FMAP node {}: {} bytes", r.header.nodeid, msg.size());
  return reply_to(r, Reply::bytes(std::move(msg)));
}

Outcome Server::do_get_daxdev(const Request& r) {
  // in_header.nodeid is the daxdev index; we serve one device, index 0.
  if (r.header.nodeid != 0) {
    FAMFS_TRACE(1, "GET_DAXDEV index {}: this file system has only device 0", r.header.nodeid);
    return error_to(r, EINVAL);
  }
  const std::string& path = m_opts.daxdev_path.empty() ? m_img.device().path() : m_opts.daxdev_path;
  auto enc = encode_famfs_daxdev(path);
  if (!enc) {
    FAMFS_TRACE(1, "GET_DAXDEV 0: {}", enc.error().message);
    return error_to(r, ENAMETOOLONG);
  }
  FAMFS_TRACE(2, "GET_DAXDEV 0: {}", path);
  return reply_to(r, Reply::bytes(std::move(*enc)));
}

// ---- Media errors ----

bool Server::header_readable() {
  return meta_readable(0, log::k_superblock_size)
         && meta_readable(m_img.superblock().log_offset, log::k_log_header_size);
}

bool Server::crc_entry_readable() {
  u64 index = core::k_no_index;
  {
    std::shared_lock lock(m_tree_mutex);
    index = m_crc_index;
  }
  return index == core::k_no_index
         || meta_readable(m_img.superblock().log_offset + log::entry_offset(index),
                          log::k_log_entry_size);
}

bool Server::meta_readable(u64 off, u64 len) {
  auto probe = core::guarded_probe(m_img.device().at(off), len);
  if (probe) {
    return true;
  }
  m_meta_lost.store(true);
  std::unique_lock lock(m_tree_mutex);
  if (probe.error().message != m_last_problem) {
    m_media_errors.fetch_add(1); // once per lost place, not once per poll
    m_last_problem = probe.error().message;
    FAMFS_TRACE(0, "log: {}; serving the {} entries replayed so far", m_last_problem,
                m_tree.applied());
  }
  return false;
}

Outcome Server::media_error_reply(const Request& r, const Error& e) {
  m_media_errors.fetch_add(1);
  FAMFS_TRACE(0, "{} node {}: {}; replying EIO", opcode_name(r.header.opcode), r.header.nodeid,
              e.message);
  return error_to(r, EIO);
}

void Server::reply_fault(int fd, const Outcome& o) {
  // The kernel could not read a zero-copy piece of a READ reply: device memory under it is
  // gone (the kernel's copy gets EFAULT where a user access would get SIGBUS). Find which
  // piece, under a guard, for the trace. The kernel has already failed the request with EIO;
  // our own EIO reply is for a kernel that did not, and is ignored (ENOENT) otherwise.
  m_media_errors.fetch_add(1);
  std::string what = "a device page that cannot be read";
  for (const auto& piece : o.reply.data()) {
    if (auto probe = core::guarded_probe(piece.data(), piece.size()); !probe) {
      what = probe.error().message;
      break;
    }
  }
  FAMFS_TRACE(0, "READ reply to request {}: {}; replying EIO", o.unique, what);
  std::array<std::byte, k_out_header_size> hdr{};
  auto iov = reply_iovecs(Reply::error(EIO), o.unique, hdr);
  if (auto w = write_reply(fd, iov); !w) {
    FAMFS_TRACE(2, "EIO reply to request {}: {}", o.unique, w.error().message);
  }
}

// ---- Loops ----

Result<void> Server::serve(int fd) {
  std::vector<std::byte> buf(k_request_buffer);
  for (;;) {
    FAMFS_TRY_ASSIGN(std::size_t n, read_request(fd, buf));
    if (n == 0) {
      return {};
    }
    Outcome o = handle(std::span<const std::byte>(buf.data(), n));
    if (o.send) {
      std::array<std::byte, k_out_header_size> hdr{};
      auto iov = reply_iovecs(o.reply, o.unique, hdr);
      auto w = write_reply(fd, iov);
      if (!w && w.error().sys_errno == EFAULT && !o.reply.data().empty()) {
        reply_fault(fd, o);
      } else if (!w) {
        FAMFS_TRACE(1, "reply to request {}: {}", o.unique, w.error().message);
      }
    }
    if (o.destroy) {
      return {};
    }
  }
}

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

} // namespace

void Server::housekeeping(Channel& ch) {
  const sigset_t set = stop_signals();
  const bool following = m_opts.follow_interval.count() > 0;
  const auto ms = following ? m_opts.follow_interval.count() : k_clobber_check_interval.count();
  const timespec tick{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1000000)};
  while (!m_done.load()) {
    int sig = ::sigtimedwait(&set, nullptr, &tick);
    if (sig > 0) {
      FAMFS_TRACE(1, "signal {}: unmounting {}", sig, ch.mountpoint());
      auto r = unmount(ch.mountpoint(), Lazy::no);
      if (!r && r.error().code == Errc::busy) {
        FAMFS_TRACE(1, "{}; detaching it (the daemon serves open files until they close)",
                    r.error().message);
        r = unmount(ch.mountpoint(), Lazy::yes);
      }
      if (!r && r.error().sys_errno == EINVAL) {
        FAMFS_TRACE(2, "{} was already unmounted", ch.mountpoint());
      } else if (!r) {
        FAMFS_TRACE(1, "unmount: {}", r.error().message);
      }
      continue;
    }
    if (following) {
      refresh(true);
    } else if (!m_clobbered.load()) {
      if (header_readable() && crc_entry_readable()) {
        auto view = m_img.log();
        (void)still_healthy(view); // frozen view, but still watching for clobbering
      }
    }
  }
}

namespace {

// Blocks the stop signals for its lifetime, so that every thread started meanwhile inherits the
// mask and only the housekeeping thread receives them (sigtimedwait).
class BlockStopSignals {
public:
  BlockStopSignals() {
    const sigset_t set = stop_signals();
    ::pthread_sigmask(SIG_BLOCK, &set, &m_old);
  }
  ~BlockStopSignals() { ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }
  BlockStopSignals(const BlockStopSignals&) = delete;
  BlockStopSignals& operator=(const BlockStopSignals&) = delete;

private:
  sigset_t m_old{};
};

} // namespace

Result<void> Server::run(Channel& ch, const std::function<void()>& on_ready) {
  BlockStopSignals blocked;

  std::vector<std::byte> buf(k_request_buffer);
  while (!m_initialized.load()) {
    auto n = read_request(ch.fd(), buf);
    if (!n) {
      return with_context(std::move(n).error(), "waiting for FUSE INIT");
    }
    if (*n == 0) {
      return fail(Errc::io, "{}: the kernel closed the connection before INIT", ch.mountpoint());
    }
    Outcome o = handle(std::span<const std::byte>(buf.data(), *n));
    if (o.send) {
      std::array<std::byte, k_out_header_size> hdr{};
      auto iov = reply_iovecs(o.reply, o.unique, hdr);
      FAMFS_TRY(write_reply(ch.fd(), iov));
    }
  }
  buf = {};
  set_notify_fd(ch.fd());
  if (on_ready) {
    on_ready();
  }

  unsigned n = m_opts.threads;
  if (n == 0) {
    n = std::clamp(std::thread::hardware_concurrency(), 2U, 16U);
  }
  m_workers = n;
  std::vector<core::UniqueFd> fds;
  std::vector<int> worker_fds;
  for (unsigned i = 0; i < n; ++i) {
    if (i == 0) {
      worker_fds.push_back(ch.fd());
      continue;
    }
    auto c = ch.clone();
    if (!c) {
      // Workers can share one descriptor; cloning only spreads the kernel's queue locking.
      FAMFS_TRACE(1, "worker {}: {}; sharing the main descriptor", i, c.error().message);
      worker_fds.push_back(ch.fd());
      continue;
    }
    worker_fds.push_back(c->get());
    fds.push_back(std::move(*c));
  }
  FAMFS_TRACE(1, "serving {} with {} workers", ch.mountpoint(), n);
  std::thread keeper(&Server::housekeeping, this, std::ref(ch));
  std::vector<std::thread> workers;
  workers.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    workers.emplace_back([this, fd = worker_fds[i], i] {
      auto r = serve(fd);
      if (!r) {
        FAMFS_TRACE(1, "worker {}: {}", i, r.error().message);
      }
    });
  }
  for (auto& t : workers) {
    t.join();
  }
  set_notify_fd(-1); // the connection is gone
  m_done.store(true);
  keeper.join();
  FAMFS_TRACE(1, "{}: unmounted; server stopped", ch.mountpoint());
  return {};
}

} // namespace famfs::fuse
