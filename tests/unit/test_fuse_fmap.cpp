// The famfs kernel extension (issue 7): INIT negotiation of the famfs flag, GET_FMAP and
// GET_DAXDEV, driven by a fake kernel over a socketpair. The server runs over a regular-file
// image with ServerOptions::fmap_capable set, standing in for a devdax device. Expected reply
// bytes are laid out here by hand from fuse-famfs-protocol.md §3-§4 (byte offsets), not with the
// server's structs.
#include "core/image.hpp"
#include "core/log_writer.hpp"
#include "core/mkfs.hpp"
#include "core/system_uuid.hpp"
#include "fuse/famfs_fmap.hpp"
#include "fuse/protocol.hpp"
#include "fuse/server.hpp"
#include "tests/support/fake_kernel.hpp"
#include "tests/support/fake_mount.hpp"
#include "tests/support/fresh_image.hpp"
#include "tests/support/log_entries.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

using namespace famfs;
using namespace famfs::fuse;
using log::u64;
using test::FakeKernel;
using test::file_entry;
using test::interleaved;
using test::simple;

namespace {

constexpr u64 k_mib = 1ULL << 20;
constexpr u64 k_au = 2 * k_mib;
constexpr u64 k_data = 0xa00000; // first data AU with the default 8 MiB log

// A 64 MiB famfs on a backing file with:
//   d/            a directory
//   s             5 MiB + 7 bytes, simple: AUs 2 then 0 (4 MiB + 2 MiB)
//   i             9 MiB, interleaved: chunk 2 MiB, strips of 4 MiB at AUs 4, 8, 6
//   three         2 MiB, simple over three 2 MiB extents (over the rfc2025 cap of 2)
//   short         3 MiB, simple over one 2 MiB extent (the map cannot hold the file)
//   unaligned     1 MiB, simple at k_data + 4 KiB
//   smallchunk    4 MiB, interleaved with a 256 KiB chunk
//   skinny        6 MiB, interleaved chunk 2 MiB, strips 4 MiB and 2 MiB (sum 6 MiB, but only
//                 4 MiB addressable: the kernel would run past the short strip)
struct Fixture : test::FreshImage {
  Fixture() {
    log::LogEntry d;
    d.type = log::EntryType::mkdir;
    d.body = log::MkdirEntry{0, 0, 0755, "d"};
    std::vector<log::LogEntry> es{
        d,
        file_entry("s", 5 * k_mib + 7,
                   simple({{0, k_data + 2 * k_au, 2 * k_au}, {0, k_data, k_au}})),
        file_entry("i", 9 * k_mib,
                   interleaved(k_au, {{0, k_data + 4 * k_au, 2 * k_au},
                                      {0, k_data + 8 * k_au, 2 * k_au},
                                      {0, k_data + 6 * k_au, 2 * k_au}})),
        file_entry("three", 2 * k_mib,
                   simple({{0, k_data + 10 * k_au, k_au},
                           {0, k_data + 11 * k_au, k_au},
                           {0, k_data + 12 * k_au, k_au}})),
        file_entry("short", 3 * k_mib, simple({{0, k_data + 13 * k_au, k_au}})),
        file_entry("unaligned", k_mib, simple({{0, k_data + 4096, k_au}})),
        file_entry("smallchunk", 4 * k_mib,
                   interleaved(256 * 1024,
                               {{0, k_data + 14 * k_au, k_au}, {0, k_data + 15 * k_au, k_au}})),
        file_entry(
            "skinny", 6 * k_mib,
            interleaved(k_au, {{0, k_data + 16 * k_au, 2 * k_au}, {0, k_data + 18 * k_au, k_au}})),
    };
    auto w = core::LogWriter::open(*img);
    REQUIRE(w);
    REQUIRE(w->append_batch(*img, es));
  }
};

// LOOKUP in the root: (nodeid, st_size).
std::pair<u64, u64> root_file(FakeKernel& k, const std::string& name) {
  auto e = k.lookup(FUSE_ROOT_ID, name);
  REQUIRE(e);
  return {e->nodeid, e->attr.size};
}

constexpr u32 k_init_flags = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_MAX_PAGES | FUSE_INIT_EXT;
constexpr u32 k_v7_bit = 1U << 11; // FUSE_DAX_FMAP = 1ULL << 43, flags2 bit 11 (protocol.md §1)

ServerOptions capable() {
  ServerOptions o;
  o.fmap_capable = true;
  return o;
}

// Little-endian byte writer at explicit offsets: the expected layout, independent of the
// server's structs.
struct Bytes {
  std::vector<std::byte> b;
  explicit Bytes(std::size_t n) : b(n) {}
  void put(std::size_t off, u64 v, std::size_t width) {
    REQUIRE(off + width <= b.size());
    for (std::size_t i = 0; i < width; ++i) {
      b[off + i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
    }
  }
  // fuse_famfs_fmap_header at 0 (32 bytes).
  // fmap_size (offset 12) is the message's size: the whole buffer unless given.
  void header(u64 ext_type, u64 nextents, u64 file_size, u64 fmap_size = 0) {
    put(0, 0, 1);                                      // file_type REG
    put(2, 1, 2);                                      // fmap_version
    put(4, ext_type, 4);                               // ext_type
    put(8, nextents, 4);                               // nextents
    put(12, fmap_size != 0 ? fmap_size : b.size(), 4); // fmap_size (kabi-44; reserved before)
    put(16, file_size, 8);
  }
  // fuse_famfs_simple_ext at `at` (24 bytes).
  void ext(std::size_t at, u64 offset, u64 len) {
    put(at, 0, 4); // devindex
    put(at + 8, offset, 8);
    put(at + 16, len, 8);
  }
};

// The GET_FMAP reply for "s": header + its 2 simple extents.
Bytes want_s() {
  Bytes want(32 + 2 * 24);
  want.header(0, 2, 5 * k_mib + 7);
  want.ext(32, k_data + 2 * k_au, 2 * k_au);
  want.ext(56, k_data, k_au);
  return want;
}

} // namespace

TEST_CASE("famfs fmap: INIT acknowledges the famfs flag only when offered and capable", "[fuse]") {
  Fixture f;
  SECTION("offered, devdax-capable: flags2 bit 11 and FUSE_INIT_EXT set") {
    FakeKernel k(*f.img, capable());
    CHECK(k.server().data_path() == k_data_path_userspace); // nothing negotiated yet
    auto out = k.init(45, k_init_flags, k_v7_bit | (1U << 4));
    CHECK((out.flags & FUSE_INIT_EXT) != 0);
    CHECK((out.flags2 & k_v7_bit) != 0);
    CHECK(k.server().famfs_negotiated());
    CHECK(k.server().data_path() == "kernel (famfs fmap)");
  }
  SECTION("not offered: no famfs bit, GET_FMAP and GET_DAXDEV are ENOSYS") {
    FakeKernel k(*f.img, capable());
    auto out = k.init(45, k_init_flags, 0);
    CHECK((out.flags2 & k_v7_bit) == 0);
    CHECK(k.server().data_path() == "userspace");
    auto [node, size] = root_file(k, "s");
    CHECK(k.call(54, node, {}).first == ENOSYS);
    CHECK(k.call(55, 0, {}).first == ENOSYS);
  }
  SECTION("offered in flags2 but without FUSE_INIT_EXT: flags2 is not valid, not acknowledged") {
    FakeKernel k(*f.img, capable());
    auto out = k.init(45, k_init_flags & ~FUSE_INIT_EXT, k_v7_bit);
    CHECK((out.flags2 & k_v7_bit) == 0);
    CHECK((out.flags & FUSE_INIT_EXT) == 0);
    CHECK(!k.server().famfs_negotiated());
  }
  SECTION("offered but the backing is not devdax (fmap_capable off): userspace data path") {
    FakeKernel k(*f.img, ServerOptions{});
    auto out = k.init(45, k_init_flags, k_v7_bit);
    CHECK((out.flags2 & k_v7_bit) == 0);
    CHECK(k.server().data_path() == "userspace");
    CHECK(k.call(54, root_file(k, "s").first, {}).first == ENOSYS);
  }
  SECTION("rfc2025 numbering at 7.42: bit 10 and opcodes 53/54; the V7 bit means nothing") {
    ServerOptions o = capable();
    o.famfs_abi = famfs_abi("rfc2025");
    REQUIRE(o.famfs_abi != nullptr);
    {
      FakeKernel k(*f.img, o);
      auto out = k.init(42, k_init_flags, k_v7_bit);
      CHECK((out.flags2 & (k_v7_bit | (1U << 10))) == 0);
    }
    FakeKernel k(*f.img, o);
    auto out = k.init(42, k_init_flags | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO, 1U << 10);
    CHECK((out.flags2 & (1U << 10)) != 0);
    CHECK((out.flags2 & k_v7_bit) == 0);
    // RFC V1 fetched fmaps at LOOKUP only: no READDIRPLUS under that ABI.
    CHECK((out.flags & (FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO)) == 0);
    auto [err, p] = k.call(53, root_file(k, "s").first, {});
    CHECK(err == 0);
    // RFC V1 posts a fixed 4096-byte buffer: the reply is padded to it with zeros.
    Bytes want(4096);
    want.header(0, 2, 5 * k_mib + 7, 32 + 2 * 24);
    want.ext(32, k_data + 2 * k_au, 2 * k_au);
    want.ext(56, k_data, k_au);
    CHECK(p == want.b);
    auto [err2, p2] = k.call(54, 0, {}); // GET_DAXDEV in this numbering
    CHECK(err2 == 0);
    CHECK(p2.size() == 280);
  }
  SECTION("rfc2025 at 7.45: bit 42 is FUSE_REQUEST_TIMEOUT, 53 is COPY_FILE_RANGE_64") {
    ServerOptions o = capable();
    o.famfs_abi = famfs_abi("rfc2025");
    o.famfs_any_minor = true; // cannot lift this row's limit
    FakeKernel k(*f.img, o);
    auto out = k.init(45, k_init_flags | FUSE_DO_READDIRPLUS, 1U << 10);
    CHECK((out.flags2 & (1U << 10)) == 0);
    CHECK((out.flags & FUSE_DO_READDIRPLUS) != 0);
    CHECK(!k.server().famfs_negotiated());
    CHECK(k.call(53, root_file(k, "s").first, {}).first == ENOSYS);
  }
  SECTION("v7 above 7.45: bit 43 is someone else's unless overridden") {
    {
      FakeKernel k(*f.img, capable());
      auto out = k.init(46, k_init_flags, k_v7_bit);
      CHECK((out.flags2 & k_v7_bit) == 0);
      CHECK(!k.server().famfs_negotiated());
    }
    ServerOptions o = capable();
    o.famfs_any_minor = true;
    FakeKernel k(*f.img, o);
    auto out = k.init(46, k_init_flags | FUSE_DO_READDIRPLUS, k_v7_bit);
    CHECK((out.flags2 & k_v7_bit) != 0);
    CHECK((out.flags & FUSE_DO_READDIRPLUS) != 0); // V7 fetches fmaps at OPEN: READDIRPLUS stays
    CHECK(k.server().famfs_negotiated());
  }
}

TEST_CASE("famfs fmap: the INIT decision, row by row", "[fuse]") {
  struct Row {
    const char* abi;
    u32 minor;
    u32 flags2;
    bool init_ext;
    bool capable;
    bool any_minor;
    bool famfs;
  };
  constexpr u32 b42 = 1U << 10;
  constexpr u32 b43 = 1U << 11;
  const Row rows[] = {
      {"v7", 45, b43, true, true, false, true},
      {"v7", 38, b43, true, true, false, true},
      {"v7", 45, b43, false, true, false, false}, // flags2 invalid without FUSE_INIT_EXT
      {"v7", 45, b43, true, false, false, false}, // device the kernel cannot map
      {"v7", 45, b42, true, true, false, false},  // the other row's bit
      {"v7", 46, b43, true, true, false, false},  // FUSE_HAS_IO_URING_BUFPOOL from 7.46
      {"v7", 46, b43, true, true, true, true},    // explicit override
      {"rfc2025", 42, b42, true, true, false, true},
      {"rfc2025", 43, b42, true, true, false, false}, // FUSE_REQUEST_TIMEOUT from 7.43
      {"rfc2025", 45, b42, true, true, false, false},
      {"rfc2025", 45, b42, true, true, true, false}, // no override for this row
      {"rfc2025", 42, b43, true, true, false, false},
      {"kabi44", 45, b43, true, true, false, true}, // the draft: V7's numbers stand in
      {"kabi44", 46, b43, true, true, false, false},
  };
  for (const auto& r : rows) {
    const FamfsAbi* abi = famfs_abi(r.abi);
    REQUIRE(abi != nullptr);
    const u64 flags = (r.init_ext ? u64{FUSE_INIT_EXT} : 0) | (u64{r.flags2} << 32);
    auto d = famfs_init_decision(*abi, r.minor, flags, r.capable, r.any_minor);
    INFO(r.abi << " 7." << r.minor << " flags2 " << r.flags2 << ": " << d.reason);
    CHECK(d.famfs == r.famfs);
    CHECK(d.add_flags == (r.famfs ? (u64{abi->flags2_dax_fmap} << 32) | FUSE_INIT_EXT : 0));
    CHECK(d.drop_flags
          == (r.famfs && !abi->readdirplus ? u64{FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO} : 0));
    // What a famfs-mode device's mount says when famfs was not negotiated.
    const bool offered = r.init_ext && (r.flags2 & abi->flags2_dax_fmap) != 0;
    CHECK(d.offered == offered);
    const std::string refusal = famfs_mode_refusal(d);
    if (r.famfs) {
      CHECK(refusal.empty());
    } else if (!offered) {
      CHECK(refusal == "this kernel has no FUSE famfs support (a famfs-mode device needs it)");
    } else {
      CHECK_THAT(refusal, Catch::StartsWith("this kernel offers FUSE famfs, but not in a form"));
      CHECK_THAT(refusal, Catch::Contains(d.reason));
    }
  }
}

TEST_CASE("famfs fmap: opcodes 53-55 are named as the kernel's minor means them", "[fuse]") {
  const FamfsAbi& rfc = k_famfs_abi_rfc2025;
  const FamfsAbi& v7 = k_famfs_abi_v7;
  CHECK(opcode_name(53, 45, rfc) == "COPY_FILE_RANGE_64");
  CHECK(opcode_name(53, 45, v7) == "COPY_FILE_RANGE_64");
  CHECK(opcode_name(53, 42, rfc) == "GET_FMAP(rfc2025)");
  CHECK(opcode_name(53, 42, v7) == "op53");
  CHECK(opcode_name(54, 42, rfc) == "GET_DAXDEV(rfc2025)");
  CHECK(opcode_name(54, 43, rfc) == "op54");
  CHECK(opcode_name(54, 45, v7) == "GET_FMAP(v7)");
  CHECK(opcode_name(55, 45, v7) == "GET_DAXDEV(v7)");
  CHECK(opcode_name(54, 46, v7) == "op54");
  CHECK(opcode_name(54, 0, v7) == "GET_FMAP(v7)");
  CHECK(opcode_name(FUSE_LOOKUP, 45, v7) == "LOOKUP");
}

TEST_CASE("famfs fmap: GET_FMAP replies carry the map in the kernel's layout", "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, capable());
  k.init(45, k_init_flags, k_v7_bit);

  SECTION("simple: header + 2 extents, file_size == st_size") {
    auto [node, st_size] = root_file(k, "s");
    auto [err, p] = k.call(54, node, {});
    REQUIRE(err == 0);
    CHECK(p == want_s().b);
    CHECK(st_size == 5 * k_mib + 7);
    CHECK(k.getattr(node).size == 5 * k_mib + 7);
  }
  SECTION("interleaved: header(nextents 1) + iext + 3 strips") {
    auto [node, st_size] = root_file(k, "i");
    auto [err, p] = k.call(54, node, {});
    REQUIRE(err == 0);
    Bytes want(32 + 24 + 3 * 24);
    want.header(1, 1, 9 * k_mib);
    want.put(32, 3, 4);         // ie_nstrips
    want.put(36, k_au, 4);      // ie_chunk_size
    want.put(40, 9 * k_mib, 8); // ie_nbytes
    want.ext(56, k_data + 4 * k_au, 2 * k_au);
    want.ext(80, k_data + 8 * k_au, 2 * k_au);
    want.ext(104, k_data + 6 * k_au, 2 * k_au);
    CHECK(p == want.b);
    CHECK(st_size == 9 * k_mib);
  }
  SECTION("the .meta files get maps too (every file the kernel opens needs one)") {
    std::vector<std::byte> meta(6);
    std::memcpy(meta.data(), ".meta", 6);
    auto [e, p] = k.call(FUSE_LOOKUP, FUSE_ROOT_ID, meta);
    REQUIRE(e == 0);
    fuse_entry_out m{};
    std::memcpy(&m, p.data(), sizeof(m));
    std::vector<std::byte> log_name(5);
    std::memcpy(log_name.data(), ".log", 5);
    auto [e2, p2] = k.call(FUSE_LOOKUP, m.nodeid, log_name);
    REQUIRE(e2 == 0);
    fuse_entry_out l{};
    std::memcpy(&l, p2.data(), sizeof(l));
    auto [e3, p3] = k.call(54, l.nodeid, {});
    REQUIRE(e3 == 0);
    Bytes want(56);
    want.header(0, 1, l.attr.size);
    want.ext(32, 2 * k_mib, 8 * k_mib);
    CHECK(p3 == want.b);
  }
  SECTION("a directory or an unknown node: an error, no map") {
    std::vector<std::byte> d(2);
    std::memcpy(d.data(), "d", 2);
    auto [e, p] = k.call(FUSE_LOOKUP, FUSE_ROOT_ID, d);
    REQUIRE(e == 0);
    fuse_entry_out de{};
    std::memcpy(&de, p.data(), sizeof(de));
    CHECK(k.call(54, de.nodeid, {}).first == EINVAL);
    CHECK(k.call(54, FUSE_ROOT_ID, {}).first == EINVAL);
    CHECK(k.call(54, 99999, {}).first == ENOENT);
  }
  SECTION("maps the kernel cannot take fail with EIO") {
    CHECK(k.call(54, root_file(k, "short").first, {}).first == EIO);
    CHECK(k.call(54, root_file(k, "unaligned").first, {}).first == EIO);
    CHECK(k.call(54, root_file(k, "smallchunk").first, {}).first == EIO);
    CHECK(k.call(54, root_file(k, "skinny").first, {}).first == EIO);
    // Three extents are fine for V7 (cap 32).
    CHECK(k.call(54, root_file(k, "three").first, {}).first == 0);
    // st_size is still the logged size.
    CHECK(root_file(k, "short").second == 3 * k_mib);
  }
}

TEST_CASE("famfs fmap: over the revision's extent cap, GET_FMAP is EIO", "[fuse]") {
  Fixture f;
  ServerOptions o = capable();
  o.famfs_abi = famfs_abi("rfc2025"); // at most 2 simple extents
  FakeKernel k(*f.img, o);
  k.init(42, k_init_flags, 1U << 10);
  CHECK(k.call(53, root_file(k, "three").first, {}).first == EIO);
  CHECK(k.call(53, root_file(k, "s").first, {}).first == 0);
}

namespace {

// A size-probing GET_FMAP body: fuse_getxattr_in {u32 size; u32 padding}.
std::vector<std::byte> probe(u32 size) {
  Bytes b(8);
  b.put(0, size, 4);
  return b.b;
}

} // namespace

TEST_CASE("famfs fmap: the kabi44 draft is a table row: size probe, simple extents only",
          "[fuse]") {
  Fixture f;
  ServerOptions o = capable();
  o.famfs_abi = &k_famfs_abi_kabi44;
  FakeKernel k(*f.img, o);
  k.init(45, k_init_flags, k_v7_bit);
  const u64 node = root_file(k, "i").first;
  // 9 MiB over 3 strips of 2 MiB chunks: 5 chunks, strip c % 3, row c / 3.
  Bytes want(32 + 5 * 24);
  want.header(0, 5, 9 * k_mib);
  want.ext(32, k_data + 4 * k_au, k_au);
  want.ext(56, k_data + 8 * k_au, k_au);
  want.ext(80, k_data + 6 * k_au, k_au);
  want.ext(104, k_data + 5 * k_au, k_au);
  want.ext(128, k_data + 9 * k_au, k_au);
  SECTION("the message fits the kernel's page") {
    auto [err, p] = k.call(54, node, probe(4096));
    REQUIRE(err == 0);
    CHECK(p == want.b);
  }
  SECTION("a buffer too small gets the header alone; the retry with fmap_size gets it all") {
    auto [err, p] = k.call(54, node, probe(100));
    REQUIRE(err == 0);
    Bytes head(32);
    head.header(0, 5, 9 * k_mib, 152);
    CHECK(p == head.b);
    auto [err2, p2] = k.call(54, node, probe(152));
    REQUIRE(err2 == 0);
    CHECK(p2 == want.b);
  }
  SECTION("simple maps are as under v7, fmap_size included") {
    auto [err, p] = k.call(54, root_file(k, "s").first, probe(4096));
    REQUIRE(err == 0);
    CHECK(p == want_s().b);
    CHECK(k.call(54, root_file(k, "three").first, probe(4096)).first == 0); // no cap of 32
  }
  SECTION("no buffer size: EINVAL; no GET_DAXDEV (devices are pushed): ENOSYS") {
    CHECK(k.call(54, node, {}).first == EINVAL);
    CHECK(k.call(55, 0, {}).first == ENOSYS);
  }
  SECTION("interleaves the kernel could not take are refused before unrolling") {
    CHECK(k.call(54, root_file(k, "skinny").first, probe(4096)).first == EIO);
    CHECK(k.call(54, root_file(k, "smallchunk").first, probe(4096)).first == EIO);
  }
}

TEST_CASE("famfs fmap: kabi44 caps: 524288 unrolled extents, 16 MiB messages", "[fuse]") {
  const FamfsAbi& abi = k_famfs_abi_kabi44;
  log::Fmap m = interleaved(k_au, {{0, 0, 1ULL << 40}, {0, 1ULL << 40, 1ULL << 40}});
  auto big = encode_famfs_fmap(m, 524288 * k_au, abi); // exactly the cap
  REQUIRE(big);
  CHECK(big->size() == 32 + 524288 * 24);
  CHECK(big->size() <= k_famfs_reply_probe_cap);
  auto over = encode_famfs_fmap(m, 524288 * k_au + 1, abi);
  REQUIRE(!over);
  CHECK_THAT(over.error().message, Catch::Contains("unrolls into 524289 extents"));
  // The reply fits a buffer or is cut to its header.
  CHECK(fit_famfs_fmap_reply(*big, 16U << 20).size() == big->size());
  CHECK(fit_famfs_fmap_reply(*big, 4096).size() == 32);
  // Not offered by famfs mount: a draft.
  REQUIRE(famfs_abi("kabi44") != nullptr);
  CHECK(famfs_abi("kabi44")->draft);
  CHECK(offered_famfs_abi("kabi44") == nullptr);
  REQUIRE(offered_famfs_abi("v7") != nullptr);
  CHECK(offered_famfs_abi("v7")->name == "v7");
}

TEST_CASE("famfs fmap: once the media is clobbered, GET_FMAP is EIO", "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, capable());
  k.init(45, k_init_flags, k_v7_bit);
  const u64 node = root_file(k, "s").first;
  REQUIRE(k.call(54, node, {}).first == 0);
  CHECK_FALSE(k.server().clobbered());
  // Another host's mkfs: a new superblock (new UUID) and an empty log under this mount.
  core::MkfsOptions o;
  o.force = core::Force::yes;
  REQUIRE(core::mkfs(f.dev, o));
  k.server().refresh();
  REQUIRE(k.server().clobbered());
  CHECK(k.call(54, node, {}).first == EIO);
  CHECK(k.call(54, root_file(k, "i").first, {}).first == EIO);
  // The names are still there (the tree is kept), only the maps are refused.
  CHECK(k.getattr(node).size == 5 * k_mib + 7);
}

TEST_CASE("famfs fmap: GET_DAXDEV names the device", "[fuse]") {
  Fixture f;
  SECTION("default: the image's device path, 280 bytes, NUL-terminated at offset 24") {
    FakeKernel k(*f.img, capable());
    k.init(45, k_init_flags, k_v7_bit);
    auto [err, p] = k.call(55, 0, {});
    REQUIRE(err == 0);
    Bytes want(280);
    std::memcpy(want.b.data() + 24, f.dev.data(), f.dev.size());
    CHECK(p == want.b);
    CHECK(k.call(55, 1, {}).first == EINVAL); // only device index 0
  }
  SECTION("an explicit daxdev path") {
    ServerOptions o = capable();
    o.daxdev_path = "/dev/dax3.1";
    FakeKernel k(*f.img, o);
    k.init(45, k_init_flags, k_v7_bit);
    auto [err, p] = k.call(55, 0, {});
    REQUIRE(err == 0);
    REQUIRE(p.size() == 280);
    CHECK(std::string(reinterpret_cast<const char*>(p.data() + 24)) == "/dev/dax3.1");
  }
  SECTION("a path too long for the 256-byte name is refused, not truncated") {
    ServerOptions o = capable();
    o.daxdev_path = "/dev/" + std::string(251, 'x'); // 256 bytes: no room for the NUL
    FakeKernel k(*f.img, o);
    k.init(45, k_init_flags, k_v7_bit);
    CHECK(k.call(55, 0, {}).first != 0);
  }
}

TEST_CASE("famfs fmap: encoder limits", "[fuse]") {
  auto many = [](std::size_t n) {
    std::vector<log::Extent> ex;
    for (std::size_t i = 0; i < n; ++i) {
      ex.push_back({0, (10 + i) * k_au, k_au});
    }
    return ex;
  };
  CHECK(encode_famfs_fmap(simple(many(32)), k_au).has_value());
  CHECK(encode_famfs_fmap(simple(many(32)), k_au)->size() == 32 + 32 * 24);
  CHECK(!encode_famfs_fmap(simple(many(33)), k_au));
  CHECK(encode_famfs_fmap(interleaved(k_au, many(32)), k_au).has_value());
  CHECK(!encode_famfs_fmap(interleaved(k_au, many(33)), k_au));
  CHECK(!encode_famfs_fmap(simple({}), 0));
  // Device index other than 0.
  CHECK(!encode_famfs_fmap(simple({{1, k_au, k_au}}), k_au));
  // A revision that allowed more strips would still be held to the 4096-byte reply.
  FamfsAbi wide = k_famfs_abi_v7;
  wide.max_strips = 1000;
  CHECK(encode_famfs_fmap(interleaved(k_au, many(168)), k_au, wide).has_value()); // 4088 bytes
  auto over = encode_famfs_fmap(interleaved(k_au, many(169)), k_au, wide);        // 4112 bytes
  REQUIRE(!over);
  CHECK(over.error().message.find("4096") != std::string::npos);
  // Sum of lengths below the size.
  auto small = encode_famfs_fmap(simple(many(2)), 2 * k_au + 1);
  REQUIRE(!small);
  CHECK(small.error().message.find("less than the file size") != std::string::npos);
}

// ---- famfs mode: a famfs-mode device, served from a copy of its metadata ----

namespace {

// A famfs-mode mount's server: the image is a copy of the metadata (famfs mount takes it in
// devdax mode), and the fake mount's .meta files (regular files here) are what it switches to.
struct FamfsModeFixture : test::FakeMount {
  std::optional<core::Image> copy;
  FamfsModeFixture() {
    auto c = img->metadata_copy();
    REQUIRE(c);
    copy.emplace(std::move(*c));
  }
  ServerOptions options(bool fmap_capable = true) const {
    ServerOptions o;
    o.fmap_capable = fmap_capable;
    o.threads = 2;
    o.famfs_mode_meta = files;
    return o;
  }
};

// Waits (up to 5 s) for `done`.
template <typename F> bool eventually(F done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

} // namespace

TEST_CASE("famfs mode: INIT without FUSE famfs ends the server with the reason", "[fuse]") {
  struct Row {
    u32 minor;
    u32 flags2;
    bool capable;
    const char* says;
  };
  for (const Row& r :
       {Row{45, 0, true, "this kernel has no FUSE famfs support (a famfs-mode device needs it)"},
        Row{38, 0, true, "this kernel has no FUSE famfs support (a famfs-mode device needs it)"},
        Row{46, k_v7_bit, true, "protocol 7.46 sets bit 43"},
        Row{45, k_v7_bit, false, "cannot be mapped by the kernel"}}) {
    INFO("7." << r.minor << " flags2 " << r.flags2 << " capable " << r.capable);
    FamfsModeFixture f;
    FakeKernel k(*f.copy, f.options(r.capable), test::Serving::workers);
    auto out = k.init(r.minor, k_init_flags, r.flags2);
    CHECK((out.flags2 & k_v7_bit) == 0); // INIT itself is answered, without famfs
    REQUIRE(eventually([&] { return k.finished(); }));
    REQUIRE(!k.result());
    CHECK(k.result().error().code == Errc::unsupported);
    CHECK_THAT(k.result().error().message, Catch::Contains(r.says));
  }
}

TEST_CASE("famfs mode: with FUSE famfs the server switches to the mount's .meta files", "[fuse]") {
  FamfsModeFixture f;
  f.mkdir_through_files("before"); // after the copy: the copy does not have it
  FakeKernel k(*f.copy, f.options(), test::Serving::workers);
  CHECK(k.server().applied_entries() == f.copy->log()->header().next_index);
  auto out = k.init(45, k_init_flags, k_v7_bit);
  CHECK((out.flags2 & k_v7_bit) != 0);
  CHECK(k.server().famfs_negotiated());
  // Once switched, the follower reads the files: the entry made after the copy appears.
  CHECK(eventually([&] { return k.lookup(FUSE_ROOT_ID, "before").has_value(); }));
  CHECK(!k.finished());
  f.mkdir_through_files("after");
  CHECK(eventually([&] { return k.lookup(FUSE_ROOT_ID, "after").has_value(); }));
  // File data does not pass through this daemon (the kernel maps it); the .meta files' bytes
  // are the metadata it holds.
  f.append_through_files({file_entry("f", k_mib, simple({{0, k_data, k_au}}))});
  REQUIRE(eventually([&] { return k.lookup(FUSE_ROOT_ID, "f").has_value(); }));
  auto file = k.lookup(FUSE_ROOT_ID, "f");
  REQUIRE(file);
  CHECK(k.read(file->nodeid, 0, 4096).first == EIO);
  auto meta = k.lookup(FUSE_ROOT_ID, ".meta");
  REQUIRE(meta);
  auto sb = k.lookup(meta->nodeid, ".superblock");
  REQUIRE(sb);
  auto [err, bytes] = k.read(sb->nodeid, 0, 4096);
  CHECK(err == 0);
  REQUIRE(bytes.size() == 4096);
  CHECK(std::memcmp(bytes.data(), f.copy->device().bytes().data(), 4096) == 0);
}

TEST_CASE("famfs mode: .meta files that are missing or of another file system are refused",
          "[fuse]") {
  FamfsModeFixture f;
  ServerOptions o = f.options();
  LogFollower follower(*f.copy, o);
  const u64 applied = follower.applied();
  SECTION("missing") {
    std::filesystem::remove(f.files.log);
    auto r = follower.switch_metadata(f.files);
    REQUIRE(!r);
    CHECK_THAT(r.error().message, Catch::Contains(f.files.log));
    CHECK(follower.step(RetryBadEntry::yes) == 0);
  }
  SECTION("another file system") {
    test::FakeMount other;
    core::set_system_uuid_file(f.dir.file("system_uuid")); // this host is f's master again
    auto r = follower.switch_metadata(other.files);
    REQUIRE(!r);
    CHECK(r.error().code == Errc::corrupt);
    CHECK_THAT(r.error().message, Catch::Contains("which was read before the mount"));
    // Still reading the copy: an entry appended through f's files is not seen.
    f.mkdir_through_files("x");
    CHECK(follower.step(RetryBadEntry::yes) == 0);
  }
  CHECK(follower.applied() == applied);
}
