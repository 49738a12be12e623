#include "core/trace.hpp"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace famfs::core {

namespace {
std::atomic<int> g_level{0};
std::atomic<std::FILE*> g_file{nullptr};
std::mutex g_write_mutex;
} // namespace

int trace_level() {
  return g_level.load(std::memory_order_relaxed);
}
void set_trace_level(int level) {
  g_level.store(level, std::memory_order_relaxed);
}
void set_trace_file(std::FILE* f) {
  g_file.store(f);
}

void trace_write(std::string_view line) {
  std::FILE* f = g_file.load();
  if (f == nullptr) {
    f = stderr;
  }
  struct timeval tv {};
  ::gettimeofday(&tv, nullptr);
  std::lock_guard lock(g_write_mutex);
  fmt::print(f, "[{}.{:06}] famfs[{}]: {}\n", tv.tv_sec, tv.tv_usec, ::getpid(), line);
  std::fflush(f);
}

} // namespace famfs::core
