#include "cli/daemon_deadline.hpp"

#include "cli/exit_status.hpp"
#include "core/mounts.hpp"
#include "fuse/daemon.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

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
    const bool holds = abs == mp || (abs.rfind(mp, 0) == 0 && abs.size() > mp.size()
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
  const std::string who = pid > 0 ? fmt::format("the famfs daemon (pid {})", pid)
                                  : std::string("the famfs daemon");
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

DaemonDeadline::DaemonDeadline(std::string path) {
  const auto limit = daemon_timeout();
  m_watch = std::thread([this, path = std::move(path), limit] {
    std::unique_lock lock(m_mutex);
    if (!m_cv.wait_for(lock, limit, [this] { return m_done; })) {
      give_up(path, limit);
    }
  });
}

DaemonDeadline::~DaemonDeadline() {
  {
    std::lock_guard lock(m_mutex);
    m_done = true;
  }
  m_cv.notify_one();
  m_watch.join();
}

} // namespace famfs::cli
