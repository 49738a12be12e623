// Dax device modes and host geometry from sysfs (core/dax_sysfs.hpp), and --set-daxmode's
// restore-after-failure (cli/daxmode.hpp), over a fake sysfs tree: no dax hardware needed.
#include "cli/daxmode.hpp"
#include "core/dax_sysfs.hpp"
#include "tests/support/fake_sysfs.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

using namespace famfs;
namespace fs = std::filesystem;

using test::driver_for;
using test::FakeSysfs;

TEST_CASE("dax sysfs: the mode is the driver the device is bound to", "[core]") {
  FakeSysfs s;
  s.bind("dax0.0", "device_dax");
  s.bind("dax1.0", "fsdev_dax");
  s.bind("dax2.0", "kmem");
  s.bind("dax3.0", "");
  s.bind("dax4.0", "some_other");
  CHECK(core::dax_driver_mode("dax0.0", s.root()) == "devdax");
  CHECK(core::dax_driver_mode("dax1.0", s.root()) == "famfs");
  CHECK(core::dax_driver_mode("dax2.0", s.root()) == "system-ram");
  CHECK(core::dax_driver_mode("dax3.0", s.root()) == "unbound");
  CHECK(core::dax_driver_mode("dax9.9", s.root()) == "unbound");
  CHECK(core::dax_driver_mode("dax4.0", s.root()) == "some_other");
  CHECK(core::dax_devname("/dev/dax1.0") == "dax1.0");
}

TEST_CASE("dax sysfs: commands that map the device refuse every mode but devdax", "[core]") {
  CHECK(core::dax_mode_mappable("/dev/dax0.0", "devdax"));
  for (const char* mode : {"famfs", "system-ram", "unbound"}) {
    auto r = core::dax_mode_mappable("/dev/dax1.0", mode);
    REQUIRE(!r);
    INFO(r.error().message);
    CHECK(r.error().code == Errc::unsupported);
    CHECK_THAT(r.error().message, Catch::Contains("needs devdax mode"));
    CHECK_THAT(r.error().message, Catch::Contains("--set-daxmode"));
    CHECK_THAT(r.error().message,
               Catch::Contains("daxctl reconfigure-device --mode=devdax dax1.0"));
  }
  CHECK_THAT(core::dax_mode_mappable("/dev/dax1.0", "famfs").error().message,
             Catch::Contains("famfs mode (fsdev_dax driver)"));
}

TEST_CASE("dax sysfs: the kernel is offered fmaps only from an fsdev_dax device", "[core]") {
  FakeSysfs s;
  s.pmd("2097152\n");
  s.bind("dax0.0", "device_dax");
  s.bind("dax1.0", "fsdev_dax");
  s.bind("dax2.0", "");
  auto devdax = core::kernel_can_map(core::DeviceKind::devdax, "/dev/dax0.0", s.root());
  REQUIRE(!devdax);
  CHECK_THAT(devdax.error().message, Catch::Contains("famfs mode (fsdev_dax driver)"));
  CHECK_THAT(devdax.error().message, Catch::Contains("in devdax mode"));
  CHECK(!core::kernel_can_map(core::DeviceKind::devdax, "/dev/dax2.0", s.root()));
  CHECK(!core::kernel_can_map(core::DeviceKind::file, "/dev/dax1.0", s.root()));
  CHECK(!core::kernel_can_map(core::DeviceKind::pmem, "/dev/dax1.0", s.root()));
  if (core::host_geometry(s.root()).page_size == 4096) {
    CHECK(core::kernel_can_map(core::DeviceKind::devdax, "/dev/dax1.0", s.root()));
  }
  s.pmd("1073741824\n"); // a host whose PMD is 1 GiB: famfs maps would not be PMD-aligned
  auto big = core::kernel_can_map(core::DeviceKind::devdax, "/dev/dax1.0", s.root());
  REQUIRE(!big);
  CHECK_THAT(big.error().message, Catch::Contains("1073741824-byte PMDs"));
}

TEST_CASE("dax sysfs: page and PMD sizes are derived, and famfs mode needs 4 KiB / 2 MiB",
          "[core]") {
  FakeSysfs s; // no hpage_pmd_size: one page-table page of 8-byte entries
  CHECK(core::host_geometry(4096, s.root()).pmd_size == 2ULL << 20);
  CHECK(core::host_geometry(16384, s.root()).pmd_size == 32ULL << 20);
  CHECK(core::host_geometry(65536, s.root()).pmd_size == 512ULL << 20);
  s.pmd("4194304\n");
  CHECK(core::host_geometry(4096, s.root()).pmd_size == 4ULL << 20);
  CHECK(core::host_geometry_fits({4096, 2ULL << 20}));
  CHECK(!core::host_geometry_fits({4096, 4ULL << 20}));
  CHECK(!core::host_geometry_fits({65536, 512ULL << 20}));
  CHECK(!core::host_geometry_fits({16384, 2ULL << 20}));
}

TEST_CASE("dax sysfs: --set-daxmode puts the starting mode back after any failure", "[core]") {
  FakeSysfs s;
  const std::string path = "/dev/dax-fake-does-not-exist"; // not stat-able: no file-type check
  const std::string dev = core::dax_devname(path);
  int sets = 0;
  bool fail_half_way = false;
  cli::DaxModeOps ops;
  ops.mode_of = [&](const std::string&) -> Result<std::string> {
    return core::dax_driver_mode(dev, s.root());
  };
  ops.set_mode = [&](const std::string&, const std::string& mode) -> Result<std::string> {
    ++sets;
    std::string was = core::dax_driver_mode(dev, s.root());
    if (fail_half_way) {
      s.bind(dev, ""); // unbound, then the bind to the new driver fails
      return fail(Errc::io, "bind failed");
    }
    s.bind(dev, driver_for(mode));
    return was;
  };
  ops.restore_mode = [&](const std::string&, const std::string& mode) -> Result<void> {
    s.bind(dev, driver_for(mode));
    return {};
  };
  auto mode = [&] { return core::dax_driver_mode(dev, s.root()); };

  for (const char* start : {"famfs", "system-ram", "unbound"}) {
    INFO("starting in " << start);
    s.bind(dev, driver_for(start));
    {
      cli::DaxModeSwitch sw(ops);
      REQUIRE(sw.to_devdax(path));
      CHECK(mode() == "devdax");
    } // the command failed: no commit
    CHECK(mode() == start);
    {
      fail_half_way = true;
      cli::DaxModeSwitch sw(ops);
      CHECK(!sw.to_devdax(path));
      CHECK(mode() == "unbound");
      fail_half_way = false;
    }
    CHECK(mode() == start);
    {
      cli::DaxModeSwitch sw(ops);
      REQUIRE(sw.to_devdax(path));
      sw.commit(); // the command succeeded: devdax stays
    }
    CHECK(mode() == "devdax");
  }
  SECTION("already devdax: nothing is switched") {
    const int before = sets;
    {
      cli::DaxModeSwitch sw(ops);
      REQUIRE(sw.to_devdax(path));
      cli::DaxModeSwitch again(ops);
      REQUIRE(again.to_devdax(path));
    }
    CHECK(sets == before);
    CHECK(mode() == "devdax");
  }
}
