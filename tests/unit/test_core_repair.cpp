// core::plan_repair / apply_plan over damaged in-memory images (tests/support/log_builder.hpp):
// each repairable kind of damage gets its fix and a clean re-check; what repair must not touch
// is declined; a crash after any prefix of the plan is recoverable by repairing again.
// repair_device on a backing file: the backup file, the refusals, nothing written on refusal.
#include "core/device.hpp"
#include "core/repair.hpp"
#include "core/system_uuid.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace famfs;
using namespace famfs::core;
using namespace famfs::test;
using log::Extent;

namespace {

struct Repaired {
  Report before;
  RepairPlan plan;
  std::vector<std::byte> bytes; // the image after the plan
  Report after;
};

Report check_bytes(const ImageBuilder& b, const std::vector<std::byte>& bytes) {
  CheckInput in = b.input();
  in.bytes = bytes;
  return check_image(in);
}

// Plans a repair of `b`, applies it to a copy of its bytes and checks the copy again.
Repaired repair(const ImageBuilder& b, const RepairOptions& o = {}) {
  Repaired out;
  out.before = b.check();
  auto p = plan_repair(out.before, b.bytes(), o);
  if (!p) {
    FAIL("plan_repair: " << p.error().message);
  }
  out.plan = *p;
  out.bytes = b.bytes();
  apply_plan(out.plan, out.bytes);
  out.after = check_bytes(b, out.bytes);
  return out;
}

std::vector<FixKind> kinds(const RepairPlan& p) {
  std::vector<FixKind> v;
  for (const auto& f : p.fixes) {
    v.push_back(f.kind);
  }
  return v;
}

std::string problems(const Report& r) {
  return problems_text(r, Severity::info);
}

// A crash after any prefix of the plan leaves an image no worse than before, and repairing that
// image again writes exactly the same bytes as the uninterrupted repair.
void check_crash_prefixes(const ImageBuilder& b,
                          const Repaired& full,
                          const RepairOptions& o = {}) {
  for (std::size_t k = 0; k <= full.plan.fixes.size(); ++k) {
    INFO("crash after " << k << " of " << full.plan.fixes.size() << " fixes");
    std::vector<std::byte> bytes = b.bytes();
    apply_plan(full.plan, bytes, k);
    Report mid = check_bytes(b, bytes);
    CHECK(mid.usable());
    CHECK(mid.errors() <= full.before.errors());
    auto again = plan_repair(mid, bytes, o);
    REQUIRE(again);
    apply_plan(*again, bytes);
    CHECK(bytes == full.bytes);
  }
}

std::span<const std::byte> at(const std::vector<std::byte>& v, u64 off, u64 len) {
  return std::span<const std::byte>(v).subspan(off, len);
}

bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

log::LogHeader header_of(const std::vector<std::byte>& v) {
  return *log::decode_log_header(at(v, log::k_log_offset, log::k_log_header_size));
}

constexpr u64 k_log = log::k_log_offset;
constexpr u64 k_backup = log::k_backup_sb_offset;

// The golden image plus three more files (8 entries).
ImageBuilder eight_entries() {
  ImageBuilder b = golden_image();
  b.file("a", 4096, std::vector<Extent>{{0, 0x1c00000, 2 * k_mib}});
  b.file("b", 4096, std::vector<Extent>{{0, 0x1e00000, 2 * k_mib}});
  b.file("c", 4096, std::vector<Extent>{{0, 0x2000000, 2 * k_mib}});
  REQUIRE(b.check().problems.empty());
  return b;
}

} // namespace

TEST_CASE("core::plan_repair: a clean image needs nothing", "[core]") {
  ImageBuilder b = eight_entries();
  Repaired r = repair(b);
  CHECK(r.plan.empty());
  CHECK(r.plan.declined.empty());
  CHECK(r.bytes == b.bytes());
}

TEST_CASE("core::plan_repair: a torn or corrupt log tail is zeroed and the counters reset",
          "[core]") {
  ImageBuilder b = eight_entries();
  SECTION("the last two entries corrupt") {
    b.flip(ImageBuilder::entry_at(6) + 100);
    b.flip(ImageBuilder::entry_at(7) + 536); // the CRC itself
    Repaired r = repair(b);
    REQUIRE(r.before.errors() == 2);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::tail_zeroed, FixKind::log_header});
    CHECK(r.plan.fixes[0].index == 6);
    CHECK(r.plan.fixes[0].offset == ImageBuilder::entry_at(6));
    CHECK(r.plan.fixes[0].length == 2 * log::k_log_entry_size);
    CHECK(r.plan.fixes[0].message
          == "log entries 6 to 7: torn or corrupt after the last valid entry 5; zeroed");
    CHECK(r.plan.fixes[1].message
          == "log header at 0x200000: next index 8 -> 6, next sequence number 8 -> 6");
    CHECK(r.after.problems.empty());
    CHECK(r.after.stats.next_index == 6);
    CHECK(header_of(r.bytes).next_seqnum == 6);
    // The entries before the damage are untouched; the torn slots are zero.
    CHECK(same(at(r.bytes, ImageBuilder::entry_at(0), 6 * log::k_log_entry_size),
               at(b.bytes(), ImageBuilder::entry_at(0), 6 * log::k_log_entry_size)));
    CHECK(std::all_of(r.bytes.begin() + static_cast<long>(ImageBuilder::entry_at(6)),
                      r.bytes.begin() + static_cast<long>(ImageBuilder::entry_at(8)),
                      [](std::byte x) { return x == std::byte{0}; }));
    check_crash_prefixes(b, r);
  }
  SECTION("a wrong sequence number in the last entry") {
    log::put64(b.slot(7), 0, 99);
    b.restamp(7);
    Repaired r = repair(b);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::tail_zeroed, FixKind::log_header});
    CHECK(r.after.problems.empty());
    CHECK(r.after.stats.next_index == 7);
  }
  SECTION("next index ahead of the entries written (empty slots counted)") {
    b.set_counters(11, 11);
    Repaired r = repair(b);
    CHECK(r.before.of_kind(ProblemKind::entry_empty).size() == 3);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::tail_zeroed, FixKind::log_header});
    CHECK(r.plan.fixes[0].message
          == "log entries 8 to 10: torn or corrupt after the last valid entry 7; zeroed");
    CHECK(r.after.problems.empty());
    CHECK(r.after.stats.next_index == 8);
    check_crash_prefixes(b, r);
  }
  SECTION("next index past the last slot") {
    b.set_counters(1ULL << 40, 1ULL << 40);
    b.flip(ImageBuilder::entry_at(7) + 200);
    Repaired r = repair(b);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::tail_zeroed, FixKind::log_header});
    CHECK(r.plan.fixes[0].index == 7);
    CHECK(r.plan.fixes[0].length == log::k_log_entry_size);
    CHECK(r.after.problems.empty());
    CHECK(r.after.stats.next_index == 7);
    check_crash_prefixes(b, r);
  }
  SECTION("no valid entry at all") {
    for (u64 i = 0; i < 8; ++i) {
      b.flip(ImageBuilder::entry_at(i) + 20);
    }
    Repaired r = repair(b);
    CHECK(r.plan.fixes[0].message
          == "log entries 0 to 7: torn or corrupt after the last valid entry (there is none); "
             "zeroed");
    CHECK(r.after.problems.empty());
    CHECK(r.after.stats.next_index == 0);
    CHECK(r.after.stats.files == 0);
  }
}

TEST_CASE("core::plan_repair: uncommitted entries past the end are zeroed", "[core]") {
  ImageBuilder b = eight_entries();
  b.set_counters(6, 6); // a batch of two entries written, the header never advanced
  Repaired r = repair(b);
  CHECK(r.before.errors() == 0);
  CHECK(r.before.of_kind(ProblemKind::log_tail).size() == 1);
  CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::uncommitted_zeroed});
  CHECK(r.plan.fixes[0].message
        == "log entries 6 to 7: past the end of the log, never committed (a command killed before "
           "it advanced the log header?); zeroed");
  CHECK(r.after.problems.empty());
  CHECK(r.after.stats.next_index == 6);
  check_crash_prefixes(b, r);
}

TEST_CASE("core::plan_repair: counters that disagree", "[core]") {
  ImageBuilder b = eight_entries();
  SECTION("next_index damaged: next_seqnum and the entries agree, so nothing is lost") {
    b.set_counters(8, 5);
    Repaired r = repair(b);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::log_header});
    CHECK(r.plan.fixes[0].message
          == "log header at 0x200000: next index 5 -> 8, next sequence number 8 -> 8");
    CHECK(r.after.problems.empty());
    CHECK(r.after.stats.next_index == 8);
  }
  SECTION("next_seqnum damaged") {
    b.set_counters(1234, 8);
    Repaired r = repair(b);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::log_header});
    CHECK(r.after.problems.empty());
    CHECK(r.after.stats.next_index == 8);
  }
  SECTION("next_seqnum past entries that are not there: next_index is kept") {
    b.set_counters(10, 8);
    Repaired r = repair(b);
    CHECK(r.after.problems.empty());
    CHECK(r.after.stats.next_index == 8);
  }
}

TEST_CASE("core::plan_repair: a log header with a bad CRC", "[core]") {
  ImageBuilder b = eight_entries();
  SECTION("fields agree with the superblock: rewritten") {
    b.flip(k_log + 24, 0x10); // the stored CRC
    Repaired r = repair(b);
    REQUIRE(r.before.of_kind(ProblemKind::log_crc).size() == 1);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::log_header});
    CHECK(r.plan.fixes[0].message
          == "log header at 0x200000: checksum mismatch (magic, length and last index agree "
             "with the superblock); rewritten");
    CHECK(r.after.problems.empty());
    CHECK(same(at(r.bytes, k_log, 24), at(b.bytes(), k_log, 24)));
    check_crash_prefixes(b, r);
  }
  SECTION("and a torn tail: one header write does both") {
    b.flip(k_log + 24, 0x10);
    b.flip(ImageBuilder::entry_at(7) + 300);
    Repaired r = repair(b);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::tail_zeroed, FixKind::log_header});
    CHECK(r.plan.fixes[1].message
          == "log header at 0x200000: checksum mismatch (magic, length and last index agree "
             "with the superblock); rewritten; next index 8 -> 7, next sequence number 8 -> 7");
    CHECK(r.after.problems.empty());
    check_crash_prefixes(b, r);
  }
  SECTION("its length disagrees with the superblock: not guessed") {
    b.flip(k_log + 8 + 3, 0x01); // log_len 8 MiB -> 24 MiB
    Repaired r = repair(b);
    CHECK(r.plan.empty());
    REQUIRE(r.plan.declined.size() == 1);
    CHECK_THAT(r.plan.declined[0], Catch::Contains("disagree with the superblock"));
    CHECK(r.bytes == b.bytes());
    CHECK(r.after.errors() == r.before.errors());
  }
  SECTION("its magic is damaged: not guessed") {
    b.flip(k_log + 2, 0x04);
    Repaired r = repair(b);
    CHECK(r.plan.empty());
    CHECK(r.plan.declined.size() == 1);
  }
}

TEST_CASE("core::plan_repair: superblocks", "[core]") {
  SECTION("a damaged primary is restored from the backup") {
    ImageBuilder b = eight_entries();
    b.flip(50); // inside the fs UUID
    Repaired r = repair(b);
    REQUIRE(r.before.source == SbSource::backup);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::primary_sb});
    CHECK(r.plan.fixes[0].message
          == "superblock: damaged; restored from the backup superblock at 0x1ff000");
    CHECK(r.after.problems.empty());
    CHECK(r.after.source == SbSource::primary);
    CHECK(same(at(r.bytes, 0, 200), at(b.bytes(), k_backup, 200)));
  }
  SECTION("a primary without magic (zeroed) is restored too") {
    ImageBuilder b = eight_entries();
    std::fill_n(b.bytes().begin(), 4096, std::byte{0});
    Repaired r = repair(b);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::primary_sb});
    CHECK(r.after.problems.empty());
  }
  SECTION("a backup that the log header contradicts is not used") {
    ImageBuilder b = eight_entries();
    log::Superblock other = b.sb();
    other.log_len = 16 * k_mib; // a leftover of an earlier file system with a larger log
    b.bytes().resize(k_log + other.log_len); // the device holds that much
    log::encode_superblock(
        other, std::span<std::byte>(b.bytes()).subspan(k_backup, log::k_superblock_size));
    b.flip(50);
    Repaired r = repair(b);
    REQUIRE(r.before.source == SbSource::backup);
    CHECK(r.plan.empty());
    REQUIRE(r.plan.declined.size() >= 1);
    CHECK_THAT(r.plan.declined[0],
               Catch::Contains("the log header does not confirm the backup superblock"));
    CHECK(r.bytes == b.bytes());
  }
  SECTION("a missing backup is written") {
    ImageBuilder b(64 * k_mib, log::k_default_log_len, false);
    b.mkdir("d");
    Repaired r = repair(b);
    REQUIRE(r.before.of_kind(ProblemKind::backup_missing).size() == 1);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::backup_sb});
    CHECK(r.plan.fixes[0].message
          == "backup superblock at 0x1ff000: was missing; rewritten from the primary");
    CHECK(r.after.problems.empty()); // not even the info note
    CHECK(same(at(r.bytes, k_backup, 200), at(r.bytes, 0, 200)));
  }
  SECTION("a damaged backup is rewritten") {
    ImageBuilder b = eight_entries();
    b.flip(k_backup + 50);
    Repaired r = repair(b);
    CHECK(r.before.errors() == 1);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::backup_sb});
    CHECK_THAT(r.plan.fixes[0].message, Catch::Contains("was damaged"));
    CHECK(r.after.problems.empty());
  }
  SECTION("bytes that are not a superblock where the backup goes are replaced") {
    ImageBuilder b = eight_entries();
    b.flip(k_backup + 1);
    Repaired r = repair(b);
    CHECK(r.before.warnings() == 1);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::backup_sb});
    CHECK(r.after.problems.empty());
  }
  SECTION("a valid backup of another file system is rewritten from the primary") {
    ImageBuilder b = eight_entries();
    log::Superblock other = b.sb();
    other.fs_uuid = seq_uuid(0x77);
    log::encode_superblock(
        other, std::span<std::byte>(b.bytes()).subspan(k_backup, log::k_superblock_size));
    Repaired r = repair(b);
    CHECK(r.before.of_kind(ProblemKind::backup_mismatch).size() == 1);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::backup_sb});
    CHECK_THAT(r.plan.fixes[0].message, Catch::Contains("differed from the primary"));
    CHECK(r.after.problems.empty());
  }
  SECTION("a damaged primary with no backup: nothing is guessed") {
    ImageBuilder b(64 * k_mib, log::k_default_log_len, false);
    b.mkdir("d");
    b.flip(50);
    b.flip(ImageBuilder::entry_at(0) + 100); // even the torn tail stays: the geometry is unproven
    Repaired r = repair(b);
    REQUIRE(r.before.source == SbSource::unverified_primary);
    CHECK(r.plan.empty());
    REQUIRE(r.plan.declined.size() == 1);
    CHECK_THAT(r.plan.declined[0], Catch::Contains("there is no valid backup superblock"));
    CHECK(r.bytes == b.bytes());
  }
  SECTION("no superblock at all: an error") {
    ImageBuilder b = eight_entries();
    b.flip(0);
    b.flip(k_backup);
    Report rep = b.check();
    auto p = plan_repair(rep, b.bytes(), {});
    REQUIRE(!p);
    CHECK(p.error().code == Errc::corrupt);
  }
}

TEST_CASE("core::plan_repair: a corrupt entry in the middle needs --force", "[core]") {
  ImageBuilder b = eight_entries();
  b.flip(ImageBuilder::entry_at(1) + 60); // test1's path
  SECTION("without --force: declined, nothing written") {
    Repaired r = repair(b);
    CHECK(r.plan.empty());
    CHECK(r.plan.force_would_help);
    REQUIRE(r.plan.declined.size() == 1);
    CHECK(r.plan.declined[0]
          == "log entry 1: corrupt in the middle of the log (valid entries follow); --force "
             "replaces it with an INVALID entry");
    CHECK(r.bytes == b.bytes());
  }
  SECTION("with --force: an INVALID entry with seqnum = index and a correct CRC") {
    RepairOptions o;
    o.force = Force::yes;
    Repaired r = repair(b, o);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::entry_invalidated});
    CHECK(r.plan.fixes[0].index == 1);
    CHECK(r.plan.fixes[0].message
          == "log entry 1 at device offset 0x200250: corrupt, with valid entries after it; "
             "replaced by an INVALID entry (what it created is lost)");
    INFO(problems(r.after));
    CHECK(r.after.problems.empty());
    auto e = log::decode_entry(at(r.bytes, ImageBuilder::entry_at(1), log::k_log_entry_size), 1,
                               "entry 1");
    REQUIRE(e);
    CHECK(e->type == log::EntryType::invalid);
    CHECK(e->seqnum == 1);
    CHECK(r.after.stats.files == 5); // test1 is gone; the four after it are still there
    CHECK(same(at(r.bytes, ImageBuilder::entry_at(2), 6 * log::k_log_entry_size),
               at(b.bytes(), ImageBuilder::entry_at(2), 6 * log::k_log_entry_size)));
    check_crash_prefixes(b, r, o);
  }
  SECTION("an intact entry of an unknown type is unusable too") {
    b = eight_entries();
    log::put32(b.slot(3), 8, 9);
    b.restamp(3);
    RepairOptions o;
    o.force = Force::yes;
    Repaired r = repair(b, o);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::entry_invalidated});
    CHECK(r.plan.fixes[0].index == 3);
    CHECK(r.after.problems.empty());
  }
  SECTION("a corrupt middle and a torn tail: the tail is fixed, the middle declined") {
    b.flip(ImageBuilder::entry_at(7) + 60);
    Repaired r = repair(b);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::tail_zeroed, FixKind::log_header});
    CHECK(r.plan.declined.size() == 1);
    CHECK(r.after.errors() == 1);
    CHECK(r.after.of_kind(ProblemKind::entry_crc).size() == 1);
    check_crash_prefixes(b, r);
  }
  SECTION("an INVALID directory orphans its children: errors left, honestly") {
    b = eight_entries();
    b.flip(ImageBuilder::entry_at(0) + 40); // dir1
    RepairOptions o;
    o.force = Force::yes;
    Repaired r = repair(b, o);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::entry_invalidated});
    CHECK(r.after.of_kind(ProblemKind::path_no_parent).size() == 2);
  }
}

TEST_CASE("core::plan_repair: cross-links are left unless --drop names a file", "[core]") {
  ImageBuilder b(64 * k_mib);
  b.mkdir("dir");
  b.file("dir/original", 4096, std::vector<Extent>{{0, 0xa00000, 0x200000}});
  b.file("dir/clone", 4096, std::vector<Extent>{{0, 0xa00000, 0x200000}});
  b.file("other", 4096, std::vector<Extent>{{0, 0xc00000, 0x200000}});
  SECTION("without --drop") {
    Repaired r = repair(b);
    CHECK(r.plan.empty());
    CHECK(r.plan.drop_would_help);
    CHECK(r.after.of_kind(ProblemKind::cross_link).size() == 1);
  }
  SECTION("--drop the clone") {
    RepairOptions o;
    o.drop = {"dir/clone"};
    Repaired r = repair(b, o);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::file_dropped});
    CHECK(r.plan.fixes[0].index == 2);
    CHECK(r.plan.fixes[0].message
          == "log entry 2 (dir/clone): dropped as asked (--drop): replaced by an INVALID entry; "
             "the file is gone and its space free");
    CHECK(r.after.problems.empty());
    CHECK(r.after.stats.files == 2);
  }
  SECTION("a path is matched in normal form") {
    RepairOptions o;
    o.drop = {"./dir//original"};
    Repaired r = repair(b, o);
    CHECK(kinds(r.plan) == std::vector<FixKind>{FixKind::file_dropped});
    CHECK(r.plan.fixes[0].index == 1);
    CHECK(r.after.problems.empty());
  }
  SECTION("errors: no such file, a directory, a bad path") {
    RepairOptions o;
    o.drop = {"dir/nope"};
    auto p = plan_repair(b.check(), b.bytes(), o);
    REQUIRE(!p);
    CHECK(p.error().code == Errc::not_found);
    CHECK(p.error().message == "--drop dir/nope: no file of that path in the log");
    o.drop = {"dir"};
    p = plan_repair(b.check(), b.bytes(), o);
    REQUIRE(!p);
    CHECK(p.error().code == Errc::invalid_argument);
    CHECK_THAT(p.error().message, Catch::Contains("only files can be dropped"));
    o.drop = {"../x"};
    p = plan_repair(b.check(), b.bytes(), o);
    REQUIRE(!p);
    CHECK(p.error().code == Errc::invalid_argument);
  }
}

TEST_CASE("core::plan_repair: fixes come in write order: entries, header, superblocks", "[core]") {
  ImageBuilder b = eight_entries();
  b.flip(50);                              // primary superblock
  b.flip(k_log + 24, 0x02);                // header CRC
  b.flip(ImageBuilder::entry_at(7) + 100); // torn tail
  b.flip(ImageBuilder::entry_at(2) + 100); // middle
  RepairOptions o;
  o.force = Force::yes;
  Repaired r = repair(b, o);
  CHECK(kinds(r.plan)
        == std::vector<FixKind>{FixKind::entry_invalidated, FixKind::tail_zeroed,
                                FixKind::log_header, FixKind::primary_sb});
  CHECK(std::is_sorted(r.plan.fixes.begin(), r.plan.fixes.end(),
                       [](const Fix& x, const Fix& y) { return x.stage < y.stage; }));
  INFO(problems(r.after));
  CHECK(r.after.problems.empty());
  check_crash_prefixes(b, r, o);
}

TEST_CASE("core::plan_repair: sweeps of single bit flips over the metadata never make things "
          "worse",
          "[core]") {
  // Every bit of the header and of the first two entries and a few of the superblocks: repair
  // with --force must end with no more errors than before, and a second repair finds nothing.
  const ImageBuilder base = eight_entries();
  std::vector<u64> offsets;
  for (u64 o = 0; o < 104; o += 7) {
    offsets.push_back(o);
    offsets.push_back(k_backup + o);
  }
  for (u64 o = 0; o < 48; ++o) {
    offsets.push_back(k_log + o);
  }
  for (u64 o = 0; o < 2 * log::k_log_entry_size; o += 5) {
    offsets.push_back(ImageBuilder::entry_at(0) + o);
  }
  RepairOptions o;
  o.force = Force::yes;
  // One working copy; after each case the two regions repair can touch here (the primary
  // superblock, and the backup through the log slots a damaged next_index counts) are restored
  // from the base.
  std::vector<std::byte> w = base.bytes();
  const u64 lo_end = 4096;
  const u64 hi = k_backup;
  const u64 hi_end = ImageBuilder::entry_at(8192); // a flipped next_index reaches slot 4104
  auto restore = [&] {
    std::copy_n(base.bytes().begin(), lo_end, w.begin());
    std::copy(base.bytes().begin() + static_cast<long>(hi),
              base.bytes().begin() + static_cast<long>(hi_end), w.begin() + static_cast<long>(hi));
  };
  for (u64 off : offsets) {
    w[off] ^= std::byte{0x10};
    Report before = check_bytes(base, w);
    auto p = plan_repair(before, w, o);
    if (!p) {
      FAIL("offset " << off << ": " << p.error().message);
    }
    for (const Fix& f : p->fixes) {
      REQUIRE((f.offset + f.length <= lo_end || (f.offset >= hi && f.offset + f.length <= hi_end)));
    }
    apply_plan(*p, w);
    Report after = check_bytes(base, w);
    INFO("flip at " << off << "\n" << problems(before) << "after:\n" << problems(after));
    CHECK(after.errors() <= before.errors());
    auto again = plan_repair(after, w, o);
    REQUIRE(again);
    CHECK(again->empty());
    restore();
  }
  CHECK(w == base.bytes());
}

// ---- repair_device on a backing file ----

namespace {

struct HostScope {
  HostScope(const TempDir& d, const log::Uuid& id) {
    const std::string path = d.file("system_uuid");
    std::ofstream(path) << id.str();
    set_system_uuid_file(path);
  }
  ~HostScope() { set_system_uuid_file(""); }
  HostScope(const HostScope&) = delete;
  HostScope& operator=(const HostScope&) = delete;
};

std::vector<std::byte> read_prefix(const std::string& path, u64 n) {
  std::vector<std::byte> out(n);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

} // namespace

TEST_CASE("core::repair_device: backup file first, then the repair, and refusals write nothing",
          "[core]") {
  TempDir d;
  HostScope host(d, ImageBuilder::host_uuid());
  ImageBuilder b = eight_entries();
  b.flip(ImageBuilder::entry_at(7) + 100);
  const std::string img = d.file("dev.img");
  b.write_to(img);
  const u64 meta = k_log + log::k_default_log_len;
  RepairRequest req;
  req.device = img;
  req.backup_path = d.file("backup.img");

  SECTION("repairs, saving the metadata as it was") {
    std::string saved;
    req.on_backup_saved = [&](const std::string& p) {
      saved = p;
      // Called before any write: the device is still damaged.
      CHECK(read_prefix(img, meta) == b.bytes());
    };
    auto o = repair_device(req);
    REQUIRE(o);
    CHECK(o->wrote());
    CHECK(o->backup_path == req.backup_path);
    CHECK(saved == req.backup_path);
    CHECK(o->before.errors() == 1);
    CHECK(o->after.problems.empty());
    CHECK(std::filesystem::file_size(req.backup_path) == meta);
    CHECK(read_prefix(req.backup_path, meta) == b.bytes());
    CHECK(read_prefix(img, meta) == repair(b).bytes);
    // Again: nothing to do, no backup file.
    req.backup_path = d.file("backup2.img");
    auto again = repair_device(req);
    REQUIRE(again);
    CHECK(!again->wrote());
    CHECK(again->backup_path.empty());
    CHECK(!std::filesystem::exists(req.backup_path));
  }
  SECTION("Backup::no saves nothing") {
    req.backup = Backup::no;
    auto o = repair_device(req);
    REQUIRE(o);
    CHECK(o->wrote());
    CHECK(o->backup_path.empty());
    CHECK(!std::filesystem::exists(req.backup_path));
    CHECK(o->after.problems.empty());
  }
  SECTION("an existing backup file is never overwritten") {
    std::ofstream(req.backup_path) << "precious";
    auto o = repair_device(req);
    REQUIRE(!o);
    CHECK(o.error().code == Errc::exists);
    CHECK(read_prefix(img, meta) == b.bytes());
    CHECK(std::filesystem::file_size(req.backup_path) == 8);
  }
  SECTION("a client host may not repair") {
    HostScope other(d, seq_uuid(0x99));
    auto o = repair_device(req);
    REQUIRE(!o);
    CHECK(o.error().code == Errc::permission);
    CHECK(read_prefix(img, meta) == b.bytes());
    CHECK(!std::filesystem::exists(req.backup_path));
  }
  SECTION("a log writer holding the lock makes it busy") {
    int fd = ::open(img.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    auto o = repair_device(req);
    ::close(fd);
    REQUIRE(!o);
    CHECK(o.error().code == Errc::busy);
    CHECK(read_prefix(img, meta) == b.bytes());
  }
  SECTION("the default backup name") {
    CHECK(default_backup_name(seq_uuid(0), 0)
          == "famfs-fsck-backup-00010203-0405-0607-0809-0a0b0c0d0e0f-19700101T000000Z.img");
  }
}
