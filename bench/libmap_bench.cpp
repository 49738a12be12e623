// The libfamfs figure of scripts/bench.sh: reads a famfs file through famfs_map (libfamfs,
// straight from the device) and the same bytes through an mmap of a tmpfs file, alternating
// the two sides pair after pair (the order flips each pair, so neither side always runs
// first), and, when given, through an mmap of the file in a FUSE mount beside them. Each read
// maps (no MAP_POPULATE: the page faults count), reads every 8-byte word once and unmaps.
// Prints each pair and then the throughput ratios against tmpfs (median, min, max), with the
// machine-readable line
//   RESULT <lib median> <lib min> <lib max> <fuse median> <fuse min> <fuse max> <tmpfs MiB/s>
// (fuse figures 0 without FUSE_FILE). Exit 1 when the sides read different bytes.
//
// usage: famfs_bench_libmap [--pairs N] FS RELPATH TMPFS_FILE [FUSE_FILE]
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <famfs/famfs.h>
#include <string>
#include <vector>

namespace {

struct Read {
  double seconds = 0;
  std::uint64_t sum = 0;
};

std::uint64_t sum_words(const void* p, std::size_t len) {
  const auto* w = static_cast<const volatile std::uint64_t*>(p);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < len / 8; ++i) {
    sum += w[i];
  }
  return sum;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool read_lib(famfs_t* fs, const char* rel, Read& r) {
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t len = 0;
  void* p = famfs_map(fs, rel, FAMFS_MAP_READ, &len);
  if (p == nullptr) {
    std::fprintf(stderr, "famfs_bench_libmap: %s\n", famfs_errmsg());
    return false;
  }
  r.sum = sum_words(p, len);
  famfs_unmap(fs, p);
  r.seconds = since(t0);
  return true;
}

bool read_mmap(const char* path, Read& r) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size <= 0) {
    std::perror(path);
    return false;
  }
  const auto len = static_cast<std::size_t>(st.st_size);
  const auto t0 = std::chrono::steady_clock::now();
  void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    std::perror("mmap");
    ::close(fd);
    return false;
  }
  r.sum = sum_words(p, len);
  ::munmap(p, len);
  r.seconds = since(t0);
  ::close(fd);
  return true;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Stats {
  double med = 0;
  double min = 0;
  double max = 0;
};

Stats stats(const std::vector<double>& v) {
  if (v.empty()) {
    return {};
  }
  return {median(v), *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
}

int usage() {
  std::fprintf(stderr, "usage: famfs_bench_libmap [--pairs N] FS RELPATH TMPFS_FILE [FUSE_FILE]\n");
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  int pairs = 5;
  int a = 1;
  if (argc > 2 && std::strcmp(argv[1], "--pairs") == 0) {
    pairs = std::max(1, std::atoi(argv[2]));
    a = 3;
  }
  if (argc - a != 3 && argc - a != 4) {
    return usage();
  }
  const char* rel = argv[a + 1];
  const char* tmpfs = argv[a + 2];
  const char* fuse = argc - a == 4 ? argv[a + 3] : nullptr;
  famfs_t* fs = famfs_open(argv[a], FAMFS_OPEN_READ);
  if (fs == nullptr) {
    std::fprintf(stderr, "famfs_bench_libmap: %s\n", famfs_errmsg());
    return 1;
  }
  famfs_attr st{};
  if (famfs_stat(fs, rel, &st) != 0) {
    std::fprintf(stderr, "famfs_bench_libmap: %s\n", famfs_errmsg());
    return 1;
  }
  const double mib = static_cast<double>(st.size) / (1 << 20);
  std::vector<double> lib_ratio;
  std::vector<double> fuse_ratio;
  std::vector<double> tmpfs_rate;
  for (int i = 0; i < pairs; ++i) {
    Read l;
    Read t;
    Read f;
    const bool ok = i % 2 == 0 ? read_lib(fs, rel, l) && read_mmap(tmpfs, t)
                               : read_mmap(tmpfs, t) && read_lib(fs, rel, l);
    if (!ok || (fuse != nullptr && !read_mmap(fuse, f))) {
      return 1;
    }
    if (l.sum != t.sum || (fuse != nullptr && f.sum != t.sum)) {
      std::fprintf(stderr, "famfs_bench_libmap: the sides read different bytes\n");
      return 1;
    }
    lib_ratio.push_back(t.seconds / l.seconds);
    tmpfs_rate.push_back(mib / t.seconds);
    std::printf("pair %d: libfamfs %.1f MiB/s, tmpfs %.1f MiB/s", i + 1, mib / l.seconds,
                mib / t.seconds);
    if (fuse != nullptr) {
      fuse_ratio.push_back(t.seconds / f.seconds);
      std::printf(", FUSE mmap %.1f MiB/s", mib / f.seconds);
    }
    std::printf("\n");
  }
  const Stats ls = stats(lib_ratio);
  const Stats fs_ = stats(fuse_ratio);
  std::printf("libfamfs map / tmpfs mmap: median %.2fx, min %.2fx, max %.2fx (%d pairs)\n", ls.med,
              ls.min, ls.max, pairs);
  if (fuse != nullptr) {
    std::printf("FUSE mmap / tmpfs mmap:    median %.2fx, min %.2fx, max %.2fx\n", fs_.med, fs_.min,
                fs_.max);
  }
  std::printf("RESULT %.2f %.2f %.2f %.2f %.2f %.2f %.1f\n", ls.med, ls.min, ls.max, fs_.med,
              fs_.min, fs_.max, median(tmpfs_rate));
  famfs_close(fs);
  return 0;
}
