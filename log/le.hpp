// Little-endian field codecs over byte spans. Every on-media integer goes through these;
// nothing is ever read by casting a struct onto device bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace famfs::log {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

// Reads an N-byte little-endian unsigned integer at p.
template <typename T> inline T load_le(const std::byte* p) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<T>(static_cast<T>(std::to_integer<u8>(p[i])) << (8 * i));
  }
  return v;
}

// Writes v as an N-byte little-endian unsigned integer at p.
template <typename T> inline void store_le(std::byte* p, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
  }
}

// A little-endian integer of on-media width N*8 held as bytes: trivially copyable, align 1,
// so a struct of these has exactly the layout written in it (mold's lib/integers.h idea).
template <typename T> struct LeInt {
  std::array<std::byte, sizeof(T)> b{};
  T get() const { return load_le<T>(b.data()); }
  void set(T v) { store_le<T>(b.data(), v); }
};
using le16 = LeInt<u16>;
using le32 = LeInt<u32>;
using le64 = LeInt<u64>;
static_assert(sizeof(le64) == 8 && alignof(le64) == 1);

// Field access at a byte offset of a span, used by the codecs in format.cpp.
inline u32 get32(std::span<const std::byte> s, std::size_t off) {
  return load_le<u32>(s.data() + off);
}
inline u64 get64(std::span<const std::byte> s, std::size_t off) {
  return load_le<u64>(s.data() + off);
}
inline void put32(std::span<std::byte> s, std::size_t off, u32 v) {
  store_le<u32>(s.data() + off, v);
}
inline void put64(std::span<std::byte> s, std::size_t off, u64 v) {
  store_le<u64>(s.data() + off, v);
}

// True when every byte of `b` is zero (fsck and repair: empty slots, absent superblocks). The
// first byte is zero and every byte equals its successor.
inline bool all_zero(std::span<const std::byte> b) {
  return b.empty()
         || (b[0] == std::byte{0} && std::memcmp(b.data(), b.data() + 1, b.size() - 1) == 0);
}

// The bytes [off, off + len) of `b`, or an empty span when they are not all there.
inline std::span<const std::byte> region_of(std::span<const std::byte> b, u64 off, u64 len) {
  if (off > b.size() || len > b.size() - off) {
    return {};
  }
  return b.subspan(off, len);
}

} // namespace famfs::log
