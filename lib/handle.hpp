// The C++ side of libfamfs: one open famfs (its image, the tree replayed from its log, and the
// files mapped through it). lib/famfs.cpp wraps it in the C API.
#pragma once

#include "core/image.hpp"
#include "core/log_health.hpp"
#include "core/tree.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace famfs::lib {

using log::u32;
using log::u64;

enum class Write { no, yes };

// A file's attributes as famfs_stat reports them.
struct Attr {
  u64 ino = 0;
  u64 size = 0;
  u64 alloc = 0;
  u64 log_index = 0;
  u32 mode = 0; // with S_IFREG / S_IFDIR
  u32 uid = 0;
  u32 gid = 0;
  u32 nlink = 0;
  u32 nextents = 0;
  bool interleaved = false;
  bool meta = false;
};

struct DirEntry {
  u64 ino = 0;
  u32 mode = 0;
  std::string name;
};

// A file mapped into this process: [base, base + reserved) is ours; the file starts at base.
struct FileMap {
  std::byte* base = nullptr;
  std::size_t size = 0; // the file size
};

class Handle {
public:
  // Opens the file system on `device` (`mountpoint`: the mount it was found through, or "").
  // Validates the superblock and log header, replays every entry (a bad one refuses the open),
  // and with Write::yes checks that this host is the master.
  static Result<std::unique_ptr<Handle>>
  open_device(const std::string& device, Write write, std::string mountpoint = {});
  // Finds the device of the famfs mounted at (or containing) `path` and opens it.
  static Result<std::unique_ptr<Handle>> open_mount(const std::string& path, Write write);
  ~Handle();
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  const std::string& device() const { return m_img.device().path(); }
  const std::string& mountpoint() const { return m_mountpoint; }
  bool writable() const { return m_img.device().writable(); }

  Result<Attr> stat(const std::string& path);
  Result<std::vector<DirEntry>> list(const std::string& path);
  Result<FileMap> map(const std::string& path, Write write);
  Result<void> unmap(const void* addr);
  Result<void> persist(const void* addr, std::size_t len);
  // Applies new log entries; returns how many.
  Result<u64> poll();
  u64 entries();

private:
  explicit Handle(core::Image img) : m_img(std::move(img)) {}
  // The node at `path`, under m_mutex.
  Result<const core::Node*> resolve(const std::string& path) const;
  Result<u64> poll_locked();
  Result<FileMap> map_node(const core::Node& n, Write write);

  std::mutex m_mutex; // guards everything below
  core::Image m_img;
  core::Tree m_tree;
  core::ReplayMark m_mark;
  std::string m_mountpoint;
  std::string m_clobbered;                        // why, once clobbered
  std::map<const std::byte*, std::size_t> m_maps; // base -> reserved length
};

} // namespace famfs::lib
