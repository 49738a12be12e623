// The metadata source (core/meta_source.hpp): the device mapping or, for a famfs-mode dax device,
// the .meta files of its mount, chosen by the device's mode; regular files stand in for the .meta
// files and a fake sysfs for the driver binding. And the famfs-mode mount sequence
// (core/dax_mode.hpp): a failure at any step leaves the device in the mode it started in.
#include "core/dax_mode.hpp"
#include "core/file_data.hpp"
#include "core/image.hpp"
#include "core/log_writer.hpp"
#include "core/meta_source.hpp"
#include "tests/support/fake_mount.hpp"
#include "tests/support/fake_sysfs.hpp"
#include "tests/support/log_entries.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace famfs;
namespace fs = std::filesystem;

using test::FakeMount;

TEST_CASE("meta source: the device's mode chooses the device mapping or the mount's files",
          "[core]") {
  using core::DeviceKind;
  using core::MetaAccess;
  for (auto kind : {DeviceKind::file, DeviceKind::pmem}) {
    auto r = core::choose_meta_source("/x", kind, "", "/mnt/x");
    REQUIRE(r);
    CHECK(r->access == MetaAccess::device);
  }
  auto devdax = core::choose_meta_source("/dev/dax0.0", DeviceKind::devdax, "devdax", "/mnt/f");
  REQUIRE(devdax);
  CHECK(devdax->access == MetaAccess::device);
  auto famfs = core::choose_meta_source("/dev/dax0.0", DeviceKind::devdax, "famfs", "/mnt/f");
  REQUIRE(famfs);
  CHECK(famfs->access == MetaAccess::mount_files);
  CHECK(famfs->mountpoint == "/mnt/f");
  CHECK(core::meta_files("/mnt/f").superblock == "/mnt/f/.meta/.superblock");
  CHECK(core::meta_files("/mnt/f").log == "/mnt/f/.meta/.log");

  auto unmounted = core::choose_meta_source("/dev/dax0.0", DeviceKind::devdax, "famfs", "");
  REQUIRE(!unmounted);
  CHECK(unmounted.error().code == Errc::unsupported);
  CHECK_THAT(unmounted.error().message, Catch::Contains("famfs mode (fsdev_dax driver)"));
  CHECK_THAT(unmounted.error().message, Catch::Contains("--set-daxmode"));
  CHECK_THAT(unmounted.error().hint, Catch::Contains("not mounted here"));
  for (const char* mode : {"system-ram", "unbound"}) {
    auto r = core::choose_meta_source("/dev/dax0.0", DeviceKind::devdax, mode, "/mnt/f");
    REQUIRE(!r);
    CHECK_THAT(r.error().message, Catch::Contains("needs devdax mode"));
  }
}

TEST_CASE("meta source: a character device's driver and its mount in mountinfo decide", "[core]") {
  test::FakeSysfs s;
  test::TempDir d;
  const std::string node = d.file("dax7.0"); // dax_devname: the node's name
  if (::mknod(node.c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) {
    WARN("mknod needs root: " << std::strerror(errno));
    return;
  }
  const std::string mountinfo = d.file("mountinfo");
  std::ofstream(mountinfo) << "40 30 0:50 / /mnt/other rw - fuse.famfs /dev/dax9.0 rw\n"
                           << "41 30 0:51 / /mnt/f rw - fuse.famfs " << node << " rw\n";
  s.bind("dax7.0", "device_dax");
  auto devdax = core::meta_source_for(node, s.root(), mountinfo);
  REQUIRE(devdax);
  CHECK(devdax->access == core::MetaAccess::device);
  s.bind("dax7.0", "fsdev_dax");
  auto famfs = core::meta_source_for(node, s.root(), mountinfo);
  REQUIRE(famfs);
  CHECK(famfs->access == core::MetaAccess::mount_files);
  CHECK(famfs->mountpoint == "/mnt/f");
  std::ofstream(mountinfo) << "40 30 0:50 / /mnt/other rw - fuse.famfs /dev/dax9.0 rw\n";
  CHECK(!core::meta_source_for(node, s.root(), mountinfo));
  // A character device sysfs does not list as dax, and a backing file: the device itself.
  const std::string other = d.file("dax8.0");
  REQUIRE(::mknod(other.c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0);
  auto unknown = core::meta_source_for(other, s.root(), mountinfo);
  REQUIRE(unknown);
  CHECK(unknown->access == core::MetaAccess::device);
  auto file = core::meta_source_for(mountinfo, s.root(), mountinfo);
  REQUIRE(file);
  CHECK(file->access == core::MetaAccess::device);
}

TEST_CASE("meta source: the .meta files are read and written at their device offsets", "[core]") {
  FakeMount m;
  auto dev = core::Device::open_meta_files("/dev/dax7.0", m.files.superblock, m.files.log,
                                           core::OpenMode::read_write);
  REQUIRE(dev);
  CHECK(dev->kind() == core::DeviceKind::meta_files);
  CHECK(!dev->data_mapped());
  CHECK(dev->size() == m.img->device().size()); // the superblock's device size
  const auto& sb = m.img->superblock();
  CHECK(dev->metadata_end() == sb.log_offset + sb.log_len);
  auto img = core::Image::from_device(std::move(*dev));
  REQUIRE(img);
  CHECK(img->superblock().fs_uuid == sb.fs_uuid);
  auto view = img->log();
  REQUIRE(view);
  CHECK(view->header().next_index == m.img->log()->header().next_index);

  // A write into the log lands in the .log file, at its offset in the file.
  auto log = img->log_bytes();
  const std::uint64_t at = log.size() - 1;
  log[at] = std::byte{0x5a};
  REQUIRE(img->device().persist(sb.log_offset + at, 1));
  std::ifstream in(m.files.log, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(at));
  CHECK(in.get() == 0x5a);

  // Writers lock the .log file (the device node of a famfs-mode device may not open), and an
  // append through the metadata source lands in the .log file.
  CHECK(img->device().lock_path() == m.files.log);
  {
    auto w = core::LogWriter::open(*img);
    REQUIRE(w);
    std::vector<log::LogEntry> es(1);
    es[0].type = log::EntryType::mkdir;
    es[0].body = log::MkdirEntry{0, 0, 0755, "d"};
    REQUIRE(w->append_batch(*img, es));
  }
  auto again = core::Device::open_meta_files("/dev/dax7.0", m.files.superblock, m.files.log,
                                             core::OpenMode::read_only);
  REQUIRE(again);
  auto reopened = core::Image::from_device(std::move(*again));
  REQUIRE(reopened);
  CHECK(reopened->log()->header().next_index == view->header().next_index + 1);

  // File data is not reachable through the metadata source.
  log::Fmap map;
  map.extents.push_back({0, sb.log_offset + sb.log_len, 2ULL << 20});
  auto data = core::check_map_bounds(img->device(), map, 4096);
  REQUIRE(!data);
  CHECK(data.error().code == Errc::unsupported);
  CHECK_THAT(data.error().message, Catch::Contains("through the files of its famfs mount"));
}

TEST_CASE("meta source: missing, short or foreign .meta files are refused by name", "[core]") {
  FakeMount m;
  auto open = [&] {
    return core::Device::open_meta_files("/dev/dax7.0", m.files.superblock, m.files.log,
                                         core::OpenMode::read_only);
  };
  SECTION("log missing") {
    fs::remove(m.files.log);
    auto r = open();
    REQUIRE(!r);
    CHECK_THAT(r.error().message, Catch::Contains(m.files.log));
    CHECK_THAT(r.error().message, Catch::Contains("No such file"));
  }
  SECTION("log shorter than the superblock says") {
    fs::resize_file(m.files.log, 4096);
    auto r = open();
    REQUIRE(!r);
    CHECK(r.error().code == Errc::corrupt);
    CHECK_THAT(r.error().message, Catch::Contains("shorter than the"));
  }
  SECTION("no superblock") {
    std::ofstream(m.files.superblock, std::ios::binary | std::ios::in) << "not famfs";
    auto r = open();
    REQUIRE(!r);
    CHECK(r.error().code == Errc::corrupt);
    CHECK_THAT(r.error().message, Catch::Contains(m.files.superblock));
  }
  SECTION("superblock file too short") {
    fs::resize_file(m.files.superblock, 100);
    auto r = open();
    REQUIRE(!r);
    CHECK_THAT(r.error().message, Catch::Contains("too short to hold a superblock"));
  }
}

namespace {

// The fake device of the mount sequence: its mode in a fake sysfs, and the step to fail at.
struct FakeDax {
  test::FakeSysfs s;
  std::string path = "/dev/dax-fake-does-not-exist";
  std::string dev = core::dax_devname(path);
  std::string fail_at; // "mode_of", "devdax", "read", "famfs", "mount", "restore"
  std::vector<std::string> steps;

  std::string mode() const { return core::dax_driver_mode(dev, s.root()); }
  core::DaxModeOps ops() {
    core::DaxModeOps o;
    o.mode_of = [this](const std::string&) -> Result<std::string> {
      if (fail_at == "mode_of") {
        return fail(Errc::io, "cannot read the mode");
      }
      return mode();
    };
    o.set_mode = [this](const std::string&, const std::string& m) -> Result<std::string> {
      steps.push_back("to " + m);
      std::string was = mode();
      s.bind(dev, ""); // unbound first, as the kernel does
      if (fail_at == m) {
        return fail(Errc::io, "bind to {} failed", m);
      }
      s.bind(dev, test::driver_for(m));
      return was;
    };
    o.restore_mode = [this](const std::string&, const std::string& m) -> Result<void> {
      steps.push_back("restore " + m);
      if (fail_at == "restore") {
        return fail(Errc::io, "bind failed again");
      }
      s.bind(dev, test::driver_for(m));
      return {};
    };
    return o;
  }
  Result<void> run() {
    auto step = [this](const char* name) -> Result<void> {
      steps.emplace_back(name);
      if (fail_at == name) {
        return fail(Errc::io, "{} failed", name);
      }
      return {};
    };
    return core::famfs_mode_mount(
        path, [&] { return step("read"); }, [&] { return step("mount"); }, ops());
  }
};

} // namespace

TEST_CASE("dax mode: a famfs-mode mount reads in devdax mode, then mounts in famfs mode",
          "[core]") {
  for (const char* start : {"famfs", "devdax"}) {
    INFO("starting in " << start);
    FakeDax d;
    d.s.bind(d.dev, test::driver_for(start));
    REQUIRE(d.run());
    CHECK(d.mode() == "famfs");
    const std::vector<std::string> from_famfs{"to devdax", "read", "to famfs", "mount"};
    const std::vector<std::string> from_devdax{"read", "to famfs", "mount"};
    CHECK(d.steps == (std::string(start) == "famfs" ? from_famfs : from_devdax));
  }
}

TEST_CASE("dax mode: a failure at any step of a famfs-mode mount restores the starting mode",
          "[core]") {
  for (const char* start : {"famfs", "devdax", "system-ram", "unbound"}) {
    for (const char* step : {"mode_of", "devdax", "read", "famfs", "mount"}) {
      if (std::string(start) == "devdax" && std::string(step) == "devdax") {
        continue; // already in devdax mode: that switch is not made
      }
      INFO("starting in " << start << ", failing at " << step);
      FakeDax d;
      d.s.bind(d.dev, test::driver_for(start));
      d.fail_at = step;
      auto r = d.run();
      REQUIRE(!r);
      CHECK(d.mode() == start);
      CHECK(r.error().code == Errc::io);
      CHECK_THAT(r.error().message, !Catch::Contains("could not be put back"));
    }
  }
}

TEST_CASE("dax mode: a restore that fails too is reported with the mode it should be in",
          "[core]") {
  FakeDax d;
  d.s.bind(d.dev, "fsdev_dax");
  d.fail_at = "restore";
  core::DaxModeGuard guard(d.ops());
  REQUIRE(guard.record(d.path));
  REQUIRE(guard.switch_to("devdax"));
  auto r = guard.restore();
  REQUIRE(!r);
  CHECK_THAT(r.error().message, Catch::Contains("restoring famfs mode"));
  CHECK(guard.restore()); // reported once; the destructor does not retry
  // Through the sequence: the mount's error comes first, then what is wrong with the device.
  FakeDax e;
  e.s.bind(e.dev, "fsdev_dax");
  auto ops = e.ops();
  ops.restore_mode = [](const std::string&, const std::string&) -> Result<void> {
    return fail(Errc::io, "bind failed again");
  };
  auto seq = core::famfs_mode_mount(
      e.path, [] { return fail(Errc::corrupt, "bad log"); }, [] { return Result<void>{}; }, ops);
  REQUIRE(!seq);
  CHECK(seq.error().code == Errc::corrupt);
  CHECK_THAT(seq.error().message, Catch::StartsWith("bad log"));
  CHECK_THAT(seq.error().message, Catch::Contains("could not be put back in famfs mode"));
}

TEST_CASE("mount sequence: famfs mode for a famfs-mode device, the device mapping otherwise",
          "[core]") {
  using core::MountSequence;
  using core::SetDaxmode;
  const core::HostGeometry fits{4096, 2ULL << 20};
  struct Row {
    const char* mode;
    SetDaxmode set;
    MountSequence want;
  };
  for (const Row& r : {Row{"", SetDaxmode::no, MountSequence::map_device},
                       Row{"devdax", SetDaxmode::no, MountSequence::map_device},
                       Row{"devdax", SetDaxmode::yes, MountSequence::map_device},
                       Row{"famfs", SetDaxmode::yes, MountSequence::map_device},
                       Row{"system-ram", SetDaxmode::no, MountSequence::map_device},
                       Row{"unbound", SetDaxmode::no, MountSequence::map_device},
                       Row{"famfs", SetDaxmode::no, MountSequence::famfs_mode}}) {
    INFO("mode '" << r.mode << "', --set-daxmode " << (r.set == SetDaxmode::yes));
    auto got = core::choose_mount_sequence("/dev/dax0.0", r.mode, r.set, "", fits);
    REQUIRE(got);
    CHECK(*got == r.want);
  }
  // A famfs-mode device that is mounted: its mode is never switched under the mount.
  auto mounted =
      core::choose_mount_sequence("/dev/dax0.0", "famfs", SetDaxmode::no, "/mnt/f", fits);
  REQUIRE(!mounted);
  CHECK(mounted.error().code == Errc::busy);
  CHECK_THAT(mounted.error().message, Catch::Contains("already mounted on /mnt/f"));
  CHECK(mounted.error().hint == "famfs umount /mnt/f");
  // A host whose pages famfs maps do not fit: refused before any mode switch.
  auto big = core::choose_mount_sequence("/dev/dax0.0", "famfs", SetDaxmode::no, "",
                                         {65536, 512ULL << 20});
  REQUIRE(!big);
  CHECK(big.error().code == Errc::unsupported);
  CHECK_THAT(big.error().message, Catch::StartsWith("/dev/dax0.0: this host has 65536-byte pages"));
}

TEST_CASE("mount sequence: the driver in sysfs, the mount in mountinfo and --set-daxmode decide",
          "[core]") {
  using core::MountSequence;
  using core::SetDaxmode;
  test::FakeSysfs s;
  test::TempDir d;
  const std::string node = d.file("dax7.0");
  if (::mknod(node.c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) {
    WARN("mknod needs root: " << std::strerror(errno));
    return;
  }
  const std::string mountinfo = d.file("mountinfo");
  std::ofstream(mountinfo) << "40 30 0:50 / /mnt/other rw - fuse.famfs /dev/dax9.0 rw\n";
  s.pmd("2097152");
  auto seq = [&](SetDaxmode set) {
    return core::mount_sequence_for(node, set, s.root(), mountinfo);
  };
  s.bind("dax7.0", "device_dax");
  CHECK(*seq(SetDaxmode::no) == MountSequence::map_device);
  s.bind("dax7.0", "fsdev_dax");
  CHECK(*seq(SetDaxmode::no) == MountSequence::famfs_mode);
  CHECK(*seq(SetDaxmode::yes) == MountSequence::map_device);
  s.bind("dax7.0", "");
  CHECK(*seq(SetDaxmode::no) == MountSequence::map_device); // Device::open refuses it by name
  s.bind("dax7.0", "fsdev_dax");
  std::ofstream(mountinfo, std::ios::app)
      << "41 30 0:51 / /mnt/f rw - fuse.famfs " << node << " rw\n";
  auto mounted = seq(SetDaxmode::no);
  REQUIRE(!mounted);
  CHECK(mounted.error().code == Errc::busy);
  CHECK(*seq(SetDaxmode::yes) == MountSequence::map_device); // claim_device refuses it later
  std::ofstream(mountinfo) << "";
  s.pmd("1073741824");
  auto big = seq(SetDaxmode::no);
  REQUIRE(!big);
  CHECK(big.error().code == Errc::unsupported);
  // A backing file: always its own mapping.
  CHECK(*core::mount_sequence_for(mountinfo, SetDaxmode::no, s.root(), mountinfo)
        == MountSequence::map_device);
}

TEST_CASE("metadata copy: taken from the device, then switched in place to the mount's files",
          "[core]") {
  FakeMount m;
  const auto& sb = m.img->superblock();
  auto copy = m.img->metadata_copy();
  REQUIRE(copy);
  CHECK(copy->device().kind() == core::DeviceKind::meta_files);
  CHECK(!copy->device().data_mapped());
  CHECK(!copy->device().writable());
  CHECK(copy->device().size() == m.img->device().size());
  CHECK(copy->device().metadata_end() == sb.log_offset + sb.log_len);
  CHECK(copy->superblock().fs_uuid == sb.fs_uuid);
  const std::uint64_t at_copy = copy->log()->header().next_index;
  CHECK(at_copy == m.img->log()->header().next_index);
  // A copy: what is appended to the device afterwards is not in it.
  {
    auto w = core::LogWriter::open(*m.img);
    REQUIRE(w);
    std::vector<log::LogEntry> es{test::dir_entry("on-device")};
    REQUIRE(w->append_batch(*m.img, es));
  }
  CHECK(copy->log()->header().next_index == at_copy);
  // The mount's files, two entries further on, mapped over the copy at the same addresses.
  m.mkdir_through_files("a");
  m.mkdir_through_files("b");
  const std::byte* log_before = copy->log_bytes().data();
  auto files = core::open_meta_files(m.files, core::OpenMode::read_only);
  REQUIRE(files);
  REQUIRE(copy->device().map_meta_files(*files));
  CHECK(copy->log_bytes().data() == log_before);
  CHECK(copy->log()->header().next_index == at_copy + 2);
  CHECK(!copy->device().writable());
  // And followed through them: a third append is seen at once.
  m.mkdir_through_files("c");
  CHECK(copy->log()->header().next_index == at_copy + 3);
}

TEST_CASE("metadata copy: .meta files whose log does not end where the copy's does are refused",
          "[core]") {
  FakeMount m;
  auto copy = m.img->metadata_copy();
  REQUIRE(copy);
  auto files = core::open_meta_files(m.files, core::OpenMode::read_only);
  REQUIRE(files);
  files->sb.log_len /= 2; // as a superblock of another layout would say
  auto r = copy->device().map_meta_files(*files);
  REQUIRE(!r);
  CHECK(r.error().code == Errc::corrupt);
  CHECK_THAT(r.error().message, Catch::Contains(m.files.superblock));
  // Refused before anything was mapped: the copy still reads as it did.
  CHECK(copy->log()->header().next_index == m.img->log()->header().next_index);
}
