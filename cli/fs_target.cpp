#include "cli/fs_target.hpp"

#include "core/mounts.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <random>

namespace famfs::cli {

Result<std::string> FsTarget::relpath(const std::string& path) {
  if (m_fixed) {
    if (!path.empty() && path.front() == '/') {
      return Unexpected{with_hint(
          make_error(Errc::invalid_argument,
                     "{}: with --device, paths are relative to the file system root", path),
          fmt::format("write it as {}", path.substr(path.find_first_not_of('/') == std::string::npos
                                                        ? path.size()
                                                        : path.find_first_not_of('/'))))};
    }
    return path;
  }
  std::string rel;
  auto m = core::famfs_mount_for(path, &rel);
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

std::string FsTarget::display(const std::string& relpath) const {
  if (m_mountpoint.empty()) {
    return relpath.empty() ? "/" : relpath;
  }
  if (relpath.empty()) {
    return m_mountpoint;
  }
  return m_mountpoint == "/" ? "/" + relpath : m_mountpoint + "/" + relpath;
}

std::uint32_t uid_or_caller(const std::optional<std::uint32_t>& uid) {
  return uid ? *uid : static_cast<std::uint32_t>(::geteuid());
}

std::uint32_t gid_or_caller(const std::optional<std::uint32_t>& gid) {
  return gid ? *gid : static_cast<std::uint32_t>(::getegid());
}

void InterleaveArgs::add_to(CLI::App& sub) {
  sub.add_option("-N,--nstrips", nstrips,
                 "interleave: strips per file (1 to 16; needs --nbuckets)");
  sub.add_option("-B,--nbuckets", nbuckets,
                 "interleave: buckets the device is divided into (nstrips to 64; each at least "
                 "1 GiB)");
  sub.add_option("-C,--chunksize", chunk,
                 "interleave: chunk size, a power of two multiple of 2 MiB (default 2m)")
      ->type_name("SIZE")
      ->check(size_validator());
}

Result<core::Interleave> InterleaveArgs::get() const {
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

std::uint64_t allocation_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
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
