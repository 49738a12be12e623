// famfs status [--json] MOUNTPOINT
// What a mount is: its device, this host's role, the file system UUID, log slots used, capacity,
// the daemon's pid, whether the mount is healthy and how many media errors it met. The daemon's
// side comes from the status xattr on the mount root (fuse/server.hpp k_status_xattr); the
// superblock and log are read from the device as they are now. Exit 0 when healthy, 1 when not (or
// on error).
#include "cli/command.hpp"
#include "cli/daemon_deadline.hpp"
#include "core/image.hpp"
#include "core/json.hpp"
#include "core/log_health.hpp"
#include "core/mounts.hpp"
#include "core/size_text.hpp"
#include "fuse/daemon.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace famfs::cli {

namespace {

struct StatusArgs {
  std::string mountpoint;
  bool json = false;
  bool human = false;
};

struct DeviceSide {
  std::string fs_uuid;           // "" when the superblock does not parse
  std::string problem;           // why the superblock or log could not be read
  std::uint64_t slots_used = 0;  // next_index
  std::uint64_t slots_total = 0; // last_index + 1
  std::uint64_t capacity = 0;    // device size in bytes
  bool log_ok = false;
  std::vector<std::string> damage; // core::health_problems: replay stops early, device short
};

DeviceSide read_device_side(const std::string& device) {
  DeviceSide d;
  auto img = core::Image::open(device, core::OpenMode::read_only);
  if (!img) {
    d.problem = img.error().message;
    return d;
  }
  d.capacity = img->device().size();
  d.fs_uuid = img->superblock().fs_uuid.str();
  auto log = img->log();
  if (!log) {
    d.problem = log.error().message;
    return d;
  }
  d.log_ok = true;
  d.slots_used = log->header().next_index;
  d.slots_total = log->header().last_index + 1;
  d.damage = core::health_problems(*img);
  return d;
}

std::string get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : sep) + p;
  }
  return out;
}

std::uint64_t number(const std::map<std::string, std::string>& m, const std::string& key) {
  return static_cast<std::uint64_t>(std::stoull("0" + get(m, key)));
}

// What one status shows: the mount, the daemon's answer and the device as it is now.
struct Shown {
  const core::MountEntry& mount;
  const std::map<std::string, std::string>& st;
  const DeviceSide& dev;
  bool clobbered = false; // the daemon saw the file system change under it
  bool healthy = false;   // not clobbered, and no damage on the device
  std::string reason;
};

void print_json(Context& ctx, const Shown& s) {
  core::JsonWriter j;
  j.begin_object();
  j.member("mountpoint", s.mount.mountpoint);
  j.member("device", s.mount.source);
  j.member("role", get(s.st, "role"));
  j.member("host_uuid", get(s.st, "host_uuid"));
  j.member("fs_uuid", get(s.st, "fs_uuid"));
  j.member("device_fs_uuid", s.dev.fs_uuid);
  if (s.dev.log_ok) {
    j.member("log_slots_used", s.dev.slots_used);
    j.member("log_slots_total", s.dev.slots_total);
  } else {
    j.null_member("log_slots_used");
    j.null_member("log_slots_total");
  }
  j.member("entries_applied", number(s.st, "entries_applied"));
  j.member("capacity_bytes", s.dev.capacity);
  j.member("daemon_pid", number(s.st, "pid"));
  j.member("data_path", get(s.st, "data_path"));
  j.member("writable", get(s.st, "writable") == "yes");
  j.member("non_coherent", get(s.st, "non_coherent") == "yes");
  j.member("follow_interval_ms", number(s.st, "follow_interval_ms"));
  j.member("media_errors", number(s.st, "media_errors"));
  j.member("healthy", s.healthy);
  j.member("reason", s.reason);
  j.begin_array("problems");
  for (const auto& p : s.dev.damage) {
    j.value(p);
  }
  j.end_array();
  j.member("device_problem", s.dev.problem);
  j.end_object();
  fmt::print(ctx.out, "{}", j.str());
}

void print_text(Context& ctx, const Shown& s, bool human) {
  const auto& st = s.st;
  const auto& dev = s.dev;
  const std::string mounted_uuid = get(st, "fs_uuid");
  fmt::print(ctx.out, "mount point:     {}\n", s.mount.mountpoint);
  fmt::print(ctx.out, "device:          {}\n", s.mount.source);
  fmt::print(ctx.out, "role:            {} (host {})\n", get(st, "role"), get(st, "host_uuid"));
  fmt::print(ctx.out, "file system:     {}\n", mounted_uuid);
  if (!dev.fs_uuid.empty() && dev.fs_uuid != mounted_uuid) {
    fmt::print(ctx.out, "  on device now: {}\n", dev.fs_uuid);
  }
  if (dev.log_ok) {
    fmt::print(ctx.out, "log slots used:  {} of {}\n", dev.slots_used, dev.slots_total);
  } else {
    fmt::print(ctx.out, "log slots used:  unknown ({})\n", dev.problem);
  }
  fmt::print(ctx.out, "entries applied: {}\n", get(st, "entries_applied"));
  const std::string every = get(st, "follow_interval_ms");
  fmt::print(ctx.out, "follow:          {}\n",
             every.empty()  ? std::string("unknown")
             : every == "0" ? std::string("on request only (famfs logplay)")
                            : fmt::format("every {} ms", every));
  if (human) {
    fmt::print(ctx.out, "capacity:        {}\n", core::human_size(dev.capacity));
  } else {
    fmt::print(ctx.out, "capacity:        {} bytes ({} MiB)\n", dev.capacity, dev.capacity >> 20);
  }
  fmt::print(ctx.out, "daemon pid:      {}\n", get(st, "pid"));
  fmt::print(ctx.out, "data path:       {}, {}{}\n", get(st, "data_path"),
             get(st, "writable") == "yes" ? "read-write" : "read-only",
             get(st, "non_coherent") == "yes" ? ", non-coherent" : "");
  fmt::print(ctx.out, "health:          {}\n",
             s.healthy     ? std::string("healthy")
             : s.clobbered ? "CLOBBERED: " + s.reason
                           : "DAMAGED: " + s.reason);
  if (const auto media_errors = number(st, "media_errors"); media_errors > 0) {
    fmt::print(ctx.out, "media errors:    {} (requests answered EIO; see the daemon log)\n",
               media_errors);
  }
}

int run_status(Context& ctx, const StatusArgs& a) {
  std::string rel;
  std::optional<DaemonDeadline> deadline(std::in_place, a.mountpoint);
  auto mount = core::famfs_mount_for(a.mountpoint, &rel);
  if (!mount) {
    return report(ctx,
                  with_hint(make_error(Errc::not_found, "{}: not a mounted famfs", a.mountpoint),
                            "give the mount point of a famfs (see famfs mount)"));
  }
  auto st = fuse::read_mount_status(mount->mountpoint);
  deadline.reset();
  if (!st) {
    return report(ctx, with_context(std::move(st).error(), "the daemon does not answer"));
  }
  const DeviceSide dev = read_device_side(mount->source);
  const bool clobbered = get(*st, "healthy") != "yes";
  const Shown s{*mount,
                *st,
                dev,
                clobbered,
                !clobbered && dev.damage.empty(),
                clobbered ? get(*st, "reason") : join(dev.damage, "; ")};
  if (a.json) {
    print_json(ctx, s);
  } else {
    print_text(ctx, s, a.human);
  }
  if (s.clobbered) {
    return report(
        ctx, with_hint(make_error(Errc::corrupt, "{}: the file system changed under this mount: {}",
                                  mount->mountpoint, s.reason),
                       fmt::format("famfs umount {}", mount->mountpoint)));
  }
  if (!s.healthy) {
    return report(ctx, with_hint(make_error(Errc::corrupt, "{}: {}", mount->source, s.reason),
                                 fmt::format("famfs fsck {} says more", mount->source)));
  }
  return k_exit_ok;
}

} // namespace

RunFn add_status(CLI::App& sub) {
  auto a = std::make_shared<StatusArgs>();
  sub.add_option("MOUNTPOINT", a->mountpoint, "a famfs mount point")->required();
  sub.add_flag("--json", a->json, "print the status as JSON");
  add_human_flag(sub, a->human);
  return [a](Context& ctx) { return run_status(ctx, *a); };
}

} // namespace famfs::cli
