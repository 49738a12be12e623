// The memcpy beside `famfs cp` in scripts/bench.sh: copies SRC into a new file DST of the same size
// through two shared mappings (the source populated up front, the destination faulted in as it
// is written, as a fresh famfs device region is), then msyncs DST. Prints the seconds taken.
//
// usage: famfs_bench_memcpy SRC DST
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SRC DST\n", argv[0]);
    return 2;
  }
  int in = ::open(argv[1], O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (in < 0 || ::fstat(in, &st) != 0 || st.st_size <= 0) {
    std::perror(argv[1]);
    return 1;
  }
  const auto len = static_cast<std::size_t>(st.st_size);
  int out = ::open(argv[2], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || ::ftruncate(out, st.st_size) != 0) {
    std::perror(argv[2]);
    return 1;
  }
  void* src = ::mmap(nullptr, len, PROT_READ, MAP_SHARED | MAP_POPULATE, in, 0);
  void* dst = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, out, 0);
  if (src == MAP_FAILED || dst == MAP_FAILED) {
    std::perror("mmap");
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::memcpy(dst, src, len);
  if (::msync(dst, len, MS_SYNC) != 0) {
    std::perror("msync");
    return 1;
  }
  const auto t1 = std::chrono::steady_clock::now();
  std::printf("%.6f\n", std::chrono::duration<double>(t1 - t0).count());
  ::munmap(src, len);
  ::munmap(dst, len);
  ::close(in);
  ::close(out);
  return 0;
}
