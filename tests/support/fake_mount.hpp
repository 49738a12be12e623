// A famfs image and a fake mount of it for unit tests of the metadata source:
// <mnt>/.meta/.superblock and <mnt>/.meta/.log as regular files, copies of the image's superblock
// region and log (what a famfs kernel would map with DAX), and appends made through them.
#pragma once

#include "core/image.hpp"
#include "core/log_writer.hpp"
#include "core/meta_source.hpp"
#include "tests/support/fresh_image.hpp"
#include "tests/support/log_entries.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace famfs::test {

// Copies [off, off + len) of `from` into a new file `to`.
inline void
copy_range(const std::string& from, const std::string& to, std::uint64_t off, std::uint64_t len) {
  std::ifstream in(from, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(off));
  std::vector<char> buf(len);
  in.read(buf.data(), static_cast<std::streamsize>(len));
  REQUIRE(static_cast<std::uint64_t>(in.gcount()) == len);
  std::ofstream(to, std::ios::binary).write(buf.data(), static_cast<std::streamsize>(len));
}

struct FakeMount : FreshImage {
  std::string mnt = dir.file("mnt");
  core::MetaFiles files = core::meta_files(mnt);
  FakeMount() {
    std::filesystem::create_directories(mnt + "/.meta");
    const auto& sb = img->superblock();
    copy_range(dev, files.superblock, 0, sb.log_offset);
    copy_range(dev, files.log, sb.log_offset, sb.log_len);
  }
  // Appends `entries` through the mount's files, as a CLI command on a famfs-mode device does.
  void append_through_files(std::vector<log::LogEntry> entries) const {
    auto dev_files = core::Device::open_meta_files("/dev/dax7.0", files.superblock, files.log,
                                                   core::OpenMode::read_write);
    REQUIRE(dev_files);
    auto image = core::Image::from_device(std::move(*dev_files));
    REQUIRE(image);
    auto w = core::LogWriter::open(*image);
    REQUIRE(w);
    REQUIRE(w->append_batch(*image, entries));
  }
  // A mkdir of `name` in the root, appended through the mount's files.
  void mkdir_through_files(const std::string& name) const {
    append_through_files({dir_entry(name)});
  }
};

} // namespace famfs::test
