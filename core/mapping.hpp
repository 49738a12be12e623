// A move-only shared memory mapping that unmaps itself.
#pragma once

#include "log/result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace famfs::core {

enum class Access { read_only, read_write };

class Mapping {
public:
  Mapping() = default;
  // Maps `len` bytes of `fd` from `offset` with MAP_SHARED; read-only maps use PROT_READ only,
  // so a stray write faults instead of corrupting the device. The range is registered with the
  // media guard (core/media_guard.hpp) under `name`, so that a SIGBUS in it is reported as a
  // media error of `name` at its file offset.
  static Result<Mapping> map(int fd,
                             std::uint64_t len,
                             Access access,
                             std::uint64_t offset = 0,
                             std::string_view name = "device");
  // Reserves `len` bytes of address space that fault on any access (PROT_NONE), registered with
  // the media guard under `name` at offset 0; overlay() then maps files into parts of it.
  static Result<Mapping> reserve(std::uint64_t len, std::string_view name);
  // Maps `len` bytes of `fd` (from its offset 0) over [off, off + len) of this mapping, shared,
  // with this mapping's access (read-only unless `access` says read_write).
  Result<void> overlay(std::uint64_t off, int fd, std::uint64_t len, Access access);
  // Puts a private copy of `src` over [off, off + src.size()) of this mapping, read-only once
  // filled: anonymous memory that no device backs. The copy is guarded (core/media_guard.hpp), so
  // lost memory in `src` is Errc::media, not a signal.
  Result<void> overlay_copy(std::uint64_t off, std::span<const std::byte> src);
  Mapping(Mapping&& o) noexcept;
  Mapping& operator=(Mapping&& o) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping();

  std::span<std::byte> bytes() const { return {m_addr, m_len}; }
  std::byte* data() const { return m_addr; }
  std::uint64_t size() const { return m_len; }
  Access access() const { return m_access; }

private:
  std::byte* m_addr = nullptr;
  std::size_t m_len = 0;
  Access m_access = Access::read_only;
};

} // namespace famfs::core
