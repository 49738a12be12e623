#include "cli/mount_options.hpp"

#include "fuse/kernel_abi.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace famfs::cli {

namespace {

// What mount(8) and fstab pass to every helper; nothing for famfs to do.
constexpr std::array<std::string_view, 30> k_generic = {
    "rw",       "defaults",   "auto",       "noauto",      "nofail",   "_netdev",
    "user",     "nouser",     "users",      "owner",       "group",    "suid",
    "nosuid",   "dev",        "nodev",      "exec",        "noexec",   "atime",
    "noatime",  "relatime",   "norelatime", "strictatime", "diratime", "nodiratime",
    "lazytime", "nolazytime", "sync",       "async",       "loud",     "silent"};

struct Named {
  std::string_view name;
  MountOption::Kind kind;
  std::uint64_t max; // 0: a flag; else a number option's largest value
};

constexpr std::array<Named, 8> k_ours = {{
    {"ro", MountOption::Kind::read_only, 0},
    {"writable", MountOption::Kind::writable, 0},
    {"set_daxmode", MountOption::Kind::set_daxmode, 0},
    {"non_coherent", MountOption::Kind::non_coherent, 0},
    {"cache", MountOption::Kind::cache, 0},
    {"follow_interval", MountOption::Kind::follow_interval, 3600000},
    {"threads", MountOption::Kind::threads, 64},
    {"famfs_abi", MountOption::Kind::famfs_abi, 0},
}};

MountOption unknown(std::string why) {
  return {MountOption::Kind::unknown, 0, std::move(why)};
}

MountOption with_value(const Named& n, std::string_view value) {
  if (n.kind == MountOption::Kind::famfs_abi) {
    if (fuse::famfs_abi(value) == nullptr) {
      return unknown("no such famfs ABI");
    }
    return {n.kind, 0, std::string(value)};
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
    return unknown("not a number");
  }
  if (v > n.max || (n.kind == MountOption::Kind::threads && v == 0)) {
    return unknown(fmt::format("out of range ({} to {})",
                               n.kind == MountOption::Kind::threads ? 1 : 0, n.max));
  }
  return {n.kind, v, {}};
}

} // namespace

MountOption parse_mount_option(const std::string& option) {
  std::string name = option.substr(0, option.find('='));
  const bool has_value = name.size() != option.size();
  const std::string_view value =
      has_value ? std::string_view(option).substr(name.size() + 1) : std::string_view();
  if (std::find(k_generic.begin(), k_generic.end(), name) != k_generic.end()
      || name.rfind("x-", 0) == 0 || name == "comment" || name == "helper") {
    return {MountOption::Kind::ignored, 0, {}};
  }
  std::replace(name.begin(), name.end(), '-', '_');
  for (const auto& n : k_ours) {
    if (n.name != name) {
      continue;
    }
    const bool wants_value = n.max != 0 || n.kind == MountOption::Kind::famfs_abi;
    if (wants_value != has_value) {
      return unknown(wants_value ? "needs a value (NAME=VALUE)" : "takes no value");
    }
    return wants_value ? with_value(n, value) : MountOption{n.kind, 0, {}};
  }
  return unknown("unknown mount option");
}

} // namespace famfs::cli
