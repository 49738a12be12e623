// Commands through the famfs_cli library: parsed from a command line and run as main() runs
// them, with their output captured, on a backing file.
#include "cli/app.hpp"
#include "cli/command.hpp"
#include "core/fs_ops.hpp"
#include "core/image.hpp"
#include "core/system_uuid.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>
#include <string>

using namespace famfs;
using namespace famfs::cli;

namespace {

// A stdio stream in memory-backed temporary storage, read back as a string.
class Capture {
public:
  Capture() : m_f(std::tmpfile(), &std::fclose) { REQUIRE(m_f); }
  std::FILE* get() const { return m_f.get(); }
  std::string text() const {
    std::fflush(m_f.get());
    std::rewind(m_f.get());
    std::string s;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, m_f.get())) {
      s.append(buf, n);
    }
    return s;
  }

private:
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> m_f;
};

// Parses `args` ("creat --device IMG -s 4k f") for the command of that name from the command
// table, then runs it as main() would, minus report(): the Result comes back.
struct Run {
  Capture out;
  Capture err;
  Result<int> rc = 0;

  explicit Run(const std::string& name, const std::string& args) {
    Context ctx;
    ctx.out = out.get();
    ctx.err = err.get();
    rc = parse_and_run(name, args, ctx);
  }
};

// A directory with this host's system UUID file, so that mkfs makes this host the master.
struct Host {
  test::TempDir dir;
  std::string dev = dir.file("dev.img");
  Host() { core::set_system_uuid_file(dir.file("system_uuid")); }
  ~Host() { core::set_system_uuid_file(""); }
};

} // namespace

TEST_CASE("cli: mkfs then creat and mkdir on a backing file, through the library", "[cli]") {
  Host h;
  Run mkfs("mkfs", "--size 64m " + h.dev);
  REQUIRE(mkfs.rc);
  CHECK(*mkfs.rc == k_exit_ok);
  CHECK(mkfs.err.text().empty());
  CHECK_THAT(mkfs.out.text(), Catch::Contains("64M") || Catch::Contains("67108864"));

  Run mkdir("mkdir", "--device " + h.dev + " -p a/b");
  REQUIRE(mkdir.rc);
  CHECK(*mkdir.rc == k_exit_ok);
  Run creat("creat", "--device " + h.dev + " -s 4k -r -S 7 a/b/f");
  REQUIRE(creat.rc);
  CHECK(*creat.rc == k_exit_ok);
  CHECK(creat.err.text().empty());

  auto img = core::Image::open(h.dev, core::OpenMode::read_only);
  REQUIRE(img);
  auto tree = core::load_tree(*img);
  REQUIRE(tree);
  const core::Node* f = tree->resolve("a/b/f");
  REQUIRE(f != nullptr);
  CHECK(f->size == 4096);

  Run verify("verify", "--device " + h.dev + " -S 7 a/b/f");
  REQUIRE(verify.rc);
  CHECK(*verify.rc == k_exit_ok);
}

TEST_CASE("cli: a command's error comes back as a Result for main() to report", "[cli]") {
  Host h;
  Run mkfs("mkfs", "--size 64m " + h.dev);
  REQUIRE(mkfs.rc);
  SECTION("creat --seed 0") {
    Run creat("creat", "--device " + h.dev + " -s 4k -r -S 0 f");
    REQUIRE_FALSE(creat.rc);
    CHECK(creat.rc.error().code == Errc::invalid_argument);
    CHECK(creat.rc.error().message == "--seed 0: the seed must be above 0");
    CHECK(creat.err.text().empty()); // nothing printed: report() is main()'s
  }
  SECTION("mkfs over an existing file system") {
    Run again("mkfs", h.dev);
    REQUIRE_FALSE(again.rc);
    CHECK(exit_code_for(again.rc.error()) == k_exit_failure);
  }
  SECTION("a path under .meta") {
    Run creat("creat", "--device " + h.dev + " -s 4k .meta/evil");
    REQUIRE(creat.rc);
    CHECK(*creat.rc == k_exit_usage); // per-file errors are reported as they happen
    CHECK(creat.err.text()
          == "famfs creat: error: .meta/evil: .meta is reserved for famfs metadata\n");
  }
}

TEST_CASE("cli: parse_and_run refuses what the parser refuses, and runs nothing", "[cli]") {
  Host h;
  SECTION("an unknown option") {
    Run mkfs("mkfs", "--no-such-option " + h.dev);
    REQUIRE_FALSE(mkfs.rc);
    CHECK(mkfs.rc.error().code == Errc::invalid_argument);
    CHECK(mkfs.rc.error().message == "unknown option --no-such-option");
  }
  SECTION("an unknown command") {
    Run nope("nope", h.dev);
    REQUIRE_FALSE(nope.rc);
    CHECK(nope.rc.error().message == "unknown command 'nope'");
  }
  CHECK_FALSE(core::Image::open(h.dev, core::OpenMode::read_only));
}
