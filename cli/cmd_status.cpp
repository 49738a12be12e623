// famfs status [--json] MOUNTPOINT
// What a mount is: its device, this host's role, the file system UUID, log slots used, capacity,
// the daemon's pid, whether the mount is healthy and how many media errors it met. The daemon's
// side comes from the status xattr on the mount root (fuse/server.hpp k_status_xattr); the
// superblock and log are read from the device as they are now. Exit 0 when healthy, 1 when not (or
// on error).
#include "cli/command.hpp"
#include "cli/daemon_deadline.hpp"
#include "cli/json_out.hpp"
#include "core/image.hpp"
#include "core/json.hpp"
#include "core/log_health.hpp"
#include "core/mounts.hpp"
#include "core/size_text.hpp"
#include "fuse/daemon.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace famfs::cli {

namespace {

struct StatusOptions {
  std::string mountpoint;
  bool json = false;
  core::SizeStyle sizes = core::SizeStyle::bytes; // -H
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

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : sep) + p;
  }
  return out;
}

// What one status shows: the mount, the daemon's answer and the device as it is now.
struct Shown {
  const core::MountEntry& mount;
  const fuse::MountStatus& st;
  const DeviceSide& dev;
  bool clobbered = false; // the daemon saw the file system change under it
  bool healthy = false;   // not clobbered, and no damage on the device
  std::string reason;
};

void print_json(Context& ctx, const Shown& s) {
  const auto& st = s.st;
  core::JsonWriter j;
  j.begin_object();
  j.member("mountpoint", s.mount.mountpoint);
  j.member("device", s.mount.source);
  j.member("exit_code", s.healthy ? k_exit_ok : k_exit_failure);
  j.member("role", core::to_string(st.role));
  j.member("system_uuid", st.host_uuid);
  j.member("fs_uuid", st.fs_uuid);
  j.member("device_fs_uuid", s.dev.fs_uuid);
  if (s.dev.log_ok) {
    j.member("log_slots_used", s.dev.slots_used);
    j.member("log_slots_total", s.dev.slots_total);
  } else {
    j.null_member("log_slots_used");
    j.null_member("log_slots_total");
  }
  j.member("entries_applied", st.entries_applied);
  j.member("capacity_bytes", s.dev.capacity);
  j.member("daemon_pid", st.pid);
  j.member("data_path", st.data_path);
  j.member("transport", st.transport);
  j.member("writable", st.writable);
  j.member("non_coherent", st.non_coherent);
  j.member("page_cache", st.page_cache);
  j.member("follow_interval_ms", st.follow_interval_ms.value_or(0));
  j.member("media_errors", st.media_errors);
  j.member("healthy", s.healthy);
  j.member("reason", s.reason);
  write_message_problems(j, s.dev.damage);
  j.member("device_problem", s.dev.problem);
  j.end_object();
  fmt::print(ctx.out, "{}", j.str());
}

void print_text(Context& ctx, const Shown& s, core::SizeStyle sizes) {
  const auto& st = s.st;
  const auto& dev = s.dev;
  fmt::print(ctx.out, "mount point:     {}\n", s.mount.mountpoint);
  fmt::print(ctx.out, "device:          {}\n", s.mount.source);
  fmt::print(ctx.out, "role:            {} (host {})\n", core::to_string(st.role), st.host_uuid);
  fmt::print(ctx.out, "file system:     {}\n", st.fs_uuid);
  if (!dev.fs_uuid.empty() && dev.fs_uuid != st.fs_uuid) {
    fmt::print(ctx.out, "  on device now: {}\n", dev.fs_uuid);
  }
  if (dev.log_ok) {
    fmt::print(ctx.out, "log slots used:  {} of {}\n", dev.slots_used, dev.slots_total);
  } else {
    fmt::print(ctx.out, "log slots used:  unknown ({})\n", dev.problem);
  }
  fmt::print(ctx.out, "entries applied: {}\n", st.entries_applied);
  const auto every = st.follow_interval_ms;
  fmt::print(ctx.out, "follow:          {}\n",
             !every        ? std::string("unknown")
             : *every == 0 ? std::string("on request only (famfs logplay)")
                           : fmt::format("every {} ms", *every));
  if (sizes == core::SizeStyle::human) {
    fmt::print(ctx.out, "capacity:        {}\n", core::human_size(dev.capacity));
  } else {
    fmt::print(ctx.out, "capacity:        {} bytes ({} MiB)\n", dev.capacity, dev.capacity >> 20);
  }
  fmt::print(ctx.out, "daemon pid:      {}\n", st.pid);
  fmt::print(ctx.out, "data path:       {}, {}{}\n", st.data_path,
             st.writable ? "read-write" : "read-only", st.non_coherent ? ", non-coherent" : "");
  fmt::print(ctx.out, "cache:           {}\n",
             st.page_cache ? "page cache (-o cache; famfs flush FILE drops stale pages)"
                           : "none (direct I/O)");
  fmt::print(ctx.out, "transport:       {}\n",
             st.transport.empty() ? std::string("unknown (an older daemon)") : st.transport);
  fmt::print(ctx.out, "health:          {}\n",
             s.healthy     ? std::string("healthy")
             : s.clobbered ? "CLOBBERED: " + s.reason
                           : "DAMAGED: " + s.reason);
  if (st.media_errors > 0) {
    fmt::print(ctx.out, "media errors:    {} (requests answered EIO; see the daemon log)\n",
               st.media_errors);
  }
}

Result<int> run_status(Context& ctx, const StatusOptions& a) {
  std::string rel;
  std::optional<DaemonDeadline> deadline(std::in_place, a.mountpoint);
  auto mount = core::famfs_mount_for(a.mountpoint, &rel);
  if (!mount) {
    return fail(with_hint(make_error(Errc::not_found, "{}: not a mounted famfs", a.mountpoint),
                          "give the mount point of a famfs (see famfs mount)"));
  }
  auto st = fuse::read_mount_status(mount->mountpoint);
  deadline.reset();
  if (!st) {
    return fail(with_context(std::move(st).error(), "the daemon does not answer"));
  }
  const DeviceSide dev = read_device_side(mount->source);
  const bool clobbered = !st->healthy;
  const Shown s{*mount,
                *st,
                dev,
                clobbered,
                !clobbered && dev.damage.empty(),
                clobbered ? st->reason : join(dev.damage, "; ")};
  if (a.json) {
    print_json(ctx, s);
  } else {
    print_text(ctx, s, a.sizes);
  }
  if (s.clobbered) {
    return fail(
        with_hint(make_error(Errc::corrupt, "{}: the file system changed under this mount: {}",
                             mount->mountpoint, s.reason),
                  fmt::format("famfs umount {}", mount->mountpoint)));
  }
  if (!s.healthy) {
    return fail(with_hint(make_error(Errc::corrupt, "{}: {}", mount->source, s.reason),
                          fmt::format("famfs fsck {} says more", mount->source)));
  }
  return k_exit_ok;
}

} // namespace

RunFn add_status(Subcommand& sub) {
  auto a = std::make_shared<StatusOptions>();
  sub.add_option("MOUNTPOINT", a->mountpoint, "a famfs mount point")->required();
  sub.add_flag("--json", a->json, "print the status as JSON");
  add_human_flag(sub, a->sizes);
  return [a](Context& ctx) { return run_status(ctx, *a); };
}

} // namespace famfs::cli
