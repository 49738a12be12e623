// core::media_guard: SIGBUS from a mapping whose file was truncated under it. Guards turn it
// into Errc::media naming the file offset; outside a guard it ends the process with one line
// (when an exit is set) or kills it with SIGBUS as before (a fault that is not ours).
#include "core/device.hpp"
#include "core/media_guard.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <string>

using namespace famfs;
using namespace famfs::core;
using famfs::test::TempDir;

namespace {

constexpr std::uint64_t k_page = 4096;

// A 4-page device file filled with 0x5a, opened read-write, then shrunk to one page: the
// mapping still spans 4 pages, and pages 1..3 now raise SIGBUS.
struct ShrunkDevice {
  TempDir dir;
  std::string path = dir.file("dev.img");
  Device dev;
  ShrunkDevice() {
    {
      std::ofstream f(path, std::ios::binary);
      std::string bytes(4 * k_page, '\x5a');
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    auto d = Device::open(path, OpenMode::read_write);
    REQUIRE(d);
    dev = std::move(*d);
    REQUIRE(::truncate(path.c_str(), static_cast<off_t>(k_page)) == 0);
  }
};

// Runs `body` in a child process and returns its wait status, with the child's stderr in `err`.
template <typename F> int in_child(F body, std::string& err) {
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(pipefd[1], STDERR_FILENO);
    ::close(pipefd[0]);
    body();
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::array<char, 512> buf{};
  ssize_t n = 0;
  while ((n = ::read(pipefd[0], buf.data(), buf.size())) > 0) {
    err.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// Whether the child died of the fault: SIGBUS, or under ASan (which handles SIGBUS itself, and
// gets it chained from our handler) its "AddressSanitizer: BUS" report.
bool killed_by_sigbus(int status, const std::string& err) {
  if (WIFSIGNALED(status)) {
    return WTERMSIG(status) == SIGBUS;
  }
  return err.find("AddressSanitizer: BUS") != std::string::npos;
}

} // namespace

TEST_CASE("core::guarded_copy: reads before the lost range, Errc::media inside it", "[core]") {
  ShrunkDevice s;
  std::array<std::byte, 256> buf{};
  REQUIRE(guarded_copy(buf.data(), s.dev.at(100), buf.size()));
  CHECK(buf[0] == std::byte{0x5a});

  const std::uint64_t before = media_error_count();
  SECTION("read") {
    auto r = guarded_copy(buf.data(), s.dev.at(2 * k_page + 16), buf.size());
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::media);
    CHECK(r.error().message == s.path + ": media error at offset 0x2010");
    CHECK(to_errno(r.error()) == EIO);
  }
  SECTION("a copy that starts in good memory stops at the first lost page") {
    std::vector<std::byte> big(2 * k_page);
    auto r = guarded_copy(big.data(), s.dev.at(k_page / 2), big.size());
    REQUIRE_FALSE(r);
    CHECK(r.error().message == s.path + ": media error at offset 0x1000");
  }
  SECTION("write") {
    auto r = guarded_copy(s.dev.at(3 * k_page), buf.data(), buf.size());
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::media);
    CHECK(r.error().message == s.path + ": media error at offset 0x3000");
  }
  CHECK(media_error_count() == before + 1);
  // The guard unblocked SIGBUS again: the next fault is caught as well.
  auto again = guarded_copy(buf.data(), s.dev.at(k_page), buf.size());
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::media);
  REQUIRE(guarded_copy(buf.data(), s.dev.at(0), buf.size()));
}

TEST_CASE("core::guarded_probe: finds the first lost page", "[core]") {
  ShrunkDevice s;
  REQUIRE(guarded_probe(s.dev.at(0), k_page));
  auto r = guarded_probe(s.dev.at(10), 3 * k_page);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::media);
  CHECK(r.error().message == s.path + ": media error at offset 0x1000");
}

TEST_CASE("core::media_guard: a fault outside a guard", "[core]") {
  ShrunkDevice s;
  std::string err;
  SECTION("ends the process with the media error line when an exit is set") {
    int status = in_child(
        [&] {
          set_media_error_exit("famfs test", 3);
          volatile auto* p = reinterpret_cast<volatile unsigned char*>(s.dev.at(2 * k_page + 1));
          (void)*p;
        },
        err);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 3);
    CHECK(err.rfind("famfs test: error: " + s.path + ": media error at offset 0x2001\nhint: ", 0)
          == 0);
  }
  SECTION("kills the process with SIGBUS when no exit is set") {
    int status = in_child(
        [&] {
          install_media_guard();
          volatile auto* p = reinterpret_cast<volatile unsigned char*>(s.dev.at(2 * k_page));
          (void)*p;
        },
        err);
    CHECK(killed_by_sigbus(status, err));
  }
  SECTION("kills the process with SIGBUS outside every device mapping, exit or not") {
    int status = in_child(
        [&] {
          set_media_error_exit("famfs test", 3);
          int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
          void* m = ::mmap(nullptr, 4 * k_page, PROT_READ, MAP_SHARED, fd, 0);
          volatile auto* p = static_cast<volatile unsigned char*>(m) + 2 * k_page;
          (void)*p;
        },
        err);
    CHECK(killed_by_sigbus(status, err));
    CHECK(err.find("media error") == std::string::npos);
  }
}
