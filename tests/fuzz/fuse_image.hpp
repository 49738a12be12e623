// The small famfs that the FUSE fuzz target serves, shared with make_seeds, whose seed requests
// name its node ids. Node ids follow replay order: 1 the root, 2 .meta, 3 .meta/.superblock,
// 4 .meta/.log, then one per entry of fuse_image_entries(), in order (fuzz_fuse checks this).
#pragma once

#include "log/records.hpp"
#include "tests/support/log_entries.hpp"

#include <vector>

namespace famfs::fuzz {

using log::u64;

inline constexpr u64 k_fuse_dev_size = 64ULL << 20;
inline constexpr u64 k_fuse_au = 2ULL << 20;
inline constexpr u64 k_fuse_data = 0xa00000; // first data AU with the default 8 MiB log

enum Ino : u64 {
  ino_root = 1,
  ino_meta = 2,
  ino_superblock = 3,
  ino_log = 4,
  ino_d = 5,         // d/
  ino_simple = 6,    // d/simple: 3 MiB + 100 bytes over two extents, out of order
  ino_inter = 7,     // inter: 5 MiB interleaved, chunk 256 KiB, 3 strips
  ino_e = 8,         // d/e/
  ino_deep = 9,      // d/e/deep: 4 KiB
  ino_wild = 10,     // wild: the second extent lies past the device
  ino_chunky = 11,   // chunky: interleaved with 1 KiB chunks (a 1 MiB READ is 1024 pieces)
  ino_empty = 12,    // empty: size 0
  ino_over_log = 13, // over-log: mapped onto the log region (WRITE must refuse)
  ino_short = 14,    // short: larger than its map
  ino_count = 14,
};

inline std::vector<log::LogEntry> fuse_image_entries() {
  using test::dir_entry;
  using test::file_entry;
  using test::interleaved;
  using test::simple;
  const u64 au = k_fuse_au;
  const u64 data = k_fuse_data;
  return {
      dir_entry("d"),
      file_entry("d/simple", 3 * (1ULL << 20) + 100,
                 simple({{0, data + 2 * au, au}, {0, data, 2 * au}}), 0640, 1000, 100),
      file_entry(
          "inter", 5ULL << 20,
          interleaved(256 * 1024,
                      {{0, data + 3 * au, au}, {0, data + 5 * au, au}, {0, data + 4 * au, au}})),
      dir_entry("d/e"),
      file_entry("d/e/deep", 4096, simple({{0, data + 6 * au, au}})),
      file_entry("wild", 4 * au, simple({{0, data + 7 * au, au}, {0, k_fuse_dev_size, 3 * au}})),
      file_entry("chunky", 2 * au,
                 interleaved(1024, {{0, data + 8 * au, au}, {0, data + 9 * au, au}})),
      file_entry("empty", 0, simple({{0, data + 10 * au, au}})),
      file_entry("over-log", au, simple({{0, 2ULL << 20, au}})),
      file_entry("short", 3 * au, simple({{0, data + 11 * au, au}})),
  };
}

} // namespace famfs::fuzz
