// A fresh 64 MiB famfs on a backing file in a per-test directory, opened read-write, for unit
// tests that serve or replay it (the FUSE server, fmap and follow tests derive their fixtures).
#pragma once

#include "core/image.hpp"
#include "core/mkfs.hpp"
#include "core/system_uuid.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>

namespace famfs::test {

struct FreshImage {
  TempDir dir;
  std::string dev;
  std::optional<core::Image> img;

  FreshImage() {
    core::set_system_uuid_file(dir.file("system_uuid"));
    dev = dir.file("dev.img");
    core::MkfsOptions o;
    o.create_size = 64ULL << 20;
    REQUIRE(core::mkfs(dev, o));
    auto i = core::Image::open(dev, core::OpenMode::read_write);
    REQUIRE(i);
    img.emplace(std::move(*i));
  }
};

} // namespace famfs::test
