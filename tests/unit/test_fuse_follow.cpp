// Following the log (issue 5): --follow-interval 0 (no following but on request), the logplay
// xattr, --follow-batch (a client left part way through a batch sees a prefix of the log), and
// what a follow step invalidates on non-coherent memory (only what it reads). The server is
// driven through Server::handle with hand-built requests; no descriptor is involved.
#include "core/image.hpp"
#include "core/log_writer.hpp"
#include "core/mkfs.hpp"
#include "core/system_uuid.hpp"
#include "fuse/protocol.hpp"
#include "fuse/server.hpp"
#include "tests/support/fresh_image.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace famfs;
using namespace famfs::fuse;
using log::u64;

namespace {

constexpr u64 k_au = log::k_alloc_unit;
constexpr u64 k_data = 0xa00000; // first data AU with the default 8 MiB log

log::LogEntry file_entry(std::string path, u64 au_index) {
  log::FileEntry f;
  f.relpath = std::move(path);
  f.size = 4096;
  f.mode = 0644;
  f.fmap.extents = {{0, k_data + au_index * k_au, k_au}};
  log::LogEntry e;
  e.type = log::EntryType::file;
  e.body = std::move(f);
  return e;
}

log::LogEntry dir_entry(std::string path) {
  log::LogEntry e;
  e.type = log::EntryType::mkdir;
  e.body = log::MkdirEntry{0, 0, 0755, std::move(path)};
  return e;
}

// A 64 MiB famfs on a backing file holding "base/" and "base/f" (2 entries).
struct Fixture : test::FreshImage {
  Fixture() { append({dir_entry("base"), file_entry("base/f", 0)}); }
  void append(std::vector<log::LogEntry> entries) {
    auto w = core::LogWriter::open(*img);
    REQUIRE(w);
    REQUIRE(w->append_batch(*img, entries));
  }
};

// Talks to a Server through handle(): INIT once, then LOOKUP by path and GETXATTR on the root.
struct Kernel {
  Server& s;
  u64 unique = 1;

  explicit Kernel(Server& server) : s(server) {
    fuse_init_in in{};
    in.major = 7;
    in.minor = 38;
    in.flags = FUSE_ASYNC_READ | FUSE_BIG_WRITES;
    auto o = s.handle(encode_request_of(FUSE_INIT, unique++, 0, in));
    REQUIRE(o.reply.error() == 0);
  }
  int call(u32 op, u64 nodeid, const std::vector<std::byte>& body, std::vector<std::byte>* out) {
    auto o = s.handle(encode_request(op, unique++, nodeid, body));
    REQUIRE(o.send);
    if (out != nullptr) {
      *out = o.reply.body(); // LOOKUP and GETXATTR replies have no data pieces
    }
    return o.reply.error();
  }
  // The nodeid of a path ("a/b"), or 0 when a component is not found.
  u64 lookup(const std::string& path) {
    u64 node = FUSE_ROOT_ID;
    std::size_t pos = 0;
    while (pos <= path.size()) {
      std::size_t end = path.find('/', pos);
      if (end == std::string::npos) {
        end = path.size();
      }
      const std::string name = path.substr(pos, end - pos);
      std::vector<std::byte> b(name.size() + 1);
      std::memcpy(b.data(), name.c_str(), name.size() + 1);
      std::vector<std::byte> p;
      if (call(FUSE_LOOKUP, node, b, &p) != 0) {
        return 0;
      }
      fuse_entry_out e{};
      REQUIRE(p.size() == sizeof(e));
      std::memcpy(&e, p.data(), sizeof(e));
      node = e.nodeid;
      pos = end + 1;
    }
    return node;
  }
  // Reads an xattr of the root with a buffer of 4096 bytes: (errno, value).
  std::pair<int, std::string> root_xattr(const std::string& name) {
    fuse_getxattr_in gi{};
    gi.size = 4096;
    std::vector<std::byte> b(sizeof(gi));
    std::memcpy(b.data(), &gi, sizeof(gi));
    for (char c : name) {
      b.push_back(static_cast<std::byte>(c));
    }
    b.push_back(std::byte{0});
    std::vector<std::byte> p;
    const int err = call(FUSE_GETXATTR, FUSE_ROOT_ID, b, &p);
    return {err, std::string(reinterpret_cast<const char*>(p.data()), p.size())};
  }
};

ServerOptions manual() {
  ServerOptions o;
  o.follow_interval = std::chrono::milliseconds(0);
  return o;
}

} // namespace

TEST_CASE("follow: with follow_interval 0, only a logplay request applies new entries", "[fuse]") {
  Fixture f;
  Server s(*f.img, manual());
  Kernel k(s);
  CHECK(s.applied_entries() == 2); // the mount replays the whole log at start
  CHECK(k.lookup("base/f") != 0);
  f.append({dir_entry("new"), file_entry("new/g", 1)});
  CHECK(k.lookup("new") == 0); // a lookup does not follow the log on this mount
  CHECK(s.applied_entries() == 2);
  auto [err, status] = k.root_xattr(std::string(k_logplay_xattr));
  REQUIRE(err == 0);
  CHECK(status.find("entries_applied=4\n") != std::string::npos);
  CHECK(status.find("follow_interval_ms=0\n") != std::string::npos);
  CHECK(s.applied_entries() == 4);
  CHECK(k.lookup("new/g") != 0);
  // The status xattr itself never applies anything.
  f.append({file_entry("late", 2)});
  CHECK(k.root_xattr(std::string(k_status_xattr)).first == 0);
  CHECK(s.applied_entries() == 4);
}

TEST_CASE("follow: by default a lookup catches up at once", "[fuse]") {
  Fixture f;
  Server s(*f.img, ServerOptions{});
  Kernel k(s);
  f.append({dir_entry("new")});
  CHECK(k.lookup("new") != 0);
  CHECK(s.applied_entries() == 3);
}

TEST_CASE("follow: follow_batch leaves the tree at a prefix of the log, step by step", "[fuse]") {
  Fixture f;
  f.append({dir_entry("pre1"), dir_entry("pre2"), dir_entry("pre3")});
  ServerOptions o = manual();
  o.follow_batch = 2;
  Server s(*f.img, o);
  Kernel k(s);
  CHECK(s.applied_entries() == 5); // at mount: batch after batch, to the end
  // Entries 5..9: a/, a/f1, b, a/c/, a/c/f2
  const std::vector<std::string> paths{"a", "a/f1", "b", "a/c", "a/c/f2"};
  f.append({dir_entry("a"), file_entry("a/f1", 1), file_entry("b", 2), dir_entry("a/c"),
            file_entry("a/c/f2", 3)});
  const std::vector<u64> steps{2, 2, 1, 0};
  std::size_t visible = 0;
  for (u64 step : steps) {
    CHECK(s.refresh(RetryBadEntry::yes) == step);
    visible += step;
    CHECK(s.applied_entries() == 5 + visible);
    for (std::size_t i = 0; i < paths.size(); ++i) {
      INFO(paths[i] << " after " << visible << " new entries");
      CHECK((k.lookup(paths[i]) != 0) == (i < visible));
    }
  }
  // A logplay request is one step too.
  f.append({dir_entry("x"), dir_entry("y"), dir_entry("z")});
  CHECK(k.root_xattr(std::string(k_logplay_xattr)).first == 0);
  CHECK(s.applied_entries() == 12);
  CHECK(k.lookup("y") != 0);
  CHECK(k.lookup("z") == 0);
}

TEST_CASE("follow: on non-coherent memory a step invalidates only what it reads", "[fuse]") {
  Fixture f;
  struct Range {
    u64 off;
    u64 len;
  };
  std::mutex mu;
  std::vector<Range> seen;
  f.img->device().set_coherence(core::Coherence::non_coherent);
  f.img->device().set_invalidate_observer([&](u64 off, u64 len) {
    std::lock_guard lock(mu);
    seen.push_back({off, len});
  });
  ServerOptions o;
  o.non_coherent = true;
  o.follow_batch = 0;
  Server s(*f.img, o);
  const u64 log_off = f.img->superblock().log_offset;
  const u64 slot = log::k_log_entry_size;
  auto slot_at = [&](u64 i) { return log_off + log::entry_offset(i); };
  // Every range a step may drop: the superblock, the log header, and the given slots.
  auto allowed = [&](const Range& r, u64 first_slot, u64 end_slot) {
    if (r.off == 0 && r.len == log::k_superblock_size) {
      return true;
    }
    if (r.off == log_off && r.len == log::k_log_header_size) {
      return true;
    }
    return r.off >= slot_at(first_slot) && r.off + r.len <= slot_at(end_slot);
  };
  auto total = [&] {
    u64 n = 0;
    for (const auto& r : seen) {
      n += r.len;
    }
    return n;
  };
  auto has = [&](u64 off, u64 len) {
    for (const auto& r : seen) {
      if (r.off == off && r.len == len) {
        return true;
      }
    }
    return false;
  };

  SECTION("new entries: the last applied slot (clobber check), then exactly the new slots") {
    seen.clear();
    f.append({dir_entry("n1"), dir_entry("n2"), dir_entry("n3")}); // slots 2, 3, 4
    CHECK(s.refresh() == 3);
    for (const auto& r : seen) {
      INFO("invalidated [" << r.off << ", +" << r.len << ")");
      CHECK(allowed(r, 1, 5));
    }
    CHECK(has(slot_at(1), slot));     // entry 1, applied before: re-checked
    CHECK(has(slot_at(2), 3 * slot)); // the three new entries, before they are read
    CHECK(has(0, log::k_superblock_size));
    CHECK(has(log_off, log::k_log_header_size));
    CHECK(total() < 8 * 1024); // not the 10 MiB of superblock region and log
  }
  SECTION("nothing new: superblock, header and the last applied slot only") {
    seen.clear();
    CHECK(s.refresh() == 0);
    for (const auto& r : seen) {
      INFO("invalidated [" << r.off << ", +" << r.len << ")");
      CHECK(allowed(r, 1, 2));
    }
    CHECK(has(slot_at(1), slot));
    CHECK(total() < 2 * 1024);
  }
  SECTION("with a batch limit, only the slots of the batch") {
    Server b(*f.img, [] {
      ServerOptions bo;
      bo.non_coherent = true;
      bo.follow_batch = 2;
      return bo;
    }());
    f.append({dir_entry("n1"), dir_entry("n2"), dir_entry("n3")});
    seen.clear();
    CHECK(b.refresh() == 2);
    for (const auto& r : seen) {
      INFO("invalidated [" << r.off << ", +" << r.len << ")");
      CHECK(allowed(r, 1, 4));
    }
    CHECK(has(slot_at(2), 2 * slot));
  }
  f.img->device().set_invalidate_observer({});
}
