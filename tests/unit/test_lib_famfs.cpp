// libfamfs's C API (lib/include/famfs/famfs.h) over file systems made by the famfs binary
// (FAMFS_BIN): maps of files written by `famfs cp` and `famfs creat -r` (contiguous and
// interleaved) compared byte for byte, a client that sees a file made after it opened, and the
// API's errors. The library is used only through its C header; the pattern of creat -r comes
// from core (the test's own copy, not the library's).
#include "core/random_pattern.hpp"
#include "log/format.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <famfs/famfs.h>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using famfs::test::TempDir;

// Runs the famfs binary with `args`; returns its exit status.
int famfs_cmd(const std::string& args) {
  const std::string cmd = std::string(FAMFS_BIN) + " " + args + " >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// A famfs on a sparse backing file, made by `famfs mkfs` as the master (this test's system
// UUID file, through FAMFS_SYSTEM_UUID_FILE, which the library reads too).
struct LibImage {
  TempDir dir;
  std::string dev = dir.file("dev.img");
  std::string master_uuid = dir.file("master_uuid");
  std::string client_uuid = dir.file("client_uuid");

  explicit LibImage(const char* size = "256M") {
    as_master();
    REQUIRE(famfs_cmd(std::string("mkfs --size ") + size + " " + dev) == 0);
  }
  void as_master() const { ::setenv("FAMFS_SYSTEM_UUID_FILE", master_uuid.c_str(), 1); }
  void as_client() const { ::setenv("FAMFS_SYSTEM_UUID_FILE", client_uuid.c_str(), 1); }
  // Runs a famfs command on this device ("creat -s 1M x" -> "creat --device DEV -s 1M x").
  int on_device(const std::string& cmd, const std::string& args) const {
    return famfs_cmd(cmd + " --device " + dev + " " + args);
  }
};

std::vector<char> random_file(const std::string& path, std::size_t size, unsigned seed) {
  std::vector<char> bytes(size);
  std::srand(seed);
  for (auto& b : bytes) {
    b = static_cast<char>(std::rand());
  }
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(size));
  return bytes;
}

// The creat --randomize bytes for `seed`.
std::vector<char> pattern(std::size_t size, std::uint64_t seed) {
  std::vector<char> bytes(size);
  famfs::core::PatternStream ps(seed);
  ps.fill(std::as_writable_bytes(std::span<char>(bytes)));
  return bytes;
}

// Maps `path` and checks it holds exactly `want`, in one 2 MiB-aligned range.
void check_map(famfs_t* fs, const char* path, const std::vector<char>& want) {
  size_t len = 0;
  void* p = famfs_map(fs, path, FAMFS_MAP_READ, &len);
  INFO(famfs_errmsg());
  REQUIRE(p != nullptr);
  CHECK(reinterpret_cast<std::uintptr_t>(p) % 0x200000 == 0);
  REQUIRE(len == want.size());
  CHECK(std::memcmp(p, want.data(), len) == 0);
  CHECK(famfs_unmap(fs, p) == 0);
}

// Expects `fn` to have failed with `err` and a message holding `fragment`.
template <typename T> void check_fails(T r, int err, const char* fragment) {
  const int saved = errno;
  INFO(famfs_errmsg());
  CHECK(!r);
  CHECK(saved == err);
  CHECK(std::string(famfs_errmsg()).find(fragment) != std::string::npos);
}

// The length of the mapping that starts at `p` and the file it maps (/proc/self/maps).
std::pair<std::uintptr_t, std::string> mapped_from(const void* p) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const auto want = reinterpret_cast<std::uintptr_t>(p);
  while (std::getline(maps, line)) {
    std::uintptr_t lo = 0;
    std::uintptr_t hi = 0;
    char path[512] = "";
    if (std::sscanf(line.c_str(), "%lx-%lx %*s %*s %*s %*s %511s", &lo, &hi, path) >= 2
        && lo == want) {
      return {hi - lo, path};
    }
  }
  return {0, ""};
}

void flip_byte(const std::string& path, off_t off) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(fd >= 0);
  char c = 0;
  REQUIRE(::pread(fd, &c, 1, off) == 1);
  c = static_cast<char>(c ^ 0x40);
  REQUIRE(::pwrite(fd, &c, 1, off) == 1);
  ::close(fd);
}

} // namespace

TEST_CASE("lib famfs_map: files written by famfs cp and creat -r, contiguous and interleaved",
          "[lib]") {
  LibImage img("4200M"); // interleaving needs buckets of at least 1 GiB
  const std::string src = img.dir.file("src");
  const auto bytes = random_file(src, 5'000'001, 1);
  REQUIRE(img.on_device("cp", src + " cp_file") == 0);
  REQUIRE(img.on_device("cp", "-N 2 -B 4 " + src + " cp_striped") == 0);
  REQUIRE(img.on_device("mkdir", "d") == 0);
  REQUIRE(img.on_device("creat", "-r -S 7 -s 3M d/rand") == 0);
  REQUIRE(img.on_device("creat", "-r -S 9 -s 37M -N 3 -B 4 -C 4m d/striped") == 0);

  famfs_t* fs = famfs_open_device(img.dev.c_str(), FAMFS_OPEN_READ);
  INFO(famfs_errmsg());
  REQUIRE(fs != nullptr);
  CHECK(std::string(famfs_mountpoint(fs)).empty());
  CHECK(famfs_writable(fs) == 0);
  check_map(fs, "cp_file", bytes);
  check_map(fs, "/cp_striped", bytes);
  check_map(fs, "d/rand", pattern(3 << 20, 7));
  check_map(fs, "d//./striped", pattern(37 << 20, 9));

  famfs_attr st{};
  REQUIRE(famfs_stat(fs, "d/striped", &st) == 0);
  CHECK(st.size == 37 << 20);
  CHECK((st.flags & FAMFS_STAT_INTERLEAVED) != 0);
  CHECK(st.nextents == 3);
  CHECK(S_ISREG(st.mode));
  CHECK(st.alloc >= st.size);
  REQUIRE(famfs_stat(fs, "/", &st) == 0);
  CHECK(S_ISDIR(st.mode));
  CHECK(st.ino == 1);

  famfs_dir_t* d = famfs_opendir(fs, "d");
  REQUIRE(d != nullptr);
  std::vector<std::string> names;
  for (const famfs_dirent* e = famfs_readdir(d); e != nullptr; e = famfs_readdir(d)) {
    names.emplace_back(e->name);
  }
  famfs_closedir(d);
  CHECK(names == std::vector<std::string>{"rand", "striped"});
  CHECK(famfs_log_entries(fs) == 5);
  famfs_close(fs);
}

TEST_CASE("lib famfs_map: a map is whole pages, PROT_NONE past the allocation", "[lib]") {
  LibImage img;
  REQUIRE(img.on_device("creat", "-r -S 3 -s 5000 small") == 0);
  famfs_t* fs = famfs_open(img.dev.c_str(), FAMFS_OPEN_READ);
  REQUIRE(fs != nullptr);
  size_t len = 0;
  auto* p = static_cast<unsigned char*>(famfs_map(fs, "small", FAMFS_MAP_READ, &len));
  REQUIRE(p != nullptr);
  CHECK(len == 5000);
  // The device is mapped up to the end of the file's last page; the rest of the 2 MiB stays
  // reserved (anonymous, PROT_NONE).
  CHECK(mapped_from(p) == std::make_pair(std::uintptr_t{8192}, img.dev));
  CHECK(std::memcmp(p, pattern(5000, 3).data(), 5000) == 0);
  CHECK(famfs_unmap(fs, p) == 0);
  errno = 0;
  check_fails(famfs_unmap(fs, p) == 0, EINVAL, "not an address famfs_map returned");
  famfs_close(fs);
}

TEST_CASE("lib famfs_map: the API's errors", "[lib]") {
  LibImage img;
  REQUIRE(img.on_device("mkdir", "dir") == 0);
  REQUIRE(img.on_device("creat", "-s 1M dir/f") == 0);
  famfs_t* fs = famfs_open_device(img.dev.c_str(), FAMFS_OPEN_READ);
  REQUIRE(fs != nullptr);
  size_t len = 0;
  famfs_attr st{};
  SECTION("missing file") {
    check_fails(famfs_map(fs, "nope", 0, &len), ENOENT, "famfs_map: error: nope: no such file");
    check_fails(famfs_stat(fs, "dir/nope", &st) == 0, ENOENT, "no such file or directory");
  }
  SECTION("a directory") {
    check_fails(famfs_map(fs, "dir", 0, &len), EISDIR, "dir: is a directory");
    check_fails(famfs_opendir(fs, "dir/f"), ENOTDIR, "not a directory");
  }
  SECTION("a file used as a directory") {
    check_fails(famfs_stat(fs, "dir/f/x", &st) == 0, ENOTDIR, "dir/f is not a directory");
  }
  SECTION("bad paths") {
    check_fails(famfs_map(fs, "../etc/passwd", 0, &len), EINVAL, "escapes the file system root");
    check_fails(famfs_map(fs, std::string(100, 'a').c_str(), 0, &len), EINVAL, "famfs paths are");
    check_fails(famfs_map(fs, nullptr, 0, &len), EINVAL, "NULL");
  }
  SECTION("a write map of a read-only handle") {
    check_fails(famfs_map(fs, "dir/f", FAMFS_MAP_WRITE, &len), EPERM, "opened read-only");
  }
  famfs_close(fs);
}

TEST_CASE("lib famfs_open: refuses what is not a healthy famfs", "[lib]") {
  LibImage img;
  REQUIRE(img.on_device("creat", "-s 1M f") == 0);
  SECTION("a device without a famfs") {
    const std::string other = img.dir.file("zeros");
    famfs::test::make_sparse_file(other, 64 << 20);
    check_fails(famfs_open(other.c_str(), 0), EIO, "not a famfs file system");
  }
  SECTION("a missing device") {
    check_fails(famfs_open(img.dir.file("missing").c_str(), 0), ENOENT, "missing");
  }
  SECTION("a directory that is not a famfs mount") {
    check_fails(famfs_open(img.dir.path().c_str(), 0), ENOENT, "");
  }
  SECTION("a superblock whose CRC does not match") {
    flip_byte(img.dev, 40); // inside the CRC-covered bytes
    check_fails(famfs_open(img.dev.c_str(), 0), EIO, "superblock");
  }
  SECTION("a damaged log entry") {
    flip_byte(img.dev, static_cast<off_t>(famfs::log::k_log_offset + famfs::log::entry_offset(0)
                                          + 100)); // the first entry's path
    check_fails(famfs_open(img.dev.c_str(), 0), EIO, "log entry 0");
  }
  SECTION("another mkfs after the open: clobbered") {
    famfs_t* fs = famfs_open(img.dev.c_str(), 0);
    REQUIRE(fs != nullptr);
    REQUIRE(famfs_cmd("mkfs --force " + img.dev) == 0);
    check_fails(famfs_poll(fs) >= 0, EIO, "clobbered");
    size_t len = 0;
    check_fails(famfs_map(fs, "f", 0, &len), EIO, "clobbered");
    famfs_close(fs);
  }
  SECTION("a damaged entry appended after the open: the poll fails, older files stay") {
    famfs_t* fs = famfs_open(img.dev.c_str(), 0);
    REQUIRE(fs != nullptr);
    REQUIRE(img.on_device("creat", "-s 1M g") == 0);
    flip_byte(img.dev,
              static_cast<off_t>(famfs::log::k_log_offset + famfs::log::entry_offset(1) + 100));
    check_fails(famfs_poll(fs) >= 0, EIO, "log entry 1");
    famfs_attr st{};
    CHECK(famfs_stat(fs, "f", &st) == 0);
    size_t len = 0;
    void* p = famfs_map(fs, "f", 0, &len);
    CHECK(p != nullptr);
    CHECK(famfs_unmap(fs, p) == 0);
    famfs_close(fs);
  }
  SECTION("write on a client") {
    img.as_client();
    check_fails(famfs_open(img.dev.c_str(), FAMFS_OPEN_WRITE), EPERM, "not the master");
  }
}

TEST_CASE("lib famfs_map: the master writes through a write map", "[lib]") {
  LibImage img;
  REQUIRE(img.on_device("creat", "-s 3M w") == 0);
  famfs_t* fs = famfs_open(img.dev.c_str(), FAMFS_OPEN_WRITE);
  INFO(famfs_errmsg());
  REQUIRE(fs != nullptr);
  CHECK(famfs_writable(fs) == 1);
  size_t len = 0;
  auto* p = static_cast<char*>(famfs_map(fs, "w", FAMFS_MAP_WRITE, &len));
  REQUIRE(p != nullptr);
  std::memset(p, 'x', len);
  CHECK(famfs_persist(fs, p + 1, len - 1) == 0);
  CHECK(famfs_unmap(fs, p) == 0);
  check_fails(famfs_map(fs, ".meta/.log", FAMFS_MAP_WRITE, &len), EPERM, "metadata");
  famfs_close(fs);
  famfs_t* reader = famfs_open(img.dev.c_str(), FAMFS_OPEN_READ);
  REQUIRE(reader != nullptr);
  check_map(reader, "w", std::vector<char>(3 << 20, 'x'));
  famfs_close(reader);
}

TEST_CASE("lib famfs_wait: a client process sees a file made after it opened", "[lib]") {
  LibImage img;
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) { // the client: opens, says so, waits for "late", checks its bytes
    img.as_client();
    famfs_t* fs = famfs_open(img.dev.c_str(), FAMFS_OPEN_READ);
    const char c = fs != nullptr ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    famfs_attr st{};
    for (int i = 0; fs != nullptr && i < 100 && famfs_stat(fs, "late", &st) != 0; ++i) {
      if (famfs_wait(fs, 100) < 0) {
        ::_exit(3);
      }
    }
    size_t len = 0;
    void* p = fs != nullptr ? famfs_map(fs, "late", 0, &len) : nullptr;
    const auto want = pattern(4 << 20, 11);
    ::_exit(p != nullptr && len == want.size() && std::memcmp(p, want.data(), len) == 0 ? 0 : 1);
  }
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  REQUIRE(c == 'y');
  REQUIRE(img.on_device("creat", "-r -S 11 -s 4M late") == 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_CASE("lib famfs_poll: entries appended after the open, and a wait that times out", "[lib]") {
  LibImage img;
  famfs_t* fs = famfs_open(img.dev.c_str(), 0);
  REQUIRE(fs != nullptr);
  CHECK(famfs_poll(fs) == 0);
  CHECK(famfs_wait(fs, 30) == 0);
  REQUIRE(img.on_device("mkdir", "a") == 0);
  REQUIRE(img.on_device("creat", "-s 1M a/b") == 0);
  CHECK(famfs_poll(fs) == 2);
  famfs_attr st{};
  CHECK(famfs_stat(fs, "a/b", &st) == 0);
  CHECK(famfs_log_entries(fs) == 2);
  famfs_close(fs);
  CHECK(std::string(famfs_version()) == FAMFS_VERSION_STRING);
}
