// famfs status [--json] MOUNTPOINT
// What a mount is: its device, this host's role, the file system UUID, log slots used, capacity,
// the daemon's pid, whether the mount is healthy and how many media errors it met. The daemon's
// side comes from the status xattr on the mount root (fuse/server.hpp k_status_xattr); the
// superblock and log are read from the device as they are now. Exit 0 when healthy, 1 when not (or
// on error).
#include "cli/command.hpp"
#include "core/image.hpp"
#include "core/json.hpp"
#include "core/mounts.hpp"
#include "core/size_text.hpp"
#include "fuse/daemon.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>

namespace famfs::cli {

namespace {

struct StatusOptions {
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
  return d;
}

std::string get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

Result<int> run_status(Context& ctx, const StatusOptions& a) {
  std::string rel;
  auto mount = core::famfs_mount_for(a.mountpoint, &rel);
  if (!mount) {
    return fail(with_hint(make_error(Errc::not_found, "{}: not a mounted famfs", a.mountpoint),
                          "give the mount point of a famfs (see famfs mount)"));
  }
  auto st = fuse::read_mount_status(mount->mountpoint);
  if (!st) {
    return fail(with_context(std::move(st).error(), "the daemon does not answer"));
  }
  const DeviceSide dev = read_device_side(mount->source);
  const std::string mounted_uuid = get(*st, "fs_uuid");
  const bool healthy = get(*st, "healthy") == "yes";
  const std::string reason = get(*st, "reason");
  const auto media_errors = static_cast<std::uint64_t>(std::stoull("0" + get(*st, "media_errors")));

  if (a.json) {
    core::JsonWriter j;
    j.begin_object();
    j.member("mountpoint", mount->mountpoint);
    j.member("device", mount->source);
    j.member("role", get(*st, "role"));
    j.member("host_uuid", get(*st, "host_uuid"));
    j.member("fs_uuid", mounted_uuid);
    j.member("device_fs_uuid", dev.fs_uuid);
    if (dev.log_ok) {
      j.member("log_slots_used", dev.slots_used);
      j.member("log_slots_total", dev.slots_total);
    } else {
      j.null_member("log_slots_used");
      j.null_member("log_slots_total");
    }
    j.member("entries_applied",
             static_cast<std::uint64_t>(std::stoull("0" + get(*st, "entries_applied"))));
    j.member("capacity_bytes", dev.capacity);
    j.member("daemon_pid", static_cast<std::uint64_t>(std::stoull("0" + get(*st, "pid"))));
    j.member("data_path", get(*st, "data_path"));
    j.member("writable", get(*st, "writable") == "yes");
    j.member("non_coherent", get(*st, "non_coherent") == "yes");
    j.member("follow_interval_ms",
             static_cast<std::uint64_t>(std::stoull("0" + get(*st, "follow_interval_ms"))));
    j.member("media_errors", media_errors);
    j.member("healthy", healthy);
    j.member("reason", reason);
    j.member("device_problem", dev.problem);
    j.end_object();
    fmt::print(ctx.out, "{}", j.str());
  } else {
    fmt::print(ctx.out, "mount point:     {}\n", mount->mountpoint);
    fmt::print(ctx.out, "device:          {}\n", mount->source);
    fmt::print(ctx.out, "role:            {} (host {})\n", get(*st, "role"), get(*st, "host_uuid"));
    fmt::print(ctx.out, "file system:     {}\n", mounted_uuid);
    if (!dev.fs_uuid.empty() && dev.fs_uuid != mounted_uuid) {
      fmt::print(ctx.out, "  on device now: {}\n", dev.fs_uuid);
    }
    if (dev.log_ok) {
      fmt::print(ctx.out, "log slots used:  {} of {}\n", dev.slots_used, dev.slots_total);
    } else {
      fmt::print(ctx.out, "log slots used:  unknown ({})\n", dev.problem);
    }
    fmt::print(ctx.out, "entries applied: {}\n", get(*st, "entries_applied"));
    const std::string every = get(*st, "follow_interval_ms");
    fmt::print(ctx.out, "follow:          {}\n",
               every.empty()  ? std::string("unknown")
               : every == "0" ? std::string("on request only (famfs logplay)")
                              : fmt::format("every {} ms", every));
    if (a.human) {
      fmt::print(ctx.out, "capacity:        {}\n", core::human_size(dev.capacity));
    } else {
      fmt::print(ctx.out, "capacity:        {} bytes ({} MiB)\n", dev.capacity, dev.capacity >> 20);
    }
    fmt::print(ctx.out, "daemon pid:      {}\n", get(*st, "pid"));
    fmt::print(ctx.out, "data path:       {}, {}{}\n", get(*st, "data_path"),
               get(*st, "writable") == "yes" ? "read-write" : "read-only",
               get(*st, "non_coherent") == "yes" ? ", non-coherent" : "");
    fmt::print(ctx.out, "health:          {}\n", healthy ? "healthy" : "CLOBBERED: " + reason);
    if (media_errors > 0) {
      fmt::print(ctx.out, "media errors:    {} (requests answered EIO; see the daemon log)\n",
                 media_errors);
    }
  }
  if (!healthy) {
    return fail(
        with_hint(make_error(Errc::corrupt, "{}: the file system changed under this mount: {}",
                             mount->mountpoint, reason),
                  fmt::format("famfs umount {}", mount->mountpoint)));
  }
  return k_exit_ok;
}

} // namespace

RunFn add_status(CLI::App& sub) {
  auto a = std::make_shared<StatusOptions>();
  sub.add_option("MOUNTPOINT", a->mountpoint, "a famfs mount point")->required();
  sub.add_flag("--json", a->json, "print the status as JSON");
  add_human_flag(sub, a->human);
  return [a](Context& ctx) { return run_status(ctx, *a); };
}

} // namespace famfs::cli
