#include "core/mapping.hpp"

#include "core/media_guard.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <utility>

namespace famfs::core {

Result<Mapping> Mapping::map(
    int fd, std::uint64_t len, Access access, std::uint64_t offset, std::string_view name) {
  if (len == 0) {
    return fail(Errc::invalid_argument, "cannot map 0 bytes");
  }
  int prot = access == Access::read_write ? PROT_READ | PROT_WRITE : PROT_READ;
  void* p = ::mmap(nullptr, len, prot, MAP_SHARED, fd, static_cast<off_t>(offset));
  if (p == MAP_FAILED) {
    return sys_error(errno, "mmap");
  }
  register_mapping(p, len, offset, name);
  Mapping m;
  m.m_addr = static_cast<std::byte*>(p);
  m.m_len = len;
  m.m_access = access;
  return m;
}

Result<Mapping> Mapping::reserve(std::uint64_t len, std::string_view name) {
  if (len == 0) {
    return fail(Errc::invalid_argument, "cannot reserve 0 bytes");
  }
  void* p = ::mmap(nullptr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return sys_error(errno, "mmap");
  }
  register_mapping(p, len, 0, name);
  Mapping m;
  m.m_addr = static_cast<std::byte*>(p);
  m.m_len = len;
  return m;
}

Result<void> Mapping::overlay(std::uint64_t off, int fd, std::uint64_t len, Access access) {
  FAMFS_ASSERT(m_addr != nullptr && off <= m_len && len <= m_len - off && len != 0);
  const int prot = access == Access::read_write ? PROT_READ | PROT_WRITE : PROT_READ;
  if (::mmap(m_addr + off, len, prot, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
    return sys_error(errno, "mmap");
  }
  if (m_access != access) {
    m_access = access; // not written when unchanged: readers may run (a metadata switch)
  }
  return {};
}

Result<void> Mapping::overlay_copy(std::uint64_t off, std::span<const std::byte> src) {
  FAMFS_ASSERT(m_addr != nullptr && off <= m_len && src.size() <= m_len - off && !src.empty());
  void* at = m_addr + off;
  if (::mmap(at, src.size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
      == MAP_FAILED) {
    return sys_error(errno, "mmap");
  }
  FAMFS_TRY(guarded_copy(at, src.data(), src.size()));
  if (::mprotect(at, src.size(), PROT_READ) != 0) {
    return sys_error(errno, "mprotect");
  }
  return {};
}

Mapping::Mapping(Mapping&& o) noexcept
    : m_addr(std::exchange(o.m_addr, nullptr)), m_len(std::exchange(o.m_len, 0)),
      m_access(o.m_access) {}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    if (m_addr != nullptr) {
      unregister_mapping(m_addr);
      ::munmap(m_addr, m_len);
    }
    m_addr = std::exchange(o.m_addr, nullptr);
    m_len = std::exchange(o.m_len, 0);
    m_access = o.m_access;
  }
  return *this;
}

Mapping::~Mapping() {
  if (m_addr != nullptr) {
    unregister_mapping(m_addr);
    ::munmap(m_addr, m_len);
  }
}

} // namespace famfs::core
