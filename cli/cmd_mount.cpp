// famfs mount [-f] [--writable | --read-only] [--threads N] DEVICE MOUNTPOINT
// Orchestration and printing only; the server lives in fuse/.
#include "cli/command.hpp"
#include "core/image.hpp"
#include "core/mounts.hpp"
#include "core/trace.hpp"
#include "fuse/daemon.hpp"

#include <fmt/format.h>

#include <memory>

namespace famfs::cli {

namespace {

struct MountArgs {
  std::string device;
  std::string mountpoint;
  bool foreground = false;
  bool writable = false;
  bool read_only = false;
  unsigned threads = 0;
};

int run_mount(Context& ctx, const MountArgs& a) {
  // The device first: a file system with a valid superblock and log.
  const std::string device = core::real_path(a.device); // the mount source
  auto probe = core::Image::open(a.device, core::OpenMode::read_only);
  if (!probe) {
    return report(ctx, probe.error());
  }
  if (auto log = probe->log(); !log) {
    return report(ctx, log.error());
  }
  std::string where;
  auto mounted = core::device_is_mounted(device, &where);
  if (!mounted) {
    return report(ctx, mounted.error());
  }
  if (*mounted) {
    return report(ctx,
                  with_hint(make_error(Errc::busy, "{}: already mounted on {}", a.device, where),
                            fmt::format("famfs umount {}", where)));
  }
  auto mnt = fuse::check_mountpoint(a.mountpoint);
  if (!mnt) {
    return report(ctx, mnt.error());
  }

  // Data is writable on the master; a client reads unless --writable.
  bool writable = false;
  auto role = probe->role();
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
  auto img = writable ? core::Image::open(a.device, core::OpenMode::read_write) : std::move(probe);
  if (!img) {
    return report(ctx, img.error());
  }

  fuse::DaemonConfig cfg;
  cfg.device = device;
  cfg.mountpoint = *mnt;
  cfg.foreground = a.foreground;
  cfg.writable = writable;
  cfg.trace_level = 1 + ctx.verbose;
  cfg.threads = a.threads;
  auto started = fuse::mount_and_serve(*img, cfg);
  if (!started) {
    return report(ctx, started.error());
  }
  if (!a.foreground && ctx.verbose > 0) {
    fmt::print(ctx.out, "famfs mount: {} on {} ({}), daemon pid {}, trace in {}\n", a.device,
               cfg.mountpoint, writable ? "read-write" : "read-only data", started->pid,
               started->log_path);
  }
  return k_exit_ok;
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
  return [a](Context& ctx) { return run_mount(ctx, *a); };
}

} // namespace famfs::cli
