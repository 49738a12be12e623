#include "cli/fs_target.hpp"

#include "cli/daemon_deadline.hpp"
#include "core/mounts.hpp"
#include "log/path.hpp"
#include "log/quote.hpp"

#include <fmt/format.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <random>

namespace famfs::cli {

namespace {

// The hint for an absolute path given with --device: the same path from the root ("." for "/").
std::string relative_hint(const std::string& path) {
  const std::size_t first = path.find_first_not_of('/');
  if (first == std::string::npos) {
    return "write the root as .";
  }
  return fmt::format("write it as {}", path.substr(first));
}

} // namespace

Result<std::string> FsTarget::relpath(const std::string& path) {
  if (m_fixed) {
    if (!path.empty() && path.front() == '/') {
      return Unexpected{with_hint(
          make_error(Errc::invalid_argument,
                     "{}: with --device, paths are relative to the file system root", path),
          relative_hint(path))};
    }
    return path;
  }
  std::string rel;
  auto m = [&] {
    const DaemonDeadline deadline(path); // resolving the path asks the daemon
    return core::famfs_mount_for(path, &rel);
  }();
  if (!m) {
    return Unexpected{with_hint(std::move(m).error(),
                                "give a path inside a mounted famfs, or use --device DEV with a "
                                "path relative to the file system root")};
  }
  if (m->source.empty() || m->source.front() != '/') {
    return fail(Errc::not_found, "{}: the famfs mount on {} does not name its device ({})", path,
                m->mountpoint, m->source);
  }
  if (m_device.empty()) {
    m_device = m->source;
    m_mountpoint = m->mountpoint;
  } else if (m->mountpoint != m_mountpoint) {
    return fail(Errc::invalid_argument, "{}: is in the famfs on {}, not in the one on {}", path,
                m->mountpoint, m_mountpoint);
  }
  return rel;
}

Result<std::string> FsTarget::relpath_inside(const std::string& path) {
  auto rel = relpath(path);
  if (!rel && rel.error().code == Errc::not_found) {
    Error e = std::move(rel).error();
    e.code = Errc::invalid_argument;
    return Unexpected{std::move(e)};
  }
  return rel;
}

std::vector<std::optional<std::string>> FsTarget::relpaths(const std::vector<std::string>& paths,
                                                           ErrorTally& failed) {
  std::vector<std::optional<std::string>> rels;
  for (const auto& p : paths) {
    auto rel = relpath_inside(p);
    if (!rel) {
      failed(rel.error());
      rels.emplace_back();
      continue;
    }
    rels.emplace_back(std::move(*rel));
  }
  return rels;
}

std::string FsTarget::display(const std::string& relpath) const {
  if (m_mountpoint.empty()) {
    return log::quote_name(relpath.empty() ? "/" : relpath);
  }
  if (relpath.empty()) {
    return log::quote_name(m_mountpoint);
  }
  return log::quote_name(m_mountpoint == "/" ? "/" + relpath : m_mountpoint + "/" + relpath);
}

void add_device_option(Subcommand& sub, std::string& device, const char* what) {
  sub.add_option("--device", device,
                 fmt::format("work on this device (mounted or not) instead of a mount; {} is then "
                             "relative to its root",
                             what))
      ->type_name("DEV");
}

void OwnerOptions::add_to(Subcommand& sub, const char* mode_help) {
  sub.add_option("-m,--mode", mode, mode_help);
  sub.add_option("-u,--uid", uid, "owner: a uid or a user name (default: yours)")
      ->type_name("USER");
  sub.add_option("-g,--gid", gid, "group: a gid or a group name (default: yours)")
      ->type_name("GROUP");
}

namespace {

// A uid or gid given as a number or a name (`group` says which database to look in).
Result<std::uint32_t> owner_id(const std::string& text, bool group, const char* option) {
  if (text.empty()) {
    return fail(Errc::invalid_argument, "{}: empty", option);
  }
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(text.c_str(), &end, 10);
  if (std::isdigit(static_cast<unsigned char>(text.front())) != 0) {
    if (errno != 0 || *end != 0 || v > 0xfffffffeUL) {
      return fail(Errc::invalid_argument, "{} {}: not a valid {}", option, text,
                  group ? "gid" : "uid");
    }
    return static_cast<std::uint32_t>(v);
  }
  std::vector<char> buf(16384);
  if (group) {
    struct group g {};
    struct group* found = nullptr;
    if (::getgrnam_r(text.c_str(), &g, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
      return static_cast<std::uint32_t>(found->gr_gid);
    }
  } else {
    struct passwd p {};
    struct passwd* found = nullptr;
    if (::getpwnam_r(text.c_str(), &p, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
      return static_cast<std::uint32_t>(found->pw_uid);
    }
  }
  return fail(Errc::invalid_argument, "{} {}: no such {}", option, text, group ? "group" : "user");
}

} // namespace

Result<core::Owner> OwnerOptions::get(std::uint32_t default_mode) const {
  core::Owner o{default_mode, static_cast<std::uint32_t>(::geteuid()),
                static_cast<std::uint32_t>(::getegid())};
  if (uid) {
    FAMFS_TRY_ASSIGN(o.uid, owner_id(*uid, false, "--uid"));
  }
  if (gid) {
    FAMFS_TRY_ASSIGN(o.gid, owner_id(*gid, true, "--gid"));
  }
  if (mode) {
    FAMFS_TRY_ASSIGN(o.mode, parse_mode(*mode));
  }
  return o;
}

void InterleaveOptions::add_to(Subcommand& sub) {
  sub.add_option("-N,--nstrips", nstrips,
                 "interleave: strips per file (1 to 16; needs --nbuckets)");
  sub.add_option("-B,--nbuckets", nbuckets,
                 "interleave: buckets the device is divided into (nstrips to 64; each at least "
                 "1 GiB)");
  add_size_option(sub, "-C,--chunksize", chunk,
                  "interleave: chunk size, a power of two multiple of 2 MiB (default 2m)");
}

Result<core::Interleave> InterleaveOptions::get() const {
  core::Interleave il;
  il.nstrips = nstrips;
  il.nbuckets = nbuckets;
  if (!chunk.empty()) {
    FAMFS_TRY_ASSIGN(il.chunk_size, parse_size(chunk));
    if (il.chunk_size == 0) {
      return fail(Errc::invalid_argument, "--chunksize 0: the chunk size must be positive");
    }
  }
  return il;
}

Result<core::Session> open_write_session(const FsTarget& target, const core::Interleave* il) {
  FAMFS_TRY_ASSIGN(auto img, core::Image::open(target.device(), core::OpenMode::read_write));
  FAMFS_TRY_ASSIGN(auto session, core::Session::open(std::move(img), allocation_seed()));
  if (il != nullptr) {
    FAMFS_TRY(core::validate_interleave(*il, session.geometry()));
  }
  return session;
}

std::uint64_t allocation_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

Result<DeviceTarget> device_target(const std::string& target, std::string_view hint) {
  DeviceTarget t{target, {}};
  struct stat st {};
  std::optional<DaemonDeadline> deadline(std::in_place, target); // the target may be a mount
  if (::stat(target.c_str(), &st) != 0) {
    return sys_error(errno, target);
  }
  if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
    auto m = core::famfs_mount_for(target);
    deadline.reset();
    if (m) {
      t.device = m->source;
      t.mountpoint = m->mountpoint;
    } else if (S_ISDIR(st.st_mode)) {
      return with_hint(
          make_error(Errc::not_found, "{}: directory is not in a mounted famfs", target),
          std::string(hint));
    }
  }
  if (t.mountpoint.empty()) {
    if (auto m = core::device_is_mounted(t.device, &t.mountpoint); !m || !*m) {
      t.mountpoint.clear();
    }
  }
  return t;
}

Result<const core::Node*> find_file(const core::Tree& tree,
                                    const std::string& relpath,
                                    const std::string& path,
                                    std::string_view dir_note) {
  FAMFS_TRY_ASSIGN(auto parts, log::split_user_path(relpath));
  const core::Node* n = tree.resolve(log::join_path(parts));
  if (n == nullptr) {
    return fail(Errc::not_found, "{}: no such file in famfs", path);
  }
  if (n->kind != core::NodeKind::file) {
    return fail(Errc::unsupported, "{}: is a directory{}", path, dir_note);
  }
  return n;
}

std::vector<std::string> split_fields(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find(',', i);
    if (j == std::string::npos) {
      j = s.size();
    }
    if (j > i) {
      out.push_back(s.substr(i, j - i));
    }
    i = j + 1;
  }
  return out;
}

} // namespace famfs::cli
