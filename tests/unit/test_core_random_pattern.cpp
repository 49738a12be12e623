// The creat --randomize / verify pattern (spec appendix A) and the XXH3 digest helper.
#include "core/digest.hpp"
#include "core/random_pattern.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace famfs;
using namespace famfs::core;

namespace {

std::vector<int> first_bytes(u64 seed, std::size_t n) {
  std::vector<std::byte> b(n);
  fill_pattern(b, seed);
  std::vector<int> out;
  for (auto x : b) {
    out.push_back(std::to_integer<int>(x));
  }
  return out;
}

} // namespace

TEST_CASE("core::random_pattern: golden first bytes of upstream's pattern", "[core]") {
  SECTION("seed 1") {
    CHECK(first_bytes(1, 16)
          == std::vector<int>{0x28, 0x49, 0x91, 0xee, 0x66, 0xb6, 0xfb, 0x34, 0x3a, 0x87, 0xca,
                              0x18, 0xde, 0x44, 0x17, 0x78});
  }
  SECTION("seed 42") {
    CHECK(first_bytes(42, 16)
          == std::vector<int>{0x98, 0x5f, 0x52, 0xe2, 0x7a, 0xfb, 0x0c, 0x3d, 0xf8, 0x8c, 0x82,
                              0x2b, 0x40, 0x22, 0x49, 0xe5});
  }
  SECTION("the seed is truncated to 32 bits, as upstream passes an unsigned int") {
    CHECK(first_bytes(42 + (1ULL << 32), 64) == first_bytes(42, 64));
    CHECK(first_bytes(43, 64) != first_bytes(42, 64));
  }
}

TEST_CASE("core::random_pattern: pieces of any length give the same stream", "[core]") {
  const std::size_t n = 4099; // not a multiple of 4: the tail takes leading bytes of one word
  std::vector<std::byte> whole(n);
  fill_pattern(whole, 7);
  for (std::size_t cut : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5},
                          std::size_t{4096}, std::size_t{4097}}) {
    std::vector<std::byte> pieces(n);
    PatternStream ps(7);
    std::size_t off = 0;
    while (off < n) {
      std::size_t len = std::min(cut, n - off);
      ps.fill(std::span<std::byte>(pieces.data() + off, len));
      off += len;
    }
    CHECK(ps.position() == n);
    CHECK(pieces == whole);
  }
}

TEST_CASE("core::random_pattern: mismatch reports the first bad 4-byte word", "[core]") {
  std::vector<std::byte> b(10000);
  fill_pattern(b, 99);
  CHECK_FALSE(PatternStream(99).mismatch(b).has_value());
  CHECK(PatternStream(98).mismatch(b) == std::optional<u64>(0));
  b[5003] ^= std::byte{1};
  CHECK(PatternStream(99).mismatch(b) == std::optional<u64>(5000));
  // Checked in pieces, the offset is still from the start of the stream.
  PatternStream ps(99);
  CHECK_FALSE(ps.mismatch(std::span<const std::byte>(b.data(), 4999)).has_value());
  CHECK(ps.mismatch(std::span<const std::byte>(b.data() + 4999, b.size() - 4999))
        == std::optional<u64>(5000));
}

TEST_CASE("core::digest: XXH3-64, streaming equals one shot", "[core]") {
  std::vector<std::byte> b(100000);
  fill_pattern(b, 3);
  const u64 whole = digest(b);
  Digest d;
  d.update(std::span<const std::byte>(b.data(), 12345));
  d.update(std::span<const std::byte>(b.data() + 12345, b.size() - 12345));
  CHECK(d.value() == whole);
  // XXH3-64 of the empty input (seed 0), a published test vector.
  CHECK(digest({}) == 0x2D06800538D394C2ULL);
  CHECK(digest_text(0x2D06800538D394C2ULL) == "2d06800538d394c2");
  b[0] ^= std::byte{1};
  CHECK(digest(b) != whole);
}
