// The log follower: the replayed tree, kept up to date with the log (one step() at a time), the
// mount's health (clobber detection, media errors in the superblock and log) and the STATFS
// accounting of allocation units in use. It may read the superblock and the log (never file
// data), write kernel notifications when a directory's attributes change, and nothing else.
#pragma once

#include "core/image.hpp"
#include "core/log_health.hpp"
#include "core/tree.hpp"
#include "fuse/protocol.hpp"
#include "fuse/server_options.hpp"
#include "log/fmap.hpp"
#include "log/format.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace famfs::fuse {

// Whether a follow step tries again an entry that stopped the replay even when the log has not
// grown since (a tick, a logplay request), or leaves it (a lookup or a listing).
enum class RetryBadEntry { no, yes };

// The directories this mount added a name to since it started, each with the instant of the
// last such change (strictly later than the one before and than the start): their mtime and
// ctime. A new mtime is what tells the kernel that its cached listing of a directory is stale
// (FUSE_AUTO_INVAL_DATA: it compares the mtime when a listing starts).
using DirTimes = std::unordered_map<u64, Time>;

// Read access to the tree under the follower's shared lock. Node pointers are valid only while
// it is held (replay appends to a vector that may reallocate): copy out what you need, unlock,
// and only then touch device memory.
class TreeReader {
public:
  TreeReader(std::shared_mutex& m, const core::Tree& tree, const DirTimes& times)
      : m_lock(m), m_tree(tree), m_times(times) {}
  const core::Tree* operator->() const { return &m_tree; }
  // When this mount last added a name to directory `ino`; nullptr when it has not since it
  // started.
  const Time* changed(u64 ino) const {
    auto it = m_times.find(ino);
    return it == m_times.end() ? nullptr : &it->second;
  }
  void unlock() { m_lock.unlock(); }

private:
  std::shared_lock<std::shared_mutex> m_lock;
  const core::Tree& m_tree;
  const DirTimes& m_times;
};

// CLOCK_REALTIME now.
Time clock_now();

// The mount's health: a state machine that goes from healthy to clobbered once and for good,
// plus the media errors met. Its mutex is a leaf.
class Health {
public:
  bool clobbered() const { return m_clobbered.load(); }
  // Marks the mount clobbered for `why` (the first reason sticks) and traces it.
  void mark_clobbered(const std::string& why);
  std::string clobber_reason() const;
  // The superblock or log met a media error in the last step (cleared when they read again).
  bool metadata_lost() const { return m_meta_lost.load(); }
  void mark_metadata_lost() { m_meta_lost.store(true); }
  void mark_metadata_readable() { m_meta_lost.store(false); }
  u64 media_errors() const { return m_media_errors.load(); }
  void count_media_error() { m_media_errors.fetch_add(1); }
  // Records `problem` as the last one met; false when it was already the last one (traced once).
  bool note_problem(const std::string& problem);
  void clear_problem();

private:
  std::atomic<bool> m_clobbered{false};
  std::atomic<bool> m_meta_lost{false};
  std::atomic<u64> m_media_errors{0};
  // Lock order: last of four (fuse/server.hpp), a leaf: nothing is taken while it is held.
  mutable std::mutex m_mutex;
  std::string m_clobber_reason; // under m_mutex
  std::string m_last_problem;   // under m_mutex
};

// What STATFS reports, in allocation units.
struct FsCounts {
  u64 blocks = 0;
  u64 bfree = 0;
  u64 files = 0;
  u64 ffree = 0;
  u64 unit = 0; // bytes per allocation unit
};

class LogFollower {
public:
  // Replays the whole log of `img` now (batch after batch); a bad entry stops the replay there
  // and is traced, and the valid prefix is served. `img` and `opts` must outlive it.
  LogFollower(core::Image& img, const ServerOptions& opts);

  // One follow step: reads the log header and checks for clobbering once (under the shared
  // lock), then, when the log has grown, reads the header again and applies the new entries (at
  // most follow_batch) under the exclusive lock, and tells the kernel which directories gained
  // names. Steps run one at a time, so when one returns, every entry applied before it began
  // has been announced to the kernel: a listing that starts after it never meets a cached one
  // older than the tree. Returns how many entries it applied.
  u64 step(RetryBadEntry retry);
  // The clobber check of a step, without applying anything (a mount that does not follow the
  // log by itself still watches it).
  void check();

  TreeReader read_tree() const { return TreeReader(m_tree_mutex, m_tree, m_dir_times); }
  u64 applied() const;
  // When the follower finished the mount's replay: the atime, mtime and ctime of every inode
  // (but the directories' mtime and ctime once the mount adds names to them).
  Time started() const { return m_started; }
  FsCounts counts() const;
  // The file system we mounted.
  const log::Uuid& fs_uuid() const { return m_mark.fs_uuid; }
  Health& health() { return m_health; }
  const Health& health() const { return m_health; }
  // Where step() writes kernel notifications (a directory gained names); -1: none.
  void set_notify_fd(int fd) { m_notify_fd.store(fd); }
  // Maps the .meta files `files` over the image's superblock and log (a famfs-mode mount's copy,
  // core::Device::map_meta_files), so that every later step reads them. They are opened and
  // checked first without a lock (through a mount, opening them is requests that other threads
  // answer, and a LOOKUP takes a follow step), and mapped under the exclusive lock. Errors: a
  // file missing or unreadable, a superblock of another file system or log, a failed mmap.
  Result<void> switch_metadata(const core::MetaFiles& files);
  // Tells the kernel to drop every cached page of file `ino` (page-cache mode, `famfs flush`).
  // Returns when the kernel has dropped them; ok when there is no connection or the kernel
  // holds nothing of the inode. Errors: the notification's write.
  Result<void> invalidate_data(u64 ino) const;

private:
  // What the first phase of a step saw.
  struct Look {
    bool readable = false; // no media error, not clobbered, the header parsed
    u64 size = 0;          // the log's next_index
    u64 applied = 0;       // entries in the tree
  };
  // What the first phase found wrong, recorded once the shared lock is released.
  struct Findings {
    Look look;
    std::optional<Error> lost; // a media error in what it reads
    std::string clobber;       // find_clobber's answer
    std::string unreadable;    // why the log header did not parse
  };
  enum class Probe { last_applied, through_end };
  // The first phase of a step: look() records what inspect() found under the shared lock.
  Look look(Probe what);
  Findings inspect(Probe what) const;
  // Probes [off, off+len) of the superblock or log under a guard, so that lost memory there
  // stops the step instead of the daemon.
  Result<void> probe(u64 off, u64 len) const;
  void metadata_lost(const Error& e, u64 applied);
  // The second phase: applies the new entries under the exclusive lock.
  u64 apply();
  void trace_replay(const core::ReplayReport& report, u64 size);
  // The directories that gained names since the tree had `nodes_before` nodes, sorted; each
  // gets a new time in m_dir_times. None during the constructor's replay. Caller holds
  // m_tree_mutex exclusively.
  std::vector<u64> dirs_named_since(u64 nodes_before);
  // Why the superblock or log no longer matches what we applied ("" when it still does;
  // core::clobber_reason). Caller holds m_tree_mutex (shared at least).
  std::string find_clobber(const Result<log::LogView>& view) const;
  // On non-coherent memory, drops cached copies of log slots [first, first + count).
  void invalidate_entries(u64 first, u64 count) const;
  void account_new_nodes(); // caller holds m_tree_mutex exclusively
  void add_used(u64 first_au, u64 end_au);
  // Drops the kernel's attributes of each directory in `dirs`, and with them its cached listing.
  void notify_dirs_changed(const std::vector<u64>& dirs) const;
  Result<void> notify(u64 ino, Inval what) const;

  core::Image& m_img;
  const ServerOptions& m_opts;
  u64 m_dev_size = 0;
  Health m_health;
  std::atomic<int> m_notify_fd{-1};
  std::atomic<u64> m_stuck_next_index{~0ULL}; // log size when a bad entry last stopped replay

  // Lock order: first of four (fuse/server.hpp): held through a whole step(), notifications
  // included, so that steps run one at a time.
  std::mutex m_step_mutex;
  // Lock order: second of four (fuse/server.hpp); exclusive only while entries are applied.
  mutable std::shared_mutex m_tree_mutex;
  core::Tree m_tree;
  DirTimes m_dir_times;         // under m_tree_mutex
  Time m_started;               // set once, when the constructor's replay is done
  core::ReplayMark m_mark;      // what is applied, re-checked for clobbering (core/log_health)
  u64 m_accounted_nodes = 0;    // nodes whose extents are in m_used_au
  std::map<u64, u64> m_used_au; // allocation units in use (STATFS): [first, end) by first
  u64 m_used_au_count = 0;
};

} // namespace famfs::fuse
