// The FUSE server driven by a fake kernel over a socketpair: the server reads requests from any
// descriptor, so these tests send hand-built requests and check the reply bytes.
#include "core/image.hpp"
#include "core/log_writer.hpp"
#include "core/mkfs.hpp"
#include "core/system_uuid.hpp"
#include "fuse/protocol.hpp"
#include "fuse/server.hpp"
#include "log/fmap.hpp"
#include "tests/support/fake_kernel.hpp"
#include "tests/support/fake_mount.hpp"
#include "tests/support/fresh_image.hpp"
#include "tests/support/log_entries.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

using namespace famfs;
using namespace famfs::fuse;
using log::u64;
using test::dir_entry;
using test::FakeKernel;
using test::file_entry;
using test::simple;

namespace {

constexpr u64 k_mib = 1ULL << 20;
constexpr u64 k_au = log::k_alloc_unit;
constexpr u64 k_data = 0xa00000; // first data AU with the default 8 MiB log

// A 64 MiB famfs on a backing file, with:
//   d/                 directory
//   d/simple  3 MiB + 100 bytes over two extents (AU 7, then AUs 5-6), mode 0640
//   inter     5 MiB interleaved over 3 strips of 2 MiB at AUs 8, 10, 9, chunk 256 KiB
// and the device's data region filled with a position-dependent pattern.
struct Fixture : test::FreshImage {
  Fixture() {
    // A pattern that differs at every 8-byte word, over the AUs the files use.
    auto bytes = img->device().bytes();
    for (u64 off = k_data; off < k_data + 9 * k_au; off += 8) {
      const u64 word = (off + 1) * 0x9E3779B97F4A7C15ULL;
      std::memcpy(bytes.data() + off, &word, 8);
    }
    append(
        {dir_entry("d"), file_entry("d/simple", 3 * k_mib + 100,
                                    simple({{0, k_data + 2 * k_au, k_au}, {0, k_data, 2 * k_au}}),
                                    0640, 1000, 100)});
    log::Fmap inter;
    inter.type = log::ExtType::interleaved;
    inter.chunk_size = 256 * 1024;
    inter.extents = {
        {0, k_data + 3 * k_au, k_au}, {0, k_data + 5 * k_au, k_au}, {0, k_data + 4 * k_au, k_au}};
    append({file_entry("inter", 5 * k_mib, inter, 0644, 1000, 100)});
  }

  void append(std::vector<log::LogEntry> entries) {
    auto w = core::LogWriter::open(*img);
    REQUIRE(w);
    REQUIRE(w->append_batch(*img, entries));
  }

  // The expected contents of [off, off+len) of a file: device bytes found by walking the map
  // by hand (not through log::resolve, which the server uses).
  std::vector<std::byte> expected(const log::Fmap& m, u64 off, u64 len) const {
    std::vector<std::byte> out;
    auto bytes = img->device().bytes();
    for (u64 o = off; o < off + len; ++o) {
      u64 dev_off = 0;
      if (m.type == log::ExtType::simple) {
        u64 base = 0;
        for (const auto& e : m.extents) {
          if (o < base + e.len) {
            dev_off = e.offset + (o - base);
            break;
          }
          base += e.len;
        }
      } else {
        const u64 chunk = o / m.chunk_size;
        const u64 n = m.extents.size();
        dev_off = m.extents[chunk % n].offset + (chunk / n) * m.chunk_size + o % m.chunk_size;
      }
      out.push_back(bytes[dev_off]);
    }
    return out;
  }
};

ServerOptions writable() {
  ServerOptions o;
  o.writable = true;
  return o;
}

std::vector<std::byte> name_body(const std::string& n) {
  return FakeKernel::name_body(n);
}

// Names in a READDIR(PLUS) reply, in order.
std::vector<std::string> dirent_names(const std::vector<std::byte>& p, bool plus) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < p.size()) {
    if (plus) {
      at += sizeof(fuse_entry_out);
    }
    fuse_dirent d{};
    std::memcpy(&d, p.data() + at, sizeof(d));
    out.emplace_back(reinterpret_cast<const char*>(p.data() + at + FUSE_NAME_OFFSET), d.namelen);
    at += (FUSE_NAME_OFFSET + d.namelen + 7) & ~std::size_t{7};
  }
  return out;
}

} // namespace

TEST_CASE("fuse::Server: INIT negotiation", "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, writable());
  SECTION("requests before INIT get EIO") {
    CHECK(k.call_of(FUSE_GETATTR, 1, fuse_getattr_in{}).first == EIO);
  }
  SECTION("a 7.45 kernel offering everything") {
    const u32 flags2 = (1U << 4) | k_famfs_abi_v7.flags2_dax_fmap;
    auto out = k.init(45,
                      FUSE_ASYNC_READ | FUSE_INIT_EXT | FUSE_MAX_PAGES | FUSE_BIG_WRITES
                          | FUSE_PARALLEL_DIROPS | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO
                          | FUSE_AUTO_INVAL_DATA | FUSE_WRITEBACK_CACHE | FUSE_ATOMIC_O_TRUNC,
                      flags2);
    CHECK(out.major == 7);
    CHECK(out.minor == 38);
    CHECK(out.max_write == (1U << 20));
    CHECK(out.max_pages == (1U << 20) / static_cast<u32>(::sysconf(_SC_PAGESIZE)));
    CHECK((out.flags & FUSE_ASYNC_READ) != 0);
    CHECK((out.flags & FUSE_PARALLEL_DIROPS) != 0);
    CHECK((out.flags & FUSE_MAX_PAGES) != 0);
    CHECK((out.flags & FUSE_DO_READDIRPLUS) != 0);
    // A cached listing is dropped when the directory's mtime changed (do_opendir).
    CHECK((out.flags & FUSE_AUTO_INVAL_DATA) != 0);
    CHECK((out.flags & FUSE_INIT_EXT) != 0);
    CHECK((out.flags & FUSE_WRITEBACK_CACHE) == 0); // offered, not wanted
    CHECK((out.flags & FUSE_ATOMIC_O_TRUNC) == 0);  // O_TRUNC must reach SETATTR (EPERM)
    CHECK(out.flags2 == (1U << 4));                 // DIRECT_IO_ALLOW_MMAP, never the famfs bit
    CHECK(out.max_readahead <= 128 * 1024);
    CHECK(k.server().initialized());
  }
  SECTION("without FUSE_INIT_EXT there is no flags2") {
    auto out = k.init(38, FUSE_ASYNC_READ | FUSE_MAX_PAGES, 1U << 4);
    CHECK(out.flags2 == 0);
    CHECK(out.flags == (FUSE_ASYNC_READ | FUSE_MAX_PAGES));
  }
  SECTION("an older minor is echoed") {
    CHECK(k.init(31).minor == 31);
  }
  SECTION("a protocol before 7.23 is refused") {
    fuse_init_in in{};
    in.major = 7;
    in.minor = 12;
    CHECK(k.call_of(FUSE_INIT, 0, in).first == EPROTO);
  }
  SECTION("a newer major gets our major back, for the kernel to retry") {
    fuse_init_in in{};
    in.major = 8;
    auto [err, p] = k.call_of(FUSE_INIT, 0, in);
    CHECK(err == 0);
    fuse_init_out out{};
    std::memcpy(&out, p.data(), sizeof(out));
    CHECK(out.major == 7);
    CHECK_FALSE(k.server().initialized());
  }
}

TEST_CASE("fuse::Server: the tree, .meta files and lookup counts", "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, writable());
  k.init();
  auto meta = k.lookup(1, ".meta");
  REQUIRE(meta);
  CHECK((meta->attr.mode & S_IFMT) == S_IFDIR);
  auto sb = k.lookup(meta->nodeid, ".superblock");
  REQUIRE(sb);
  CHECK(sb->attr.size == 2 * k_mib);
  CHECK((sb->attr.mode & 07777) == 0444);
  auto lg = k.lookup(meta->nodeid, ".log");
  REQUIRE(lg);
  CHECK(lg->attr.size == f.img->superblock().log_len);
  CHECK(lg->entry_valid == 3600); // long: see ServerOptions
  CHECK(lg->attr_valid == 3600);

  auto d = k.lookup(1, "d");
  REQUIRE(d);
  auto s = k.lookup(d->nodeid, "simple");
  REQUIRE(s);
  CHECK(s->attr.size == 3 * k_mib + 100);
  CHECK(s->attr.mode == (S_IFREG | 0640));
  CHECK(s->attr.uid == 1000);
  CHECK(s->attr.gid == 100);
  CHECK(s->attr.blocks == 3 * k_au / 512);
  CHECK(s->generation == 1);

  int err = 0;
  CHECK_FALSE(k.lookup(1, "nope", &err));
  CHECK(err == ENOENT);
  CHECK_FALSE(k.lookup(s->nodeid, "x", &err));
  CHECK(err == ENOTDIR);
  CHECK_FALSE(k.lookup(99999, "x", &err));
  CHECK(err == ENOENT);

  // Lookup counts: +1 per LOOKUP, -n per FORGET (which gets no reply).
  k.lookup(d->nodeid, "simple");
  CHECK(k.server().lookup_count(s->nodeid) == 2);
  fuse_forget_in fg{};
  fg.nlookup = 1;
  k.send(encode_request_of(FUSE_FORGET, 500, s->nodeid, fg));
  CHECK(k.getattr(s->nodeid).ino == s->nodeid); // the next reply is GETATTR's, not FORGET's
  CHECK(k.server().lookup_count(s->nodeid) == 1);
  std::vector<std::byte> batch(sizeof(fuse_batch_forget_in) + sizeof(fuse_forget_one));
  fuse_batch_forget_in bi{1, 0};
  fuse_forget_one one{s->nodeid, 1};
  std::memcpy(batch.data(), &bi, sizeof(bi));
  std::memcpy(batch.data() + sizeof(bi), &one, sizeof(one));
  k.send(encode_request(FUSE_BATCH_FORGET, 501, 0, batch));
  CHECK(k.getattr(1).mode == (S_IFDIR | 0755));
  CHECK(k.server().lookup_count(s->nodeid) == 0);
}

TEST_CASE("fuse::Server: READ returns the device bytes of simple and interleaved maps", "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, writable());
  k.init();
  auto d = k.lookup(1, "d");
  auto s = k.lookup(d->nodeid, "simple");
  auto in = k.lookup(1, "inter");
  REQUIRE(s);
  REQUIRE(in);
  const log::Fmap smap = simple({{0, k_data + 2 * k_au, k_au}, {0, k_data, 2 * k_au}});
  log::Fmap imap;
  imap.type = log::ExtType::interleaved;
  imap.chunk_size = 256 * 1024;
  imap.extents = {
      {0, k_data + 3 * k_au, k_au}, {0, k_data + 5 * k_au, k_au}, {0, k_data + 4 * k_au, k_au}};

  SECTION("whole-MiB reads across the extent boundary") {
    for (u64 off = 0; off < 3 * k_mib + 100; off += k_mib) {
      auto [err, p] = k.read(s->nodeid, off, 1 << 20);
      REQUIRE(err == 0);
      const u64 want = std::min<u64>(k_mib, 3 * k_mib + 100 - off);
      REQUIRE(p.size() == want);
      const bool same = p == f.expected(smap, off, want); // (no dump of 1 MiB vectors)
      CHECK(same);
    }
  }
  SECTION("random reads, both maps, including past the end") {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 150; ++i) {
      const bool inter = i % 2 == 1;
      const u64 size = inter ? 5 * k_mib : 3 * k_mib + 100;
      const u64 off = rng() % (size + 1000);
      const u32 len = static_cast<u32>(rng() % (300 * 1024) + 1);
      auto [err, p] = k.read(inter ? in->nodeid : s->nodeid, off, len);
      REQUIRE(err == 0);
      const u64 want = off >= size ? 0 : std::min<u64>(len, size - off);
      REQUIRE(p.size() == want);
      INFO((inter ? "interleaved" : "simple") << " offset " << off << " length " << len);
      const bool same = p == f.expected(inter ? imap : smap, off, want);
      CHECK(same);
    }
  }
  SECTION("the .meta/.superblock file is the superblock region") {
    auto meta = k.lookup(1, ".meta");
    auto sb = k.lookup(meta->nodeid, ".superblock");
    auto [err, p] = k.read(sb->nodeid, 0, 200);
    REQUIRE(err == 0);
    REQUIRE(p.size() == 200);
    CHECK(std::memcmp(p.data(), f.img->device().bytes().data(), 200) == 0);
  }
  SECTION("READ of a directory is EISDIR") {
    CHECK(k.read(d->nodeid, 0, 10).first == EISDIR);
  }
}

TEST_CASE("fuse::Server: a map that points past the device is never followed", "[fuse]") {
  Fixture f;
  const u64 dev_size = f.img->device().size();
  f.append({file_entry("wild", 4 * k_au, simple({{0, k_data, k_au}, {0, dev_size, 3 * k_au}}))});
  FakeKernel k(*f.img, writable());
  k.init();
  auto w = k.lookup(1, "wild");
  REQUIRE(w);
  auto [err, p] = k.read(w->nodeid, k_au - 10, 100);
  CHECK(err == 0);
  CHECK(p.size() == 10); // only the part inside the device
  CHECK(k.read(w->nodeid, k_au + 5, 100).first == EIO);
  CHECK(k.write(w->nodeid, k_au + 5, std::vector<std::byte>(10)).first == EIO);
}

TEST_CASE("fuse::Server: STATFS counts each allocation unit once, cheaply", "[fuse]") {
  Fixture f;
  // Two thousand entries that each claim everything from the first data AU to far past the
  // device: counted as one interval, in no time.
  std::vector<log::LogEntry> hostile;
  for (int i = 0; i < 2000; ++i) {
    hostile.push_back(file_entry(fmt::format("h{}", i), 1, simple({{0, k_data, 1ULL << 62}})));
  }
  f.append(std::move(hostile));
  FakeKernel k(*f.img, writable());
  k.init();
  auto [e, p] = k.call(FUSE_STATFS, 1, {});
  REQUIRE(e == 0);
  fuse_statfs_out so{};
  std::memcpy(&so, p.data(), sizeof(so));
  CHECK(so.st.blocks == 32);
  CHECK(so.st.bfree == 0);
}

TEST_CASE("fuse::Server: WRITE stays inside the file and reaches the device", "[fuse]") {
  Fixture f;
  SECTION("writable") {
    FakeKernel k(*f.img, writable());
    k.init();
    auto d = k.lookup(1, "d");
    auto s = k.lookup(d->nodeid, "simple");
    // Across the extent boundary at 2 MiB: the first extent is AU 7, the second starts at AU 5.
    std::vector<std::byte> data(300);
    for (std::size_t i = 0; i < data.size(); ++i) {
      data[i] = static_cast<std::byte>(i * 13);
    }
    auto [err, p] = k.write(s->nodeid, k_au - 100, data);
    REQUIRE(err == 0);
    fuse_write_out wo{};
    std::memcpy(&wo, p.data(), sizeof(wo));
    CHECK(wo.size == 300);
    auto bytes = f.img->device().bytes();
    CHECK(std::memcmp(bytes.data() + k_data + 3 * k_au - 100, data.data(), 100) == 0);
    CHECK(std::memcmp(bytes.data() + k_data, data.data() + 100, 200) == 0);
    // Straddling the end: short write; at or past the end: EPERM.
    const u64 size = 3 * k_mib + 100;
    auto [e2, p2] = k.write(s->nodeid, size - 10, data);
    REQUIRE(e2 == 0);
    std::memcpy(&wo, p2.data(), sizeof(wo));
    CHECK(wo.size == 10);
    CHECK(k.write(s->nodeid, size, data).first == EPERM);
    CHECK(k.write(s->nodeid, size + 5000, data).first == EPERM);
    // .meta files are never written.
    auto meta = k.lookup(1, ".meta");
    auto lg = k.lookup(meta->nodeid, ".log");
    CHECK(k.write(lg->nodeid, 0, data).first == EPERM);
    fuse_open_in oi{};
    oi.flags = O_RDWR;
    CHECK(k.call_of(FUSE_OPEN, lg->nodeid, oi).first == EPERM);
    auto [oe, op] = k.call_of(FUSE_OPEN, s->nodeid, oi);
    REQUIRE(oe == 0);
    fuse_open_out oo{};
    std::memcpy(&oo, op.data(), sizeof(oo));
    CHECK((oo.open_flags & FOPEN_DIRECT_IO) != 0);
    CHECK((oo.open_flags & FOPEN_CACHE_DIR) == 0);
    fuse_fsync_in fs{};
    CHECK(k.call_of(FUSE_FSYNC, s->nodeid, fs).first == 0);
  }
  SECTION("read-only (client) mounts refuse writes and hide write bits") {
    FakeKernel k(*f.img, ServerOptions{});
    k.init();
    auto d = k.lookup(1, "d");
    auto s = k.lookup(d->nodeid, "simple");
    CHECK((s->attr.mode & 0222) == 0);
    CHECK(k.write(s->nodeid, 0, std::vector<std::byte>(10)).first == EROFS);
    fuse_open_in oi{};
    oi.flags = O_WRONLY;
    CHECK(k.call_of(FUSE_OPEN, s->nodeid, oi).first == EROFS);
    oi.flags = O_RDONLY;
    CHECK(k.call_of(FUSE_OPEN, s->nodeid, oi).first == 0);
  }
}

TEST_CASE("fuse::Server: SETATTR refuses size, mode, owner and time changes", "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, writable());
  k.init();
  auto in = k.lookup(1, "inter");
  fuse_setattr_in sa{};
  sa.valid = FATTR_SIZE;
  sa.size = 0;
  CHECK(k.call_of(FUSE_SETATTR, in->nodeid, sa).first == EPERM);
  sa.size = 6 * k_mib;
  CHECK(k.call_of(FUSE_SETATTR, in->nodeid, sa).first == EPERM);
  sa.size = 5 * k_mib; // no change: allowed
  CHECK(k.call_of(FUSE_SETATTR, in->nodeid, sa).first == 0);
  const auto before = k.getattr(in->nodeid);
  // Each change alone is refused: the log cannot keep it.
  sa = {};
  sa.valid = FATTR_MODE;
  sa.mode = S_IFREG | 0600;
  CHECK(k.call_of(FUSE_SETATTR, in->nodeid, sa).first == EPERM);
  sa = {};
  sa.valid = FATTR_UID;
  sa.uid = 42;
  CHECK(k.call_of(FUSE_SETATTR, in->nodeid, sa).first == EPERM);
  sa = {};
  sa.valid = FATTR_GID;
  sa.gid = 42;
  CHECK(k.call_of(FUSE_SETATTR, in->nodeid, sa).first == EPERM);
  sa = {};
  sa.valid = FATTR_MTIME;
  sa.mtime = 1234567;
  CHECK(k.call_of(FUSE_SETATTR, in->nodeid, sa).first == EPERM);
  sa = {};
  sa.valid = FATTR_ATIME | FATTR_ATIME_NOW;
  CHECK(k.call_of(FUSE_SETATTR, in->nodeid, sa).first == EPERM);
  // Setting what is already there changes nothing: allowed.
  sa = {};
  sa.valid = FATTR_MODE | FATTR_UID | FATTR_GID | FATTR_MTIME;
  sa.mode = before.mode;
  sa.uid = before.uid;
  sa.gid = before.gid;
  sa.mtime = before.mtime;
  sa.mtimensec = before.mtimensec;
  CHECK(k.call_of(FUSE_SETATTR, in->nodeid, sa).first == 0);
  auto a = k.getattr(in->nodeid);
  CHECK(a.mode == before.mode);
  CHECK(a.uid == before.uid);
  CHECK(a.gid == 100);
  CHECK(a.mtime == before.mtime);
  CHECK(a.size == 5 * k_mib);
  auto meta = k.lookup(1, ".meta");
  sa = {};
  sa.valid = FATTR_MODE;
  sa.mode = S_IFREG | 0600;
  CHECK(k.call_of(FUSE_SETATTR, meta->nodeid, sa).first == EPERM);
}

TEST_CASE("fuse::Server: READDIR and READDIRPLUS", "[fuse]") {
  Fixture f;
  std::vector<log::LogEntry> many;
  many.push_back(dir_entry("big"));
  for (int i = 0; i < 300; ++i) {
    many.push_back(file_entry(fmt::format("big/file{:03}", i), 10, simple({{0, k_data, k_au}})));
  }
  f.append(std::move(many));
  FakeKernel k(*f.img, writable());
  k.init();
  auto big = k.lookup(1, "big");
  REQUIRE(big);
  // A directory's st_blksize, which sizes a reader's getdents buffer and so the kernel's
  // requests: its whole listing at most names of 32 bytes, a power of two, a page at least.
  const std::size_t plus_entry = sizeof(fuse_direntplus) + 32;
  CHECK(big->attr.blksize == 65536);
  CHECK(big->attr.blksize >= 302 * plus_entry);
  CHECK(k.lookup(1, "d")->attr.blksize == 4096);
  CHECK(k.getattr(k.lookup(big->nodeid, "file299")->nodeid).blksize == (1U << 20)); // files
  for (bool plus : {false, true}) {
    INFO(plus);
    auto [oe, op] = k.call_of(FUSE_OPENDIR, big->nodeid, fuse_open_in{});
    REQUIRE(oe == 0);
    fuse_open_out oo{};
    std::memcpy(&oo, op.data(), sizeof(oo));
    // The kernel may keep the listing, across opens (LogFollower::step drops it).
    CHECK(oo.open_flags == (FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE));
    std::vector<std::string> names;
    u64 off = 0;
    for (;;) {
      fuse_read_in ri{};
      ri.fh = oo.fh;
      ri.offset = off;
      ri.size = 4096;
      auto [e, p] = k.call_of(plus ? FUSE_READDIRPLUS : FUSE_READDIR, big->nodeid, ri);
      REQUIRE(e == 0);
      if (p.empty()) {
        break;
      }
      auto got = dirent_names(p, plus);
      names.insert(names.end(), got.begin(), got.end());
      off = names.size();
    }
    REQUIRE(names.size() == 302);
    CHECK(names[0] == ".");
    CHECK(names[1] == "..");
    CHECK(names[2] == "file000");
    CHECK(names[301] == "file299");
    CHECK(std::set<std::string>(names.begin(), names.end()).size() == 302);
    fuse_release_in rel{};
    rel.fh = oo.fh;
    CHECK(k.call_of(FUSE_RELEASEDIR, big->nodeid, rel).first == 0);
  }
  // READDIRPLUS counted one lookup per entry it returned (not for "." and "..").
  auto f0 = k.lookup(big->nodeid, "file000");
  CHECK(k.server().lookup_count(f0->nodeid) == 2);
  CHECK(k.server().lookup_count(big->nodeid) == 1);
  fuse_read_in ri{};
  ri.fh = 12345;
  ri.size = 4096;
  CHECK(k.call_of(FUSE_READDIR, big->nodeid, ri).first == EBADF);
  CHECK(k.call_of(FUSE_OPENDIR, f0->nodeid, fuse_open_in{}).first == ENOTDIR);
}

TEST_CASE("fuse::Server: page-cache mode opens cached, user.famfs.invalidate drops pages",
          "[fuse]") {
  Fixture f;
  ServerOptions cached = writable();
  cached.page_cache = true;
  auto open_flags = [](FakeKernel& k, u64 node) {
    fuse_open_in oi{};
    oi.flags = O_RDONLY;
    auto [e, p] = k.call_of(FUSE_OPEN, node, oi);
    REQUIRE(e == 0);
    fuse_open_out oo{};
    std::memcpy(&oo, p.data(), sizeof(oo));
    return oo.open_flags;
  };
  auto invalidate = [](FakeKernel& k, u64 node) {
    fuse_getxattr_in gi{};
    gi.size = 64;
    std::vector<std::byte> b(sizeof(gi));
    std::memcpy(b.data(), &gi, sizeof(gi));
    auto nb = name_body(std::string(k_invalidate_xattr));
    b.insert(b.end(), nb.begin(), nb.end());
    auto [e, p] = k.call(FUSE_GETXATTR, node, b);
    return std::pair(e, std::string(reinterpret_cast<const char*>(p.data()), p.size()));
  };
  SECTION("page cache") {
    FakeKernel k(*f.img, cached);
    k.init();
    auto s = k.lookup(k.lookup(1, "d")->nodeid, "simple");
    const u32 flags = open_flags(k, s->nodeid);
    CHECK((flags & FOPEN_KEEP_CACHE) != 0);
    CHECK((flags & FOPEN_DIRECT_IO) == 0);
    CHECK(invalidate(k, s->nodeid) == std::pair(0, std::string(k_invalidated)));
    CHECK(invalidate(k, 1).first == ENODATA); // a directory holds no pages of ours
    CHECK(k.server().status().page_cache);
  }
  SECTION("direct I/O, the default") {
    FakeKernel k(*f.img, writable());
    k.init();
    auto s = k.lookup(k.lookup(1, "d")->nodeid, "simple");
    const u32 flags = open_flags(k, s->nodeid);
    CHECK((flags & FOPEN_DIRECT_IO) != 0);
    CHECK((flags & FOPEN_KEEP_CACHE) == 0);
    CHECK(invalidate(k, s->nodeid) == std::pair(0, std::string(k_uncached)));
    CHECK_FALSE(k.server().status().page_cache);
  }
}

TEST_CASE("fuse::Server: STATFS, xattrs, refused and unknown operations", "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, writable());
  k.init();
  SECTION("STATFS counts allocation units") {
    auto [e, p] = k.call(FUSE_STATFS, 1, {});
    REQUIRE(e == 0);
    fuse_statfs_out so{};
    std::memcpy(&so, p.data(), sizeof(so));
    CHECK(so.st.bsize == k_au);
    CHECK(so.st.frsize == k_au);
    CHECK(so.st.blocks == 32);
    CHECK(so.st.bfree == 32 - 5 - 6); // superblock + log, then AUs 5..10
    CHECK(so.st.ffree == log::slots_for(log::k_default_log_len) - 3);
    // root, .meta, 2 meta files, d, d/simple, inter in use; plus the free slots
    CHECK(so.st.files == 7 + so.st.ffree);
  }
  SECTION("user.famfs.fmap") {
    auto in = k.lookup(1, "inter");
    fuse_getxattr_in gi{};
    std::vector<std::byte> body(sizeof(gi));
    auto name = name_body("user.famfs.fmap");
    auto call = [&](u32 size) {
      gi.size = size;
      std::memcpy(body.data(), &gi, sizeof(gi));
      std::vector<std::byte> b = body;
      b.insert(b.end(), name.begin(), name.end());
      return k.call(FUSE_GETXATTR, in->nodeid, b);
    };
    const std::string text = "interleaved chunk 0x40000 strips 0x1000000+0x200000,"
                             "0x1400000+0x200000,0x1200000+0x200000";
    auto [e0, p0] = call(0);
    REQUIRE(e0 == 0);
    fuse_getxattr_out go{};
    std::memcpy(&go, p0.data(), sizeof(go));
    CHECK(go.size == text.size());
    CHECK(call(5).first == ERANGE);
    auto [e1, p1] = call(4096);
    REQUIRE(e1 == 0);
    CHECK(std::string(reinterpret_cast<const char*>(p1.data()), p1.size()) == text);
    fuse_getxattr_in li{};
    li.size = 4096;
    auto [e2, p2] = k.call_of(FUSE_LISTXATTR, in->nodeid, li);
    REQUIRE(e2 == 0);
    CHECK(std::string(reinterpret_cast<const char*>(p2.data()), p2.size())
          == std::string("user.famfs.fmap", 16));
    auto other = name_body("user.other");
    gi.size = 100;
    std::memcpy(body.data(), &gi, sizeof(gi));
    body.insert(body.end(), other.begin(), other.end());
    CHECK(k.call(FUSE_GETXATTR, in->nodeid, body).first == ENODATA);
  }
  SECTION("names outside user.* are not supported (ls -l remembers that per device)") {
    auto get = [&](u64 node, const std::string& name) {
      fuse_getxattr_in gi{};
      gi.size = 4096;
      std::vector<std::byte> b(sizeof(gi));
      std::memcpy(b.data(), &gi, sizeof(gi));
      auto nb = name_body(name);
      b.insert(b.end(), nb.begin(), nb.end());
      return k.call(FUSE_GETXATTR, node, b).first;
    };
    auto in = k.lookup(1, "inter");
    for (const char* name : {"security.selinux", "security.capability", "system.posix_acl_access",
                             "system.posix_acl_default", "trusted.x", "user", "famfs.fmap"}) {
      INFO(name);
      CHECK(get(in->nodeid, name) == EOPNOTSUPP);
      CHECK(get(1, name) == EOPNOTSUPP);
    }
    CHECK(get(in->nodeid, "user.famfs.status") == ENODATA); // only on the root
    CHECK(get(1, "user.famfs.fmap") == ENODATA);            // only on files
    CHECK(get(1, "user.famfs.status") == 0);
    CHECK(get(in->nodeid, "user.famfs.fmap") == 0);
    CHECK(get(999999, "user.famfs.fmap") == ENOENT);
  }
  SECTION("namespace changes get EPERM") {
    fuse_mkdir_in mi{};
    auto nb = name_body("x");
    auto with = [&](std::vector<std::byte> fixed, std::vector<std::byte> tail) {
      fixed.insert(fixed.end(), tail.begin(), tail.end());
      return fixed;
    };
    std::vector<std::byte> mkdir_b(sizeof(mi));
    CHECK(k.call(FUSE_MKDIR, 1, with(mkdir_b, nb)).first == EPERM);
    CHECK(k.call(FUSE_CREATE, 1, with(std::vector<std::byte>(sizeof(fuse_create_in)), nb)).first
          == EPERM);
    CHECK(k.call(FUSE_MKNOD, 1, with(std::vector<std::byte>(sizeof(fuse_mknod_in)), nb)).first
          == EPERM);
    CHECK(k.call(FUSE_UNLINK, 1, name_body("inter")).first == EPERM);
    CHECK(k.call(FUSE_RMDIR, 1, name_body("d")).first == EPERM);
    CHECK(k.call(FUSE_SYMLINK, 1, with(nb, name_body("t"))).first == EPERM);
    CHECK(k.call(FUSE_LINK, 1, with(std::vector<std::byte>(sizeof(fuse_link_in)), nb)).first
          == EPERM);
    CHECK(k.call(FUSE_RENAME, 1,
                 with(with(std::vector<std::byte>(sizeof(fuse_rename_in)), nb), name_body("y")))
              .first
          == EPERM);
    CHECK(k.call(FUSE_RENAME2, 1,
                 with(with(std::vector<std::byte>(sizeof(fuse_rename2_in)), nb), name_body("y")))
              .first
          == EPERM);
  }
  SECTION("unknown opcodes and the unnegotiated famfs opcodes get ENOSYS") {
    CHECK(k.call(9999, 1, {}).first == ENOSYS);
    CHECK(k.call(k_famfs_abi_v7.op_get_fmap, 5, {}).first == ENOSYS);
    CHECK(k.call(k_famfs_abi_v7.op_get_daxdev, 0, {}).first == ENOSYS);
    CHECK(k.call(FUSE_LSEEK, 5, std::vector<std::byte>(sizeof(fuse_lseek_in))).first == ENOSYS);
  }
}

namespace {

// The FUSE_NOTIFY_INVAL_INODE notifications the server sends next (`count` of them): the inodes
// they name, each checked to drop the attributes only (offset -1: a directory's cached listing
// goes when the kernel then sees its new mtime).
std::set<u64> dropped_attrs(FakeKernel& k, int count) {
  std::set<u64> told;
  for (int i = 0; i < count; ++i) {
    auto msg = k.receive();
    auto n = decode_reply(msg);
    REQUIRE(n);
    CHECK(n->unique == 0);
    CHECK(n->error == FUSE_NOTIFY_INVAL_INODE);
    REQUIRE(n->payload.size() == sizeof(fuse_notify_inval_inode_out));
    fuse_notify_inval_inode_out body{};
    std::memcpy(&body, n->payload.data(), sizeof(body));
    CHECK(body.off < 0); // no page: dropping them could wait on a reader (LogFollower)
    told.insert(body.ino);
  }
  return told;
}

Time mtime_of(const fuse_attr& a) {
  return Time{a.mtime, a.mtimensec};
}

} // namespace

TEST_CASE("fuse::Server: long cache timeouts; a directory that gains names is dropped from the "
          "kernel's caches and gets a new mtime",
          "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, writable());
  k.init();
  k.enable_notify();
  auto d = k.lookup(1, "d");
  REQUIRE(d);
  CHECK(d->entry_valid >= 3600);
  CHECK(d->attr_valid >= 3600);
  const fuse_attr before = k.getattr(d->nodeid);
  CHECK(before.nlink == 2);
  const fuse_attr root_before = k.getattr(1);
  CHECK(mtime_of(before) == mtime_of(root_before)); // the mount's start, for every inode
  CHECK(mtime_of(before) == Time{before.ctime, before.ctimensec});
  // A new file in d: d's listing and mtime changed, not its nlink; the root is not told.
  f.append({file_entry("d/g", 1, simple({{0, k_data + 6 * k_au, k_au}}))});
  k.server().refresh();
  CHECK(dropped_attrs(k, 1) == std::set<u64>{d->nodeid});
  const fuse_attr after_g = k.getattr(d->nodeid); // the next message is our reply
  CHECK(after_g.nlink == 2);
  CHECK(mtime_of(after_g) > mtime_of(before));
  CHECK(mtime_of(after_g) == Time{after_g.ctime, after_g.ctimensec});
  CHECK(mtime_of(k.getattr(1)) == mtime_of(root_before));
  CHECK(mtime_of(k.getattr(k.lookup(d->nodeid, "g")->nodeid)) == mtime_of(before)); // files keep it
  // A new subdirectory of d and one of the root, in one step: both told once, nlink changed,
  // and d's mtime moved on again (every change gets a later one, even within a clock tick).
  f.append({dir_entry("d/e"), dir_entry("top")});
  k.server().refresh();
  CHECK(dropped_attrs(k, 2) == std::set<u64>{1, d->nodeid});
  const fuse_attr after_e = k.getattr(d->nodeid);
  CHECK(after_e.nlink == 3);
  CHECK(mtime_of(after_e) > mtime_of(after_g));
  CHECK(mtime_of(k.getattr(1)) > mtime_of(root_before));
  // A step that applies nothing tells nothing: the next message is our reply.
  CHECK(k.server().refresh() == 0);
  CHECK(k.getattr(d->nodeid).nlink == 3);
}

TEST_CASE("fuse::Server: listings are cached only by a kernel that checks a directory's mtime",
          "[fuse]") {
  Fixture f;
  for (bool auto_inval : {true, false}) {
    INFO(auto_inval);
    FakeKernel k(*f.img, writable());
    const u64 offered = FUSE_ASYNC_READ | FUSE_INIT_EXT | FUSE_DO_READDIRPLUS
                        | (auto_inval ? FUSE_AUTO_INVAL_DATA : 0);
    CHECK((k.init(45, offered).flags & FUSE_AUTO_INVAL_DATA) == (offered & FUSE_AUTO_INVAL_DATA));
    auto [oe, op] = k.call_of(FUSE_OPENDIR, 1, fuse_open_in{});
    REQUIRE(oe == 0);
    fuse_open_out oo{};
    std::memcpy(&oo, op.data(), sizeof(oo));
    CHECK(oo.open_flags == (auto_inval ? FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE : 0U));
  }
}

TEST_CASE("fuse::Server: malformed requests get an error reply, never a crash", "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, writable());
  k.init();
  SECTION("a header length that disagrees with the bytes received") {
    auto req = encode_request(FUSE_GETATTR, 900, 1, std::vector<std::byte>(16));
    u32 len = 1000;
    std::memcpy(req.data(), &len, 4);
    k.send(req);
    auto d = decode_reply(k.receive());
    REQUIRE(d);
    CHECK(d->unique == 900);
    CHECK(d->error == -EINVAL);
  }
  SECTION("a body too short for its opcode") {
    CHECK(k.call(FUSE_READ, 5, std::vector<std::byte>(8)).first == EINVAL);
    CHECK(k.call(FUSE_LOOKUP, 1, {}).first == EINVAL);
  }
  SECTION("a request shorter than a header: unaddressable, dropped; the server goes on") {
    k.send(std::vector<std::byte>(10));
    auto req = encode_request(FUSE_GETATTR, 901, 1, std::vector<std::byte>(16));
    k.send(std::vector<std::byte>(req.begin(), req.begin() + 30)); // unique readable: EINVAL
    auto d = decode_reply(k.receive());
    REQUIRE(d);
    CHECK(d->unique == 901);
    CHECK(d->error == -EINVAL);
    CHECK(k.getattr(1).ino == 1);
  }
  SECTION("random garbage") {
    std::mt19937 rng(1);
    for (int i = 0; i < 2000; ++i) {
      std::vector<std::byte> req(40 + rng() % 100);
      for (auto& b : req) {
        b = static_cast<std::byte>(rng());
      }
      fuse_in_header h{};
      h.len = static_cast<u32>(req.size());
      h.opcode = rng() % 60;
      if (h.opcode == FUSE_INIT || h.opcode == FUSE_DESTROY) {
        h.opcode = FUSE_STATFS;
      }
      h.unique = 10000 + static_cast<u64>(i);
      h.nodeid = rng() % 12;
      std::memcpy(req.data(), &h, sizeof(h));
      Outcome o = k.server().handle(req);
      if (o.send) {
        CHECK(o.unique == h.unique);
      }
    }
    CHECK(k.getattr(1).ino == 1);
  }
}

TEST_CASE("fuse::Server: follows the log while serving", "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, writable());
  k.init();
  int err = 0;
  CHECK_FALSE(k.lookup(1, "later", &err));
  CHECK(err == ENOENT);
  f.append({file_entry("later", 4096, simple({{0, k_data + 6 * k_au, k_au}}))});
  auto l = k.lookup(1, "later"); // LOOKUP checks next_index first
  REQUIRE(l);
  CHECK(l->attr.size == 4096);
  f.append({dir_entry("d/sub")});
  auto d = k.lookup(1, "d");
  auto [oe, op] = k.call_of(FUSE_OPENDIR, d->nodeid, fuse_open_in{});
  REQUIRE(oe == 0);
  fuse_open_out oo{};
  std::memcpy(&oo, op.data(), sizeof(oo));
  f.append({file_entry("d/zzz", 1, simple({{0, k_data + 7 * k_au, k_au}}))});
  fuse_read_in ri{};
  ri.fh = oo.fh;
  ri.size = 4096;
  auto [re, rp] = k.call_of(FUSE_READDIR, d->nodeid, ri); // offset 0 re-reads the log
  REQUIRE(re == 0);
  CHECK(dirent_names(rp, false) == std::vector<std::string>{".", "..", "simple", "sub", "zzz"});
}

TEST_CASE("fuse::Server: a bad log entry stops replay; the valid prefix is served", "[fuse]") {
  Fixture f;
  f.append({file_entry("a", 10, simple({{0, k_data + 6 * k_au, k_au}})),
            file_entry("b", 10, simple({{0, k_data + 7 * k_au, k_au}}))});
  // Entries: 0 d, 1 d/simple, 2 inter, 3 a, 4 b. Damage entry 3.
  const u64 slot = f.img->superblock().log_offset + log::entry_offset(3);
  auto bytes = f.img->device().bytes();
  bytes[slot + 40] ^= std::byte{0x20};
  FakeKernel k(*f.img, writable());
  k.init();
  CHECK(k.server().applied_entries() == 3);
  CHECK(k.lookup(1, "inter"));
  CHECK_FALSE(k.lookup(1, "a"));
  CHECK_FALSE(k.lookup(1, "b"));
  bytes[slot + 40] ^= std::byte{0x20}; // repaired: replay resumes
  k.server().refresh(RetryBadEntry::yes);
  CHECK(k.lookup(1, "b"));
}

TEST_CASE("fuse::Server: INTERRUPT gets no reply; DESTROY ends the serving loop", "[fuse]") {
  Fixture f;
  FakeKernel k(*f.img, writable());
  k.init();
  fuse_interrupt_in ii{};
  ii.unique = 12345;
  k.send(encode_request_of(FUSE_INTERRUPT, 600, 0, ii));
  CHECK(k.getattr(1).ino == 1); // the next reply is GETATTR's, not INTERRUPT's
  CHECK_FALSE(k.finished());
  auto [err, p] = k.call(FUSE_DESTROY, 0, {});
  CHECK(err == 0);
  CHECK(p.empty());
  for (int i = 0; i < 500 && !k.finished(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CHECK(k.finished());
  CHECK(k.result());
}

TEST_CASE("fuse::Server: a handler that throws gets ENOMEM or EIO; the daemon goes on", "[fuse]") {
  Fixture f;
  ServerOptions o = writable();
  std::atomic<int> thrown{0};
  // The hook runs just before each handler: GETATTR of node 1 runs out of memory, STATFS meets
  // another exception, FORGET (never answered) throws too.
  o.before_handler = [&](const Request& r) {
    if (r.header.opcode == FUSE_GETATTR && r.header.nodeid == 1) {
      thrown.fetch_add(1);
      throw std::bad_alloc();
    }
    if (r.header.opcode == FUSE_STATFS) {
      thrown.fetch_add(1);
      throw std::runtime_error("a broken invariant");
    }
    if (r.header.opcode == FUSE_FORGET) {
      thrown.fetch_add(1);
      throw std::bad_alloc();
    }
  };
  FakeKernel k(*f.img, o);
  k.init();
  fuse_getattr_in gi{};
  CHECK(k.call_of(FUSE_GETATTR, 1, gi).first == ENOMEM);
  CHECK(k.call(FUSE_STATFS, 1, {}).first == EIO);
  fuse_forget_in fi{};
  fi.nlookup = 1;
  REQUIRE(k.post(FUSE_FORGET, 1, FakeKernel::bytes_of(fi)));
  // Still serving, on the same thread: the next reply is LOOKUP's, not one for FORGET.
  auto d = k.lookup(1, "d");
  REQUIRE(d);
  CHECK(k.call_of(FUSE_GETATTR, d->nodeid, gi).first == 0);
  CHECK(thrown.load() == 3);
  CHECK_FALSE(k.finished());
}

namespace {

// One client thread of the threaded test: calls through FakeKernel::try_call and notes what went
// wrong as text (Catch2 assertions are for the main thread only).
struct Client {
  FakeKernel& k;
  std::vector<std::string> failures;

  std::optional<FakeKernel::Answer> call(u32 op, u64 node, const std::vector<std::byte>& body) {
    auto a = k.try_call(op, node, body);
    if (!a) {
      failures.push_back(fmt::format("{} node {}: no reply", opcode_name(op), node));
    }
    return a;
  }
  template <typename T> std::optional<FakeKernel::Answer> call_of(u32 op, u64 node, const T& v) {
    return call(op, node, FakeKernel::bytes_of(v));
  }
  // The payload of a successful reply, or nullopt (noted) for an error.
  std::optional<std::vector<std::byte>> ok(u32 op, u64 node, const std::vector<std::byte>& body) {
    auto a = call(op, node, body);
    if (a && a->first != 0) {
      failures.push_back(fmt::format("{} node {}: error {}", opcode_name(op), node, a->first));
      return std::nullopt;
    }
    return a ? std::optional(std::move(a->second)) : std::nullopt;
  }
  void expect(bool good, const std::string& what) {
    if (!good) {
      failures.push_back(what);
    }
  }
};

template <typename T> T from_bytes(const std::vector<std::byte>& p) {
  T v{};
  std::memcpy(&v, p.data(), std::min(p.size(), sizeof(T)));
  return v;
}

} // namespace

// The server as the daemon runs it (Server::run: INIT, then worker threads all reading one
// connection, and the housekeeping thread following the log), under concurrent requests of every
// kind while another mapping of the device appends to the log. Run under ThreadSanitizer by
// scripts/test.sh (ctest label threads).
TEST_CASE("fuse::Server: worker threads answer concurrent requests", "[fuse][threads]") {
  Fixture f;
  std::vector<log::LogEntry> more{dir_entry("big"), dir_entry("new"),
                                  file_entry("w", k_mib, simple({{0, k_data + 6 * k_au, k_au}}))};
  for (int i = 0; i < 40; ++i) {
    more.push_back(
        file_entry(fmt::format("big/f{:02}", i), 100, simple({{0, k_data + 7 * k_au, k_au}})));
  }
  f.append(std::move(more));
  // The appender writes through its own mapping, as another process would.
  auto other = core::Image::open(f.dev, core::OpenMode::read_write);
  REQUIRE(other);

  ServerOptions o = writable();
  o.threads = 4;
  o.follow_interval = std::chrono::milliseconds(5);
  FakeKernel k(*f.img, o, test::Serving::workers);
  k.init();
  auto d = k.lookup(1, "d");
  REQUIRE(d);
  auto s = k.lookup(d->nodeid, "simple");
  auto in = k.lookup(1, "inter");
  auto big = k.lookup(1, "big");
  auto w = k.lookup(1, "w");
  REQUIRE(s);
  REQUIRE(in);
  REQUIRE(big);
  REQUIRE(w);
  CHECK(k.server().worker_count() == 4);
  const log::Fmap smap = simple({{0, k_data + 2 * k_au, k_au}, {0, k_data, 2 * k_au}});
  log::Fmap imap;
  imap.type = log::ExtType::interleaved;
  imap.chunk_size = 256 * 1024;
  imap.extents = {
      {0, k_data + 3 * k_au, k_au}, {0, k_data + 5 * k_au, k_au}, {0, k_data + 4 * k_au, k_au}};
  constexpr int k_new = 30;
  constexpr int k_passes = 12;

  std::vector<Client> clients(6, Client{k, {}});
  std::vector<std::thread> threads;
  // Two readers: random reads of both maps, checked against the device.
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Client& c = clients[static_cast<std::size_t>(t)];
      std::mt19937_64 rng(static_cast<u64>(t) + 11);
      for (int i = 0; i < 120; ++i) {
        const bool inter = rng() % 2 == 1;
        const u64 size = inter ? 5 * k_mib : 3 * k_mib + 100;
        const u64 off = rng() % size;
        const u32 len = static_cast<u32>(rng() % (64 * 1024) + 1);
        fuse_read_in ri{};
        ri.offset = off;
        ri.size = len;
        auto p = c.ok(FUSE_READ, inter ? in->nodeid : s->nodeid, FakeKernel::bytes_of(ri));
        c.expect(p && *p == f.expected(inter ? imap : smap, off, std::min<u64>(len, size - off)),
                 fmt::format("READ {} at {} length {}: wrong bytes", inter, off, len));
      }
    });
  }
  // A writer: writes into w and reads its writes back.
  threads.emplace_back([&] {
    Client& c = clients[2];
    for (int i = 0; i < 60; ++i) {
      std::vector<std::byte> data(1000 + static_cast<std::size_t>(i) * 37);
      for (std::size_t j = 0; j < data.size(); ++j) {
        data[j] = static_cast<std::byte>(j * 7 + static_cast<std::size_t>(i));
      }
      const u64 off = static_cast<u64>(i) * 9973 % (k_mib - data.size());
      auto p = c.ok(FUSE_WRITE, w->nodeid, FakeKernel::write_body(off, data));
      c.expect(p && from_bytes<fuse_write_out>(*p).size == data.size(), "WRITE: short");
      fuse_read_in ri{};
      ri.offset = off;
      ri.size = static_cast<u32>(data.size());
      auto back = c.ok(FUSE_READ, w->nodeid, FakeKernel::bytes_of(ri));
      c.expect(back && *back == data, fmt::format("READ after WRITE at {}: wrong bytes", off));
    }
  });
  // Directory passes: OPENDIR, READDIRPLUS to the end, RELEASEDIR; LOOKUP and FORGET each entry.
  threads.emplace_back([&] {
    Client& c = clients[3];
    for (int pass = 0; pass < k_passes; ++pass) {
      auto op = c.ok(FUSE_OPENDIR, big->nodeid, FakeKernel::bytes_of(fuse_open_in{}));
      if (!op) {
        return;
      }
      const u64 fh = from_bytes<fuse_open_out>(*op).fh;
      std::vector<std::string> names;
      for (;;) {
        fuse_read_in ri{};
        ri.fh = fh;
        ri.offset = names.size();
        ri.size = 1024;
        auto p = c.ok(FUSE_READDIRPLUS, big->nodeid, FakeKernel::bytes_of(ri));
        if (!p || p->empty()) {
          break;
        }
        auto got = dirent_names(*p, true);
        names.insert(names.end(), got.begin(), got.end());
      }
      c.expect(names.size() == 42, fmt::format("READDIRPLUS: {} names", names.size()));
      fuse_release_in rel{};
      rel.fh = fh;
      c.ok(FUSE_RELEASEDIR, big->nodeid, FakeKernel::bytes_of(rel));
      for (int i = 0; i < 40; i += 7) {
        auto e = c.ok(FUSE_LOOKUP, big->nodeid, name_body(fmt::format("f{:02}", i)));
        if (e) {
          fuse_forget_in fg{};
          fg.nlookup = 1;
          c.expect(
              k.post(FUSE_FORGET, from_bytes<fuse_entry_out>(*e).nodeid, FakeKernel::bytes_of(fg)),
              "FORGET: not sent");
        }
      }
    }
  });
  // Attributes and xattrs: SETATTR (refused: it would change d/simple's mode) while others read
  // its attributes.
  threads.emplace_back([&] {
    Client& c = clients[4];
    for (int i = 0; i < 60; ++i) {
      fuse_setattr_in sa{};
      sa.valid = FATTR_MODE | FATTR_MTIME;
      sa.mode = static_cast<u32>(S_IFREG | (0600 + (i % 8)));
      sa.mtime = static_cast<u64>(i);
      auto set = c.call(FUSE_SETATTR, s->nodeid, FakeKernel::bytes_of(sa));
      c.expect(!set || set->first == EPERM, "SETATTR: not refused");
      c.ok(FUSE_GETATTR, s->nodeid, FakeKernel::bytes_of(fuse_getattr_in{}));
      c.ok(FUSE_STATFS, 1, {});
      fuse_getxattr_in gi{};
      gi.size = 4096;
      auto status = FakeKernel::bytes_of(gi);
      auto sname = name_body("user.famfs.status");
      status.insert(status.end(), sname.begin(), sname.end());
      auto st = c.ok(FUSE_GETXATTR, 1, status);
      c.expect(st
                   && std::string(reinterpret_cast<const char*>(st->data()), st->size())
                              .find("healthy=yes")
                          != std::string::npos,
               "status xattr: not healthy");
      auto fm = FakeKernel::bytes_of(gi);
      auto fname = name_body("user.famfs.fmap");
      fm.insert(fm.end(), fname.begin(), fname.end());
      c.ok(FUSE_GETXATTR, in->nodeid, fm);
      c.ok(FUSE_LISTXATTR, 1, FakeKernel::bytes_of(gi));
      c.ok(FUSE_ACCESS, s->nodeid, FakeKernel::bytes_of(fuse_access_in{}));
    }
  });
  // A follower: looks up each new file until the log append shows it, and lists new/.
  std::atomic<int> appended{0};
  threads.emplace_back([&] {
    Client& c = clients[5];
    auto nd = c.ok(FUSE_LOOKUP, 1, name_body("new"));
    if (!nd) {
      return;
    }
    const u64 new_ino = from_bytes<fuse_entry_out>(*nd).nodeid;
    for (int i = 0; i < k_new; ++i) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      for (;;) {
        auto a = c.call(FUSE_LOOKUP, new_ino, name_body(fmt::format("n{:02}", i)));
        if (!a || a->first == 0) {
          break;
        }
        if (a->first != ENOENT || std::chrono::steady_clock::now() > deadline) {
          c.expect(false, fmt::format("LOOKUP new/n{:02}: error {}", i, a->first));
          break;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    auto op = c.ok(FUSE_OPENDIR, new_ino, FakeKernel::bytes_of(fuse_open_in{}));
    if (op) {
      fuse_read_in ri{};
      ri.fh = from_bytes<fuse_open_out>(*op).fh;
      ri.size = 1 << 16;
      auto p = c.ok(FUSE_READDIR, new_ino, FakeKernel::bytes_of(ri));
      c.expect(p && dirent_names(*p, false).size() == k_new + 2, "READDIR new/: not every file");
    }
  });
  // The appender: one entry at a time, through the other mapping.
  {
    auto wr = core::LogWriter::open(*other);
    REQUIRE(wr);
    for (int i = 0; i < k_new; ++i) {
      std::vector<log::LogEntry> one{
          file_entry(fmt::format("new/n{:02}", i), 10, simple({{0, k_data + 8 * k_au, k_au}}))};
      REQUIRE(wr->append_batch(*other, one));
      appended.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& c : clients) {
    for (const auto& why : c.failures) {
      FAIL_CHECK(why);
    }
  }
  CHECK(appended.load() == k_new);
  CHECK(k.server().applied_entries() == 3 + 3 + 40 + k_new);
  // Lookup counts: each pass's READDIRPLUS counted one per file; every LOOKUP was forgotten.
  // FORGET has no reply, so wait for the last ones to be handled.
  auto f07 = k.lookup(big->nodeid, "f07");
  REQUIRE(f07);
  for (int i = 0; i < 200 && k.server().lookup_count(f07->nodeid) != k_passes + 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(k.server().lookup_count(f07->nodeid) == k_passes + 1);
  CHECK(k.server().lookup_count(big->nodeid) == 1);
}

// A famfs-mode mount's switch from its metadata copy to the mount's .meta files
// (LogFollower::switch_metadata, right after the workers start) while clients look names up
// (each lookup is a follow step that reads the log) and the housekeeping thread follows the log.
// Run under ThreadSanitizer by scripts/test.sh (ctest label threads).
TEST_CASE("fuse::Server: a famfs-mode server switches to the .meta files under load",
          "[fuse][threads]") {
  test::FakeMount m;
  auto copy = m.img->metadata_copy();
  REQUIRE(copy);
  m.mkdir_through_files("late"); // in the mount's files only
  ServerOptions o;
  o.fmap_capable = true;
  o.threads = 4;
  o.follow_interval = std::chrono::milliseconds(5);
  o.famfs_mode_meta = m.files;
  FakeKernel k(*copy, o, test::Serving::workers);
  const u32 famfs = k_famfs_abi_v7.flags2_dax_fmap;
  auto out = k.init(45, FUSE_ASYNC_READ | FUSE_INIT_EXT | FUSE_MAX_PAGES, famfs);
  REQUIRE((out.flags2 & famfs) != 0);
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < give_up) {
        auto a = k.try_call(FUSE_LOOKUP, FUSE_ROOT_ID, FakeKernel::name_body("late"));
        (void)k.try_call_of(FUSE_GETATTR, FUSE_ROOT_ID, fuse_getattr_in{});
        if (a && a->first == 0) {
          found.fetch_add(1);
          return;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(found.load() == 3);
  CHECK(!k.finished());
}
