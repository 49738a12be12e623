// famfs_test_tool: test-only helper for the FUSE tests. Puts hand-made entries into a log through
// core::LogWriter (as the CLI's creat/mkdir will), and checks file contents through a mount
// against a reference with random preads and parallel readers. Never installed.
//
//   famfs_test_tool mkfs DEV SIZE
//   famfs_test_tool mkdir DEV RELPATH [MODE [UID GID]]
//   famfs_test_tool file DEV RELPATH SIZE MODE UID GID simple OFF+LEN[,OFF+LEN...]
//   famfs_test_tool file DEV RELPATH SIZE MODE UID GID interleave CHUNK OFF+LEN[,OFF+LEN...]
//   famfs_test_tool bulk DEV DIR COUNT FIRST_OFF     (DIR plus COUNT 4 KiB files, one AU each)
//   famfs_test_tool pread-check FILE REF ITERATIONS SEED
//   famfs_test_tool parallel-read FILE REF THREADS ITERATIONS
//   famfs_test_tool getxattr PATH NAME
//   famfs_test_tool listxattr PATH
// Numbers take C prefixes (0x...). Exit 0 on success, 1 on failure (with a message), 2 on usage.
#include "core/image.hpp"
#include "core/log_writer.hpp"
#include "core/mkfs.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace famfs;
using log::u64;

namespace {

[[noreturn]] void usage() {
  fmt::print(stderr, "usage: famfs_test_tool mkfs|mkdir|file|bulk|pread-check|parallel-read|"
                     "getxattr|listxattr ... (see the source)\n");
  std::exit(2);
}

[[noreturn]] void die(const std::string& msg) {
  fmt::print(stderr, "famfs_test_tool: {}\n", msg);
  std::exit(1);
}

u64 num(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != 0) {
    die("not a number: " + s);
  }
  return v;
}

std::vector<log::Extent> extents(const std::string& list) {
  std::vector<log::Extent> out;
  std::size_t i = 0;
  while (i < list.size()) {
    std::size_t j = list.find(',', i);
    if (j == std::string::npos) {
      j = list.size();
    }
    std::string item = list.substr(i, j - i);
    std::size_t plus = item.find('+');
    if (plus == std::string::npos) {
      die("extent must be OFF+LEN: " + item);
    }
    out.push_back(log::Extent{0, num(item.substr(0, plus)), num(item.substr(plus + 1))});
    i = j + 1;
  }
  return out;
}

template <typename T> T check(Result<T> r) {
  if (!r) {
    die(r.error().message);
  }
  return std::move(r).value();
}

void append(const std::string& dev, std::vector<log::LogEntry> entries) {
  auto img = check(core::Image::open(dev, core::OpenMode::read_write));
  auto w = check(core::LogWriter::open(img));
  check(w.append_batch(img, entries));
}

log::LogEntry mkdir_entry(const std::string& relpath, u64 mode, u64 uid, u64 gid) {
  log::LogEntry e;
  e.type = log::EntryType::mkdir;
  e.body = log::MkdirEntry{static_cast<log::u32>(uid), static_cast<log::u32>(gid),
                           static_cast<log::u32>(mode), relpath};
  return e;
}

// Reads exactly what pread returns (up to len bytes) into a vector.
std::vector<char> pread_all(int fd, u64 off, std::size_t len) {
  std::vector<char> buf(len);
  std::size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd, buf.data() + got, len - got, static_cast<off_t>(off + got));
    if (n < 0) {
      die(fmt::format("pread at {}: {}", off + got, std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  buf.resize(got);
  return buf;
}

int open_or_die(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    die(path + ": " + std::strerror(errno));
  }
  return fd;
}

// Random (offset, length) reads of `file` must equal the same reads of `ref`, including reads
// that cross the end of file.
bool compare_random(
    const std::string& file, const std::string& ref, u64 iterations, u64 seed, std::string* why) {
  int a = open_or_die(file);
  int b = open_or_die(ref);
  const off_t size = ::lseek(b, 0, SEEK_END);
  std::mt19937_64 rng(seed);
  bool ok = true;
  for (u64 i = 0; i < iterations && ok; ++i) {
    const u64 off = rng() % (static_cast<u64>(size) + 4096);
    // Mostly short reads, some up to 3 MiB (several FUSE requests, strip and extent crossings).
    const std::size_t len = (rng() % 4 == 0) ? rng() % (3U << 20) + 1 : rng() % 70000 + 1;
    auto x = pread_all(a, off, len);
    auto y = pread_all(b, off, len);
    if (x != y) {
      *why = fmt::format("{}: pread({}, {}) returned {} bytes differing from the reference's {}",
                         file, off, len, x.size(), y.size());
      ok = false;
    }
  }
  ::close(a);
  ::close(b);
  return ok;
}

int cmd_pread_check(const std::vector<std::string>& args) {
  if (args.size() != 4) {
    usage();
  }
  std::string why;
  if (!compare_random(args[0], args[1], num(args[2]), num(args[3]), &why)) {
    die(why);
  }
  return 0;
}

int cmd_parallel_read(const std::vector<std::string>& args) {
  if (args.size() != 4) {
    usage();
  }
  const u64 threads = num(args[2]);
  const u64 iterations = num(args[3]);
  std::atomic<int> failures{0};
  std::vector<std::string> why(threads);
  std::vector<std::thread> ts;
  for (u64 t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      if (!compare_random(args[0], args[1], iterations, 1000 + t, &why[t])) {
        failures++;
      }
    });
  }
  for (auto& t : ts) {
    t.join();
  }
  for (const auto& w : why) {
    if (!w.empty()) {
      fmt::print(stderr, "famfs_test_tool: {}\n", w);
    }
  }
  return failures.load() == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
  }
  const std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "mkfs") {
    if (args.size() != 2) {
      usage();
    }
    core::MkfsOptions o;
    o.create_size = num(args[1]);
    check(core::mkfs(args[0], o));
    return 0;
  }
  if (cmd == "mkdir") {
    if (args.size() != 2 && args.size() != 3 && args.size() != 5) {
      usage();
    }
    u64 mode = args.size() >= 3 ? num(args[2]) : 0755;
    u64 uid = args.size() == 5 ? num(args[3]) : 0;
    u64 gid = args.size() == 5 ? num(args[4]) : 0;
    append(args[0], {mkdir_entry(args[1], mode, uid, gid)});
    return 0;
  }
  if (cmd == "file") {
    if (args.size() < 8) {
      usage();
    }
    log::FileEntry f;
    f.relpath = args[1];
    f.size = num(args[2]);
    f.mode = static_cast<log::u32>(num(args[3]));
    f.uid = static_cast<log::u32>(num(args[4]));
    f.gid = static_cast<log::u32>(num(args[5]));
    if (args[6] == "simple" && args.size() == 8) {
      f.fmap.type = log::ExtType::simple;
      f.fmap.extents = extents(args[7]);
    } else if (args[6] == "interleave" && args.size() == 9) {
      f.fmap.type = log::ExtType::interleaved;
      f.fmap.chunk_size = num(args[7]);
      f.fmap.extents = extents(args[8]);
    } else {
      usage();
    }
    log::LogEntry e;
    e.type = log::EntryType::file;
    e.body = std::move(f);
    append(args[0], {std::move(e)});
    return 0;
  }
  if (cmd == "bulk") {
    if (args.size() != 4) {
      usage();
    }
    const u64 count = num(args[2]);
    const u64 first = num(args[3]);
    std::vector<log::LogEntry> entries;
    entries.push_back(mkdir_entry(args[1], 0755, 0, 0));
    for (u64 i = 0; i < count; ++i) {
      log::FileEntry f;
      f.relpath = fmt::format("{}/f{:05}", args[1], i);
      f.size = 4096;
      f.fmap.extents.push_back(log::Extent{0, first + i * log::k_alloc_unit, log::k_alloc_unit});
      log::LogEntry e;
      e.type = log::EntryType::file;
      e.body = std::move(f);
      entries.push_back(std::move(e));
    }
    append(args[0], std::move(entries));
    return 0;
  }
  if (cmd == "pread-check") {
    return cmd_pread_check(args);
  }
  if (cmd == "parallel-read") {
    return cmd_parallel_read(args);
  }
  if (cmd == "getxattr") {
    if (args.size() != 2) {
      usage();
    }
    std::vector<char> buf(65536);
    ssize_t n = ::getxattr(args[0].c_str(), args[1].c_str(), buf.data(), buf.size());
    if (n < 0) {
      die(fmt::format("{}: getxattr {}: {}", args[0], args[1], std::strerror(errno)));
    }
    fmt::print("{}\n", std::string_view(buf.data(), static_cast<std::size_t>(n)));
    return 0;
  }
  if (cmd == "listxattr") {
    if (args.size() != 1) {
      usage();
    }
    std::vector<char> buf(65536);
    ssize_t n = ::listxattr(args[0].c_str(), buf.data(), buf.size());
    if (n < 0) {
      die(fmt::format("{}: listxattr: {}", args[0], std::strerror(errno)));
    }
    for (const char* p = buf.data(); p < buf.data() + n; p += std::strlen(p) + 1) {
      fmt::print("{}\n", p);
    }
    return 0;
  }
  usage();
}
