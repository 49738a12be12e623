// The file system tree that the log describes, rebuilt by replaying entries in order
// (upstream's logplay rules, spec §7.5, with our deviations: ".." and absolute paths refused).
// Not thread-safe; the FUSE server guards it with its own lock.
#pragma once

#include "core/id_index.hpp"
#include "log/log_view.hpp"
#include "log/records.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace famfs::core {

using log::u32;
using log::u64;

inline constexpr u64 k_root_ino = 1;
inline constexpr u64 k_no_index = ~0ULL;

enum class NodeKind { dir, file };

struct Node {
  u64 ino = 0;
  u64 parent = 0;
  NodeKind kind = NodeKind::file;
  std::string name;
  u32 mode = 0; // permission bits only (add S_IFDIR / S_IFREG when reporting)
  u32 uid = 0;
  u32 gid = 0;
  u64 size = 0;
  log::Fmap fmap;
  bool meta = false;          // .meta, .meta/.superblock, .meta/.log
  u64 log_index = k_no_index; // the entry that made it
  // Directories only: the children's inodes in log order (Tree::lookup finds one by name,
  // Tree::sorted_children lists them by name).
  std::vector<u64> children;
  u32 subdirs = 0; // directories only: how many children are directories
};

// What applying one entry did.
enum class Applied { created, existed, ignored, error };

struct ReplayReport {
  u64 entries = 0; // entries examined in this pass
  u64 new_files = 0;
  u64 new_dirs = 0;
  u64 existed = 0;
  u64 file_errors = 0;
  u64 dir_errors = 0;
  bool stopped = false;              // a bad entry stopped the pass
  bool keep_created = true;          // false: `created` stays empty (counts only)
  std::vector<std::string> created;  // relpaths, in log order
  std::vector<std::string> problems; // one message per error
  u64 errors() const { return file_errors + dir_errors + (stopped ? 1 : 0); }
};

class Tree {
public:
  Tree();

  // Adds .meta/.superblock (2 MiB at 0) and .meta/.log (log_len at log_offset), read-only.
  void add_meta(u64 log_offset, u64 log_len);

  // From now on a file whose map does not fit the device is a replay error (file_errors, one
  // problem naming it). An extent on device 0 that starts below `reserved_end` (over the
  // superblock and log, which a write through the file would destroy) is refused: the file is
  // not applied. An extent that ends past `dev_size`, or a size larger than the extents hold,
  // is reported but the file is applied: readers serve the part inside the device and fail
  // with EIO past it. Without bounds (the default) only an extent at offset 0 is refused.
  // fsck checks the same and more, in detail.
  void set_bounds(u64 reserved_end, u64 dev_size);

  // Applies one decoded entry (index i). Problems go to `report`. The rvalue form moves the
  // file's map into the tree instead of copying it.
  Applied apply(u64 index, const log::LogEntry& e, ReplayReport& report);
  Applied apply(u64 index, log::LogEntry&& e, ReplayReport& report);

  // Applies entries [applied(), log.size()) in order, at most `max_entries` of them, stopping
  // at the first entry that does not decode (its index is retried on the next call). Each entry
  // is applied whole, so the tree is always the replay of a prefix of the log. KeepCreated::no
  // leaves the report's `created` list empty (the mount daemon, unless it traces every entry).
  enum class KeepCreated { no, yes };
  ReplayReport
  catch_up(const log::LogView& log, u64 max_entries = ~0ULL, KeepCreated keep = KeepCreated::yes);
  u64 applied() const { return m_applied; }

  const Node* get(u64 ino) const;
  Node* get_mut(u64 ino);
  const Node* lookup(u64 parent, std::string_view name) const;
  // The children of a directory, sorted by name (bytewise); empty for a file.
  std::vector<const Node*> sorted_children(const Node& dir) const;
  // Resolves a relpath ("a/b/c"); nullptr when missing. "" is the root.
  const Node* resolve(std::string_view relpath) const;
  // The relpath of a node ("" for the root).
  std::string path_of(u64 ino) const;
  u64 node_count() const { return m_nodes.size(); }
  u64 file_count() const { return m_files; }
  u64 dir_count() const { return m_dirs; }

private:
  u64 add_node(u64 parent, std::string name, NodeKind kind);
  // The child `name` of `parent` (no "." or ".."); 0 when there is none.
  u64 find_child(u64 parent, std::string_view name) const;
  // Why a file's map does not fit the bounds ("" when it does); `refuse` tells whether the
  // file must not be applied.
  std::string map_problem(const log::FileEntry& f, bool& refuse) const;
  // Checks an entry's path (and a file's map, `f`) before it is applied: splits the path into
  // m_parts and returns its parent directory, or the problem that refuses it. `map_trouble`
  // receives a map problem to report once the file is applied.
  Result<u64> admit(const std::string& relpath, const log::FileEntry* f, std::string& map_trouble);
  // apply(), moving the file's map out of `take_fmap` when it is not null (it is e's own map).
  Applied
  apply_entry(u64 index, const log::LogEntry& e, log::Fmap* take_fmap, ReplayReport& report);

  std::vector<Node> m_nodes;             // index = ino - 1
  IdIndex m_names;                       // every node but the root, by (parent, name)
  std::vector<std::string_view> m_parts; // scratch for apply(): the components of one path
  u64 m_applied = 0;
  u64 m_reserved_end = 0;
  u64 m_dev_size = 0; // 0: no bounds
  u64 m_files = 0;
  u64 m_dirs = 0;
};

} // namespace famfs::core
