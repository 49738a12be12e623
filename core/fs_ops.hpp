// Changing a famfs file system: creating files and directories by appending log entries.
// A Session is one locked append session (upstream's famfs_init_locked_log): it owns the opened
// image, holds the host-wide log lock, the tree replayed from the log, and the allocation bitmap
// rebuilt from the same entries. Requests are checked and allocated first ("queued"), and only
// commit() appends them, so a command can check log slots and space for everything it will do
// before it writes anything.
//
// Write ordering (the rule that a file never shows up in the log before its data): a new file
// whose data the caller writes is queued with Contents::to_write, and commit() refuses its entry
// until mark_written() says the data is persisted.
#pragma once

#include "core/allocator.hpp"
#include "core/image.hpp"
#include "core/log_writer.hpp"
#include "core/tree.hpp"

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace famfs::core {

// Permission bits and owner of a new object, applied exactly as given (0 included). A mode with
// bits beyond log::k_mode_bits (setuid, setgid, sticky, or not a mode) is refused.
struct Owner {
  u32 mode = 0;
  u32 uid = 0;
  u32 gid = 0;
};

enum class Parents { no, yes }; // mkdir -p

// What a new file holds when its entry is appended. as_allocated: whatever its space holds
// (creat without --randomize); to_write: data the caller writes into the file's map and persists
// first, then reports with Session::mark_written().
enum class Contents { as_allocated, to_write };

// A file to create.
struct FileRequest {
  std::string relpath; // relative to the file system root
  u64 size = 0;        // 0: an existing file keeps its size; a new file is refused
  Owner owner;
  Interleave interleave; // all zero: contiguous
  // Given: the new file gets this map as it is, nothing allocated (famfs clone's deliberate
  // cross-link, for testing fsck).
  std::optional<log::Fmap> fmap;
  Contents contents = Contents::as_allocated;
};

// The outcome of queuing a file.
struct FilePlan {
  std::string relpath; // normalised
  u64 size = 0;
  log::Fmap fmap;
  bool existing = false;      // an existing file of the requested size: reused, nothing queued
  u64 log_index = k_no_index; // the index its entry will have (k_no_index when existing)
};

// The tree of `img` as the log describes it now (with .meta), and what replaying it found. A
// file whose map does not fit the device is a replay error (see Tree::set_bounds).
Result<Tree> load_tree(const Image& img, ReplayReport* report = nullptr);

class Session {
public:
  // Takes `img` (opened read-write), the log lock (master only; see LogWriter::open), replays
  // the log into a tree and rebuilds the bitmap from every FILE entry. A log entry that does not
  // decode stops here (Errc::corrupt): allocating without knowing its extents could hand them
  // out twice. `seed` orders interleave buckets (see Allocator).
  static Result<Session> open(Image img, u64 seed);

  // Queues a file. Existing file of the same size (or size 0 asked): reused, nothing queued.
  // Errors: a mode beyond log::k_mode_bits (Errc::invalid_argument); the parent is missing or
  // not a directory; the path is a directory; an existing file of another size (Errc::exists);
  // size 0 for a new file; bad interleave parameters; no space
  // (Errc::no_space, the bitmap unchanged). A failed request leaves the session unchanged.
  Result<FilePlan> add_file(const FileRequest& req);

  // Queues one directory, or with Parents::yes every missing level. Returns the relpaths
  // queued (none when it already exists and Parents::yes). Errors: a mode beyond log::k_mode_bits
  // (in `owner` or `parents_owner`), exists (Parents::no), a
  // level is a file, a missing parent (Parents::no), the root without Parents::yes. `owner` is
  // the last level's; missing levels above it get `parents_owner` when given (GNU mkdir -p:
  // -m applies to the last component only), else `owner`.
  Result<std::vector<std::string>> add_dir(std::string_view relpath,
                                           const Owner& owner,
                                           Parents parents,
                                           const std::optional<Owner>& parents_owner = {});

  // Records that the data of a file queued with Contents::to_write is written and persisted, so
  // its entry may be appended. A no-op for an existing file (nothing queued); Errc::internal
  // when `plan` names no queued entry.
  Result<void> mark_written(const FilePlan& plan);

  // Entries queued and not yet appended.
  u64 queued() const { return m_queue.size(); }
  // Checks that every queued entry fits in the log (the "log full" error otherwise).
  Result<void> check_log_space() const;
  // Appends the first `n` queued entries as one batch (see LogWriter::append_batch). Refuses
  // (Errc::internal, nothing appended) when one of them is a file whose data is not marked
  // written.
  Result<void> commit(u64 n);
  // Appends everything queued.
  Result<void> commit_all() { return commit(queued()); }

  const Tree& tree() const { return m_tree; }
  const Allocator& allocator() const { return m_alloc; }
  const Geometry& geometry() const { return m_alloc.geometry(); }
  const LogWriter& writer() const { return m_writer; }
  Image& image() { return m_img; }
  const Image& image() const { return m_img; }

private:
  // A queued entry, and whether the data it points at is in place.
  struct Queued {
    log::LogEntry entry;
    bool written = true;
  };

  Session(Image img, LogWriter w, const Geometry& g, u64 seed);
  // Walks to the parent of `parts`; Errc::not_found when a level is missing or not a directory.
  Result<u64> parent_of(const std::vector<std::string>& parts, std::string_view rel) const;
  // Applies a queued entry to the tree (it must create) and returns its index.
  u64 apply_queued(const log::LogEntry& e, Contents contents);

  Image m_img;
  LogWriter m_writer;
  Tree m_tree;
  Allocator m_alloc;
  std::deque<Queued> m_queue;
  u64 m_next_index = 0;  // index the next queued entry will get
  bool m_broken = false; // an append failed part-way: the tree no longer matches the log
};

} // namespace famfs::core
