// core::mkfs on sparse backing files: what it writes, what it refuses, and that a refusal leaves
// the device untouched.
#include "core/fsck.hpp"
#include "core/mkfs.hpp"
#include "core/system_uuid.hpp"
#include "log/records.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iterator>

using namespace famfs;
using namespace famfs::core;
using famfs::test::make_sparse_file;
using famfs::test::TempDir;

namespace {

constexpr std::uint64_t k_mib = 1ULL << 20;

// Points the system UUID at a file of this test for its lifetime.
struct HostScope {
  explicit HostScope(const TempDir& d) { set_system_uuid_file(d.file("system_uuid")); }
  ~HostScope() { set_system_uuid_file(""); }
  HostScope(const HostScope&) = delete;
  HostScope& operator=(const HostScope&) = delete;
};

std::vector<char> read_all(const std::string& path) {
  std::vector<char> out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
    out.insert(out.end(), buf, buf + n);
  }
  std::fclose(f);
  return out;
}

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<std::uint64_t>(st.st_size);
}

} // namespace

TEST_CASE("core::mkfs: writes superblock, backup and an empty log that fsck finds clean",
          "[core]") {
  TempDir d;
  HostScope host(d);
  const std::string img = d.file("dev.img");
  make_sparse_file(img, 16 * k_mib);
  auto sb = mkfs(img, MkfsOptions{});
  REQUIRE(sb);
  CHECK(sb->log_len == 8 * k_mib);
  CHECK(sb->dev_size == 16 * k_mib);
  CHECK(sb->dev_name == img.substr(0, 64));
  CHECK(sb->system_uuid == *get_system_uuid());

  auto bytes = read_all(img);
  REQUIRE(bytes.size() == 16 * k_mib);
  auto at = [&](std::size_t off) {
    return std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()) + off, 200);
  };
  // The backup is the primary, byte for byte.
  CHECK(std::equal(at(0).begin(), at(0).end(), at(log::k_backup_sb_offset).begin()));
  // The fresh 8 MiB log header of spec §2.2.
  CHECK(log::get64(at(log::k_log_offset), 24) == 0xa5875078U);

  auto r = check_device(img);
  REQUIRE(r);
  CHECK(r->problems.empty());
  CHECK(r->stats.next_index == 0);
  CHECK(r->stats.log_last_index == 15419);
}

TEST_CASE("core::mkfs: an existing file system needs --force; --kill --force kills it", "[core]") {
  TempDir d;
  HostScope host(d);
  const std::string img = d.file("dev.img");
  make_sparse_file(img, 16 * k_mib);
  auto first = mkfs(img, MkfsOptions{});
  REQUIRE(first);
  const auto before = read_all(img);

  auto again = mkfs(img, MkfsOptions{});
  REQUIRE(!again);
  CHECK(again.error().code == Errc::exists);
  CHECK_THAT(again.error().message, Catch::Contains("already holds a famfs file system"));
  CHECK_THAT(again.error().hint, Catch::Contains("--force"));
  CHECK(read_all(img) == before);

  SECTION("--kill without --force is a plain mkfs, so it is refused too") {
    MkfsOptions o;
    o.kill = Kill::yes;
    CHECK(!mkfs(img, o));
    CHECK(read_all(img) == before);
  }
  SECTION("--force makes a new file system") {
    MkfsOptions o;
    o.force = Force::yes;
    o.log_len = 8 * k_mib;
    auto second = mkfs(img, o);
    REQUIRE(second);
    CHECK(second->fs_uuid != first->fs_uuid);
    auto r = check_device(img);
    REQUIRE(r);
    CHECK(r->problems.empty());
    CHECK(r->sb.fs_uuid == second->fs_uuid);
  }
  SECTION("a damaged primary still counts as a file system") {
    {
      std::fstream f(img, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(0x30);
      f.put('\x55');
    }
    CHECK(mkfs(img, MkfsOptions{}).error().code == Errc::exists);
  }
  SECTION("--kill --force zeroes both magics and nothing else") {
    MkfsOptions o;
    o.kill = Kill::yes;
    o.force = Force::yes;
    auto killed = mkfs(img, o);
    REQUIRE(killed);
    CHECK(killed->fs_uuid == first->fs_uuid);
    auto after = read_all(img);
    std::size_t diffs = 0;
    for (std::size_t i = 0; i < after.size(); ++i) {
      if (after[i] != before[i]) {
        diffs++;
        CHECK((i < 8 || (i >= log::k_backup_sb_offset && i < log::k_backup_sb_offset + 8)));
      }
    }
    CHECK(diffs > 0);
    auto r = check_device(img);
    REQUIRE(r);
    CHECK(!r->usable());
    CHECK_THAT(r->problems.at(0).message, Catch::Contains("not a famfs file system"));
    // Nothing left to kill; and a plain mkfs is allowed again.
    CHECK(mkfs(img, o).error().code == Errc::not_found);
    CHECK(mkfs(img, MkfsOptions{}));
  }
}

TEST_CASE("core::mkfs: bad log lengths are refused before the device is touched", "[core]") {
  TempDir d;
  HostScope host(d);
  const std::string img = d.file("dev.img");
  make_sparse_file(img, 16 * k_mib);
  REQUIRE(mkfs(img, MkfsOptions{}));
  const auto before = read_all(img);
  for (std::uint64_t len :
       {std::uint64_t{1}, 11 * k_mib, 1 * k_mib, std::uint64_t{0}, 12 * k_mib}) {
    MkfsOptions o;
    o.force = Force::yes;
    o.log_len = len;
    auto r = mkfs(img, o);
    REQUIRE(!r);
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK_THAT(r.error().message, Catch::Contains("power of two of at least 8 MiB"));
  }
  CHECK(read_all(img) == before);
  CHECK(check_log_len(8 * k_mib));
  CHECK(check_log_len(256 * k_mib));
}

TEST_CASE("core::mkfs: a device too small is refused with the minimum", "[core]") {
  TempDir d;
  HostScope host(d);
  CHECK(min_device_size(8 * k_mib) == 12 * k_mib);
  const std::string img = d.file("small.img");
  make_sparse_file(img, 12 * k_mib - 1);
  auto r = mkfs(img, MkfsOptions{});
  REQUIRE(!r);
  CHECK_THAT(r.error().message, Catch::Contains("too small") && Catch::Contains("12582912"));
  CHECK(file_size(img) == 12 * k_mib - 1);
  CHECK(read_all(img) == std::vector<char>(12 * k_mib - 1, 0));

  make_sparse_file(img, 12 * k_mib);
  CHECK(mkfs(img, MkfsOptions{}));

  SECTION("an empty file") {
    const std::string e = d.file("empty.img");
    make_sparse_file(e, 0);
    auto re = mkfs(e, MkfsOptions{});
    REQUIRE(!re);
    CHECK_THAT(re.error().message, Catch::Contains("too small"));
  }
}

TEST_CASE("core::mkfs: --size creates or grows a backing file, never shrinks it", "[core]") {
  TempDir d;
  HostScope host(d);
  const std::string img = d.file("new.img");
  MkfsOptions o;
  o.create_size = 32 * k_mib;
  REQUIRE(mkfs(img, o));
  CHECK(file_size(img) == 32 * k_mib);
  struct stat st {};
  REQUIRE(::stat(img.c_str(), &st) == 0);
  CHECK(static_cast<std::uint64_t>(st.st_blocks) * 512 < 32 * k_mib); // sparse

  o.force = Force::yes;
  o.create_size = 64 * k_mib;
  REQUIRE(mkfs(img, o));
  CHECK(file_size(img) == 64 * k_mib);

  o.create_size = 16 * k_mib;
  REQUIRE(mkfs(img, o));
  CHECK(file_size(img) == 64 * k_mib);
  auto r = check_device(img);
  REQUIRE(r);
  CHECK(r->sb.dev_size == 64 * k_mib);

  SECTION("a --size too small creates nothing") {
    MkfsOptions t;
    t.create_size = 4 * k_mib;
    auto tr = mkfs(d.file("tiny.img"), t);
    REQUIRE(!tr);
    CHECK_THAT(tr.error().message, Catch::Contains("too small"));
    struct stat s2 {};
    CHECK(::stat(d.file("tiny.img").c_str(), &s2) != 0);
  }
  SECTION("a missing file without --size") {
    auto m = mkfs(d.file("missing.img"), MkfsOptions{});
    REQUIRE(!m);
    CHECK_THAT(m.error().hint, Catch::Contains("--size"));
  }
}
