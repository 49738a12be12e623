// core/mounts: parsing /proc/self/mountinfo and finding the famfs mount that holds a path,
// one row per rule.
#include "core/mounts.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

using namespace famfs;
using namespace famfs::core;

namespace {

struct MountinfoRow {
  const char* rule;
  std::string line;
  MountEntry want; // mountpoint, fstype, source, options, super options, device number
};

std::vector<MountinfoRow> mountinfo_rows() {
  return {
      {"no optional fields",
       "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw",
       {"/", "ext4", "/dev/sda1", "rw,relatime", "rw", "8:1"}},
      {"optional fields before the separator",
       "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:7 - ext3 /dev/root rw",
       {"/mnt/parent", "ext3", "/dev/root", "rw,noatime", "rw", "98:0"}},
      {"a famfs mount",
       "90 22 0:52 / /mnt/famfs rw,nosuid,nodev - fuse.famfs /dev/dax0.0 rw,user_id=0",
       {"/mnt/famfs", "fuse.famfs", "/dev/dax0.0", "rw,nosuid,nodev", "rw,user_id=0", "0:52"}},
      {"octal escapes in the mount point and the source",
       "91 22 0:53 / /mnt/my\\040fs\\011x rw - fuse.famfs /tmp/a\\040b.img rw",
       {"/mnt/my fs\tx", "fuse.famfs", "/tmp/a b.img", "rw", "rw", "0:53"}},
      {"a backslash too near the end is kept",
       "92 22 0:54 / /m\\04 rw - tmpfs none rw",
       {"/m\\04", "tmpfs", "none", "rw", "rw", "0:54"}},
  };
}

MountEntry famfs_at(std::string mountpoint, std::string source = "/dev/dax0.0") {
  return MountEntry{std::move(mountpoint), k_fstype, std::move(source), "rw", "rw", "0:60"};
}

struct ContainingRow {
  const char* rule;
  std::string path;
  std::string want_mountpoint; // "" when no famfs mount holds the path
  std::string want_relpath;
};

std::vector<ContainingRow> containing_rows() {
  return {
      {"the mount point itself", "/mnt/f", "/mnt/f", ""},
      {"a file below it", "/mnt/f/a/b", "/mnt/f", "a/b"},
      {"a sibling with the mount point as prefix is outside", "/mnt/fx/a", "", ""},
      {"the deepest of nested mounts", "/mnt/f/inner/x", "/mnt/f/inner", "x"},
      {"other file systems are not famfs", "/data/x", "", ""},
      {"outside every mount", "/elsewhere", "", ""},
      {"a famfs mounted on /", "/srv/x", "/", "srv/x"},
  };
}

} // namespace

TEST_CASE("core::read_mounts: mountinfo fields, one row per rule", "[core]") {
  test::TempDir dir;
  const std::string path = dir.file("mountinfo");
  {
    std::ofstream out(path);
    for (const auto& row : mountinfo_rows()) {
      out << row.line << "\n";
    }
  }
  auto mounts = read_mounts(path);
  REQUIRE(mounts);
  const auto rows = mountinfo_rows();
  REQUIRE(mounts->size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO(rows[i].rule);
    const MountEntry& got = (*mounts)[i];
    CHECK(got.mountpoint == rows[i].want.mountpoint);
    CHECK(got.fstype == rows[i].want.fstype);
    CHECK(got.source == rows[i].want.source);
    CHECK(got.options == rows[i].want.options);
    CHECK(got.super_options == rows[i].want.super_options);
    CHECK(got.device_number == rows[i].want.device_number);
  }
  auto missing = read_mounts(dir.file("absent"));
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains(dir.file("absent")));
}

TEST_CASE("core::famfs_mount_containing: the deepest famfs mount, one row per rule", "[core]") {
  for (const auto& row : containing_rows()) {
    INFO(row.rule);
    std::vector<MountEntry> mounts = {famfs_at("/mnt/f"), famfs_at("/mnt/f/inner", "/dev/dax1.0"),
                                      MountEntry{"/data", "ext4", "/dev/sda2", "rw", "rw", "8:2"}};
    if (row.want_mountpoint == "/") {
      mounts.push_back(famfs_at("/"));
    }
    std::string rel = "stale";
    const MountEntry* m = famfs_mount_containing(mounts, row.path, &rel);
    if (row.want_mountpoint.empty()) {
      CHECK(m == nullptr);
      CHECK(rel == "stale");
    } else {
      REQUIRE(m != nullptr);
      CHECK(m->mountpoint == row.want_mountpoint);
      CHECK(rel == row.want_relpath);
    }
  }
}
