#include "fuse/inode_table.hpp"

#include <algorithm>

namespace famfs::fuse {

void InodeTable::add_lookups(u64 ino, u64 n) {
  std::lock_guard lock(m_mutex);
  m_inodes[ino].nlookup += n;
}

void InodeTable::add_lookups(std::span<const u64> inos) {
  if (inos.empty()) {
    return;
  }
  std::lock_guard lock(m_mutex);
  for (u64 ino : inos) {
    m_inodes[ino].nlookup++;
  }
}

void InodeTable::forget(u64 ino, u64 n) {
  std::lock_guard lock(m_mutex);
  auto it = m_inodes.find(ino);
  if (it != m_inodes.end()) {
    it->second.nlookup -= std::min(it->second.nlookup, n);
  }
}

void InodeTable::forget(std::span<const ForgetItem> items) {
  std::lock_guard lock(m_mutex);
  for (const auto& item : items) {
    auto it = m_inodes.find(item.nodeid);
    if (it != m_inodes.end()) {
      it->second.nlookup -= std::min(it->second.nlookup, item.nlookup);
    }
  }
}

u64 InodeTable::lookup_count(u64 ino) const {
  std::lock_guard lock(m_mutex);
  auto it = m_inodes.find(ino);
  return it == m_inodes.end() ? 0 : it->second.nlookup;
}

u64 InodeTable::open_dir(std::shared_ptr<const DirHandle> h) {
  std::lock_guard lock(m_mutex);
  const u64 fh = m_next_fh++;
  m_dirs[fh] = std::move(h);
  return fh;
}

std::shared_ptr<const DirHandle> InodeTable::dir(u64 fh, u64 ino) const {
  std::lock_guard lock(m_mutex);
  auto it = m_dirs.find(fh);
  if (it == m_dirs.end() || it->second->ino != ino) {
    return nullptr;
  }
  return it->second;
}

void InodeTable::replace_dir(u64 fh, std::shared_ptr<const DirHandle> h) {
  std::lock_guard lock(m_mutex);
  m_dirs[fh] = std::move(h);
}

void InodeTable::close_dir(u64 fh) {
  std::lock_guard lock(m_mutex);
  m_dirs.erase(fh);
}

} // namespace famfs::fuse
