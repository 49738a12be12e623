// The inode table: what the server keeps per inode beyond the replayed tree (lookup counts) and
// its open directories. It
// touches nothing else: no tree, no device, no kernel.
#pragma once

#include "fuse/protocol.hpp"

#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

namespace famfs::fuse {

// An open directory: the children it lists, by name, taken by the first READDIR of each pass
// over it (offset 0: the first read, or a rewinddir), so that offsets stay stable while the log
// grows. Offset 0 is ".", 1 is "..", 2 + i is children[i].
struct DirHandle {
  u64 ino = 0;
  u64 parent = 0;
  bool listed = false;       // the children were taken (OPENDIR takes nothing)
  std::vector<u64> children; // their inode numbers, sorted by name
};

class InodeTable {
public:
  // Lookup counts (the kernel's references to an inode, per the protocol).
  void add_lookups(u64 ino, u64 n);
  void add_lookups(std::span<const u64> inos); // one each
  void forget(u64 ino, u64 n);
  void forget(std::span<const ForgetItem> items);
  u64 lookup_count(u64 ino) const;

  // Open directories by file handle.
  u64 open_dir(std::shared_ptr<const DirHandle> h);
  // The handle `fh`, when it is a directory handle of `ino`; nullptr otherwise.
  std::shared_ptr<const DirHandle> dir(u64 fh, u64 ino) const;
  void replace_dir(u64 fh, std::shared_ptr<const DirHandle> h);
  void close_dir(u64 fh);

private:
  struct InodeState {
    u64 nlookup = 0;
  };

  // Lock order: third of four (fuse/server.hpp): taken under the tree lock, never the other way.
  mutable std::mutex m_mutex;
  std::unordered_map<u64, InodeState> m_inodes;
  std::unordered_map<u64, std::shared_ptr<const DirHandle>> m_dirs;
  u64 m_next_fh = 1;
};

} // namespace famfs::fuse
