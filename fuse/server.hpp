// The FUSE server, assembled from its rooms (ARCHITECTURE.md, "fuse/"):
//   ops.hpp          the opcode table: name, decoder, handler of each opcode;
//   log_follower.hpp the replayed tree, kept up to date with the log, the mount's health and the
//                    STATFS accounting;
//   inode_table.hpp  lookup counts, in-memory attribute changes, open directories;
//   handlers.hpp     one handler per opcode over those three;
//   server.hpp       this thin loop: dispatch through the table, worker threads, and a
//                    housekeeping thread that follows the log and turns SIGTERM/SIGINT/SIGHUP
//                    into an unmount.
//
// Lock order (the only one in the FUSE server; each mutex says its place beside it):
//   1. LogFollower::m_step_mutex (one follow step at a time, its kernel notifications included)
//   2. LogFollower::m_tree_mutex (std::shared_mutex; exclusive only while entries are applied)
//   3. InodeTable::m_mutex       (lookup counts, attribute changes, open directories)
//   4. Health::m_mutex           (a leaf: the clobber reason and the last problem traced)
// A thread holding a lock never takes one above it. No lock is held across a reply write or a
// copy to or from the device: handlers copy what they need out of the tree, release the lock,
// and only then touch device memory. The one write to the kernel under a lock is a follow
// step's notifications (under the step mutex alone): they drop attributes only, which the
// kernel does without waiting for anything.
#pragma once

#include "core/image.hpp"
#include "fuse/channel.hpp"
#include "fuse/handlers.hpp"
#include "fuse/inode_table.hpp"
#include "fuse/log_follower.hpp"
#include "fuse/mount_status.hpp"
#include "fuse/protocol.hpp"
#include "fuse/server_options.hpp"
#include "fuse/uring_channel.hpp"
#include "log/result.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace famfs::fuse {

class Server {
public:
  // A server over `img` (which must outlive it). Replays the log now; a bad entry stops the
  // replay there and is traced, and the valid prefix is served.
  Server(core::Image& img, ServerOptions opts);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Handles one request given as raw bytes. Never fails: malformed requests get an error reply
  // (or none when even the header is unreadable), and a handler that throws (bad_alloc, ...)
  // gets ENOMEM or EIO. Thread-safe; knows nothing about descriptors.
  Outcome handle(std::span<const std::byte> request);

  // Serves requests read from `fd` on this thread until the connection ends (ENODEV or end of
  // file) or DESTROY. The server reads from any descriptor: /dev/fuse or a test socket.
  Result<void> serve(int fd);

  // Serves a mounted channel: answers INIT on the channel's descriptor, calls `on_ready`, then
  // runs the workers (one cloned descriptor each) and the housekeeping thread until the file
  // system is unmounted. Where the kernel offers FUSE over io_uring (and ServerOptions::transport
  // allows it), the requests come through the io_uring queues instead (fuse/uring_channel.hpp);
  // the workers then get FORGET and INTERRUPT only, which the kernel still sends on /dev/fuse.
  // SIGTERM, SIGINT and SIGHUP are blocked in every thread and turned into an unmount (lazy if
  // busy). For a famfs-mode device (ServerOptions::famfs_mode_meta): Errc::unsupported right
  // after INIT when it did not negotiate famfs (the caller unmounts); once the workers serve,
  // the switch to the mount's .meta files, whose failure detaches the mount and is returned
  // when the workers have ended; `on_ready` only after the switch.
  Result<void> run(Channel& ch, const std::function<void()>& on_ready = {});

  // One follow step (LogFollower::step): checks for clobbering, then applies new log entries,
  // if any (at most follow_batch). RetryBadEntry::yes retries an entry that failed to decode
  // even when the log has not grown since. Returns how many entries it applied.
  u64 refresh(RetryBadEntry retry = RetryBadEntry::no) { return m_log.step(retry); }

  // Where refresh() writes kernel notifications (a directory's attributes changed); -1: none.
  // run() sets the channel's descriptor; tests may set their socket.
  void set_notify_fd(int fd) { m_log.set_notify_fd(fd); }

  // Which data path this mount uses once INIT is done: k_data_path_kernel when the kernel
  // offered the famfs flag and we accepted it, else k_data_path_userspace.
  std::string_view data_path() const {
    return famfs_negotiated() ? k_data_path_kernel : k_data_path_userspace;
  }
  bool famfs_negotiated() const { return m_handlers.famfs_negotiated(); }

  // Clobber detection (upstream issue #135): set for good once the superblock or the log changed
  // in a way that is not an append (another host ran mkfs, the header broke, next_index went
  // down, an applied entry changed). From then on OPEN, READ, WRITE and GET_FMAP fail with EIO.
  bool clobbered() const { return m_log.health().clobbered(); }
  // The daemon's state, as the k_status_xattr reports it.
  MountStatus status() const { return m_handlers.status(); }
  std::string status_text() const { return status().to_text(); }
  // Requests and log reads that failed with a media error (SIGBUS or EFAULT from device memory;
  // see core/media_guard.hpp). Each got EIO; the other files are still served.
  u64 media_errors() const { return m_log.health().media_errors(); }

  // Test hooks.
  bool initialized() const { return m_handlers.initialized(); }
  u64 lookup_count(u64 ino) const { return m_inodes.lookup_count(ino); }
  u64 applied_entries() const { return m_log.applied(); }
  unsigned worker_count() const { return m_workers; }
  // Whether requests come through io_uring (the status xattr's transport).
  bool io_uring_active() const { return status().transport == k_transport_io_uring; }

private:
  // Dispatches a decoded request through its row of the opcode table.
  Outcome dispatch(const Request& r);
  // The reply to a request whose handler threw, or that did not decode: `err` when it can be
  // addressed and its opcode is ever answered, none otherwise.
  Outcome answer_failed(std::span<const std::byte> bytes, int err) const;
  // Handles a zero-copy reply the kernel could not copy (EFAULT): counts, traces, replies EIO.
  void reply_fault(int fd, const Outcome& o);
  // Counts and traces a READ reply whose device memory faulted (`what`); it is answered EIO.
  void media_fault(u64 unique, std::string_view what);
  // Writes `o` to `fd`, if it is sent; Errors: the write's.
  Result<void> send(int fd, const Outcome& o);
  // Answers INIT; with `uring` set up and acknowledged to the kernel when it offered io_uring.
  Result<void> answer_init(Channel& ch, std::unique_ptr<UringChannel>& uring);
  // The rings for an INIT request that offers FUSE over io_uring, or none (traced why).
  std::unique_ptr<UringChannel> prepare_uring(Channel& ch, std::span<const std::byte> init);
  // Starts serving through `uring` after INIT acknowledged it with `init`; false: /dev/fuse.
  bool start_uring(UringChannel& uring, const fuse_init_out& init);
  void housekeeping(Channel& ch);
  // After the workers started: a famfs-mode mount's metadata switch (its failure detaches the
  // mount), then `on_ready`.
  Result<void> report_ready(Channel& ch, const std::function<void()>& on_ready);

  ServerOptions m_opts; // before the rooms, which keep a reference to it
  LogFollower m_log;
  InodeTable m_inodes;
  Handlers m_handlers;
  std::atomic<bool> m_done{false};
  unsigned m_workers = 0;
};

} // namespace famfs::fuse
