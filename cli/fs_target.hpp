// Finding the file system a command works on: a path inside a mounted famfs (the mount and its
// device come from /proc/self/mountinfo), or, with --device DEV, a path relative to the root of
// the file system on DEV (for scripted staging on an unmounted device).
#pragma once

#include "cli/command.hpp"
#include "core/allocator.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace famfs::cli {

class FsTarget {
public:
  // `device` is the --device option ("" when not given).
  explicit FsTarget(std::string device) : m_device(std::move(device)), m_fixed(!m_device.empty()) {}

  // The path of `path` relative to the file system root ("" for the root). Every path of one
  // command must be in the same file system (Errc::invalid_argument otherwise). Errc::not_found
  // when `path` is not inside a mounted famfs.
  Result<std::string> relpath(const std::string& path);

  // The device (or backing file), once a path has been resolved or --device given.
  const std::string& device() const { return m_device; }
  // The mount point, or "" with --device.
  const std::string& mountpoint() const { return m_mountpoint; }
  bool by_device() const { return m_fixed; }
  // How to name a relpath to the user: the path under the mount point, or the relpath.
  std::string display(const std::string& relpath) const;

private:
  std::string m_device;
  std::string m_mountpoint;
  bool m_fixed = false;
};

// -u/-g: the value given, else the caller's effective uid/gid.
std::uint32_t uid_or_caller(const std::optional<std::uint32_t>& uid);
std::uint32_t gid_or_caller(const std::optional<std::uint32_t>& gid);

// The interleave options shared by creat and cp (-N, -B, -C).
struct InterleaveArgs {
  std::uint64_t nstrips = 0;
  std::uint64_t nbuckets = 0;
  std::string chunk;
  void add_to(CLI::App& sub);
  Result<core::Interleave> get() const;
};

// A seed for the interleave bucket order (upstream seeds rand() from the clock).
std::uint64_t allocation_seed();

// Splits "a,b,,c" on ',' dropping empty fields (upstream's tokenizer).
std::vector<std::string> split_fields(const std::string& s);

} // namespace famfs::cli
