#include "fuse/channel.hpp"

#include "core/mounts.hpp"
#include "core/trace.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <linux/fuse.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace famfs::fuse {

using core::UniqueFd;

namespace {

// fusermount3 splits its -o list on commas; a backslash escapes one.
std::string escape_option(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ',' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// Whether /etc/fuse.conf lets unprivileged users ask for allow_other.
bool user_allow_other() {
  std::ifstream in("/etc/fuse.conf");
  std::string line;
  while (std::getline(in, line)) {
    auto start = line.find_first_not_of(" \t");
    if (start != std::string::npos && line.compare(start, 16, "user_allow_other") == 0) {
      return true;
    }
  }
  return false;
}

// Runs `argv` with the child's stdin on /dev/null; returns its exit status (or an error).
Result<int> run_program(const std::vector<std::string>& argv, int keep_fd, std::string env) {
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    return sys_error(errno, "fork");
  }
  if (pid == 0) {
    if (keep_fd >= 0) {
      int flags = ::fcntl(keep_fd, F_GETFD);
      ::fcntl(keep_fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    if (!env.empty()) {
      ::putenv(env.data());
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return sys_error(errno, "waitpid");
    }
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return 128 + WTERMSIG(status);
}

// Receives one descriptor sent with SCM_RIGHTS.
Result<UniqueFd> receive_fd(int sock) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n = 0;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return sys_error(errno, "receiving the /dev/fuse descriptor from fusermount3");
  }
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (n == 0 || c == nullptr || c->cmsg_type != SCM_RIGHTS) {
    return fail(Errc::io, "fusermount3 did not pass a /dev/fuse descriptor");
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(fd));
  return UniqueFd(fd);
}

Result<Channel> mount_as_root(const MountOptions& opts) {
  UniqueFd fd(::open(k_fuse_device, O_RDWR | O_CLOEXEC));
  if (!fd) {
    return sys_error(errno, k_fuse_device);
  }
  std::string data = fmt::format("fd={},rootmode={:o},user_id={},group_id={},max_read={}", fd.get(),
                                 S_IFDIR, ::getuid(), ::getgid(), opts.max_read);
  if (opts.default_permissions) {
    data += ",default_permissions";
  }
  if (opts.allow_other) {
    data += ",allow_other";
  }
  unsigned long flags = MS_NOSUID | MS_NODEV;
  if (opts.read_only) {
    flags |= MS_RDONLY;
  }
  const std::string fstype = std::string("fuse.") + k_subtype;
  FAMFS_TRACE(1, "mount(\"{}\", \"{}\", \"{}\", {:#x}, \"{}\")", opts.source, opts.mountpoint,
              fstype, flags, data);
  if (::mount(opts.source.c_str(), opts.mountpoint.c_str(), fstype.c_str(), flags, data.c_str())
      != 0) {
    return sys_error(errno, opts.mountpoint + ": mount");
  }
  return Channel::adopt(std::move(fd), opts.mountpoint);
}

Result<Channel> mount_with_fusermount(const MountOptions& opts) {
  std::string o = fmt::format("fsname={},subtype={},max_read={}", escape_option(opts.source),
                              k_subtype, opts.max_read);
  if (opts.default_permissions) {
    o += ",default_permissions";
  }
  if (opts.allow_other) {
    if (user_allow_other()) {
      o += ",allow_other";
    } else {
      FAMFS_TRACE(1, "/etc/fuse.conf lacks user_allow_other: mounting without allow_other");
    }
  }
  o += opts.read_only ? ",ro" : ",rw";
  o += ",nosuid,nodev";
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return sys_error(errno, "socketpair");
  }
  UniqueFd ours(sv[0]);
  UniqueFd theirs(sv[1]);
  FAMFS_TRACE(1, "{} -o {} -- {}", k_fusermount, o, opts.mountpoint);
  FAMFS_TRY_ASSIGN(int rc, run_program({k_fusermount, "-o", o, "--", opts.mountpoint}, theirs.get(),
                                       fmt::format("_FUSE_COMMFD={}", theirs.get())));
  theirs.reset();
  if (rc != 0) {
    return with_hint(
        make_error(Errc::io, "{}: {} failed (exit status {})", opts.mountpoint, k_fusermount, rc),
        "mount as root, or check that fusermount3 (package fuse3) is installed");
  }
  FAMFS_TRY_ASSIGN(UniqueFd fd, receive_fd(ours.get()));
  return Channel::adopt(std::move(fd), opts.mountpoint);
}

} // namespace

Result<Channel> Channel::mount(const MountOptions& opts) {
  if (::geteuid() == 0) {
    return mount_as_root(opts);
  }
  return mount_with_fusermount(opts);
}

Channel Channel::adopt(UniqueFd fd, std::string mountpoint) {
  Channel c;
  c.m_fd = std::move(fd);
  c.m_mountpoint = std::move(mountpoint);
  return c;
}

Result<UniqueFd> Channel::clone() const {
  UniqueFd fd(::open(k_fuse_device, O_RDWR | O_CLOEXEC));
  if (!fd) {
    return sys_error(errno, k_fuse_device);
  }
  auto master = static_cast<std::uint32_t>(m_fd.get());
  if (::ioctl(fd.get(), FUSE_DEV_IOC_CLONE, &master) != 0) {
    return sys_error(errno, "FUSE_DEV_IOC_CLONE");
  }
  return fd;
}

Result<void> unmount(const std::string& mountpoint, Lazy lazy) {
  if (::geteuid() == 0) {
    int flags = lazy == Lazy::yes ? MNT_DETACH : 0;
    if (::umount2(mountpoint.c_str(), flags) != 0) {
      int err = errno;
      if (err == EBUSY) {
        return Error{Errc::busy, err, mountpoint + ": file system is busy", {}};
      }
      return sys_error(err, mountpoint + ": umount");
    }
    return {};
  }
  std::vector<std::string> argv = {k_fusermount, "-u"};
  if (lazy == Lazy::yes) {
    argv.emplace_back("-z");
  }
  argv.emplace_back("--");
  argv.push_back(mountpoint);
  FAMFS_TRY_ASSIGN(int rc, run_program(argv, -1, {}));
  if (rc != 0) {
    // Not necessarily busy: fusermount3 printed its reason above.
    return fail(Errc::io, "{}: {} -u failed (exit status {})", mountpoint, k_fusermount, rc);
  }
  return {};
}

Result<void> set_readahead(const std::string& mountpoint,
                           unsigned kib,
                           const std::string& mountinfo,
                           const std::string& bdi_dir) {
  FAMFS_TRY_ASSIGN(auto mounts, core::read_mounts(mountinfo));
  const auto last = std::find_if(mounts.rbegin(), mounts.rend(), [&](const core::MountEntry& m) {
    return m.mountpoint == mountpoint && m.fstype.rfind("fuse", 0) == 0;
  });
  if (last == mounts.rend()) {
    return fail(Errc::not_found, "{}: not a FUSE mount in {}", mountpoint, mountinfo);
  }
  const std::string path = fmt::format("{}/{}/read_ahead_kb", bdi_dir, last->device_number);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  const std::string text = fmt::format("{}\n", kib);
  if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return sys_error(errno, path);
  }
  return {};
}

Result<std::size_t> read_request(int fd, std::span<std::byte> buf) {
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    int err = errno;
    if (err == EINTR || err == EAGAIN || err == ENOENT) {
      continue;
    }
    if (err == ENODEV) {
      return std::size_t{0};
    }
    return sys_error(err, "reading a FUSE request");
  }
}

Result<void> write_reply(int fd, std::span<const iovec> iov) {
  for (;;) {
    ssize_t n = ::writev(fd, iov.data(), static_cast<int>(iov.size()));
    if (n >= 0) {
      return {};
    }
    int err = errno;
    if (err == EINTR) {
      continue;
    }
    if (err == ENOENT) {
      return {}; // the request was interrupted or aborted; nobody waits for this reply
    }
    return sys_error(err, "writing a FUSE reply");
  }
}

} // namespace famfs::fuse
