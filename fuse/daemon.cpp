#include "fuse/daemon.hpp"

#include "core/dax_sysfs.hpp"
#include "core/mounts.hpp"
#include "core/trace.hpp"
#include "fuse/server.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

namespace famfs::fuse {

using core::UniqueFd;

std::string runtime_dir() {
  if (const char* d = std::getenv("FAMFS_RUNTIME_DIR"); d != nullptr && *d != 0) {
    return d;
  }
  if (::geteuid() == 0) {
    return "/run/famfs";
  }
  if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x != nullptr && *x != 0) {
    return std::string(x) + "/famfs";
  }
  return fmt::format("/tmp/famfs-{}", ::geteuid());
}

std::string escape_mountpoint(const std::string& mountpoint) {
  std::string s = mountpoint;
  while (s.size() > 1 && s.front() == '/') {
    s.erase(0, 1);
  }
  while (s.size() > 1 && s.back() == '/') {
    s.pop_back();
  }
  if (s == "/" || s.empty()) {
    return "-";
  }
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '/') {
      out += '-';
    } else if (std::isalnum(c) != 0 || c == '_' || (c == '.' && i > 0) || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

std::string daemon_log_path(const std::string& mountpoint) {
  return runtime_dir() + "/" + escape_mountpoint(mountpoint) + ".log";
}

std::string daemon_pid_path(const std::string& mountpoint) {
  return runtime_dir() + "/" + escape_mountpoint(mountpoint) + ".pid";
}

namespace {

Result<void> make_runtime_dir() {
  const std::string dir = runtime_dir();
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return sys_error(errno, dir);
  }
  return {};
}

bool is_mount_point(const std::string& resolved) {
  auto mounts = core::read_mounts();
  if (!mounts) {
    return false;
  }
  for (const auto& m : *mounts) {
    if (m.mountpoint == resolved) {
      return true;
    }
  }
  return false;
}

const core::MountEntry* find_mount(const std::vector<core::MountEntry>& mounts,
                                   const std::string& resolved) {
  const core::MountEntry* found = nullptr;
  for (const auto& m : mounts) {
    if (m.mountpoint == resolved) {
      found = &m; // the last one listed is the one on top
    }
  }
  return found;
}

pid_t read_pid_file(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) {
    return 0;
  }
  return static_cast<pid_t>(pid);
}

bool process_alive(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

// Whether `pid` is a famfs process (guards against a pid file whose pid was reused).
bool is_famfs_process(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid));
  std::string argv0;
  std::getline(in, argv0, '\0');
  return argv0.find("famfs") != std::string::npos;
}

void write_pid_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "we");
  if (f == nullptr) {
    FAMFS_TRACE(1, "{}: {}", path, std::strerror(errno));
    return;
  }
  fmt::print(f, "{}\n", ::getpid());
  std::fclose(f);
}

// The error of a famfs-mode mount refused after INIT (Server::run's Errc::unsupported): the
// kernel's reason, and how to mount the device anyway.
Error famfs_mode_refused(const DaemonConfig& cfg, const Error& e) {
  return make_error(Errc::unsupported,
                    "{}: {}; to mount it in devdax mode instead (the daemon then serves file "
                    "data): famfs mount --set-daxmode {} {}",
                    cfg.device, e.message, cfg.device, cfg.mountpoint);
}

// Serves `ch` in this process until unmounted.
Result<void> serve_here(core::Image& img,
                        Channel& ch,
                        const DaemonConfig& cfg,
                        const std::function<void()>& on_ready) {
  ServerOptions opts = cfg.server;
  img.device().set_coherence(opts.non_coherent ? core::Coherence::non_coherent
                                               : core::Coherence::coherent);
  // famfs DAX fmaps need a dax device in famfs mode (fsdev_dax) on a 4 KiB / 2 MiB host; anything
  // else keeps the userspace data path.
  auto can_map = core::kernel_can_map(img.device().kind(), cfg.device);
  opts.fmap_capable = can_map.has_value();
  if (!can_map) {
    FAMFS_TRACE(1, "famfs DAX fmaps will not be offered to the kernel: {}",
                can_map.error().message);
  }
  // A metadata copy (famfs mount's famfs-mode sequence): the mount's own .meta files next.
  if (img.device().kind() == core::DeviceKind::meta_files && !opts.famfs_mode_meta) {
    opts.famfs_mode_meta = core::meta_files(cfg.mountpoint);
  }
  opts.daxdev_path = cfg.device;
  Server server(img, opts);
  const std::string pid_path = daemon_pid_path(cfg.mountpoint);
  write_pid_file(pid_path);
  FAMFS_TRACE(1, "famfs daemon pid {}: serving {} on {} ({})", ::getpid(), cfg.device,
              cfg.mountpoint, opts.writable ? "writable" : "read-only data");
  auto r = server.run(ch, on_ready);
  ::unlink(pid_path.c_str());
  if (!r && opts.famfs_mode_meta && r.error().code == Errc::unsupported) {
    return Unexpected{famfs_mode_refused(cfg, r.error())};
  }
  return r;
}

// What the daemon tells famfs mount on the ready pipe: k_ready once the mount answers, or
// k_failed, the error's code and its message when it stopped before that (one write, at most
// PIPE_BUF bytes, so it arrives whole).
constexpr char k_ready = 1;
constexpr char k_failed = 2;

void tell_failed(const UniqueFd& ready, const Error& e) {
  std::string word{k_failed, static_cast<char>(e.code)};
  word.append(e.message, 0, PIPE_BUF - word.size());
  if (::write(ready.get(), word.data(), word.size()) < 0) {
    FAMFS_TRACE(1, "telling the parent why the mount failed: {}", std::strerror(errno));
  }
}

// Waits until `mnt` is listed in mountinfo and its root answers stat.
Result<void> check_mount_answers(const std::string& mnt) {
  if (!is_mount_point(mnt)) {
    return fail(Errc::io, "{}: the mount does not appear in /proc/self/mountinfo", mnt);
  }
  struct stat st {};
  if (::stat(mnt.c_str(), &st) != 0) {
    return sys_error(errno, mnt + ": the mounted root does not answer");
  }
  return {};
}

// Waits (up to `wait`) for the daemon `pid` to exit, then stops it; reaps it.
void reap_daemon(pid_t pid, std::chrono::milliseconds wait) {
  const auto give_up = std::chrono::steady_clock::now() + wait;
  while (::waitpid(pid, nullptr, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= give_up) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Unmounts a mount whose daemon is gone (it may be gone already).
void unmount_failed(const std::string& mountpoint) {
  if (is_mount_point(mountpoint) && !unmount(mountpoint, Lazy::no)) {
    (void)unmount(mountpoint, Lazy::yes);
  }
}

// Waits (up to 15 s) for the daemon `pid` to say on `ready` that the mount answers. When it
// says why it could not serve, or exits or hangs without a word, the daemon is waited for (or
// stopped), the mount is undone and the error returned: its own, or one that points to its
// trace.
Result<void> wait_until_ready(pid_t pid,
                              const UniqueFd& ready,
                              const std::string& mountpoint,
                              const std::string& log_path) {
  pollfd p{ready.get(), POLLIN, 0};
  int n = 0;
  do {
    n = ::poll(&p, 1, 15000);
  } while (n < 0 && errno == EINTR);
  std::array<char, PIPE_BUF> word{};
  const ssize_t got = n > 0 ? ::read(ready.get(), word.data(), word.size()) : 0;
  if (got >= 1 && word[0] == k_ready) {
    return {};
  }
  const bool exited = ::waitpid(pid, nullptr, WNOHANG) == pid;
  if (!exited) {
    if (got < 2) {
      ::kill(pid, SIGTERM);
    }
    reap_daemon(pid, std::chrono::seconds(5));
  }
  unmount_failed(mountpoint);
  if (got >= 2 && word[0] == k_failed) {
    return Error{static_cast<Errc>(word[1]),
                 0,
                 std::string(word.data() + 2, static_cast<std::size_t>(got - 2)),
                 {}};
  }
  return Unexpected{
      with_hint(make_error(Errc::io, "{}: the famfs daemon {} before the mount was ready",
                           mountpoint, exited ? "exited" : "did not answer"),
                fmt::format("see {}", log_path))};
}

} // namespace

Result<UniqueFd> lock_device_for_mount(const std::string& device,
                                       const std::string& host_uuid,
                                       const std::string& mountpoint) {
  FAMFS_TRY(make_runtime_dir());
  FAMFS_TRY_ASSIGN(std::string id, core::device_identity(device));
  const std::string path = fmt::format("{}/{}.{}.lock", runtime_dir(), id,
                                       host_uuid.empty() ? "unknown-host" : host_uuid);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return sys_error(errno, path);
  }
  // A holder whose mount is gone is a daemon on its way out (umount(8) returns before the
  // daemon exits): wait for it to let go, a few seconds at most.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) {
      continue;
    }
    if (errno != EWOULDBLOCK) {
      return sys_error(errno, path + ": flock");
    }
    std::string holder;
    std::ifstream in(path);
    std::getline(in, holder);
    if (!holder.empty() && !is_mount_point(holder) && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (holder.empty()) {
      return fail(Errc::busy, "{}: another mount of this device is starting on this host", device);
    }
    return Unexpected{
        with_hint(make_error(Errc::busy, "{}: already mounted on {} by this host", device, holder),
                  fmt::format("famfs umount {}", holder))};
  }
  const std::string line = mountpoint + "\n";
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), line.data(), line.size(), 0) < 0) {
    FAMFS_TRACE(1, "{}: {}", path, std::strerror(errno));
  }
  return fd;
}

Result<std::string> check_mountpoint(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) {
      return Unexpected{
          with_hint(make_error(Errc::not_found, "{}: mount point does not exist", path),
                    fmt::format("create it first: mkdir -p {}", path))};
    }
    return sys_error(err, path);
  }
  if (!S_ISDIR(st.st_mode)) {
    return fail(Errc::not_found, "{}: mount point is not a directory", path);
  }
  const std::string resolved = core::real_path(path);
  if (is_mount_point(resolved)) {
    return fail(Errc::busy, "{}: something is already mounted there", path);
  }
  DIR* d = ::opendir(resolved.c_str());
  if (d == nullptr) {
    return sys_error(errno, path);
  }
  bool empty = true;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  if (!empty) {
    return fail(Errc::exists, "{}: mount point is not empty", path);
  }
  return resolved;
}

Result<Started> mount_and_serve(core::Image& img, const DaemonConfig& cfg) {
  FAMFS_TRY(make_runtime_dir());
  MountOptions mo;
  mo.source = cfg.device;
  mo.mountpoint = cfg.mountpoint;
  mo.max_read = k_max_io;

  if (cfg.foreground) {
    core::set_trace_level(cfg.trace_level);
    FAMFS_TRY_ASSIGN(Channel ch, Channel::mount(mo));
    if (auto r = serve_here(img, ch, cfg, {}); !r) {
      ch.close();
      unmount_failed(cfg.mountpoint);
      return Unexpected{std::move(r).error()};
    }
    return Started{::getpid(), {}};
  }

  const std::string log_path = daemon_log_path(cfg.mountpoint);
  UniqueFd log_fd(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log_fd) {
    return sys_error(errno, log_path);
  }
  FAMFS_TRY_ASSIGN(Channel ch, Channel::mount(mo));
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    int err = errno;
    (void)unmount(cfg.mountpoint, Lazy::yes);
    return sys_error(err, "pipe");
  }
  UniqueFd ready_r(ready[0]);
  UniqueFd ready_w(ready[1]);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    (void)unmount(cfg.mountpoint, Lazy::yes);
    return sys_error(err, "fork");
  }
  if (pid == 0) {
    // The daemon: its own session, no terminal, stderr and trace into the log file.
    ready_r.reset();
    ::setsid();
    if (::chdir("/") != 0) {
      // Keep going: the daemon uses absolute paths only.
    }
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::close(null);
    }
    ::dup2(log_fd.get(), STDERR_FILENO);
    core::set_trace_file(stderr);
    core::set_trace_level(cfg.trace_level);
    auto r = serve_here(img, ch, cfg, [&] {
      if (::write(ready_w.get(), &k_ready, 1) != 1) {
        FAMFS_TRACE(1, "telling the parent the mount is ready: {}", std::strerror(errno));
      }
      ready_w.reset();
    });
    if (!r) {
      FAMFS_TRACE(0, "{}", r.error().message);
      if (ready_w) {
        tell_failed(ready_w, r.error());
      }
    }
    std::fflush(nullptr);
    ::_exit(r ? 0 : 1);
  }
  // The parent keeps no handle on the connection: if the daemon dies, the mount fails fast.
  ch.close();
  ready_w.reset();
  FAMFS_TRY(wait_until_ready(pid, ready_r, cfg.mountpoint, log_path));
  FAMFS_TRY(check_mount_answers(cfg.mountpoint));
  return Started{pid, log_path};
}

namespace {

// Reads the status xattr `name` of a mount's root. Each try is one request to the daemon; the
// first buffer is large enough for a status, so a logplay request is sent once.
Result<MountStatus> read_status_xattr(const std::string& mountpoint, std::string_view xattr) {
  const std::string name(xattr);
  std::string buf(4096, '\0');
  ssize_t n = -1;
  for (int tries = 0; tries < 4; ++tries) {
    n = ::getxattr(mountpoint.c_str(), name.c_str(), buf.data(), buf.size());
    if (n >= 0 || errno != ERANGE) {
      break;
    }
    buf.resize(buf.size() * 4);
  }
  if (n < 0) {
    const int err = errno;
    if (err == ENODATA || err == ENOTSUP) {
      return fail(Errc::not_found, "{}: the mount does not report a famfs status", mountpoint);
    }
    return sys_error(err, mountpoint + ": reading its status");
  }
  buf.resize(static_cast<std::size_t>(n));
  return with_context(MountStatus::parse(buf), mountpoint);
}

} // namespace

Result<MountStatus> read_mount_status(const std::string& mountpoint) {
  return read_status_xattr(mountpoint, k_status_xattr);
}

Result<MountStatus> ask_mount_to_follow(const std::string& mountpoint) {
  return read_status_xattr(mountpoint, k_logplay_xattr);
}

Result<bool> drop_cached_pages(const std::string& file) {
  const std::string name(k_invalidate_xattr);
  std::array<char, 64> buf{};
  for (int tries = 0;; ++tries) {
    const ssize_t n = ::getxattr(file.c_str(), name.c_str(), buf.data(), buf.size());
    if (n >= 0) {
      return std::string_view(buf.data(), static_cast<std::size_t>(n)) == k_invalidated;
    }
    const int err = errno;
    if (err == ENODATA || err == ENOTSUP) {
      return false; // a daemon that knows no page-cache mode
    }
    if (err != EAGAIN || tries == 500) { // 500 tries, 10 ms apart
      return sys_error(err, file + ": dropping its cached pages");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

namespace {

// Only root, or the user who mounted it (the kernel's user_id=), may unmount a FUSE mount.
Result<void> check_may_unmount(const core::MountEntry& m, const std::string& mountpoint) {
  if (::geteuid() == 0) {
    return {};
  }
  const std::string key = "user_id=";
  std::size_t at = ("," + m.super_options).find("," + key);
  if (at == std::string::npos) {
    return {}; // unknown: let fusermount3 decide
  }
  const unsigned long owner = std::strtoul(m.super_options.c_str() + at + key.size(), nullptr, 10);
  if (owner == ::getuid()) {
    return {};
  }
  return Unexpected{with_hint(
      Error{Errc::permission,
            EPERM,
            fmt::format("{}: permission denied: mounted by {}; only root or that user may "
                        "unmount it",
                        mountpoint,
                        owner == 0 ? std::string("root") : fmt::format("uid {}", owner)),
            {}},
      fmt::format("run it as root: sudo famfs umount {}", mountpoint))};
}

} // namespace

Result<Unmounted>
unmount_famfs(const std::string& mountpoint, Lazy lazy, std::chrono::milliseconds wait) {
  const std::string resolved = core::real_path(mountpoint);
  FAMFS_TRY_ASSIGN(auto mounts, core::read_mounts());
  const core::MountEntry* m = find_mount(mounts, resolved);
  if (m == nullptr || m->fstype != core::k_fstype) {
    return fail(Errc::not_found, "{}: not a famfs mount point", mountpoint);
  }
  FAMFS_TRY(check_may_unmount(*m, mountpoint));
  Unmounted out;
  const std::string pid_path = daemon_pid_path(resolved);
  pid_t pid = read_pid_file(pid_path);
  if (pid != 0 && (!process_alive(pid) || !is_famfs_process(pid))) {
    pid = 0;
  }
  auto r = unmount(resolved, lazy);
  out.lazy = lazy == Lazy::yes;
  if (!r && pid == 0) {
    // The daemon is gone (killed, crashed): the dead connection is detached instead.
    FAMFS_TRACE(1, "{}; no daemon serves it: detaching", r.error().message);
    r = unmount(resolved, Lazy::yes);
    out.lazy = true;
  }
  if (!r) {
    if (r.error().code == Errc::busy) {
      return Unexpected{with_hint(make_error(Errc::busy, "{}: file system is busy", mountpoint),
                                  "close the files open on it, or use --lazy")};
    }
    return Unexpected{std::move(r).error()};
  }
  out.pid = pid;
  if (pid == 0) {
    ::unlink(pid_path.c_str());
    return out;
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (process_alive(pid)) {
    // Reap it if it is our child (a test harness may run mount and umount in one process).
    ::waitpid(pid, nullptr, WNOHANG);
    if (std::chrono::steady_clock::now() >= deadline) {
      out.daemon_exited = false;
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return out;
}

} // namespace famfs::fuse
