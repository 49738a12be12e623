// famfs mount [-f] [--writable | --read-only] [--threads N] [--famfs-abi V] [--set-daxmode]
//             [--non-coherent] [--follow-interval MS] DEVICE MOUNTPOINT
// Orchestration and printing only; the server lives in fuse/.
#include "cli/command.hpp"
#include "cli/daxmode.hpp"
#include "core/image.hpp"
#include "core/mounts.hpp"
#include "core/system_uuid.hpp"
#include "core/trace.hpp"
#include "fuse/daemon.hpp"
#include "fuse/kernel_abi.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace famfs::cli {

namespace {

struct MountArgs {
  std::string device;
  std::string mountpoint;
  bool foreground = false;
  bool writable = false;
  bool read_only = false;
  unsigned threads = 0;
  std::string famfs_abi = "v7";
  bool set_daxmode = false;
  bool non_coherent = false;
  unsigned follow_interval_ms = 200;
  std::uint64_t follow_batch = 0;
};

Result<int> run_mount(Context& ctx, const MountArgs& a) {
  // The device first: a file system with a valid superblock and log.
  const std::string device = core::real_path(a.device); // the mount source
  DaxModeSwitch daxmode; // restores the device's mode unless the mount succeeds
  if (a.set_daxmode) {
    FAMFS_TRY(daxmode.apply(a.device));
  }
  FAMFS_TRY_ASSIGN(auto probe, core::Image::open(a.device, core::OpenMode::read_only));
  FAMFS_TRY(probe.log());
  // One mount per device per host. Another mount of this device is fine when its daemon runs
  // as another host (another system UUID: how tests put several hosts on one machine).
  auto host = core::get_system_uuid();
  const std::string host_uuid = host ? host->str() : std::string();
  FAMFS_TRY_ASSIGN(auto mounts, core::read_mounts());
  for (const auto& m : mounts) {
    if (m.fstype != core::k_fstype || core::real_path(m.source) != device) {
      continue;
    }
    auto other = fuse::read_mount_status(m.mountpoint);
    if (other && !host_uuid.empty() && other->count("host_uuid") != 0
        && (*other)["host_uuid"] != host_uuid) {
      FAMFS_TRACE(1, "{} is also mounted on {} by host {}", a.device, m.mountpoint,
                  (*other)["host_uuid"]);
      continue;
    }
    return fail(
        with_hint(make_error(Errc::busy, "{}: already mounted on {}", a.device, m.mountpoint),
                  fmt::format("famfs umount {}", m.mountpoint)));
  }
  FAMFS_TRY_ASSIGN(auto mnt, fuse::check_mountpoint(a.mountpoint));

  // Data is writable on the master; a client reads unless --writable.
  bool writable = false;
  auto role = probe.role();
  if (!role) {
    FAMFS_TRACE(1, "role unknown ({}); mounting as a client", role.error().message);
  }
  if (role && *role == core::Role::master) {
    writable = !a.read_only;
  } else {
    writable = a.writable && !a.read_only;
  }
  if (!role || *role != core::Role::master) {
    FAMFS_TRACE(1, "{}: this host is a client; file data is {}", a.device,
                writable ? "writable (--writable)" : "read-only");
  }
  FAMFS_TRY_ASSIGN(auto img, writable ? core::Image::open(a.device, core::OpenMode::read_write)
                                      : std::move(probe));

  fuse::DaemonConfig cfg;
  cfg.device = device;
  cfg.mountpoint = mnt;
  cfg.foreground = a.foreground;
  cfg.writable = writable;
  cfg.trace_level = 1 + ctx.verbose;
  cfg.threads = a.threads;
  cfg.role = role && *role == core::Role::master ? "master" : "client";
  cfg.host_uuid = host_uuid;
  cfg.non_coherent = a.non_coherent;
  cfg.follow_interval = std::chrono::milliseconds(a.follow_interval_ms);
  cfg.follow_batch = a.follow_batch;
  const std::string says =
      fmt::format("famfs mount: {} on {}: this host is the {}; file data is {}{}\n", a.device,
                  cfg.mountpoint, cfg.role, writable ? "read-write" : "read-only",
                  a.non_coherent ? " (non-coherent memory)" : "");
  if (a.foreground) {
    fmt::print(ctx.out, "{}", says);
    std::fflush(ctx.out);
  }
  cfg.famfs_abi = a.famfs_abi;
  FAMFS_TRY_ASSIGN(auto started, fuse::mount_and_serve(img, cfg));
  daxmode.commit();
  if (!a.foreground) {
    fmt::print(ctx.out, "{}", says);
  }
  if (!a.foreground && ctx.verbose > 0) {
    fmt::print(ctx.out, "famfs mount: {} on {} ({}), daemon pid {}, trace in {}\n", a.device,
               cfg.mountpoint, writable ? "read-write" : "read-only data", started.pid,
               started.log_path);
  }
  return k_exit_ok;
}

// The --famfs-abi choices: the revisions in fuse/kernel_abi.hpp's table.
std::vector<std::string> famfs_abi_names() {
  std::vector<std::string> names;
  for (const auto& abi : fuse::k_famfs_abis) {
    names.emplace_back(abi.name);
  }
  return names;
}

} // namespace

RunFn add_mount(CLI::App& sub) {
  auto a = std::make_shared<MountArgs>();
  sub.add_option("DEVICE", a->device, "the famfs device or backing file")->required();
  sub.add_option("MOUNTPOINT", a->mountpoint, "an empty directory")->required();
  sub.add_flag("-f,--foreground", a->foreground,
               "serve in this process until unmounted (trace to stderr)");
  auto* w = sub.add_flag("--writable", a->writable,
                         "allow writes inside files on a client host (the master always may)");
  auto* ro =
      sub.add_flag("--read-only", a->read_only, "serve file data read-only, even on the master");
  w->excludes(ro);
  sub.add_option("--threads", a->threads, "worker threads (default: one per CPU)")
      ->check(CLI::Range(1U, 64U));
  sub.add_option("--famfs-abi", a->famfs_abi,
                 "numbering of the famfs kernel extension on devdax: v7 (default) or rfc2025")
      ->check(CLI::IsMember(famfs_abi_names()));
  sub.add_flag("--set-daxmode", a->set_daxmode,
               "switch a dax device to devdax mode first (restored if the mount fails)");
  sub.add_flag("--non-coherent", a->non_coherent,
               "memory is not cache-coherent between hosts: invalidate before reading the log, "
               "flush after writes");
  sub.add_option("--follow-interval", a->follow_interval_ms,
                 "how often (ms) the daemon looks for new log entries (default 200); 0: only "
                 "when asked by famfs logplay")
      ->check(CLI::Range(0U, 3600000U));
  // A test knob, left out of --help: at most N new entries per follow step (0: all).
  sub.add_option("--follow-batch", a->follow_batch)->group("");
  return [a](Context& ctx) { return run_mount(ctx, *a); };
}

} // namespace famfs::cli
