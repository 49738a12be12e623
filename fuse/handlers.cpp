// The handlers of the connection, the namespace, attributes, directories and xattrs. The file
// data handlers (OPEN, READ, WRITE, FSYNC) and the famfs extension are in file_handlers.cpp.
#include "fuse/handlers.hpp"

#include "core/trace.hpp"
#include "fuse/ops.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>

namespace famfs::fuse {

namespace {

constexpr u32 k_perm_mask = 07777;

// True when a SETATTR asks for nothing but what `a` already holds (mode bits as shown or as
// logged, owner, times).
bool setattr_changes_nothing(const SetattrIn& in, const Attr& a, u32 logged_mode) {
  const u32 want = in.mode & k_perm_mask;
  const bool same_mode = (in.valid & FATTR_MODE) == 0 || want == (a.mode & k_perm_mask)
                         || want == (logged_mode & k_perm_mask);
  const bool same_owner = ((in.valid & FATTR_UID) == 0 || in.uid == a.uid)
                          && ((in.valid & FATTR_GID) == 0 || in.gid == a.gid);
  const bool same_times =
      (in.valid & (FATTR_ATIME_NOW | FATTR_MTIME_NOW)) == 0
      && ((in.valid & FATTR_ATIME) == 0 || (in.atime == a.atime && in.atimensec == a.atimensec))
      && ((in.valid & FATTR_MTIME) == 0 || (in.mtime == a.mtime && in.mtimensec == a.mtimensec));
  return same_mode && same_owner && same_times;
}
constexpr u32 k_write_bits = S_IWUSR | S_IWGRP | S_IWOTH;
constexpr u64 k_generation = 1; // nodeids are never reused, so one generation suffices

// A directory's st_blksize: about what its whole READDIRPLUS listing takes (names of up to 32
// bytes), a power of two from a page to k_max_io. glibc sizes a reader's getdents buffer from it
// (32 KiB at least), and Linux (6.14 on) asks us for as much as getdents asks for: a directory
// fits one round trip, and a small one does not cost the kernel a 1 MiB buffer per request.
u32 dir_blksize(std::size_t children) {
  constexpr std::size_t k_entry = sizeof(fuse_direntplus) + 32;
  const std::size_t want = (children + 2) * k_entry; // with "." and ".."
  return static_cast<u32>(std::bit_ceil(std::clamp<std::size_t>(want, 4096, k_max_io)));
}

} // namespace

NodeOrErrno node_or_errno(const TreeReader& tree, u64 ino, Want want) {
  const core::Node* n = tree->get(ino);
  if (n == nullptr) {
    return {nullptr, ENOENT};
  }
  if (want == Want::dir && n->kind != core::NodeKind::dir) {
    return {nullptr, ENOTDIR};
  }
  return {n, 0};
}

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

Handlers::Handlers(core::Image& img,
                   const ServerOptions& opts,
                   LogFollower& log,
                   InodeTable& inodes)
    : m_img(img), m_opts(opts), m_log(log), m_inodes(inodes), m_dev_size(img.device().size()),
      m_start(log.started()) {}

MountStatus Handlers::status() const {
  MountStatus s;
  s.pid = static_cast<u64>(::getpid());
  s.role = m_opts.role;
  s.host_uuid = m_opts.host_uuid;
  s.fs_uuid = m_log.fs_uuid().str();
  s.entries_applied = m_log.applied();
  s.healthy = !m_log.health().clobbered();
  s.reason = m_log.health().clobber_reason();
  s.data_path = m_famfs.load() ? k_data_path_kernel : k_data_path_userspace;
  s.writable = m_opts.writable;
  s.non_coherent = m_opts.non_coherent;
  s.follow_interval_ms = static_cast<u64>(m_opts.follow_interval.count());
  s.media_errors = m_log.health().media_errors();
  s.page_cache = page_cached();
  s.transport = m_io_uring.load() ? k_transport_io_uring : k_transport_dev_fuse;
  return s;
}

void Handlers::follow_on_demand() {
  if (m_opts.follow_interval.count() > 0) {
    m_log.step(RetryBadEntry::no);
  }
}

Attr Handlers::attr_of(const TreeReader& tree, const core::Node& n) const {
  Attr a;
  a.ino = n.ino;
  u32 perm = n.mode & k_perm_mask;
  a.uid = n.uid;
  a.gid = n.gid;
  // The log keeps no times: every inode shows the time the mount started, but a directory
  // that gained names since shows when it last did as its mtime and ctime.
  a.atime = a.mtime = a.ctime = m_start.sec;
  a.atimensec = a.mtimensec = a.ctimensec = m_start.nsec;
  a.blksize = k_max_io;
  if (n.kind == core::NodeKind::dir) {
    if (const Time* t = tree.changed(n.ino); t != nullptr) {
      a.mtime = a.ctime = t->sec;
      a.mtimensec = a.ctimensec = t->nsec;
    }
    a.mode = S_IFDIR | perm;
    a.nlink = 2 + n.subdirs; // cached in the tree: O(1) per GETATTR
    a.size = 4096;
    a.blocks = 8;
    a.blksize = dir_blksize(n.children.size());
  } else {
    if (!m_opts.writable || n.meta) {
      perm &= ~k_write_bits; // what this mount will not let anyone write
    }
    a.mode = S_IFREG | perm;
    a.nlink = 1;
    a.size = n.size;
    a.blocks = (n.fmap.capacity() + 511) / 512;
  }
  return a;
}

// ---- The connection ----

Outcome Handlers::do_init(const Request& r) {
  const auto& in = std::get<InitIn>(r.body);
  if (in.major < k_kernel_major) {
    FAMFS_TRACE(1, "INIT: kernel protocol {}.{} is too old", in.major, in.minor);
    return error_to(r, EPROTO);
  }
  if (in.major > k_kernel_major) {
    // The kernel offers a newer major: answer with ours; it retries INIT with that.
    return reply_to(r, init_reply(InitOut{}));
  }
  if (in.minor < k_min_kernel_minor) {
    FAMFS_TRACE(1, "INIT: kernel protocol 7.{} is older than 7.{}", in.minor, k_min_kernel_minor);
    return error_to(r, EPROTO);
  }
  // FUSE_AUTO_INVAL_DATA: the kernel checks a directory's mtime when a listing starts and drops
  // its cached listing when the mtime changed (do_opendir); files' mtimes never change, so
  // their cached pages (page-cache mode) are not dropped by it.
  const u64 want = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_PARALLEL_DIROPS | FUSE_DO_READDIRPLUS
                   | FUSE_READDIRPLUS_AUTO | FUSE_AUTO_INVAL_DATA | FUSE_MAX_PAGES | FUSE_ASYNC_DIO
                   | FUSE_INIT_EXT | (static_cast<u64>(k_flags2_direct_io_allow_mmap) << 32);
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
  FAMFS_TRACE(1, "INIT: kernel {}.{} flags {:#x}; we speak {}.{} with flags {:#x}", in.major,
              in.minor, in.flags, o.major, o.minor, o.flags);
  // famfs DAX fmaps (fuse-famfs-protocol.md §1): fuse/kernel_abi.cpp famfs_init_decision.
  const auto d = famfs_init_decision(*m_opts.famfs_abi, in.minor, in.flags, m_opts.fmap_capable,
                                     m_opts.famfs_any_minor);
  o.flags = (o.flags | d.add_flags) & ~d.drop_flags;
  // FUSE over io_uring, when the kernel offers it and the server has its rings ready.
  const u64 over_io_uring = static_cast<u64>(k_flags2_over_io_uring) << 32;
  if (m_opts.io_uring_ready && (in.flags & FUSE_INIT_EXT) != 0) {
    o.flags |= in.flags & over_io_uring;
  }
  FAMFS_TRACE(1, "INIT: {}; data path: {}", d.reason,
              d.famfs ? fmt::format("{}, from {}", k_data_path_kernel, daxdev_path())
                      : std::string(k_data_path_userspace));
  const bool famfs = d.famfs;
  m_cache_dirs.store((o.flags & FUSE_AUTO_INVAL_DATA) != 0);
  m_famfs_refusal = famfs_mode_refusal(d);
  m_minor.store(o.minor);
  m_famfs.store(famfs);
  m_initialized.store(true);
  return reply_to(r, init_reply(o));
}

Outcome Handlers::do_interrupt(const Request& r) {
  // Every handler finishes quickly and never blocks, so there is nothing to cancel: the
  // interrupted request gets its normal reply. INTERRUPT itself never gets one.
  FAMFS_TRACE(3, "INTERRUPT of request {}", std::get<InterruptIn>(r.body).unique);
  return no_reply();
}

Outcome Handlers::do_destroy(const Request& r) {
  FAMFS_TRACE(1, "DESTROY: the kernel is done with this mount");
  Outcome o = reply_to(r, Reply::ok());
  o.destroy = true;
  return o;
}

Outcome Handlers::do_refused(const Request& r) {
  FAMFS_TRACE(2, "{} refused: famfs files and directories are made through the log",
              opcode_name(r.header.opcode));
  return error_to(r, EPERM);
}

Outcome Handlers::do_readlink(const Request& r) {
  return error_to(r, EINVAL);
}

// ---- Names and attributes ----

Outcome Handlers::do_lookup(const Request& r) {
  const auto& in = std::get<NameIn>(r.body);
  follow_on_demand();
  TreeReader tree = m_log.read_tree();
  const auto [p, err] = node_or_errno(tree, r.header.nodeid, Want::dir);
  if (err != 0) {
    return error_to(r, err);
  }
  const core::Node* n = tree->lookup(p->ino, in.name);
  if (n == nullptr) {
    // A plain ENOENT: the kernel does not cache it, so a file that appears later is found.
    return error_to(r, ENOENT);
  }
  Attr a = attr_of(tree, *n);
  tree.unlock();
  m_inodes.add_lookups(a.ino, 1);
  return reply_to(r, entry_reply(a, k_generation, m_opts.entry_timeout, m_opts.attr_timeout));
}

Outcome Handlers::do_forget(const Request& r) {
  m_inodes.forget(r.header.nodeid, std::get<ForgetIn>(r.body).nlookup);
  return no_reply();
}

Outcome Handlers::do_batch_forget(const Request& r) {
  m_inodes.forget(std::get<BatchForgetIn>(r.body).items);
  return no_reply();
}

Outcome Handlers::do_getattr(const Request& r) {
  TreeReader tree = m_log.read_tree();
  const auto [n, err] = node_or_errno(tree, r.header.nodeid);
  if (err != 0) {
    return error_to(r, err);
  }
  Attr a = attr_of(tree, *n);
  tree.unlock();
  return reply_to(r, attr_reply(a, m_opts.attr_timeout));
}

Outcome Handlers::do_setattr(const Request& r) {
  const auto& in = std::get<SetattrIn>(r.body);
  TreeReader tree = m_log.read_tree();
  const auto [n, err] = node_or_errno(tree, r.header.nodeid);
  if (err != 0) {
    return error_to(r, err);
  }
  if ((in.valid & FATTR_SIZE) != 0) {
    if (n->kind == core::NodeKind::dir) {
      return error_to(r, EISDIR);
    }
    if (in.size != n->size) {
      return error_to(r, EPERM); // famfs files never change size
    }
  }
  // Mode, owner and times cannot be kept: the log (OMF 2.2) has no entry for a change, so a
  // SETATTR that would change one is refused like every other metadata change through the
  // mount. One that sets what is already there (chmod to the same mode) succeeds.
  if (!setattr_changes_nothing(in, attr_of(tree, *n), n->mode)) {
    return error_to(r, EPERM);
  }
  Attr a = attr_of(tree, *n);
  tree.unlock();
  return reply_to(r, attr_reply(a, m_opts.attr_timeout));
}

Outcome Handlers::do_access(const Request& r) {
  const auto& in = std::get<AccessIn>(r.body);
  TreeReader tree = m_log.read_tree();
  const auto [n, err] = node_or_errno(tree, r.header.nodeid);
  if (err != 0) {
    return error_to(r, err);
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

Outcome Handlers::do_statfs(const Request& r) {
  const FsCounts c = m_log.counts();
  fuse_statfs_out out{};
  out.st.blocks = c.blocks;
  out.st.bfree = c.bfree;
  out.st.bavail = c.bfree;
  out.st.files = c.files;
  out.st.ffree = c.ffree;
  out.st.bsize = static_cast<u32>(c.unit);
  out.st.frsize = static_cast<u32>(c.unit);
  out.st.namelen = static_cast<u32>(log::k_max_pathlen - 1);
  return reply_to(r, Reply::of(out));
}

// ---- Directories ----

void Handlers::snapshot_dir(const TreeReader& tree, const core::Node& dir, DirHandle& h) const {
  h.ino = dir.ino;
  h.parent = dir.parent;
  h.listed = true;
  h.children.clear();
  h.children.reserve(dir.children.size());
  for (const core::Node* c : tree->sorted_children(dir)) {
    h.children.push_back(c->ino);
  }
}

Outcome Handlers::do_opendir(const Request& r) {
  // Catch up first: a listing shows every entry applied before it started, and the step has
  // told the kernel which directories gained names (their cached listings are dropped, their
  // mtimes changed) before this reply lets the kernel serve one from its cache.
  follow_on_demand();
  auto h = std::make_shared<DirHandle>();
  {
    TreeReader tree = m_log.read_tree();
    const auto [n, err] = node_or_errno(tree, r.header.nodeid, Want::dir);
    if (err != 0) {
      return error_to(r, err);
    }
    h->ino = n->ino; // the children are taken by the first READDIR, when the kernel asks
  }
  fuse_open_out out{};
  out.fh = m_inodes.open_dir(std::move(h));
  // The kernel keeps the listing it got from us and serves later ones from it (FOPEN_CACHE_DIR),
  // across opens (FOPEN_KEEP_CACHE), until the directory's mtime changes: a follow step that adds
  // a name gives it a new one and drops its attributes (LogFollower::step), and the kernel asks
  // for the mtime when a listing starts (FUSE_AUTO_INVAL_DATA, without which nothing is cached).
  if (m_cache_dirs.load()) {
    out.open_flags = FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE;
  }
  return reply_to(r, Reply::of(out));
}

Outcome Handlers::do_readdir(const Request& r) {
  return list_dir(r, Listing::names);
}

Outcome Handlers::do_readdirplus(const Request& r) {
  return list_dir(r, Listing::entries);
}

std::shared_ptr<const DirHandle> Handlers::listing_of(const ReadIn& in, u64 ino, int& err) {
  std::shared_ptr<const DirHandle> h = m_inodes.dir(in.fh, ino);
  if (h == nullptr) {
    err = EBADF;
    return nullptr;
  }
  if (in.offset != 0 && h->listed) {
    return h;
  }
  // A new pass (the first read, or a rewinddir): new log entries first, then what the tree
  // holds now.
  follow_on_demand();
  auto fresh = std::make_shared<DirHandle>();
  {
    TreeReader tree = m_log.read_tree();
    const auto [n, e] = node_or_errno(tree, h->ino);
    if (e != 0) {
      err = e;
      return nullptr;
    }
    snapshot_dir(tree, *n, *fresh);
  }
  m_inodes.replace_dir(in.fh, fresh);
  return fresh;
}

Outcome Handlers::list_dir(const Request& r, Listing listing) {
  const auto& in = std::get<ReadIn>(r.body);
  int err = 0;
  const std::shared_ptr<const DirHandle> h = listing_of(in, r.header.nodeid, err);
  if (h == nullptr) {
    return error_to(r, err);
  }
  DirBuffer buf(std::min<std::size_t>(in.size, k_max_io));
  std::vector<u64> counted;
  const bool plus = listing == Listing::entries;
  TreeReader tree = m_log.read_tree();
  const u64 end = h->children.size() + 2;
  for (u64 i = in.offset; i < end; ++i) {
    if (i < 2) {
      // "." and "..": the name only (in READDIRPLUS nodeid 0: no entry, no lookup count).
      const u64 ino = i == 0 ? h->ino : h->parent;
      fuse_entry_out e{};
      e.attr.ino = ino;
      e.attr.mode = DT_DIR << 12;
      const std::string_view name = i == 0 ? "." : "..";
      if (!(plus ? buf.add_plus(name, e, DT_DIR, i + 1) : buf.add(name, ino, DT_DIR, i + 1))) {
        break;
      }
      continue;
    }
    const core::Node* n = tree->get(h->children[i - 2]);
    if (n == nullptr) {
      continue;
    }
    const u32 type = n->kind == core::NodeKind::dir ? DT_DIR : DT_REG;
    if (!plus) {
      if (!buf.add(n->name, n->ino, type, i + 1)) {
        break;
      }
      continue;
    }
    const fuse_entry_out e =
        make_entry(attr_of(tree, *n), k_generation, m_opts.entry_timeout, m_opts.attr_timeout);
    if (!buf.add_plus(n->name, e, type, i + 1)) {
      break;
    }
    counted.push_back(n->ino);
  }
  tree.unlock();
  m_inodes.add_lookups(counted);
  return reply_to(r, Reply::bytes(buf.take()));
}

Outcome Handlers::do_releasedir(const Request& r) {
  m_inodes.close_dir(std::get<ReleaseIn>(r.body).fh);
  return reply_to(r, Reply::ok());
}

// ---- Extended attributes ----

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

std::variant<std::string, int> Handlers::xattr_of(u64 ino, std::string_view name) const {
  // Only the user namespace exists here. security.*, system.* (POSIX ACLs) and trusted.* get
  // EOPNOTSUPP, not ENODATA: `ls -l` asks for security.selinux and system.posix_acl_access on
  // every file, and stops asking for the rest of a device once it is told "not supported"
  // (coreutils caches that per st_dev), so a listing costs two round trips in all instead of
  // two per file. (ENOSYS would stop the kernel sending GETXATTR at all, our names included.)
  if (!name.starts_with("user.")) {
    return EOPNOTSUPP;
  }
  if ((name == k_status_xattr || name == k_logplay_xattr) && ino == core::k_root_ino) {
    return status().to_text();
  }
  TreeReader tree = m_log.read_tree();
  const auto [n, err] = node_or_errno(tree, ino);
  if (err != 0) {
    return err;
  }
  if (name == k_fmap_xattr && n->kind == core::NodeKind::file) {
    return log::fmap_text(n->fmap);
  }
  return ENODATA;
}

Outcome Handlers::do_getxattr(const Request& r) {
  const auto& in = std::get<GetxattrIn>(r.body);
  if (in.name == k_logplay_xattr && r.header.nodeid == core::k_root_ino) {
    m_log.step(RetryBadEntry::yes); // famfs logplay: follow the log now, whatever the interval
  }
  if (in.name == k_invalidate_xattr) {
    return invalidate(r);
  }
  auto v = xattr_of(r.header.nodeid, in.name);
  if (const int* err = std::get_if<int>(&v)) {
    return error_to(r, *err);
  }
  return reply_to(r, xattr_value(in.size, std::get<std::string>(v)));
}

Outcome Handlers::invalidate(const Request& r) {
  const auto& in = std::get<GetxattrIn>(r.body);
  {
    TreeReader tree = m_log.read_tree();
    const core::Node* n = tree->get(r.header.nodeid);
    if (n == nullptr) {
      return error_to(r, ENOENT);
    }
    if (n->kind != core::NodeKind::file) {
      return error_to(r, ENODATA);
    }
  }
  if (!page_cached()) {
    return reply_to(r, xattr_value(in.size, std::string(k_uncached)));
  }
  // The kernel drops the pages before the notification's write returns, and may wait meanwhile
  // on a page that a READ (or, for a dirty mapped page, a WRITE) still has to fill: at least one
  // worker stays out of here to serve those. No lock of ours is held.
  const unsigned workers = m_workers.load();
  const unsigned busy = m_invalidating.fetch_add(1) + 1;
  struct Leave {
    std::atomic<unsigned>& n;
    ~Leave() { n.fetch_sub(1); }
  } leave{m_invalidating};
  if (workers != 0 && busy >= workers) {
    return error_to(r, EAGAIN); // famfs flush tries again
  }
  if (auto w = m_log.invalidate_data(r.header.nodeid); !w) {
    FAMFS_TRACE(1, "invalidating the cached pages of node {}: {}", r.header.nodeid,
                w.error().message);
    return error_to(r, EIO);
  }
  FAMFS_TRACE(2, "node {}: cached pages dropped", r.header.nodeid);
  return reply_to(r, xattr_value(in.size, std::string(k_invalidated)));
}

Outcome Handlers::do_listxattr(const Request& r) {
  const auto& in = std::get<GetxattrIn>(r.body);
  std::string list;
  {
    TreeReader tree = m_log.read_tree();
    const auto [n, err] = node_or_errno(tree, r.header.nodeid);
    if (err != 0) {
      return error_to(r, err);
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

} // namespace famfs::fuse
