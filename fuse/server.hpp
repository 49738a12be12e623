// The FUSE server: a dispatch table from opcode to handler over the replayed tree (core::Tree),
// an inode table with lookup counts, INIT negotiation, worker threads, and a housekeeping thread
// that follows the log and turns SIGTERM/SIGINT into an unmount.
#pragma once

#include "core/image.hpp"
#include "core/tree.hpp"
#include "fuse/channel.hpp"
#include "fuse/kernel_abi.hpp"
#include "fuse/protocol.hpp"
#include "log/fmap.hpp"
#include "log/result.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace famfs::fuse {

// Largest READ/WRITE we negotiate (max_write, max_read and max_pages all say 1 MiB).
inline constexpr u32 k_max_io = 1U << 20;
// Each request buffer: the largest WRITE plus room for its headers.
inline constexpr std::size_t k_request_buffer = k_max_io + 4096;
// The xattr that shows a file's map (log/fmap.hpp fmap_text).
inline constexpr std::string_view k_fmap_xattr = "user.famfs.fmap";
// The xattr on the mount root that reports the daemon's state (status_text), for famfs status
// and for mount's check that a device is not mounted twice by one host.
inline constexpr std::string_view k_status_xattr = "user.famfs.status";
// The xattr on the mount root that asks the daemon to follow the log now (famfs logplay): reading
// it applies new entries (one follow step, retrying an entry that failed), then answers the
// status_text. Not listed by LISTXATTR, so that a dump of all xattrs does not trigger it.
inline constexpr std::string_view k_logplay_xattr = "user.famfs.logplay";
// How often a mount that does not follow the log by itself still checks it for clobbering.
inline constexpr std::chrono::milliseconds k_clobber_check_interval{200};

struct ServerOptions {
  // WRITE allowed (inside files only). Client hosts mount read-only unless --writable.
  bool writable = false;
  // Worker threads; 0 means one per CPU (at least 2, at most 16).
  unsigned threads = 0;
  // How long the kernel may trust a name (LOOKUP, READDIRPLUS) and an inode's attributes. Long,
  // because nothing a mount serves changes behind the kernel's back: names are never removed or
  // renamed (the log only appends; a missing name gets a plain ENOENT, which the kernel does
  // not cache), a file's size and map never change, mode/owner/times change only by SETATTR
  // through this mount (whose reply refreshes the kernel's copy), and the one attribute the log
  // can change, a directory's nlink when a subdirectory appears, is invalidated by a
  // notification (refresh). Short timeouts cost a LOOKUP or GETATTR round trip per file on
  // every `ls -l` once they lapse.
  Timeout entry_timeout = Timeout::from_ms(3600 * 1000);
  Timeout attr_timeout = Timeout::from_ms(3600 * 1000);
  // How often the housekeeping thread looks for new log entries (--follow-interval); lookups
  // and directory listings also catch up at once. Zero: the mount does not follow the log by
  // itself (ticks, lookups and listings apply nothing); new entries are applied only when asked
  // through k_logplay_xattr (famfs logplay). Clobber checks go on every k_clobber_check_interval.
  std::chrono::milliseconds follow_interval{200};
  // At most this many new entries per follow step (a tick, a lookup or a logplay request); 0:
  // all. A test knob (--follow-batch) that leaves a client part way through a batch of entries.
  u64 follow_batch = 0;
  // Which numbering of the famfs kernel extension to recognise.
  const FamfsAbi* famfs_abi = &k_default_famfs_abi;
  // The backing device can be mapped by a famfs kernel (a devdax character device): when the
  // kernel offers the famfs flag at INIT we accept it and serve GET_FMAP / GET_DAXDEV, and file
  // data no longer passes through us. The daemon sets it for devdax devices; unit tests set it
  // over a regular file (no dax hardware here). Off: the userspace data path, always.
  bool fmap_capable = false;
  // Acknowledge the ABI's INIT bit above its highest famfs minor where the row allows it
  // (FamfsAbi::minor_overridable, `--famfs-abi-any-minor`).
  bool famfs_any_minor = false;
  // The path GET_DAXDEV names (index 0); empty means the image's device path.
  std::string daxdev_path;
  // This mount's host, as the status xattr reports it: "master" or "client", and its system UUID.
  std::string role = "master";
  std::string host_uuid;
  // Memory that is not cache-coherent between hosts (--non-coherent; the device also flushes
  // after writes): each follow step invalidates what it reads before reading it, and nothing
  // more: the superblock and the log header, the last applied entry (re-checked for clobbering)
  // and the new entries it applies (follow_ranges).
  bool non_coherent = false;
};

// What `data_path()` reports, for `famfs status` (the status xattr).
inline constexpr std::string_view k_data_path_userspace = "userspace";
inline constexpr std::string_view k_data_path_kernel = "kernel (famfs fmap)";

// What handling one request produced.
struct Outcome {
  Reply reply;
  u64 unique = 0;
  bool send = true;     // false: no reply (FORGET, INTERRUPT, or an unaddressable request)
  bool destroy = false; // DESTROY: the kernel is done with us
};

class Server {
public:
  // A server over `img` (which must outlive it). Replays the log now; a bad entry stops the
  // replay there and is traced, and the valid prefix is served.
  Server(core::Image& img, ServerOptions opts);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Handles one request given as raw bytes. Never fails: malformed requests get an error reply
  // (or none when even the header is unreadable). Thread-safe; knows nothing about descriptors.
  Outcome handle(std::span<const std::byte> request);

  // Serves requests read from `fd` on this thread until the connection ends (ENODEV or end of
  // file) or DESTROY. The server reads from any descriptor: /dev/fuse or a test socket.
  Result<void> serve(int fd);

  // Serves a mounted channel: answers INIT on the channel's descriptor, calls `on_ready`, then
  // runs the workers (one cloned descriptor each) and the housekeeping thread until the file
  // system is unmounted. SIGTERM, SIGINT and SIGHUP are blocked in every thread and turned into
  // an unmount (lazy if busy).
  Result<void> run(Channel& ch, const std::function<void()>& on_ready = {});

  // One follow step: checks for clobbering, then applies new log entries, if any (at most
  // follow_batch). `force` retries an entry that failed to decode even when the log has not
  // grown since. Returns how many entries it applied.
  u64 refresh(bool force = false);

  // Where refresh() writes kernel notifications (a directory's attributes changed); -1: none.
  // run() sets the channel's descriptor; tests may set their socket.
  void set_notify_fd(int fd) { m_notify_fd.store(fd); }

  // Which data path this mount uses once INIT is done: k_data_path_kernel when the kernel
  // offered the famfs flag and we accepted it, else k_data_path_userspace.
  std::string_view data_path() const {
    return m_famfs.load() ? k_data_path_kernel : k_data_path_userspace;
  }
  bool famfs_negotiated() const { return m_famfs.load(); }

  // Clobber detection (upstream issue #135): set for good once the superblock or the log changed
  // in a way that is not an append (another host ran mkfs, the header broke, next_index went
  // down, an applied entry changed). From then on OPEN, READ, WRITE and GET_FMAP fail with EIO.
  bool clobbered() const { return m_clobbered.load(); }
  // "key=value" lines: pid, role, host_uuid, fs_uuid, entries_applied, healthy, reason,
  // data_path, writable, non_coherent, follow_interval_ms, media_errors (the value of
  // k_status_xattr).
  std::string status_text() const;
  // Requests and log reads that failed with a media error (SIGBUS or EFAULT from device memory;
  // see core/media_guard.hpp). Each got EIO; the other files are still served.
  u64 media_errors() const { return m_media_errors.load(); }

  // Test hooks.
  bool initialized() const { return m_initialized.load(); }
  u64 lookup_count(u64 ino) const;
  u64 applied_entries() const;
  unsigned worker_count() const;

private:
  struct Time {
    u64 sec = 0;
    u32 nsec = 0;
  };
  // What we keep per inode beyond the tree: lookup count and attribute changes (SETATTR), which
  // live in memory only.
  struct InodeState {
    u64 nlookup = 0;
    std::optional<u32> mode;
    std::optional<u32> uid;
    std::optional<u32> gid;
    std::optional<Time> atime;
    std::optional<Time> mtime;
    std::optional<Time> ctime;
  };
  struct DirItem {
    std::string name;
    u64 ino = 0;
    bool dir = false;
  };
  // An open directory: a snapshot of its entries, so offsets stay stable while the log grows.
  struct DirHandle {
    u64 ino = 0;
    std::vector<DirItem> items; // ".", "..", then the children by name
  };
  using Handler = Outcome (Server::*)(const Request&);

  // Handlers: one per opcode (dispatch table in server.cpp).
  Outcome do_init(const Request& r);
  Outcome do_lookup(const Request& r);
  Outcome do_forget(const Request& r);
  Outcome do_batch_forget(const Request& r);
  Outcome do_getattr(const Request& r);
  Outcome do_setattr(const Request& r);
  Outcome do_opendir(const Request& r);
  Outcome do_readdir(const Request& r);
  Outcome do_releasedir(const Request& r);
  Outcome do_open(const Request& r);
  Outcome do_read(const Request& r);
  // Probes [off, off+len) of the superblock or log under a guard; on a media error, marks the
  // metadata lost, traces and counts it (once per place) and returns false.
  bool meta_readable(u64 off, u64 len);
  // meta_readable() of the superblock and the log header.
  bool header_readable();
  // meta_readable() of the last applied entry (the one find_clobber reads), if any.
  bool crc_entry_readable();
  // Counts and traces the media error `e` met by request `r` and returns its EIO reply.
  Outcome media_error_reply(const Request& r, const Error& e);
  // Handles a zero-copy reply the kernel could not copy (EFAULT): counts, traces, replies EIO.
  void reply_fault(int fd, const Outcome& o);
  Outcome do_write(const Request& r);
  Outcome do_release(const Request& r);
  Outcome do_flush(const Request& r);
  Outcome do_fsync(const Request& r);
  Outcome do_statfs(const Request& r);
  Outcome do_access(const Request& r);
  Outcome do_getxattr(const Request& r);
  Outcome do_listxattr(const Request& r);
  Outcome do_interrupt(const Request& r);
  Outcome do_destroy(const Request& r);
  Outcome do_readlink(const Request& r);
  Outcome do_refused(const Request& r);
  Outcome do_get_fmap(const Request& r);   // famfs extension, only once negotiated
  Outcome do_get_daxdev(const Request& r); // famfs extension, only once negotiated

  Handler handler_for(u32 opcode) const;
  // The attributes of `n` (caller holds m_tree_mutex, shared at least).
  Attr attr_of(const core::Node& n) const;
  void add_lookups(u64 ino, u64 n);
  void account_new_nodes(); // caller holds m_tree_mutex exclusively
  void add_used(u64 first_au, u64 end_au);
  void snapshot_dir(const core::Node& dir, DirHandle& h) const;
  // The device pieces of file bytes [off, off + len), inside the device; short when the map or
  // the device ends first. Caller holds m_tree_mutex.
  std::vector<log::Piece> pieces_of(const core::Node& n, u64 off, u64 len) const;
  void housekeeping(Channel& ch);
  // A follow step for a lookup or a listing: refresh() unless the mount follows only on request.
  void follow_on_demand();
  // Tells the kernel to drop its cached attributes of these inodes (no lock held).
  void notify_attrs_changed(const std::vector<u64>& inos);
  // The value of xattr `name` on node `ino`, or the errno to answer (ENODATA, EOPNOTSUPP,
  // ENOENT).
  std::variant<std::string, int> xattr_of(u64 ino, std::string_view name) const;
  // Why the superblock or log no longer matches what we applied ("" when it still does).
  // Caller holds m_tree_mutex (shared at least).
  std::string find_clobber(const Result<log::LogView>& view) const;
  void mark_clobbered(const std::string& why);
  // Reads the log header into `view` and runs find_clobber, both under the shared lock (so no
  // other thread applies entries in between: an older header would look like a log that
  // shrank), then mark_clobbered; false when clobbered.
  bool still_healthy(Result<log::LogView>& view);
  // On non-coherent memory, drops cached copies of log slots [first, first + count).
  void invalidate_entries(u64 first, u64 count) const;

  core::Image& m_img;
  ServerOptions m_opts;
  u64 m_dev_size = 0;

  // Lock order: m_tree_mutex, then m_state_mutex. Neither is held across a reply write or a
  // device copy; handlers copy what they need out of the tree, release, then touch memory.
  mutable std::shared_mutex m_tree_mutex;
  core::Tree m_tree;
  u64 m_accounted_nodes = 0;    // nodes whose extents are in m_used_au
  std::map<u64, u64> m_used_au; // allocation units in use (STATFS): [first, end) by first
  u64 m_used_au_count = 0;
  std::atomic<u64> m_stuck_next_index{~0ULL}; // log size when a bad entry last stopped replay
  std::string m_last_problem;
  // Clobber detection: the file system we mounted, and the CRC of the last applied entry (at
  // index m_crc_index; both under m_tree_mutex).
  log::Uuid m_fs_uuid;
  u64 m_crc_index = core::k_no_index;
  u64 m_last_crc = 0;
  bool m_log_seen = false; // the log header parsed at least once
  std::atomic<bool> m_clobbered{false};
  std::atomic<u64> m_media_errors{0};
  std::atomic<bool> m_meta_lost{false}; // the last refresh() hit a media error in sb or log
  mutable std::mutex m_health_mutex;    // a leaf lock: guards m_clobber_reason only
  std::string m_clobber_reason;

  mutable std::mutex m_state_mutex;
  std::unordered_map<u64, InodeState> m_inodes;
  std::unordered_map<u64, std::shared_ptr<DirHandle>> m_dirs;
  u64 m_next_fh = 1;

  std::atomic<bool> m_initialized{false};
  std::atomic<bool> m_famfs{false}; // the famfs flag was offered and acknowledged at INIT
  std::atomic<bool> m_done{false};
  std::atomic<int> m_notify_fd{-1};
  u32 m_minor = 0;
  u64 m_start_sec = 0;
  u32 m_start_nsec = 0;
  unsigned m_workers = 0;
};

} // namespace famfs::fuse
