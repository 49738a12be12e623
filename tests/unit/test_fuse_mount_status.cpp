// The mount status: the text the daemon writes into its status xattr and the CLI parses back.
#include "fuse/mount_status.hpp"

#include <catch2/catch.hpp>

using namespace famfs;
using namespace famfs::fuse;

namespace {

MountStatus sample() {
  MountStatus s;
  s.pid = 4242;
  s.role = core::Role::client;
  s.host_uuid = "11111111-2222-3333-4444-555555555555";
  s.fs_uuid = "66666666-7777-8888-9999-aaaaaaaaaaaa";
  s.entries_applied = 17;
  s.healthy = false;
  s.reason = "the log shrank: next_index 3 is below the 17 entries applied";
  s.data_path = "kernel (famfs fmap)";
  s.writable = true;
  s.non_coherent = true;
  s.follow_interval_ms = 0;
  s.media_errors = 2;
  s.page_cache = true;
  s.transport = k_transport_io_uring;
  return s;
}

} // namespace

TEST_CASE("fuse::MountStatus: the text on the wire, key by key", "[fuse]") {
  // Pinned: famfs status and mount of another version read these lines.
  CHECK(sample().to_text()
        == "pid=4242\n"
           "role=client\n"
           "host_uuid=11111111-2222-3333-4444-555555555555\n"
           "fs_uuid=66666666-7777-8888-9999-aaaaaaaaaaaa\n"
           "entries_applied=17\n"
           "healthy=no\n"
           "reason=the log shrank: next_index 3 is below the 17 entries applied\n"
           "data_path=kernel (famfs fmap)\n"
           "writable=yes\n"
           "non_coherent=yes\n"
           "follow_interval_ms=0\n"
           "media_errors=2\n"
           "page_cache=yes\n"
           "transport=io_uring\n");
}

TEST_CASE("fuse::MountStatus: parse(to_text()) is the identity", "[fuse]") {
  SECTION("every field set") {
    const MountStatus s = sample();
    auto back = MountStatus::parse(s.to_text());
    REQUIRE(back);
    CHECK(*back == s);
  }
  SECTION("defaults, a master, an unknown follow interval") {
    MountStatus s;
    s.role = core::Role::master;
    auto back = MountStatus::parse(s.to_text());
    REQUIRE(back);
    CHECK(*back == s);
    CHECK_FALSE(back->follow_interval_ms);
  }
}

TEST_CASE("fuse::MountStatus: parse tolerates other versions, refuses garbage", "[fuse]") {
  SECTION("unknown keys are ignored, missing ones keep their defaults") {
    auto s = MountStatus::parse("pid=7\nfuture_key=whatever\nno equals sign\nhealthy=yes");
    REQUIRE(s);
    CHECK(s->pid == 7);
    CHECK(s->healthy);
    CHECK(s->entries_applied == 0);
    CHECK_FALSE(s->follow_interval_ms);
  }
  SECTION("a value may hold '='") {
    auto s = MountStatus::parse("reason=a=b\n");
    REQUIRE(s);
    CHECK(s->reason == "a=b");
  }
  SECTION("bad numbers, booleans and roles") {
    for (const char* text : {"pid=12x\n", "entries_applied=-1\n", "media_errors=\n",
                             "healthy=true\n", "writable=1\n", "role=owner\n", "page_cache=on\n"}) {
      INFO(text);
      auto s = MountStatus::parse(text);
      REQUIRE_FALSE(s);
      CHECK(s.error().code == Errc::corrupt);
    }
  }
}
