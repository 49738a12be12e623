// The tiny golden image (tests/data/golden-small.hex) and the images that reproduce upstream's
// compat images entry for entry (from shared/compat/README.md and listings/), built through the
// log/ API with tests/support/log_builder.hpp.
#pragma once

#include "tests/support/log_builder.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace famfs::test {

inline log::Uuid uuid(const char* text) {
  return *log::Uuid::parse(text);
}

// Golden image: spec §2.2's superblock (UUIDs 00.., 10.., 20.., CRC 0x5eff8a3a) on a 64 MiB
// device with its backup copy, an 8 MiB log, and five entries: spec §2.2's MKDIR "dir1" (CRC
// 0xd6db820b) and FILE "test1" (CRC 0x54c1b56a), an interleaved file, an ADD_DAXDEV and a file
// with two extents.
inline ImageBuilder golden_image() {
  ImageBuilder b(64 * k_mib);
  b.mkdir("dir1");
  b.file("test1", 4096, std::vector<log::Extent>{{0, 0xa00000, 0x200000}});
  b.interleaved("dir1/striped", 6 * k_mib + 5, 2 * k_mib,
                {{0, 0xc00000, 4 * k_mib}, {0, 0x1000000, 4 * k_mib}});
  b.daxdev(1ULL << 30, uuid("11223344-5566-7788-99aa-bbccddeeff00"), 1);
  b.file("dir1/two-extents", 3 * k_mib,
         std::vector<log::Extent>{{0, 0x1400000, 2 * k_mib}, {0, 0x1800000, 2 * k_mib}});
  return b;
}
inline constexpr u64 k_golden_entries = 5;

// Hex text of an image prefix: "<offset>: <32 hex digits>" for each non-zero 16-byte row.
inline std::string to_hex_rows(const std::vector<std::byte>& bytes) {
  std::string out;
  char buf[80];
  for (std::size_t off = 0; off < bytes.size(); off += 16) {
    bool zero = true;
    for (std::size_t k = 0; k < 16 && off + k < bytes.size(); ++k) {
      zero = zero && bytes[off + k] == std::byte{0};
    }
    if (zero) {
      continue;
    }
    std::snprintf(buf, sizeof(buf), "%08zx:", off);
    out += buf;
    for (std::size_t k = 0; k < 16 && off + k < bytes.size(); ++k) {
      std::snprintf(buf, sizeof(buf), " %02x", std::to_integer<unsigned>(bytes[off + k]));
      out += buf;
    }
    out += '\n';
  }
  return out;
}

// Reads hex rows back into a zeroed buffer of `size` bytes. Throws on a malformed file.
inline std::vector<std::byte> from_hex_rows(const std::string& path, std::size_t size) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::vector<std::byte> out(size);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::istringstream ls(line);
    std::string off_text;
    ls >> off_text;
    std::size_t off = std::stoul(off_text, nullptr, 16);
    unsigned v = 0;
    std::size_t k = 0;
    while (ls >> std::hex >> v) {
      if (off + k >= size || v > 0xff) {
        throw std::runtime_error("bad golden row: " + line);
      }
      out[off + k] = static_cast<std::byte>(v);
      ++k;
    }
  }
  return out;
}

// populated-256m as upstream made it (shared/compat/README.md, listings/populated-256m.txt).
inline ImageBuilder populated_256m() {
  ImageBuilder b(256 * k_mib, log::k_default_log_len, /*backup=*/false);
  b.sb().fs_uuid = uuid("6f027586-f329-4e11-a729-795bb7a2c543");
  b.sb().dev_uuid = uuid("26be3639-60f9-4b3d-84af-73a3723f5321");
  b.sb().system_uuid = uuid("79c07b3f-5155-4b09-9ffa-ccb9ff775c82");
  b.commit_superblock();
  b.mkdir("a", 0755);
  b.mkdir("a/b", 0755);
  b.mkdir("a/b/c", 0700, 1000, 1000);
  b.mkdir("data", 0775, 1000, 100);
  b.mkdir("empty-dir", 0755);
  auto file = [&](const char* p, u64 size, u64 off, u64 len, u32 mode, u32 uid, u32 gid) {
    log::Fmap m;
    m.extents = {{0, off, len}};
    b.file(p, size, m, mode, uid, gid);
  };
  file("hello.txt", 47, 0xa00000, 0x200000, 0644, 0, 0);
  file("a/one-byte", 1, 0xc00000, 0x200000, 0444, 0, 0);
  file("a/b/4k", 4096, 0xe00000, 0x200000, 0644, 1000, 1000);
  file("a/b/c/small", 100000, 0x1000000, 0x200000, 0600, 1000, 1000);
  file("a/2m-exact", 2097152, 0x1200000, 0x200000, 0644, 0, 0);
  file("a/2m-plus-1", 2097153, 0x1400000, 0x400000, 0644, 0, 0);
  file("data/10m-odd", 10498105, 0x1800000, 0xc00000, 0640, 1000, 100);
  log::Fmap il;
  il.type = log::ExtType::interleaved;
  il.chunk_size = 0x200000;
  il.extents = {{0, 0xc000000, 0x800000}, {0, 0x8000000, 0x800000}, {0, 0x4000000, 0x800000}};
  b.file("data/striped", 20975841, il, 0644, 1000, 100);
  file("3m.bin", 3145728, 0x2400000, 0x400000, 0664, 0, 0);
  return b;
}

// Upstream's CRCs of populated-256m's superblock and entries (listings/populated-256m.txt).
inline constexpr u32 k_populated_sb_crc = 0x531f588;
inline constexpr u32 k_populated_entry_crcs[] = {
    0x527f303c, 0x5970d492, 0x792e0b3,  0x8d6e3d56, 0x13818d75, 0x9865cdf,  0xd8daa9f0,
    0xa9a46567, 0x4639d2a2, 0x740ac846, 0x3ce51bce, 0x924d524c, 0x95e854ff, 0x218ee27a};

// Upstream's `famfs fsck` of populated-256m (compat/fsck/populated.txt), owner host.
inline constexpr const char* k_populated_fsck = R"(Famfs Superblock:
  Filesystem UUID:   6f027586-f329-4e11-a729-795bb7a2c543
  Device UUID:       26be3639-60f9-4b3d-84af-73a3723f5321
  System UUID:       79c07b3f-5155-4b09-9ffa-ccb9ff775c82
  role of this node: Owner
  alloc_unit:        0x200000
  OMF major version: 2
  OMF minor version: 2
  sizeof superblock: 200
  log size (bytes):  8388608
  primary: /dev/dax0.0   268435456

Log stats:
  # of log entries in use: 14 of 15420
  Log size in use:          7664
  Log size (total bytes)    8388608
  No allocation errors found

Capacity:
  Device capacity:        268435456
  Bitmap capacity:        268435456
  Sum of file sizes:      38918123
  Allocated bytes:        67108864
  Free space:             201326592
  Space amplification:     1.72
  Percent used:            25.0%

Famfs log:
  14 of 15420 entries used
  0 bad log entries detected
  9 files
  5 directories

)";

} // namespace famfs::test
