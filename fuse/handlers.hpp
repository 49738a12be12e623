// The handlers: one per opcode (the opcode table, fuse/ops.cpp, says which), each turning a
// decoded request into its reply over the replayed tree (LogFollower), the inode table and the
// device. They know nothing of descriptors: the server writes what they return. They may read
// the tree under its shared lock, ask the follower for a step (lookups, listings, the logplay
// xattr), use the inode table, and read device memory (file data, never while a lock is held);
// they write the device only for WRITE and FSYNC, inside files.
#pragma once

#include "core/image.hpp"
#include "fuse/inode_table.hpp"
#include "fuse/log_follower.hpp"
#include "fuse/mount_status.hpp"
#include "fuse/protocol.hpp"
#include "fuse/server_options.hpp"
#include "log/fmap.hpp"

#include <atomic>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace famfs::fuse {

// The node `ino` of the tree (read under its lock), or the errno a handler answers instead:
// ENOENT when the tree has no such node, ENOTDIR when a directory is wanted and it is a file.
struct NodeOrErrno {
  const core::Node* node = nullptr;
  int err = 0;
};
enum class Want { any, dir };
NodeOrErrno node_or_errno(const TreeReader& tree, u64 ino, Want want = Want::any);

// What handling one request produced.
struct Outcome {
  Reply reply;
  u64 unique = 0;
  bool send = true;     // false: no reply (FORGET, INTERRUPT, or an unaddressable request)
  bool destroy = false; // DESTROY: the kernel is done with us
};

// The reply `reply` to `r`, the error reply `err` (a positive errno) to `r`, and no reply.
Outcome reply_to(const Request& r, Reply reply);
Outcome error_to(const Request& r, int err);
Outcome no_reply();

class Handlers {
public:
  // Handlers over `img`, `log` and `inodes`, which must outlive them.
  Handlers(core::Image& img, const ServerOptions& opts, LogFollower& log, InodeTable& inodes);

  Outcome do_init(const Request& r);
  Outcome do_lookup(const Request& r);
  Outcome do_forget(const Request& r);
  Outcome do_batch_forget(const Request& r);
  Outcome do_getattr(const Request& r);
  Outcome do_setattr(const Request& r);
  Outcome do_opendir(const Request& r);
  Outcome do_readdir(const Request& r);
  Outcome do_readdirplus(const Request& r);
  Outcome do_releasedir(const Request& r);
  Outcome do_open(const Request& r);
  Outcome do_read(const Request& r);
  Outcome do_write(const Request& r);
  Outcome do_release(const Request& r);
  Outcome do_flush(const Request& r);
  Outcome do_fsync(const Request& r);
  Outcome do_fsyncdir(const Request& r);
  Outcome do_statfs(const Request& r);
  Outcome do_access(const Request& r);
  Outcome do_getxattr(const Request& r);
  Outcome do_listxattr(const Request& r);
  Outcome do_interrupt(const Request& r);
  Outcome do_destroy(const Request& r);
  Outcome do_readlink(const Request& r);
  Outcome do_refused(const Request& r);    // namespace changes: EPERM
  Outcome do_get_fmap(const Request& r);   // famfs extension, only once negotiated
  Outcome do_get_daxdev(const Request& r); // famfs extension, only once negotiated

  // Set by INIT: the connection is up, and whether the famfs flag was offered and acknowledged.
  bool initialized() const { return m_initialized.load(); }
  bool famfs_negotiated() const { return m_famfs.load(); }
  // After INIT without famfs: why a famfs-mode device cannot be served (famfs_mode_refusal);
  // empty before INIT and when famfs was negotiated.
  const std::string& famfs_refusal() const { return m_famfs_refusal; }
  // The protocol minor INIT agreed on (0 before INIT).
  u32 minor() const { return m_minor.load(); }
  // Which transport the status reports (the server sets it; handlers never see a transport).
  void set_io_uring(bool on) { m_io_uring.store(on); }
  // What the status xattr reports.
  MountStatus status() const;
  // A follow step on behalf of a request (LogFollower::step), with the follow interval's rule:
  // a mount that follows only when asked applies nothing for a lookup or a listing.
  void follow_on_demand();
  // Page-cache mode is on (ServerOptions::page_cache) and file data passes through us (on the
  // kernel data path the kernel maps the memory and caches nothing).
  bool page_cached() const { return m_opts.page_cache && !m_famfs.load(); }
  // The worker threads serving the mount (Server::run); 0: requests come one at a time (tests).
  void set_workers(unsigned n) { m_workers.store(n); }

private:
  // What a READ, WRITE, FSYNC or OPEN needs of a file, copied out of the tree under its lock.
  struct FileSpan {
    u64 size = 0;
    std::vector<log::Piece> pieces; // of the asked range, clamped to the file
  };
  enum class Access { read, write, persist };
  // Finds file `ino` and checks that `access` is allowed: read and write fail with EIO once
  // clobbered, ENOENT, EISDIR on a directory; write also with EPERM (.meta files) and EROFS (a
  // read-only mount); persist answers a directory with no pieces. Then the device pieces of
  // bytes [off, off + len) clamped to the file (short when the map or the device ends first).
  std::variant<FileSpan, int> file_span(u64 ino, Access access, u64 off, u64 len) const;
  // The attributes of `n`, read under `tree`.
  Attr attr_of(const TreeReader& tree, const core::Node& n) const;
  // READDIR (Listing::names) and READDIRPLUS (Listing::entries: names with their attributes, each
  // counted as a lookup).
  enum class Listing { names, entries };
  Outcome list_dir(const Request& r, Listing listing);
  // The open directory `in.fh` of `ino` with the children a read at `in.offset` lists: those
  // taken before, or at offset 0 (a new pass) those of the tree now. nullptr and `err` (EBADF,
  // ENOENT) when there is none.
  std::shared_ptr<const DirHandle> listing_of(const ReadIn& in, u64 ino, int& err);
  void snapshot_dir(const TreeReader& tree, const core::Node& dir, DirHandle& h) const;
  // The value of xattr `name` on node `ino`, or the errno to answer (ENODATA, EOPNOTSUPP,
  // ENOENT).
  std::variant<std::string, int> xattr_of(u64 ino, std::string_view name) const;
  // GETXATTR of k_invalidate_xattr: drops the kernel's cached pages of the file. EAGAIN when
  // that would leave no worker free to serve the READs the kernel may wait on meanwhile.
  Outcome invalidate(const Request& r);
  // Counts and traces the media error `e` met by request `r` and returns its EIO reply.
  Outcome media_error_reply(const Request& r, const Error& e);
  // READ's reply: zero copy (iovecs into the device mapping) or, for many pieces, a copy.
  Outcome read_reply(const Request& r, const std::vector<log::Piece>& pieces);
  const std::string& daxdev_path() const;

  core::Image& m_img;
  const ServerOptions& m_opts;
  LogFollower& m_log;
  InodeTable& m_inodes;
  u64 m_dev_size = 0;
  Time m_start; // atime, mtime and ctime of every inode (LogFollower::started)
  std::atomic<bool> m_initialized{false};
  std::atomic<bool> m_famfs{false};
  std::atomic<bool> m_cache_dirs{false}; // the kernel keeps listings (do_opendir)
  std::string m_famfs_refusal; // written by INIT before m_initialized is set, then only read
  std::atomic<u32> m_minor{0};
  std::atomic<unsigned> m_workers{0};
  std::atomic<unsigned> m_invalidating{0}; // workers inside invalidate()
  std::atomic<bool> m_io_uring{false};
};

} // namespace famfs::fuse
