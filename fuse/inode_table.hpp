// The inode table: what the server keeps per inode beyond the replayed tree (lookup counts) and
// its open directories. It
// touches nothing else: no tree, no device, no kernel.
#pragma once

#include "fuse/protocol.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace famfs::fuse {

struct Time {
  u64 sec = 0;
  u32 nsec = 0;
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
  u64 applied = 0;            // the log entries in the tree it was taken from
  // Taken by OPENDIR and not read yet: the first READDIR at offset 0 uses it as it is when the
  // log has not grown since, instead of taking another.
  std::atomic<bool> unread{false};
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
  u64 open_dir(std::shared_ptr<DirHandle> h);
  // The handle `fh`, when it is a directory handle of `ino`; nullptr otherwise.
  std::shared_ptr<DirHandle> dir(u64 fh, u64 ino) const;
  void replace_dir(u64 fh, std::shared_ptr<DirHandle> h);
  void close_dir(u64 fh);

private:
  struct InodeState {
    u64 nlookup = 0;
  };

  // Lock order: second of three (fuse/server.hpp): taken under the tree lock, never the other way.
  mutable std::mutex m_mutex;
  std::unordered_map<u64, InodeState> m_inodes;
  std::unordered_map<u64, std::shared_ptr<DirHandle>> m_dirs;
  u64 m_next_fh = 1;
};

} // namespace famfs::fuse
