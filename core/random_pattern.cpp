#include "core/random_pattern.hpp"

#include <cstring>

namespace famfs::core {

namespace {

u64 splitmix64(u64& x) {
  u64 z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr u64 rotl(u64 x, int k) {
  return (x << k) | (x >> (64 - k));
}

void store_word(std::byte* p, u32 w) {
  p[0] = static_cast<std::byte>(w & 0xff);
  p[1] = static_cast<std::byte>((w >> 8) & 0xff);
  p[2] = static_cast<std::byte>((w >> 16) & 0xff);
  p[3] = static_cast<std::byte>((w >> 24) & 0xff);
}

} // namespace

PatternStream::PatternStream(u64 seed) {
  // Upstream passes the seed as an unsigned int.
  u64 x = seed & 0xffffffffULL;
  m_s0 = splitmix64(x);
  m_s1 = splitmix64(x);
}

u32 PatternStream::next_word() {
  const u64 s0 = m_s0;
  u64 s1 = m_s1;
  const u64 result = s0 + s1;
  s1 ^= s0;
  m_s0 = rotl(s0, 55) ^ s1 ^ (s1 << 14);
  m_s1 = rotl(s1, 36);
  return static_cast<u32>(result & 0xffffffffULL);
}

std::byte PatternStream::next_byte() {
  if (m_used == 4) {
    store_word(m_word.data(), next_word());
    m_used = 0;
  }
  return m_word[m_used++];
}

void PatternStream::fill(std::span<std::byte> out) {
  std::size_t i = 0;
  const std::size_t n = out.size();
  while (i < n && m_used < 4) {
    out[i++] = next_byte();
  }
  for (; i + 4 <= n; i += 4) {
    store_word(out.data() + i, next_word());
  }
  while (i < n) {
    out[i++] = next_byte();
  }
  m_pos += n;
}

std::optional<u64> PatternStream::mismatch(std::span<const std::byte> in) {
  std::array<std::byte, 4096> buf{};
  std::size_t done = 0;
  while (done < in.size()) {
    const std::size_t n = std::min(buf.size(), in.size() - done);
    const u64 base = m_pos;
    fill(std::span<std::byte>(buf.data(), n));
    if (std::memcmp(buf.data(), in.data() + done, n) != 0) {
      for (std::size_t k = 0; k < n; ++k) {
        if (buf[k] != in[done + k]) {
          return (base + k) / 4 * 4;
        }
      }
    }
    done += n;
  }
  return std::nullopt;
}

void fill_pattern(std::span<std::byte> out, u64 seed) {
  PatternStream(seed).fill(out);
}

} // namespace famfs::core
