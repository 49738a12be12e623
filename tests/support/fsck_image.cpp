// famfs_fsck_image: a test-only helper for the fsck and mkfs shell tests (never installed).
//   famfs_fsck_image scenario NAME IMAGE   write an image built with log_builder.hpp
//   famfs_fsck_image big ENTRIES IMAGE     write the scale image (test::BigImage) of ENTRIES
//   famfs_fsck_image xor IMAGE OFFSET MASK  XOR one byte (offsets and masks in C notation)
//   famfs_fsck_image put64 IMAGE OFFSET V   store a little-endian u64
//   famfs_fsck_image restamp IMAGE INDEX    recompute the CRC of log entry INDEX
//   famfs_fsck_image restamp-log IMAGE      recompute the CRC of the log header (at 2 MiB)
// Scenarios: clean, crosslink, badcrc, pastend, duplicate, dotdot.
#include "tests/support/golden.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace famfs;
using namespace famfs::test;

namespace {

ImageBuilder scenario(const std::string& name) {
  if (name == "clean") {
    return golden_image();
  }
  ImageBuilder b(64 * k_mib);
  if (name == "crosslink") {
    b.mkdir("dir");
    b.file("dir/original", 4096, std::vector<log::Extent>{{0, 0xa00000, 0x200000}});
    b.file("dir/clone", 4096, std::vector<log::Extent>{{0, 0xa00000, 0x200000}});
  } else if (name == "badcrc") {
    b.mkdir("dir");
    b.file("dir/file", 4096);
    b.flip(ImageBuilder::entry_at(1) + 40, 0x20);
  } else if (name == "pastend") {
    b.file("too-far", 4 * k_mib, std::vector<log::Extent>{{0, 62 * k_mib, 4 * k_mib}});
  } else if (name == "duplicate") {
    b.file("twice", 4096);
    b.file("twice", 4096);
  } else if (name == "dotdot") {
    b.mkdir("dir");
    b.file("dir/../../escape", 4096);
  } else {
    std::fprintf(stderr, "famfs_fsck_image: unknown scenario %s\n", name.c_str());
    std::exit(2);
  }
  return b;
}

u64 number(const char* s) {
  return std::strtoull(s, nullptr, 0);
}

int rw(const char* path, u64 off, void* buf, std::size_t n, bool write) {
  int fd = ::open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    std::perror(path);
    return 1;
  }
  ssize_t got = write ? ::pwrite(fd, buf, n, static_cast<off_t>(off))
                      : ::pread(fd, buf, n, static_cast<off_t>(off));
  ::close(fd);
  if (got != static_cast<ssize_t>(n)) {
    std::fprintf(stderr, "famfs_fsck_image: %s: short I/O at %llu\n", path,
                 static_cast<unsigned long long>(off));
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "scenario" && argc == 4) {
    scenario(argv[2]).write_to(argv[3]);
    return 0;
  }
  if (cmd == "big" && argc == 4) {
    BigImage(number(argv[2])).build().write_to(argv[3]);
    return 0;
  }
  if (cmd == "xor" && argc == 5) {
    unsigned char b = 0;
    const u64 off = number(argv[3]);
    if (rw(argv[2], off, &b, 1, false) != 0) {
      return 1;
    }
    b = static_cast<unsigned char>(b ^ number(argv[4]));
    return rw(argv[2], off, &b, 1, true);
  }
  if (cmd == "put64" && argc == 5) {
    std::array<std::byte, 8> b{};
    log::store_le<u64>(b.data(), number(argv[4]));
    return rw(argv[2], number(argv[3]), b.data(), b.size(), true);
  }
  if (cmd == "restamp" && argc == 4) {
    std::vector<std::byte> e(log::k_log_entry_size);
    const u64 off = ImageBuilder::entry_at(number(argv[3]));
    if (rw(argv[2], off, e.data(), e.size(), false) != 0) {
      return 1;
    }
    log::put64(e, log::k_entry_crc_covered, log::entry_crc(e));
    return rw(argv[2], off, e.data(), e.size(), true);
  }
  if (cmd == "restamp-log" && argc == 3) { // the log header's checksum, default log offset
    std::vector<std::byte> h(log::k_log_header_size);
    if (rw(argv[2], log::k_log_offset, h.data(), h.size(), false) != 0) {
      return 1;
    }
    log::put64(h, 24, log::log_header_crc(h));
    return rw(argv[2], log::k_log_offset, h.data(), h.size(), true);
  }
  std::fprintf(
      stderr,
      "usage: famfs_fsck_image scenario NAME IMAGE | big ENTRIES IMAGE | xor IMAGE OFFSET MASK | "
      "put64 IMAGE OFFSET VALUE | restamp IMAGE INDEX | restamp-log IMAGE\n");
  return 2;
}
