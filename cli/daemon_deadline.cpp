#include "cli/daemon_deadline.hpp"

#include "cli/exit_status.hpp"
#include "core/mounts.hpp"
#include "fuse/daemon.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

namespace famfs::cli {

namespace {

std::string g_command = "famfs";
int g_exit = k_exit_failure;

// The famfs mount whose mount point is the longest lexical prefix of `path` (made absolute),
// found without touching any mount; "" when none.
std::string mount_holding(const std::string& path) {
  std::string abs = path;
  if (abs.empty() || abs.front() != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) != nullptr) {
      abs = std::string(cwd) + "/" + abs;
    }
  }
  auto mounts = core::read_mounts();
  std::string best;
  if (!mounts) {
    return best;
  }
  for (const auto& m : *mounts) {
    const std::string& mp = m.mountpoint;
    const bool holds = abs == mp
                       || (abs.rfind(mp, 0) == 0 && abs.size() > mp.size()
                           && (mp == "/" || abs[mp.size()] == '/'));
    if (m.fstype == core::k_fstype && holds && mp.size() > best.size()) {
      best = mp;
    }
  }
  return best;
}

[[noreturn]] void give_up(const std::string& path, std::chrono::milliseconds waited) {
  const std::string mnt = mount_holding(path);
  long pid = 0;
  if (!mnt.empty()) {
    std::ifstream in(fuse::daemon_pid_path(mnt));
    in >> pid;
  }
  const std::string who =
      pid > 0 ? fmt::format("the famfs daemon (pid {})", pid) : std::string("the famfs daemon");
  const double secs = static_cast<double>(waited.count()) / 1000.0;
  fmt::print(stderr, "{}: error: {}: {} did not answer within {:g} s\n", g_command,
             mnt.empty() ? path : mnt, who, secs);
  if (pid > 0) {
    fmt::print(stderr,
               "hint: it is stopped or stuck: resume it (kill -CONT {}), or end it (kill {}) and "
               "unmount (famfs umount {})\n",
               pid, pid, mnt);
  } else {
    fmt::print(stderr, "hint: check that the daemon of the mount runs, or unmount it\n");
  }
  std::fflush(stderr);
  ::_exit(g_exit);
}

} // namespace

std::chrono::milliseconds daemon_timeout() {
  if (const char* s = std::getenv("FAMFS_DAEMON_TIMEOUT"); s != nullptr && *s != 0) {
    char* end = nullptr;
    const double secs = std::strtod(s, &end);
    if (end != nullptr && *end == 0 && secs > 0 && secs < 1e6) {
      return std::chrono::milliseconds(static_cast<long long>(secs * 1000.0 + 0.5));
    }
  }
  return std::chrono::seconds(10);
}

void set_daemon_timeout_exit(std::string command, int exit_code) {
  g_command = "famfs " + command;
  g_exit = exit_code;
}

namespace {

using Clock = std::chrono::steady_clock;

// The deadlines in force, by id, and the thread that watches the earliest. Never destroyed:
// the watcher may still wait when the process exits.
struct Watch {
  struct Entry {
    std::string path;
    Clock::time_point due;
  };
  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::uint64_t, Entry> active;
  std::uint64_t next_id = 1;
  bool started = false;

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      if (active.empty()) {
        cv.wait(lock);
        continue;
      }
      auto first = active.begin();
      for (auto it = active.begin(); it != active.end(); ++it) {
        if (it->second.due < first->second.due) {
          first = it;
        }
      }
      const Clock::time_point due = first->second.due; // the entry may go while we wait
      if (Clock::now() >= due) {
        give_up(first->second.path, daemon_timeout());
      }
      cv.wait_until(lock, due);
    }
  }
};

Watch& watch() {
  static Watch* w = new Watch; // leaked on purpose (see Watch)
  return *w;
}

} // namespace

DaemonDeadline::DaemonDeadline(std::string path) {
  const int saved = errno;
  Watch& w = watch();
  std::lock_guard lock(w.mutex);
  m_id = w.next_id++;
  w.active.emplace(m_id, Watch::Entry{std::move(path), Clock::now() + daemon_timeout()});
  if (!w.started) {
    w.started = true;
    std::thread([&w] { w.run(); }).detach();
  }
  w.cv.notify_one();
  errno = saved;
}

DaemonDeadline::~DaemonDeadline() {
  const int saved = errno; // callers read errno of the request the deadline covered
  Watch& w = watch();
  {
    std::lock_guard lock(w.mutex);
    w.active.erase(m_id);
  }
  errno = saved;
}

} // namespace famfs::cli
