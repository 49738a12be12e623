// Append sessions on a backing file: creating files and directories, the bitmap rebuilt from
// the log, log full and device full, the master-only rule, concurrent writers, and file data.
#include "core/digest.hpp"
#include "core/file_data.hpp"
#include "core/fs_ops.hpp"
#include "core/mkfs.hpp"
#include "core/random_pattern.hpp"
#include "core/system_uuid.hpp"
#include "log/fmap.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

using namespace famfs;
using namespace famfs::core;

namespace {

constexpr u64 k_mib = 1ULL << 20;
constexpr u64 k_au = log::k_alloc_unit;

enum class Backing { build_tree, tmpfs };

struct Fs {
  test::TempDir dir;
  std::string dev;
  Backing backing;
  // tmpfs: the image lives in /dev/shm, where msync is cheap (for tests that append a lot).
  explicit Fs(u64 size = 64 * k_mib, Backing b = Backing::build_tree) : backing(b) {
    set_system_uuid_file(dir.file("system_uuid"));
    dev = b == Backing::tmpfs && ::access("/dev/shm", W_OK) == 0
              ? "/dev/shm/famfs-unit-" + std::to_string(::getpid()) + "-"
                    + dir.path().filename().string() + ".img"
              : dir.file("dev.img");
    MkfsOptions o;
    o.create_size = size;
    auto r = mkfs(dev, o);
    REQUIRE(r);
  }
  ~Fs() {
    set_system_uuid_file("");
    if (dev.rfind("/dev/shm/", 0) == 0) {
      ::unlink(dev.c_str());
    }
  }
  Image open() const {
    auto img = Image::open(dev, OpenMode::read_write);
    REQUIRE(img);
    return std::move(*img);
  }
};

Owner owner(u32 mode = 0644) {
  return Owner{mode, 1000, 1001};
}

FileRequest file(std::string rel, u64 size) {
  FileRequest r;
  r.relpath = std::move(rel);
  r.size = size;
  r.owner = owner();
  return r;
}

u64 next_index(const Image& img) {
  return img.log()->size();
}

} // namespace

TEST_CASE("core::fs_ops: files and directories, appended and replayed", "[core]") {
  Fs fs;
  Image img = fs.open();
  {
    auto s = Session::open(fs.open(), 1);
    REQUIRE(s);
    auto dirs = s->add_dir("a/b/c", owner(0700), Parents::yes);
    REQUIRE(dirs);
    CHECK(*dirs == std::vector<std::string>{"a", "a/b", "a/b/c"});
    auto f = s->add_file(file("a/b/c/f", 4096));
    REQUIRE(f);
    CHECK_FALSE(f->existing);
    CHECK(f->fmap.extents.at(0) == log::Extent{0, 0xa00000, k_au});
    CHECK(s->queued() == 4);
    CHECK(next_index(img) == 0); // nothing written before commit
    REQUIRE(s->check_log_space());
    REQUIRE(s->commit_all());
    CHECK(next_index(img) == 4);
  }
  ReplayReport rep;
  auto tree = load_tree(img, &rep);
  REQUIRE(tree);
  CHECK(rep.entries == 4);
  CHECK(rep.new_dirs == 3);
  CHECK(rep.new_files == 1);
  CHECK(rep.errors() == 0);
  const Node* f = tree->resolve("a/b/c/f");
  REQUIRE(f);
  CHECK(f->size == 4096);
  CHECK(f->mode == 0644);
  CHECK(f->uid == 1000);
  CHECK(f->gid == 1001);
  CHECK(tree->resolve("a/b")->mode == 0700);
  CHECK(tree->resolve(".meta/.log"));

  auto s = Session::open(fs.open(), 1);
  REQUIRE(s);
  SECTION("an existing file of the same size is reused; another size is refused") {
    auto same = s->add_file(file("a/b/c/f", 4096));
    REQUIRE(same);
    CHECK(same->existing);
    CHECK(same->fmap == f->fmap);
    auto keep = s->add_file(file("a/b/c/f", 0));
    REQUIRE(keep);
    CHECK(keep->size == 4096);
    auto other = s->add_file(file("a/b/c/f", 8192));
    REQUIRE_FALSE(other);
    CHECK(other.error().code == Errc::exists);
    CHECK(other.error().message == "a/b/c/f: exists with size 4096, not 8192");
    CHECK(s->queued() == 0);
  }
  SECTION("the next file lands after the ones in the log") {
    auto g = s->add_file(file("g", 3 * k_au));
    REQUIRE(g);
    CHECK(g->fmap.extents.at(0) == log::Extent{0, 0xc00000, 3 * k_au});
  }
  SECTION("errors name the path and queue nothing") {
    auto expect = [&](Result<FilePlan> r, Errc code, const std::string& msg) {
      REQUIRE_FALSE(r);
      CHECK(r.error().code == code);
      CHECK(r.error().message == msg);
    };
    expect(s->add_file(file("nodir/f", 1)), Errc::not_found,
           "nodir/f: parent directory nodir does not exist");
    expect(s->add_file(file("a/b/c/f/g", 1)), Errc::not_found,
           "a/b/c/f/g: a/b/c/f is not a directory");
    expect(s->add_file(file("a/b", 1)), Errc::exists, "a/b: is a directory");
    expect(s->add_file(file("new", 0)), Errc::invalid_argument,
           "new: a new file needs a size greater than 0");
    expect(s->add_file(file(".meta/x", 1)), Errc::invalid_argument,
           ".meta/x: .meta is reserved for famfs metadata");
    expect(s->add_file(file("", 1)), Errc::exists, "/: is the file system root, a directory");
    CHECK(s->queued() == 0);
    CHECK(s->allocator().used_units() == 6);
  }
  SECTION("mkdir rules") {
    CHECK(s->add_dir("a", owner(), Parents::no).error().message == "a: directory exists");
    CHECK(s->add_dir("a", owner(), Parents::yes)->empty());
    CHECK(s->add_dir("", owner(), Parents::yes)->empty());
    CHECK(s->add_dir("", owner(), Parents::no).error().code == Errc::exists);
    CHECK(s->add_dir("x/y", owner(), Parents::no).error().message
          == "x/y: parent directory x does not exist");
    CHECK(s->add_dir("a/b/c/f", owner(), Parents::yes).error().message
          == "a/b/c/f: exists and is not a directory");
    CHECK(s->add_dir("a/b/c/f/z/w", owner(), Parents::yes).error().message
          == "a/b/c/f/z/w: a/b/c/f is not a directory");
    CHECK(s->add_dir("x/y/../../..", owner(), Parents::yes).error().message
          == "x/y/../../..: path escapes the file system root");
    CHECK(s->queued() == 0);
    auto ok = s->add_dir("a/./x//y/", owner(), Parents::yes);
    REQUIRE(ok);
    CHECK(*ok == std::vector<std::string>{"a/x", "a/x/y"});
  }
}

TEST_CASE("core::fs_ops: only permission bits 0777 are written", "[core]") {
  Fs fs;
  Image img = fs.open();
  auto s = Session::open(fs.open(), 1);
  REQUIRE(s);
  for (u32 mode : {04755U, 02755U, 01777U, 07777U, 0xffffffffU}) {
    INFO("mode " << std::oct << mode);
    auto d = s->add_dir("d", owner(mode), Parents::no);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == Errc::invalid_argument);
    FileRequest f = file("f", 4096);
    f.owner = owner(mode);
    auto r = s->add_file(f);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK_THAT(r.error().message, Catch::Contains("f: mode 0"));
  }
  CHECK(s->queued() == 0);
  CHECK(s->allocator().used_units() == s->allocator().reserved_units());
  REQUIRE(s->add_dir("d", owner(0777), Parents::no));
  REQUIRE(s->add_file(file("f", 4096)));
  CHECK(log::mode_problem(0) == "");
  CHECK(log::mode_problem(0777) == "");
  CHECK(log::mode_problem(06755)
        == "mode 06755 has the setuid and setgid bits (famfs accepts "
           "permission bits 0 to 0777)");
}

TEST_CASE("core::fs_ops: the bitmap rebuilt from the log equals the session's", "[core]") {
  Fs fs(512 * k_mib);
  Image img = fs.open();
  std::vector<bool> before;
  {
    auto s = Session::open(fs.open(), 5);
    REQUIRE(s);
    for (int i = 0; i < 20; ++i) {
      REQUIRE(s->add_file(file(fmt::format("f{}", i), static_cast<u64>(i + 1) * 1234567)));
    }
    REQUIRE(s->commit_all());
    for (u64 u = 0; u < s->allocator().units(); ++u) {
      before.push_back(s->allocator().in_use(u));
    }
  }
  auto s = Session::open(fs.open(), 5);
  REQUIRE(s);
  REQUIRE(s->allocator().units() == before.size());
  for (u64 u = 0; u < before.size(); ++u) {
    REQUIRE(s->allocator().in_use(u) == before[u]);
  }
}

TEST_CASE("core::fs_ops: log full appends nothing", "[core]") {
  Fs fs;
  Image img = fs.open();
  const u64 slots = log::slots_for(log::k_default_log_len); // 15420
  {
    auto s = Session::open(fs.open(), 1);
    REQUIRE(s);
    for (u64 i = 0; i + 5 < slots; ++i) {
      REQUIRE(s->add_dir(fmt::format("d{}", i), owner(0755), Parents::no));
    }
    REQUIRE(s->commit_all());
  }
  REQUIRE(next_index(img) == slots - 5);
  {
    auto s = Session::open(fs.open(), 1);
    REQUIRE(s);
    // A 10-level mkdir -p needs 10 slots; only 5 are left.
    REQUIRE(s->add_dir("p/1/2/3/4/5/6/7/8/9", owner(0755), Parents::yes));
    auto full = s->check_log_space();
    REQUIRE_FALSE(full);
    CHECK(full.error().code == Errc::no_space);
    CHECK(full.error().message == "log full: 15415 of 15420 entries used; 10 needed");
    CHECK(full.error().hint == "make a file system with a larger --loglen");
    auto c = s->commit_all();
    REQUIRE_FALSE(c);
    CHECK(next_index(img) == slots - 5);
  }
  // A 5-level one fits, exactly.
  auto s2 = Session::open(fs.open(), 1);
  REQUIRE(s2);
  REQUIRE(s2->add_dir("q/1/2/3/4", owner(0755), Parents::yes));
  REQUIRE(s2->check_log_space());
  REQUIRE(s2->commit_all());
  CHECK(next_index(img) == slots);
  REQUIRE(s2->add_dir("r", owner(0755), Parents::no));
  CHECK(s2->check_log_space().error().message == "log full: 15420 of 15420 entries used");
  ReplayReport rep;
  REQUIRE(load_tree(img, &rep));
  CHECK(rep.errors() == 0);
}

TEST_CASE("core::fs_ops: device full creates nothing, then exactly the free units fit", "[core]") {
  Fs fs; // 64 MiB: 27 free units
  Image img = fs.open();
  {
    auto s = Session::open(fs.open(), 1);
    REQUIRE(s);
    auto big = s->add_file(file("big", 28 * k_au));
    REQUIRE_FALSE(big);
    CHECK(big.error().code == Errc::no_space);
    CHECK(big.error().message.rfind("big: device full: 5 of 32 allocation units", 0) == 0);
    CHECK(s->queued() == 0);
    for (int i = 0; i < 27; ++i) {
      REQUIRE(s->add_file(file(fmt::format("f{}", i), k_au)));
    }
    CHECK_FALSE(s->add_file(file("one-more", 1)));
    REQUIRE(s->commit_all());
    CHECK(next_index(img) == 27);
  }
  auto s2 = Session::open(fs.open(), 1);
  REQUIRE(s2);
  CHECK(s2->allocator().free_units() == 0);
  CHECK(s2->add_file(file("late", 1)).error().code == Errc::no_space);
  // Directories need no space.
  REQUIRE(s2->add_dir("d", owner(0755), Parents::no));
  REQUIRE(s2->commit_all());
}

TEST_CASE("core::fs_ops: only the master appends", "[core]") {
  Fs fs;
  Image img = fs.open();
  const std::string master = img.superblock().system_uuid.str();
  set_system_uuid_file(fs.dir.file("other_host_uuid"));
  auto s = Session::open(fs.open(), 1);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::permission);
  CHECK(s.error().message.find(master) != std::string::npos);
  CHECK(s.error().message.find(get_system_uuid()->str()) != std::string::npos);
  CHECK(next_index(img) == 0);
}

TEST_CASE("core::fs_ops: two writers creating 250 files each at once", "[core]") {
  // (tests/cli/concurrent-creat.sh does 500 each with two processes.)
  Fs fs(1100 * k_mib, Backing::tmpfs); // 500 files of one unit each, plus room
  auto writer = [&](int w) {
    Image img = fs.open();
    for (int i = 0; i < 250; ++i) {
      auto s = Session::open(fs.open(), static_cast<u64>(w));
      REQUIRE(s);
      REQUIRE(s->add_file(file(fmt::format("w{}-{}", w, i), 1000)));
      REQUIRE(s->commit_all());
    }
  };
  std::thread t1(writer, 1);
  std::thread t2(writer, 2);
  t1.join();
  t2.join();
  Image img = fs.open();
  ReplayReport rep;
  auto tree = load_tree(img, &rep);
  REQUIRE(tree);
  CHECK(rep.entries == 500);
  CHECK(rep.new_files == 500);
  CHECK(rep.errors() == 0);
  // No two files share an allocation unit.
  Allocator a(geometry_of(img.superblock(), img.device().size()), 0);
  auto view = img.log();
  REQUIRE(view);
  for (u64 i = 0; i < view->size(); ++i) {
    auto e = view->entry(i);
    REQUIRE(e);
    auto m = a.mark(std::get<log::FileEntry>(e->body).fmap);
    REQUIRE(m.collisions == 0);
    REQUIRE(m.out_of_range == 0);
  }
}

TEST_CASE("core::Session: a file's entry is committed only after its data is marked written",
          "[core]") {
  Fs fs;
  Image img = fs.open();
  auto s = Session::open(fs.open(), 1);
  REQUIRE(s);
  REQUIRE(s->add_dir("d", owner(0755), Parents::no));
  FileRequest req = file("d/f", 4096);
  req.contents = Contents::to_write;
  auto staged = s->add_file(req);
  REQUIRE(staged);
  CHECK(staged->log_index == 1);
  auto plain = s->add_file(file("g", 4096)); // as_allocated: needs no mark
  REQUIRE(plain);
  CHECK(plain->log_index == 2);

  SECTION("committing the unwritten file is refused, and nothing is appended") {
    auto c = s->commit_all();
    REQUIRE_FALSE(c);
    CHECK(c.error().code == Errc::internal);
    CHECK(c.error().message
          == "d/f: the file's data is not written yet; its log entry must follow its data");
    CHECK(next_index(img) == 0);
    // The entries before it may go; the session still works.
    REQUIRE(s->commit(1));
    CHECK(next_index(img) == 1);
    CHECK_FALSE(s->commit(1));
    CHECK(next_index(img) == 1);
  }
  SECTION("once marked written, it is committed") {
    REQUIRE(write_pattern(img.device(), staged->fmap, staged->size, 7));
    REQUIRE(s->mark_written(*staged));
    REQUIRE(s->commit_all());
    CHECK(next_index(img) == 3);
    // Its entry is gone from the queue: marking it again names no queued entry.
    auto again = s->mark_written(*staged);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::internal);
  }
  SECTION("an existing file has no entry to hold back") {
    REQUIRE(s->mark_written(*staged));
    REQUIRE(s->commit_all());
    FileRequest same = file("d/f", 4096);
    same.contents = Contents::to_write;
    auto reused = s->add_file(same);
    REQUIRE(reused);
    CHECK(reused->existing);
    CHECK(reused->log_index == k_no_index);
    CHECK(s->mark_written(*reused));
    CHECK(s->queued() == 0);
  }
}

TEST_CASE("core::file_data: pattern, digest and copy through the map", "[core]") {
  Fs fs(128 * k_mib);
  Image img = fs.open();
  auto s = Session::open(fs.open(), 1);
  REQUIRE(s);
  const u64 size = 5 * k_au + 12345;
  auto p = s->add_file(file("data", size));
  REQUIRE(p);
  const Device& dev = img.device();
  REQUIRE(write_pattern(dev, p->fmap, size, 42));
  CHECK_FALSE(check_pattern(dev, p->fmap, size, 42)->has_value());
  CHECK(check_pattern(dev, p->fmap, size, 41)->value() == 0);
  // The bytes are the pattern, at the file's place on the device.
  std::vector<std::byte> want(size);
  fill_pattern(want, 42);
  const u64 off = p->fmap.extents[0].offset;
  CHECK(std::equal(want.begin(), want.end(), dev.at(off)));
  CHECK(*digest_file(dev, p->fmap, size) == digest(want));
  dev.at(off + 3 * k_au + 7)[0] ^= std::byte{0x40};
  CHECK(check_pattern(dev, p->fmap, size, 42)->value() == 3 * k_au + 4);

  // copy_into from a regular file, serial and threaded, over an interleaved-looking map.
  const std::string src = fs.dir.file("src");
  {
    std::ofstream o(src, std::ios::binary);
    o.write(reinterpret_cast<const char*>(want.data()), static_cast<std::streamsize>(size));
  }
  int fd = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  for (unsigned threads : {1U, 3U}) {
    log::Fmap il;
    il.type = log::ExtType::interleaved;
    il.chunk_size = k_au;
    // Three strips of two units, placed out of order on the device.
    il.extents = {log::Extent{0, 40 * k_mib, 2 * k_au}, log::Extent{0, 20 * k_mib, 2 * k_au},
                  log::Extent{0, 30 * k_mib, 2 * k_au}};
    u64 last = 0;
    CopyOptions o;
    o.threads = threads;
    o.progress = [&](u64 d) { last = d; };
    REQUIRE(copy_into(dev, il, size, fd, o));
    CHECK(last == size);
    CHECK(*digest_file(dev, il, size) == digest(want));
    CHECK_FALSE(check_pattern(dev, il, size, 42)->has_value());
    // Chunk 1 of the file is the start of strip 1.
    CHECK(std::equal(want.begin() + k_au, want.begin() + 2 * k_au, dev.at(20 * k_mib)));
    // A source shorter than the size fails clearly.
    auto short_src = copy_into(dev, il, size + 10, fd, o);
    CHECK_FALSE(short_src);
  }
  ::close(fd);
  log::Fmap outside;
  outside.extents = {log::Extent{0, 127 * k_mib, 2 * k_au}};
  CHECK(write_pattern(dev, outside, 4 * k_mib, 1).error().code == Errc::corrupt);
}

TEST_CASE("core::fs_ops: interleaved files through a session", "[core]") {
  Fs fs(4ULL << 30); // sparse: 4 buckets of 1 GiB
  Image img = fs.open();
  {
    auto s = Session::open(fs.open(), 9);
    REQUIRE(s);
    FileRequest req = file("il", 100 * k_mib);
    req.interleave = Interleave{4, 3, 0};
    auto p = s->add_file(req);
    REQUIRE(p);
    CHECK(p->fmap.type == log::ExtType::interleaved);
    CHECK(p->fmap.chunk_size == 2 * k_mib);
    REQUIRE(p->fmap.extents.size() == 3);
    for (const auto& e : p->fmap.extents) {
      CHECK(e.len == 17 * k_au); // 50 units over stripes of 3: 17 stripes
    }
    req.relpath = "bad";
    req.interleave = Interleave{100, 3, 0};
    auto bad = s->add_file(req);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::invalid_argument);
    CHECK(s->queued() == 1);
    REQUIRE(s->commit_all());
  }
  auto tree = load_tree(img);
  REQUIRE(tree);
  const Node* n = tree->resolve("il");
  REQUIRE(n);
  CHECK(n->fmap.type == log::ExtType::interleaved);
  CHECK(n->fmap.extents.size() == 3);
  CHECK(log::addressable(n->fmap) >= 100 * k_mib);
}
