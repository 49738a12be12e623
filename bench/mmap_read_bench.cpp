// The mmap read figure of scripts/bench.sh: maps FILE read-only (no MAP_POPULATE: the page
// faults are part of what is measured), reads every 8-byte word once and prints the seconds
// taken. Run it on a file in a famfs mount and on the same bytes on tmpfs.
//
// usage: famfs_bench_mmap FILE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size <= 0) {
    std::perror(argv[1]);
    return 1;
  }
  const auto len = static_cast<std::size_t>(st.st_size);
  const auto t0 = std::chrono::steady_clock::now();
  void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    std::perror("mmap");
    return 1;
  }
  const auto* w = static_cast<const volatile std::uint64_t*>(p);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < len / 8; ++i) {
    sum += w[i];
  }
  const auto t1 = std::chrono::steady_clock::now();
  std::printf("%.6f\n", std::chrono::duration<double>(t1 - t0).count());
  std::fprintf(stderr, "checksum %llx\n", static_cast<unsigned long long>(sum));
  ::munmap(p, len);
  ::close(fd);
  return 0;
}
