// The on-media format: golden CRCs and bytes from spec §2.2, round trips, and damage sweeps.
#include "log/fmap.hpp"
#include "log/log_view.hpp"
#include "log/records.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

using namespace famfs;
using namespace famfs::log;

namespace {

Uuid seq_uuid(std::uint8_t first) {
  Uuid u;
  for (std::uint8_t i = 0; i < 16; ++i) {
    u.bytes[i] = static_cast<std::uint8_t>(first + i);
  }
  return u;
}

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) {
    out.push_back(static_cast<std::byte>(b));
  }
  return out;
}

LogEntry golden_mkdir() {
  LogEntry e;
  e.seqnum = 0;
  e.type = EntryType::mkdir;
  e.body = MkdirEntry{0, 0, 0755, "dir1"};
  return e;
}

LogEntry golden_file() {
  LogEntry e;
  e.seqnum = 1;
  e.type = EntryType::file;
  FileEntry f;
  f.size = 4096;
  f.flags = 2;
  f.mode = 0644;
  f.relpath = "test1";
  f.fmap.type = ExtType::simple;
  f.fmap.extents = {Extent{0, 0xa00000, 0x200000}};
  e.body = f;
  return e;
}

} // namespace

TEST_CASE("log::crc32: zlib check value", "[log]") {
  const char* s = "123456789";
  std::vector<std::byte> b(9);
  std::memcpy(b.data(), s, 9);
  CHECK(crc32(b) == 0xCBF43926U);
}

TEST_CASE("log::encode_superblock: golden bytes and CRC 0x5eff8a3a", "[log]") {
  Superblock sb;
  sb.fs_uuid = seq_uuid(0x00);
  sb.dev_uuid = seq_uuid(0x10);
  sb.system_uuid = seq_uuid(0x20);
  std::vector<std::byte> buf(k_superblock_size, std::byte{0xee});
  encode_superblock(sb, buf);
  // 16 bytes a row, as the layout is read.
  // clang-format off
  auto head = bytes_of({0xff, 0x82, 0xb2, 0x87, 0, 0, 0, 0, 0x30, 0, 0, 0, 0, 0, 0, 0,
                        0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0,
                        0, 0, 0x20, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0});
  // clang-format on
  CHECK(std::equal(head.begin(), head.end(), buf.begin()));
  CHECK(std::to_integer<int>(buf[0x30]) == 0x00);
  CHECK(std::to_integer<int>(buf[0x5f]) == 0x2f);
  auto crc = bytes_of({0x3a, 0x8a, 0xff, 0x5e, 0, 0, 0, 0});
  CHECK(std::equal(crc.begin(), crc.end(), buf.begin() + 96));
  // Unused bytes are zero, not whatever was in the buffer.
  for (std::size_t i = 104; i < 112; ++i) {
    CHECK(std::to_integer<int>(buf[i]) == 0);
  }
  auto back = parse_superblock(buf);
  REQUIRE(back);
  CHECK(back->crc == 0x5eff8a3aU);
  CHECK(back->fs_uuid == sb.fs_uuid);

  SECTION("all-zero UUIDs give 0xa95718de") {
    Superblock z;
    encode_superblock(z, buf);
    CHECK(superblock_crc(buf) == 0xa95718deU);
  }
}

TEST_CASE("log::parse_superblock: rejects damage with typed errors", "[log]") {
  Superblock sb;
  std::vector<std::byte> buf(k_superblock_size);
  encode_superblock(sb, buf);
  SECTION("bad magic") {
    buf[0] ^= std::byte{0xff};
    auto r = parse_superblock(buf);
    REQUIRE(!r);
    CHECK(r.error().code == Errc::corrupt);
    CHECK_THAT(r.error().message, Catch::Contains("not a famfs file system"));
  }
  SECTION("other version") {
    buf[8] ^= std::byte{1};
    auto r = parse_superblock(buf);
    REQUIRE(!r);
    CHECK(r.error().code == Errc::bad_version);
    CHECK_THAT(r.error().message, Catch::Contains("49") && Catch::Contains("48"));
  }
  SECTION("checksum") {
    buf[0x30] ^= std::byte{0xff};
    auto r = parse_superblock(buf);
    REQUIRE(!r);
    CHECK_THAT(r.error().message, Catch::Contains("checksum mismatch"));
  }
  SECTION("uncovered bytes are accepted") {
    buf[115] ^= std::byte{1};
    CHECK(parse_superblock(buf));
  }
  SECTION("short span") {
    auto r = parse_superblock(std::span<const std::byte>(buf).first(199));
    REQUIRE(!r);
    CHECK(r.error().code == Errc::corrupt);
  }
}

TEST_CASE("log::encode_log_header: golden 8 MiB header, CRC 0xa5875078", "[log]") {
  std::vector<std::byte> buf(k_log_header_size);
  encode_log_header(make_log_header(0x800000), buf);
  // 16 bytes a row, as the layout is read.
  // clang-format off
  auto want = bytes_of({0x0d, 0xf0, 0xfe, 0xca, 0xad, 0x0b, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0,
                        0x3b, 0x3c, 0, 0, 0, 0, 0, 0, 0x78, 0x50, 0x87, 0xa5, 0, 0, 0, 0,
                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  // clang-format on
  CHECK(buf == want);
  struct Case {
    u64 len;
    u64 last;
    u32 crc;
  };
  for (auto c : {Case{16 << 20, 30839, 0x3514e0d7}, Case{32 << 20, 61679, 0xcf4287c8},
                 Case{64 << 20, 123360, 0xbc720e66}, Case{128 << 20, 246722, 0x88715b08},
                 Case{256ULL << 20, 493446, 0xe077f1d4}}) {
    encode_log_header(make_log_header(c.len), buf);
    auto h = parse_log_header(buf, c.len);
    REQUIRE(h);
    CHECK(h->last_index == c.last);
    CHECK(h->crc == c.crc);
  }
}

TEST_CASE("log::encode_entry: golden mkdir 0xd6db820b and file 0x54c1b56a", "[log]") {
  std::vector<std::byte> buf(k_log_entry_size, std::byte{0x5a});
  encode_entry(golden_mkdir(), buf);
  CHECK(get64(buf, 536) == 0xd6db820bU);
  CHECK(get32(buf, 8) == 1);
  CHECK(get32(buf, 24) == 0755);
  CHECK(std::memcmp(buf.data() + 28, "dir1\0", 5) == 0);
  for (std::size_t i = 33; i < 536; ++i) {
    REQUIRE(std::to_integer<int>(buf[i]) == 0);
  }
  auto m = decode_entry(buf, 0, "entry");
  REQUIRE(m);
  CHECK(std::get<MkdirEntry>(m->body).relpath == "dir1");

  encode_entry(golden_file(), buf);
  CHECK(get64(buf, 536) == 0x54c1b56aU);
  CHECK(get64(buf, 16) == 4096);
  CHECK(get32(buf, 24) == 2);
  CHECK(get32(buf, 128) == 1);
  CHECK(get64(buf, 144) == 0xa00000);
  CHECK(get64(buf, 152) == 0x200000);
  auto f = decode_entry(buf, 1, "entry");
  REQUIRE(f);
  const auto& fe = std::get<FileEntry>(f->body);
  CHECK(fe.relpath == "test1");
  CHECK(fe.fmap == std::get<FileEntry>(golden_file().body).fmap);
}

TEST_CASE("log::encode_entry: interleaved and daxdev round trips", "[log]") {
  LogEntry e;
  e.seqnum = 12;
  e.type = EntryType::file;
  FileEntry f;
  f.size = 20975841;
  f.mode = 0644;
  f.uid = 1000;
  f.gid = 100;
  f.relpath = "data/striped";
  f.fmap.type = ExtType::interleaved;
  f.fmap.chunk_size = 0x200000;
  f.fmap.extents = {{0, 0xc000000, 0x800000}, {0, 0x8000000, 0x800000}, {0, 0x4000000, 0x800000}};
  e.body = f;
  std::vector<std::byte> buf(k_log_entry_size);
  encode_entry(e, buf);
  CHECK(get32(buf, 120) == 1);        // interleaved
  CHECK(get32(buf, 128) == 1);        // niext
  CHECK(get64(buf, 136) == 3);        // nstrips
  CHECK(get64(buf, 144) == 0x200000); // chunk
  CHECK(get64(buf, 152 + 8) == 0xc000000);
  auto back = decode_entry(buf, 12, "entry");
  REQUIRE(back);
  CHECK(std::get<FileEntry>(back->body).fmap == f.fmap);

  LogEntry d;
  d.seqnum = 2;
  d.type = EntryType::add_daxdev;
  d.body = DaxdevEntry{1 << 30, seq_uuid(0x11), 1};
  encode_entry(d, buf);
  auto db = decode_entry(buf, 2, "entry");
  REQUIRE(db);
  CHECK(std::get<DaxdevEntry>(db->body).index == 1);
  CHECK(get32(buf, 40) == 1);
}

TEST_CASE("log::decode_entry: every single-bit flip is caught", "[log]") {
  std::vector<std::byte> good(k_log_entry_size);
  encode_entry(golden_file(), good);
  for (std::size_t bit = 0; bit < k_log_entry_size * 8; ++bit) {
    auto b = good;
    b[bit / 8] ^= std::byte(static_cast<unsigned char>(1U << (bit % 8)));
    auto r = decode_entry(b, 1, "entry");
    REQUIRE(!r);
    REQUIRE(r.error().code == Errc::corrupt);
  }
  for (std::size_t len = 0; len < k_log_entry_size; ++len) {
    auto r = decode_entry(std::span<const std::byte>(good).first(len), 1, "entry");
    REQUIRE(!r);
  }
}

TEST_CASE("log::LogView: names the place of a bad entry", "[log]") {
  const u64 len = 0x800000;
  std::vector<std::byte> log(len);
  auto h = make_log_header(len);
  h.next_index = 18;
  h.next_seqnum = 18;
  encode_log_header(h, log);
  for (u64 i = 0; i < 18; ++i) {
    LogEntry e = golden_mkdir();
    e.seqnum = i;
    encode_entry(e, std::span<std::byte>(log).subspan(entry_offset(i), k_log_entry_size));
  }
  log[entry_offset(17) + 30] ^= std::byte{1};
  auto v = LogView::parse(log, len);
  REQUIRE(v);
  CHECK(v->entry(16));
  auto bad = v->entry(17);
  REQUIRE(!bad);
  CHECK(bad.error().message == "log entry 17 at device offset 0x202450: checksum mismatch");

  SECTION("next_index past the last slot") {
    h.next_index = h.last_index + 2;
    encode_log_header(h, log);
    auto r = LogView::parse(log, len);
    REQUIRE(!r);
    CHECK_THAT(r.error().message, Catch::Contains("past the last slot"));
  }
  SECTION("length disagrees with the superblock") {
    auto r = LogView::parse(log, 2 * len);
    REQUIRE(!r);
  }
  SECTION("span shorter than the log") {
    auto r = LogView::parse(std::span<const std::byte>(log).first(len / 2), len);
    REQUIRE(!r);
  }
}

TEST_CASE("log::resolve: simple and interleaved maps", "[log]") {
  Fmap s;
  s.extents = {{0, 0xa00000, 0x200000}, {0, 0x1000000, 0x400000}};
  CHECK(resolve(s, 0).dev_off == 0xa00000);
  CHECK(resolve(s, 0x1fffff).len == 1);
  CHECK(resolve(s, 0x200000).dev_off == 0x1000000);
  CHECK(resolve(s, 0x600000).len == 0);

  // Kernel doc example: 4 strips, 2 MiB chunks, file offset 15 MiB -> strip 3, stripe 1.
  Fmap il;
  il.type = ExtType::interleaved;
  il.chunk_size = 2 << 20;
  il.extents = {{0, 100 << 20, 8 << 20},
                {0, 200 << 20, 8 << 20},
                {0, 300 << 20, 8 << 20},
                {0, 400 << 20, 8 << 20}};
  auto p = resolve(il, 15 << 20);
  CHECK(p.dev_off == (400ULL << 20) + (3 << 20));
  CHECK(p.len == 1 << 20);
  CHECK(addressable(il) == 32ULL << 20);
}
