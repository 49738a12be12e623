// core::clobber_reason: what the mount's follower and libfamfs check before trusting new log
// entries (a healthy log, another mkfs, a damaged header, a shrunk log, a rewritten entry).
#include "core/log_health.hpp"
#include "core/log_writer.hpp"
#include "core/mkfs.hpp"
#include "tests/support/fresh_image.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace famfs;
using log::u64;

namespace {

struct Fixture : test::FreshImage {
  core::ReplayMark mark;
  Fixture() {
    log::LogEntry e;
    e.type = log::EntryType::mkdir;
    e.body = log::MkdirEntry{0, 0, 0755, "d"};
    auto w = core::LogWriter::open(*img);
    REQUIRE(w);
    std::vector<log::LogEntry> entries{e};
    REQUIRE(w->append_batch(*img, entries));
    mark.fs_uuid = img->superblock().fs_uuid;
    auto view = img->log();
    REQUIRE(view);
    mark.remember(*view, 1);
  }
  std::string reason() { return core::clobber_reason(img->device(), mark, img->log()); }
  std::byte* at(u64 off) { return img->device().at(off); }
};

} // namespace

TEST_CASE("core::clobber_reason: a healthy log, and each way it stops being one", "[core]") {
  Fixture f;
  CHECK(f.reason().empty());
  CHECK(f.mark.crc_index == 0);
  SECTION("another mkfs") {
    core::MkfsOptions o;
    o.force = core::Force::yes;
    REQUIRE(core::mkfs(f.dev, o));
    CHECK(f.reason().find("the file system UUID changed") != std::string::npos);
  }
  SECTION("a damaged superblock") {
    *f.at(40) ^= std::byte{1};
    CHECK(f.reason().find("the superblock is no longer valid") != std::string::npos);
  }
  SECTION("a damaged log header, once one was seen") {
    *f.at(log::k_log_offset) ^= std::byte{1};
    CHECK(f.reason().find("the log header is no longer valid") != std::string::npos);
    f.mark.log_seen = false;
    CHECK(f.reason().empty()); // before a first valid header, the caller reports the error
  }
  SECTION("fewer entries than applied") {
    f.mark.applied = 2;
    CHECK(f.reason().find("the log shrank: next_index 1 is below the 2 entries")
          != std::string::npos);
  }
  SECTION("the last applied entry rewritten") {
    *f.at(log::k_log_offset + log::entry_offset(0) + 100) ^= std::byte{1};
    CHECK(f.reason().find("log entry 0 at device offset") != std::string::npos);
  }
}
