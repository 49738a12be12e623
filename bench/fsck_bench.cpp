// famfs_bench_fsck: how long fsck's checker takes over a big log.
//   famfs_bench_fsck [--entries N] [--runs K] [--write PATH]
// Builds, in memory and through the log/ API, the image test::BigImage describes
// (tests/support/log_builder.hpp): N entries (default 100,000: 1,000 directories and 99,000
// one-AU files on a 200 GiB device) in a log of 64 MiB or the power of two that holds them;
// checks it K times with core::check_image and prints the best and median times.
// --write PATH also writes the image as a sparse backing file, for timing `famfs fsck PATH`
// (scripts/bench.sh). Exits 1 if the image does not check clean.
#include "core/fsck.hpp"
#include "tests/support/log_builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace famfs;

int main(int argc, char** argv) {
  log::u64 entries = 100000;
  int runs = 5;
  std::string write_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--entries" && i + 1 < argc) {
      entries = std::strtoull(argv[++i], nullptr, 0);
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--write" && i + 1 < argc) {
      write_path = argv[++i];
    } else {
      fmt::print(stderr, "usage: famfs_bench_fsck [--entries N] [--runs K] [--write PATH]\n");
      return 2;
    }
  }
  const test::BigImage big(entries);
  const log::u64 dirs = big.dirs;
  const log::u64 files = big.files;
  const log::u64 log_len = big.log_len;
  const log::u64 dev = big.device_size;

  auto t0 = std::chrono::steady_clock::now();
  test::ImageBuilder b = big.build();
  auto t1 = std::chrono::steady_clock::now();
  fmt::print("built {} entries ({} directories, {} files) in a {} MiB log on a {} GiB device in "
             "{:.0f} ms\n",
             b.count(), dirs, files, log_len >> 20, dev >> 30,
             std::chrono::duration<double, std::milli>(t1 - t0).count());

  std::vector<double> ms;
  core::Report r;
  for (int k = 0; k < runs; ++k) {
    auto s = std::chrono::steady_clock::now();
    r = core::check_image(b.input());
    auto e = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(e - s).count());
  }
  std::sort(ms.begin(), ms.end());
  fmt::print("core::check_image over {} entries: best {:.1f} ms, median {:.1f} ms ({} runs)\n",
             r.stats.next_index, ms.front(), ms[ms.size() / 2], runs);
  if (r.errors() != 0 || r.stats.files != files || r.stats.directories != dirs) {
    fmt::print(stderr, "famfs_bench_fsck: the image did not check clean:\n{}",
               core::problems_text(r, core::Severity::warning));
    return 1;
  }
  if (!write_path.empty()) {
    b.write_to(write_path);
    fmt::print("wrote {}\n", write_path);
  }
  return 0;
}
