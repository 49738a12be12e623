// fuse/channel: the readahead of a mount, found through mountinfo and set in sysfs (both faked
// here in a temporary directory).
#include "fuse/channel.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

using namespace famfs;
using namespace famfs::fuse;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

} // namespace

TEST_CASE("fuse::set_readahead: the last FUSE mount on the mount point, in its bdi", "[fuse]") {
  test::TempDir dir;
  const std::string mountinfo = dir.file("mountinfo");
  const std::string bdi = dir.file("bdi");
  write_file(mountinfo, "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                        "90 22 0:52 / /mnt/f rw,nosuid - fuse.famfs /dev/dax0.0 rw\n"
                        "91 90 0:57 / /mnt/f rw,nosuid - fuse.famfs /dev/dax1.0 rw\n"
                        "92 22 0:58 / /mnt/g rw - tmpfs none rw\n");
  REQUIRE(::mkdir(bdi.c_str(), 0755) == 0);
  for (const char* dev : {"0:52", "0:57"}) {
    REQUIRE(::mkdir((bdi + "/" + dev).c_str(), 0755) == 0);
    write_file(bdi + "/" + dev + "/read_ahead_kb", "128\n");
  }

  SECTION("the mount on top gets it, the one under it keeps its own") {
    REQUIRE(set_readahead("/mnt/f", 1024, mountinfo, bdi));
    CHECK(slurp(bdi + "/0:57/read_ahead_kb") == "1024\n");
    CHECK(slurp(bdi + "/0:52/read_ahead_kb") == "128\n");
  }
  SECTION("no FUSE mount there") {
    for (const char* mnt : {"/mnt/g", "/mnt/none", "/"}) {
      INFO(mnt);
      auto r = set_readahead(mnt, 1024, mountinfo, bdi);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::not_found);
      CHECK_THAT(r.error().message, Catch::Contains(mnt));
    }
  }
  SECTION("a bdi that is not there") {
    write_file(mountinfo, "93 22 0:99 / /mnt/h rw - fuse.famfs /dev/dax2.0 rw\n");
    auto r = set_readahead("/mnt/h", 1024, mountinfo, bdi);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains(bdi + "/0:99/read_ahead_kb"));
  }
}
