// The on-media format against fixed bytes: the committed golden image (tests/data), upstream's own
// CRCs for the compat images, encode/decode round trips, and truncation and bit-flip sweeps over
// the golden image (run under ASan/UBSan in CI: a crash or an out-of-bounds read fails them).
#include "log/log_view.hpp"
#include "log/records.hpp"
#include "tests/support/golden.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>

using namespace famfs;
using namespace famfs::log;
using namespace famfs::test;

namespace {

const std::string k_golden_path = std::string(FAMFS_TEST_DATA) + "/golden-small.hex";

std::span<const std::byte> log_span(const std::vector<std::byte>& img) {
  return std::span<const std::byte>(img).subspan(k_log_offset, k_default_log_len);
}

std::size_t first_difference(const std::vector<std::byte>& a, const std::vector<std::byte>& b) {
  auto m = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return static_cast<std::size_t>(m.first - a.begin());
}

} // namespace

TEST_CASE("log golden image: the log/ API writes exactly the committed bytes", "[log]") {
  ImageBuilder b = golden_image();
  auto want = from_hex_rows(k_golden_path, b.bytes().size());
  INFO("first difference at byte offset " << first_difference(b.bytes(), want)
                                          << "; a format change must bump the version and "
                                             "regenerate tests/data/golden-small.hex");
  REQUIRE(b.bytes() == want);
  // The values spec §2.2 verified against upstream's own header and zlib.
  CHECK(get64(want, 96) == 0x5eff8a3aU);
  CHECK(get64(want, k_backup_sb_offset + 96) == 0x5eff8a3aU);
  CHECK(get64(want, k_log_offset + 24) == 0xa5875078U);
  CHECK(get64(want, ImageBuilder::entry_at(0) + 536) == 0xd6db820bU);
  CHECK(get64(want, ImageBuilder::entry_at(1) + 536) == 0x54c1b56aU);
  CHECK(get64(want, k_log_offset + 40) == k_golden_entries);
}

// Writes the golden file from the current encoder. Run by hand only after a deliberate format
// change: FAMFS_REGEN_GOLDEN=1 famfs_unit "[.regen]"
TEST_CASE("log golden image: regenerate tests/data/golden-small.hex", "[.regen]") {
  const char* go = std::getenv("FAMFS_REGEN_GOLDEN");
  if (go == nullptr || std::string(go) != "1") {
    WARN("set FAMFS_REGEN_GOLDEN=1 to rewrite " << k_golden_path);
    return;
  }
  std::ofstream out(k_golden_path);
  out << "# famfs golden image (tests/support/golden.hpp golden_image()): non-zero 16-byte rows "
         "of\n"
         "# [0, 2 MiB + 8 MiB). Superblock at 0, backup at 0x1ff000, log at 0x200000.\n";
  out << to_hex_rows(golden_image().bytes());
  REQUIRE(out.good());
}

TEST_CASE("log::encode: reproduces upstream's CRCs for the compat images", "[log]") {
  ImageBuilder p = populated_256m();
  CHECK(get64(p.bytes(), 96) == k_populated_sb_crc);
  for (u64 i = 0; i < 14; ++i) {
    INFO("entry " << i);
    CHECK(get64(p.bytes(), ImageBuilder::entry_at(i) + 536) == k_populated_entry_crcs[i]);
  }

  ImageBuilder a(64 * k_mib, k_default_log_len, false);
  a.sb().fs_uuid = uuid("b72124bf-53ca-4b2d-a05a-9e5998df613c");
  a.sb().dev_uuid = uuid("7167e63d-5641-4478-9f72-2c1c4196c742");
  a.sb().system_uuid = uuid("79c07b3f-5155-4b09-9ffa-ccb9ff775c82");
  a.commit_superblock();
  a.mkdir("d");
  a.file("d/before", 1048576, std::vector<Extent>{{0, 0xa00000, 0x200000}});
  a.daxdev(1073741824, uuid("11223344-5566-7788-99aa-bbccddeeff00"), 1);
  a.file("d/after", 1048583, std::vector<Extent>{{0, 0xc00000, 0x200000}});
  CHECK(get64(a.bytes(), 96) == 0x553ce594U);
  CHECK(get64(a.bytes(), ImageBuilder::entry_at(0) + 536) == 0x3d206a9bU);
  CHECK(get64(a.bytes(), ImageBuilder::entry_at(1) + 536) == 0x217ea4f1U);
  CHECK(get64(a.bytes(), ImageBuilder::entry_at(2) + 536) == 0x42350319U);
  CHECK(get64(a.bytes(), ImageBuilder::entry_at(3) + 536) == 0x57da62bbU);

  Superblock f;
  f.fs_uuid = uuid("a9165247-fc14-41cf-8324-f1430e9738ea");
  f.dev_uuid = uuid("d22e04c1-4bac-43e0-bcbe-8edc808b195e");
  f.system_uuid = uuid("79c07b3f-5155-4b09-9ffa-ccb9ff775c82");
  std::vector<std::byte> buf(k_superblock_size);
  encode_superblock(f, buf);
  CHECK(superblock_crc(buf) == 0xa552c16bU);
}

TEST_CASE("log::encode_entry/decode_entry: round trips at the limits", "[log]") {
  std::vector<LogEntry> cases;
  {
    LogEntry e;
    e.type = EntryType::mkdir;
    e.body = MkdirEntry{0xffffffffU, 0xfffffffeU, 07777, std::string(79, 'd')};
    cases.push_back(e);
  }
  {
    LogEntry e;
    e.type = EntryType::file;
    FileEntry f;
    f.size = ~0ULL;
    f.flags = 1;
    f.uid = 1000;
    f.gid = 100;
    f.mode = 0600;
    f.relpath = "a/" + std::string(77, 'f');
    for (u64 k = 0; k < k_max_simple_extents; ++k) {
      f.fmap.extents.push_back(Extent{k, 0xa00000 + k * 0x200000, 0x200000});
    }
    e.body = f;
    cases.push_back(e);
  }
  {
    LogEntry e;
    e.type = EntryType::file;
    FileEntry f;
    f.size = 123456789;
    f.relpath = "striped";
    f.fmap.type = ExtType::interleaved;
    f.fmap.chunk_size = 0x400000;
    for (u64 k = 0; k < k_max_strips; ++k) {
      f.fmap.extents.push_back(Extent{0, (k + 5) << 30, 0x1000000});
    }
    e.body = f;
    cases.push_back(e);
  }
  {
    LogEntry e;
    e.type = EntryType::add_daxdev;
    e.body = DaxdevEntry{~0ULL, seq_uuid(0xf0), 0xffffffffU};
    cases.push_back(e);
  }
  {
    LogEntry e;
    e.type = EntryType::invalid;
    cases.push_back(e);
  }
  u64 seq = 0;
  for (auto& e : cases) {
    e.seqnum = seq++ * 0x1000000001ULL;
    REQUIRE(validate_for_encoding(e));
    std::vector<std::byte> a(k_log_entry_size, std::byte{0x77});
    encode_entry(e, a);
    auto d = decode_entry(a, e.seqnum, "entry");
    REQUIRE(d);
    CHECK(d->type == e.type);
    CHECK(d->body.index() == e.body.index());
    std::vector<std::byte> b(k_log_entry_size);
    encode_entry(*d, b);
    CHECK(a == b);
  }
}

TEST_CASE("log::validate_for_encoding: refuses what cannot be stored", "[log]") {
  LogEntry e;
  e.type = EntryType::file;
  FileEntry f;
  f.relpath = std::string(80, 'x');
  f.fmap.extents = {Extent{0, 0xa00000, 0x200000}};
  e.body = f;
  CHECK(validate_for_encoding(e).error().code == Errc::invalid_argument);
  f.relpath = std::string("a\0b", 3);
  e.body = f;
  CHECK(!validate_for_encoding(e));
  f.relpath = "ok";
  f.fmap.extents.assign(17, Extent{0, 0xa00000, 0x200000});
  e.body = f;
  CHECK(!validate_for_encoding(e));
  f.fmap.extents.clear();
  e.body = f;
  CHECK(!validate_for_encoding(e));
  f.fmap.type = ExtType::interleaved;
  f.fmap.chunk_size = 0x200000;
  f.fmap.extents.assign(17, Extent{0, 0xa00000, 0x200000});
  e.body = f;
  CHECK(!validate_for_encoding(e));
}

TEST_CASE("log golden image: every truncation is a clean corrupt error", "[log]") {
  const auto img = golden_image().bytes();
  for (std::size_t len = 0; len < k_superblock_size; ++len) {
    auto r = parse_superblock(std::span<const std::byte>(img).first(len));
    REQUIRE(!r);
    REQUIRE(r.error().code == Errc::corrupt);
  }
  auto log = log_span(img);
  for (std::size_t len = 0; len < k_log_header_size; ++len) {
    REQUIRE(!decode_log_header(log.first(len)));
    REQUIRE(!parse_log_header(log.first(len), 0));
  }
  // A log cut anywhere before its declared end is refused as a whole.
  const std::size_t used = entry_offset(k_golden_entries + 1);
  for (std::size_t len = 0; len <= used; ++len) {
    auto v = LogView::parse(log.first(len), k_default_log_len);
    REQUIRE(!v);
    REQUIRE(v.error().code == Errc::corrupt);
  }
  for (std::size_t len : {k_default_log_len - 1, k_default_log_len / 2}) {
    REQUIRE(!LogView::parse(log.first(len), k_default_log_len));
  }
  REQUIRE(LogView::parse(log, k_default_log_len));
}

TEST_CASE("log golden image: every single-bit flip is caught or harmless", "[log]") {
  auto img = golden_image().bytes();
  const auto good_log = std::vector<std::byte>(log_span(img).begin(), log_span(img).end());

  SECTION("superblock: flips in the CRC-covered bytes and the CRC are refused") {
    for (std::size_t bit = 0; bit < k_superblock_size * 8; ++bit) {
      const std::size_t byte = bit / 8;
      img[byte] ^= std::byte(static_cast<unsigned char>(1U << (bit % 8)));
      auto r = parse_superblock(std::span<const std::byte>(img).first(k_superblock_size));
      if (byte < 104) {
        INFO("bit " << bit);
        REQUIRE(!r);
        REQUIRE((r.error().code == Errc::corrupt || r.error().code == Errc::bad_version));
      } else {
        // flags, pad and daxdev are outside the CRC, as upstream: accepted, covered fields intact.
        REQUIRE(r);
        REQUIRE(r->crc == 0x5eff8a3aU);
      }
      img[byte] ^= std::byte(static_cast<unsigned char>(1U << (bit % 8)));
    }
  }

  SECTION("log: never more (or different) entries than before") {
    auto log = std::vector<std::byte>(good_log);
    const std::size_t used = entry_offset(k_golden_entries);
    std::size_t rejected_whole = 0;
    for (std::size_t bit = 0; bit < used * 8; ++bit) {
      const std::size_t byte = bit / 8;
      log[byte] ^= std::byte(static_cast<unsigned char>(1U << (bit % 8)));
      auto v = LogView::parse(log, k_default_log_len);
      if (!v) {
        REQUIRE(v.error().code == Errc::corrupt);
        rejected_whole++;
      } else {
        std::size_t ok = 0;
        for (u64 i = 0; i < v->size(); ++i) {
          auto e = v->entry(i);
          if (!e) {
            REQUIRE(e.error().code == Errc::corrupt);
            continue;
          }
          // A surviving entry is byte for byte the original one.
          REQUIRE(i < k_golden_entries);
          std::vector<std::byte> re(k_log_entry_size);
          encode_entry(*e, re);
          REQUIRE(std::equal(re.begin(), re.end(),
                             good_log.begin() + static_cast<std::ptrdiff_t>(entry_offset(i))));
          ok++;
        }
        REQUIRE(ok <= k_golden_entries);
        // A flip inside an entry always costs that entry.
        if (byte >= k_log_header_size) {
          REQUIRE(ok < k_golden_entries);
        }
      }
      log[byte] ^= std::byte(static_cast<unsigned char>(1U << (bit % 8)));
    }
    CHECK(rejected_whole > 0);
  }
}
