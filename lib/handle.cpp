#include "lib/handle.hpp"

#include "core/file_data.hpp"
#include "core/fs_ops.hpp"
#include "core/mounts.hpp"
#include "log/fmap.hpp"
#include "log/path.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace famfs::lib {

namespace {

// Every map starts on a 2 MiB boundary, so that the kernel can use huge pages where the device
// allows (devdax does; famfs allocates in 2 MiB units).
constexpr u64 k_map_align = 0x200000;

u64 round_up(u64 v, u64 unit) {
  return (v + unit - 1) / unit * unit;
}

Error errno_error(Errc code, int err, std::string message) {
  return Error{code, err, std::move(message), {}};
}

// The unit a piece of a map must be aligned to: the page, or a devdax device's alignment.
u64 map_granularity(const core::Device& dev) {
  const u64 page = static_cast<u64>(::sysconf(_SC_PAGESIZE));
  if (dev.kind() == core::DeviceKind::devdax) {
    if (auto info = core::daxdev_info(dev.path()); info && info->align > page) {
      return info->align;
    }
  }
  return page;
}

Attr attr_of(const core::Node& n) {
  Attr a;
  a.ino = n.ino;
  a.log_index = n.log_index;
  a.uid = n.uid;
  a.gid = n.gid;
  a.meta = n.meta;
  if (n.kind == core::NodeKind::dir) {
    a.mode = S_IFDIR | n.mode;
    a.nlink = 2 + n.subdirs;
    return a;
  }
  a.mode = S_IFREG | n.mode;
  a.nlink = 1;
  a.size = n.size;
  a.alloc = log::addressable(n.fmap);
  a.nextents = static_cast<u32>(n.fmap.extents.size());
  a.interleaved = n.fmap.type == log::ExtType::interleaved;
  return a;
}

// Reserves `len` bytes of address space (PROT_NONE) starting on a k_map_align boundary.
Result<std::byte*> reserve(u64 len) {
  const u64 total = len + k_map_align;
  void* raw = ::mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) {
    return Unexpected{sys_error(errno, "reserving address space")};
  }
  auto* start = static_cast<std::byte*>(raw);
  const auto addr = reinterpret_cast<std::uintptr_t>(raw);
  auto* base = start + (round_up(addr, k_map_align) - addr);
  if (base > start) {
    ::munmap(start, static_cast<std::size_t>(base - start));
  }
  std::byte* end = start + total;
  if (end > base + len) {
    ::munmap(base + len, static_cast<std::size_t>(end - (base + len)));
  }
  return base;
}

} // namespace

Result<std::unique_ptr<Handle>>
Handle::open_device(const std::string& device, Write write, std::string mountpoint) {
  FAMFS_TRY_ASSIGN(core::Image img, core::Image::open(device, core::OpenMode::read_only));
  if (write == Write::yes) {
    FAMFS_TRY_ASSIGN(core::Role role, img.role());
    if (role != core::Role::master) {
      return fail(Errc::permission,
                  "{}: this host is not the master of this file system (system UUID {}); file "
                  "data is read-only here",
                  device, core::system_uuid_file());
    }
    FAMFS_TRY_ASSIGN(img, core::Image::open(device, core::OpenMode::read_write));
  }
  std::unique_ptr<Handle> h(new Handle(std::move(img)));
  const log::Superblock& sb = h->m_img.superblock();
  h->m_mountpoint = std::move(mountpoint);
  h->m_mark.fs_uuid = sb.fs_uuid;
  h->m_tree.add_meta(sb.log_offset, sb.log_len);
  h->m_tree.set_bounds(sb.log_offset + sb.log_len, h->m_img.device().size());
  FAMFS_TRY(h->poll_locked()); // no other thread knows the handle yet
  return h;
}

Result<std::unique_ptr<Handle>> Handle::open_mount(const std::string& path, Write write) {
  FAMFS_TRY_ASSIGN(core::MountEntry m, core::famfs_mount_for(path));
  return open_device(m.source, write, m.mountpoint);
}

Handle::~Handle() {
  for (const auto& [base, len] : m_maps) {
    ::munmap(const_cast<std::byte*>(base), len);
  }
}

Result<const core::Node*> Handle::resolve(const std::string& path) const {
  std::string_view p = path;
  while (!p.empty() && p.front() == '/') {
    p.remove_prefix(1);
  }
  FAMFS_TRY_ASSIGN(std::vector<std::string> parts, log::split_user_path(p));
  const core::Node* n = m_tree.get(core::k_root_ino);
  for (const auto& part : parts) {
    if (n->kind != core::NodeKind::dir) {
      return errno_error(Errc::not_found, ENOTDIR,
                         fmt::format("{}: {} is not a directory", path, m_tree.path_of(n->ino)));
    }
    n = m_tree.lookup(n->ino, part);
    if (n == nullptr) {
      return errno_error(Errc::not_found, ENOENT,
                         fmt::format("{}: no such file or directory", path));
    }
  }
  return n;
}

Result<Attr> Handle::stat(const std::string& path) {
  std::lock_guard lock(m_mutex);
  FAMFS_TRY_ASSIGN(const core::Node* n, resolve(path));
  return attr_of(*n);
}

Result<std::vector<DirEntry>> Handle::list(const std::string& path) {
  std::lock_guard lock(m_mutex);
  FAMFS_TRY_ASSIGN(const core::Node* dir, resolve(path));
  if (dir->kind != core::NodeKind::dir) {
    return errno_error(Errc::invalid_argument, ENOTDIR, fmt::format("{}: not a directory", path));
  }
  std::vector<DirEntry> out;
  out.reserve(dir->children.size());
  for (const core::Node* c : m_tree.sorted_children(*dir)) {
    out.push_back(DirEntry{c->ino, attr_of(*c).mode, c->name});
  }
  return out;
}

Result<FileMap> Handle::map(const std::string& path, Write write) {
  std::lock_guard lock(m_mutex);
  if (!m_clobbered.empty()) {
    return errno_error(Errc::corrupt, EIO,
                       fmt::format("{}: the file system was clobbered: {}", device(), m_clobbered));
  }
  FAMFS_TRY_ASSIGN(const core::Node* n, resolve(path));
  return with_context(map_node(*n, write), path);
}

Result<FileMap> Handle::map_node(const core::Node& n, Write write) {
  if (n.kind == core::NodeKind::dir) {
    return errno_error(Errc::invalid_argument, EISDIR, "is a directory");
  }
  if (write == Write::yes && (!writable() || n.meta)) {
    return fail(Errc::permission, "{}",
                n.meta ? "famfs metadata is never writable through a map"
                       : "the file system was opened read-only (open it with FAMFS_OPEN_WRITE)");
  }
  const core::Device& dev = m_img.device();
  FAMFS_TRY(core::check_map_bounds(dev, n.fmap, n.size));
  // Whole pages (or devdax units) up to the end of the file, never past its allocation.
  const u64 gran = map_granularity(dev);
  const u64 len = std::min(round_up(n.size, gran), log::addressable(n.fmap));
  const u64 reserved = std::max(round_up(len, k_map_align), k_map_align);
  FAMFS_TRY_ASSIGN(std::byte * base, reserve(reserved));
  const int prot = write == Write::yes ? PROT_READ | PROT_WRITE : PROT_READ;
  Result<void> placed;
  log::for_each_piece(n.fmap, 0, len, [&](u64 off, log::Piece p) {
    if (off % gran != 0 || p.dev_off % gran != 0 || p.len % gran != 0) {
      placed = fail(Errc::unsupported,
                    "file offset {:#x} (device offset {:#x}, {:#x} bytes) is not aligned to the "
                    "{:#x}-byte mapping unit of {}",
                    off, p.dev_off, p.len, gran, dev.path());
      return false;
    }
    void* at = ::mmap(base + off, p.len, prot, MAP_SHARED | MAP_FIXED, dev.fd(),
                      static_cast<off_t>(p.dev_off));
    if (at == MAP_FAILED) {
      placed =
          sys_error(errno, fmt::format("mapping device offset {:#x} of {}", p.dev_off, dev.path()));
      return false;
    }
    return true;
  });
  if (!placed) {
    ::munmap(base, reserved);
    return Unexpected{std::move(placed).error()};
  }
  m_maps.emplace(base, reserved);
  return FileMap{base, n.size};
}

Result<void> Handle::unmap(const void* addr) {
  std::lock_guard lock(m_mutex);
  auto it = m_maps.find(static_cast<const std::byte*>(addr));
  if (it == m_maps.end()) {
    return errno_error(Errc::invalid_argument, EINVAL,
                       fmt::format("{}: not an address famfs_map returned", addr));
  }
  ::munmap(const_cast<std::byte*>(it->first), it->second);
  m_maps.erase(it);
  return {};
}

Result<void> Handle::persist(const void* addr, std::size_t len) {
  std::lock_guard lock(m_mutex);
  const auto* p = static_cast<const std::byte*>(addr);
  auto it = m_maps.upper_bound(p);
  if (it == m_maps.begin() || p + len > std::prev(it)->first + std::prev(it)->second) {
    return errno_error(Errc::invalid_argument, EINVAL,
                       fmt::format("{}+{:#x}: not inside a map of this file system", addr, len));
  }
  if (m_img.device().kind() != core::DeviceKind::file) {
    core::flush_range(addr, len);
    return {};
  }
  const u64 page = static_cast<u64>(::sysconf(_SC_PAGESIZE));
  const auto a = reinterpret_cast<std::uintptr_t>(addr);
  const std::uintptr_t start = a / page * page;
  if (::msync(reinterpret_cast<void*>(start), len + (a - start), MS_SYNC) != 0) {
    return Unexpected{sys_error(errno, "msync")};
  }
  return {};
}

Result<u64> Handle::poll() {
  std::lock_guard lock(m_mutex);
  return poll_locked();
}

u64 Handle::entries() {
  std::lock_guard lock(m_mutex);
  return m_tree.applied();
}

Result<u64> Handle::poll_locked() {
  const core::Device& dev = m_img.device();
  if (!m_clobbered.empty()) {
    return errno_error(
        Errc::corrupt, EIO,
        fmt::format("{}: the file system was clobbered: {}", dev.path(), m_clobbered));
  }
  auto view = m_img.log(); // re-reads the header
  const log::Superblock& sb = m_img.superblock();
  if (view && m_mark.crc_index != core::k_no_index && m_mark.crc_index < view->size()) {
    dev.invalidate(sb.log_offset + log::entry_offset(m_mark.crc_index), log::k_log_entry_size);
  }
  if (std::string why = core::clobber_reason(dev, m_mark, view); !why.empty()) {
    m_clobbered = why;
    return errno_error(Errc::corrupt, EIO,
                       fmt::format("{}: the file system was clobbered: {}", dev.path(), why));
  }
  if (!view) {
    return Unexpected{std::move(view).error()};
  }
  const u64 from = m_tree.applied();
  if (view->size() > from) {
    dev.invalidate(sb.log_offset + log::entry_offset(from),
                   (view->size() - from) * log::k_log_entry_size);
  }
  core::ReplayReport report = m_tree.catch_up(*view, ~0ULL, core::Tree::KeepCreated::no);
  m_mark.remember(*view, m_tree.applied());
  if (report.stopped) {
    return fail(Errc::corrupt, "{}: {}; the files before it stay usable; run famfs fsck",
                dev.path(), report.problems.back());
  }
  return m_tree.applied() - from;
}

} // namespace famfs::lib
