// The data pattern of `famfs creat --randomize` and `famfs verify` (spec appendix A), byte for
// byte the same as upstream's testlib/random_buffer.c, so data randomized by either
// implementation verifies with the other.
#pragma once

#include "log/le.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <span>

namespace famfs::core {

using log::u32;
using log::u64;

// The pattern as a byte stream: xoroshiro128+ (the original 55/14/36 constants) seeded by two
// successive splitmix64 outputs of the seed truncated to 32 bits; each 4-byte word is the low
// 32 bits of one output, little-endian. The stream may be consumed in pieces of any length.
class PatternStream {
public:
  explicit PatternStream(u64 seed);

  // Writes the next out.size() bytes of the stream into `out`.
  void fill(std::span<std::byte> out);
  // Compares `in` with the next in.size() bytes of the stream. Returns the stream offset of the
  // 4-byte word holding the first difference, or nothing when they match.
  std::optional<u64> mismatch(std::span<const std::byte> in);
  // Bytes of the stream consumed so far.
  u64 position() const { return m_pos; }

private:
  u32 next_word();
  std::byte next_byte();

  u64 m_s0 = 0;
  u64 m_s1 = 0;
  std::array<std::byte, 4> m_word{}; // the word being consumed a byte at a time
  unsigned m_used = 4;               // bytes of m_word already consumed
  u64 m_pos = 0;
};

// Fills `out` with the pattern for `seed` from its start.
void fill_pattern(std::span<std::byte> out, u64 seed);

} // namespace famfs::core
