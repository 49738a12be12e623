// famfs mount [--foreground] [--writable | --read-only] [--threads N] [--famfs-abi V]
//             [--famfs-abi-any-minor] [--set-daxmode] [--non-coherent] [--follow-interval MS]
//             [-o OPTS] DEVICE MOUNTPOINT
// Orchestration and printing only; the server lives in fuse/. Upstream's spellings are accepted:
// -f/--fuse (we always serve through FUSE), -r/--read and -m/--mmap (how upstream reads the
// metadata; we always map it), -M (--set-daxmode); -F/--nofuse (the v1 kernel module) is refused.
#include "cli/command.hpp"
#include "cli/daemon_deadline.hpp"
#include "cli/daxmode.hpp"
#include "cli/fs_target.hpp"
#include "cli/mount_options.hpp"
#include "core/image.hpp"
#include "core/log_health.hpp"
#include "core/meta_source.hpp"
#include "core/mounts.hpp"
#include "core/system_uuid.hpp"
#include "core/trace.hpp"
#include "fuse/daemon.hpp"
#include "fuse/kernel_abi.hpp"
#include "fuse/uring_channel.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace famfs::cli {

namespace {

struct MountArgs {
  std::string device;
  std::string mountpoint;
  bool writable = false;
  bool read_only = false;
  std::string famfs_abi = "v7";
  std::string transport = "auto";
  bool set_daxmode = false;
  unsigned follow_interval_ms = 200;
  // Bound straight to the options that need no translation; run_mount fills in the rest.
  fuse::DaemonConfig cfg;
  std::vector<std::string> options; // -o, comma-separated (cli/mount_options.cpp)
  bool sloppy = false;              // mount(8) -s: ignore unknown -o options
  bool fake = false;                // mount(8) -f: check the arguments, do not mount
  bool nofuse = false;
};

// A kernel with FUSE over io_uring switched off: one line on how to switch it on (the mount
// serves through /dev/fuse meanwhile).
void print_uring_hint(const Context& ctx, fuse::Transport transport) {
  if (transport == fuse::Transport::automatic && fuse::uring_built()
      && fuse::uring_switch() == fuse::UringSwitch::off) {
    fmt::print(ctx.out,
               "famfs mount: hint: this kernel has FUSE over io_uring switched off; `echo Y > "
               "{}` (as root) lets new mounts use it\n",
               fuse::k_enable_uring_param);
  }
}

// Applies the -o options (mount(8) and fstab syntax) to `a`.
Result<void> apply_options(MountArgs& a) {
  for (const auto& opts : a.options) {
    for (const auto& o : split_fields(opts)) {
      MountOption m = parse_mount_option(o);
      switch (m.kind) {
      case MountOption::Kind::ignored:
        break;
      case MountOption::Kind::read_only:
        a.read_only = true;
        break;
      case MountOption::Kind::writable:
        a.writable = true;
        break;
      case MountOption::Kind::set_daxmode:
        a.set_daxmode = true;
        break;
      case MountOption::Kind::non_coherent:
        a.cfg.server.non_coherent = true;
        break;
      case MountOption::Kind::cache:
        a.cfg.server.page_cache = true;
        break;
      case MountOption::Kind::follow_interval:
        a.follow_interval_ms = static_cast<unsigned>(m.number);
        break;
      case MountOption::Kind::threads:
        a.cfg.server.threads = static_cast<unsigned>(m.number);
        break;
      case MountOption::Kind::famfs_abi:
        a.famfs_abi = m.text;
        break;
      case MountOption::Kind::unknown:
        if (!a.sloppy) {
          return fail(Errc::invalid_argument, "-o {}: {}", o, m.text);
        }
        break;
      }
    }
  }
  if (a.writable && a.read_only) {
    return fail(Errc::invalid_argument, "-o ro and writable exclude each other");
  }
  return {};
}

// One mount per device per host: the device's mount lock (fuse::lock_device_for_mount: keyed
// on the device's identity, atomic, held for the mount's life), then mountinfo for a mount of
// the same device whose daemon died (it no longer holds the lock). Another mount of the device
// is fine when its daemon runs as another host (another system UUID: how tests put several
// hosts on one machine).
Result<core::UniqueFd> claim_device(const std::string& device_arg,
                                    const std::string& device,
                                    const std::string& host_uuid,
                                    const std::string& mountpoint) {
  FAMFS_TRY_ASSIGN(core::UniqueFd lock,
                   fuse::lock_device_for_mount(device_arg, host_uuid, mountpoint));
  FAMFS_TRY_ASSIGN(auto mounts, core::read_mounts());
  for (const auto& m : mounts) {
    if (m.fstype != core::k_fstype || core::real_path(m.source) != device) {
      continue;
    }
    auto other = [&] {
      const DaemonDeadline deadline(m.mountpoint);
      return fuse::read_mount_status(m.mountpoint);
    }();
    if (other && !host_uuid.empty() && !other->host_uuid.empty() && other->host_uuid != host_uuid) {
      FAMFS_TRACE(1, "{} is also mounted on {} by host {}", device_arg, m.mountpoint,
                  other->host_uuid);
      continue;
    }
    return Unexpected{
        with_hint(make_error(Errc::busy, "{}: already mounted on {}", device_arg, m.mountpoint),
                  fmt::format("famfs umount {}", m.mountpoint))};
  }
  return lock;
}

// Data is writable on the master; a client reads unless --writable.
bool data_writable(const MountArgs& a, const Result<core::Role>& role) {
  bool writable = false;
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
  return writable;
}

// The log of the image to be served: read, replayed and its damage reported (mounted anyway,
// but not silently). The replay is the daemon's too: it goes on from it (it forks with it)
// instead of replaying the log again.
Result<std::shared_ptr<core::Replayed>>
replay_log(Context& ctx, const MountArgs& a, const core::Image& img) {
  FAMFS_TRY(img.log());
  auto replayed = std::make_shared<core::Replayed>();
  for (const auto& p : core::health_problems(img, replayed.get())) {
    print_warning(ctx, fmt::format("{}: {} (see famfs fsck {})", a.device, p, a.device));
  }
  return replayed;
}

// The daemon's settings for serving `img` (whose role decides what is writable).
fuse::DaemonConfig daemon_config(const Context& ctx,
                                 const MountArgs& a,
                                 const core::Image& img,
                                 const std::string& mountpoint,
                                 const std::string& host_uuid) {
  auto role = img.role();
  fuse::DaemonConfig cfg = a.cfg;
  cfg.device = core::real_path(a.device); // the mount source
  cfg.mountpoint = mountpoint;
  cfg.trace_level = 1 + ctx.verbose;
  cfg.server.writable = data_writable(a, role);
  cfg.server.role = role && *role == core::Role::master ? core::Role::master : core::Role::client;
  cfg.server.host_uuid = host_uuid;
  cfg.server.follow_interval = std::chrono::milliseconds(a.follow_interval_ms);
  cfg.server.famfs_abi = fuse::offered_famfs_abi(a.famfs_abi); // checked by the option
  cfg.server.transport =
      a.transport == "dev-fuse" ? fuse::Transport::dev_fuse : fuse::Transport::automatic;
  return cfg;
}

// Mounts and serves `img` as `cfg` says, printing what the mount is.
Result<void>
serve(Context& ctx, const MountArgs& a, core::Image& img, const fuse::DaemonConfig& cfg) {
  const bool famfs_mode = !img.device().data_mapped();
  const std::string says = fmt::format(
      "famfs mount: {} on {}: this host is the {}; file data is {}{}{}{}\n", a.device,
      cfg.mountpoint, core::to_string(cfg.server.role),
      cfg.server.writable ? "read-write" : "read-only",
      famfs_mode ? ", mapped by the kernel (famfs mode)" : "",
      cfg.server.non_coherent ? " (non-coherent memory)" : "",
      cfg.server.page_cache ? ", page-cached (famfs flush FILE drops stale pages)" : "");
  if (cfg.foreground) {
    fmt::print(ctx.out, "{}", says);
    std::fflush(ctx.out);
  }
  FAMFS_TRY_ASSIGN(auto started, fuse::mount_and_serve(img, cfg));
  if (!cfg.foreground) {
    fmt::print(ctx.out, "{}", says);
  }
  if (!cfg.foreground && ctx.verbose > 0) {
    fmt::print(ctx.out, "famfs mount: {} on {} ({}), daemon pid {}, trace in {}\n", a.device,
               cfg.mountpoint, cfg.server.writable ? "read-write" : "read-only data", started.pid,
               started.log_path);
  }
  print_uring_hint(ctx, cfg.server.transport);
  return {};
}

// This host's system UUID ("" when unknown).
std::string host_uuid_text() {
  auto host = core::get_system_uuid();
  return host ? host->str() : std::string();
}

// The device as it is: a backing file, pmem, or a dax device in devdax mode (after
// --set-daxmode, whose switch is undone unless the mount succeeds). The daemon maps it.
Result<void> mount_mapped(Context& ctx, MountArgs& a) {
  DaxModeSwitch daxmode;
  if (a.set_daxmode) {
    FAMFS_TRY(daxmode.to_devdax(a.device));
  }
  // The device first: a file system with a valid superblock and log.
  FAMFS_TRY_ASSIGN(auto probe, core::Image::open(a.device, core::OpenMode::read_only));
  FAMFS_TRY_ASSIGN(auto replayed, replay_log(ctx, a, probe));
  const std::string host_uuid = host_uuid_text();
  FAMFS_TRY_ASSIGN(auto mnt, fuse::check_mountpoint(a.mountpoint));
  // Held (by the daemon, which inherits it) for as long as the mount is served.
  FAMFS_TRY_ASSIGN(auto claim, claim_device(a.device, core::real_path(a.device), host_uuid, mnt));
  fuse::DaemonConfig cfg = daemon_config(ctx, a, probe, mnt, host_uuid);
  cfg.server.replayed = std::move(replayed);
  FAMFS_TRY_ASSIGN(auto img, cfg.server.writable
                                 ? core::Image::open(a.device, core::OpenMode::read_write)
                                 : std::move(probe));
  FAMFS_TRY(serve(ctx, a, img, cfg));
  daxmode.commit();
  return {};
}

// A dax device in famfs mode (core/dax_mode.hpp famfs_mode_mount): its superblock and log are
// copied in devdax mode, the device goes back to famfs mode and is mounted, and the daemon
// serves from the copy until the kernel has negotiated FUSE famfs (else the mount is undone
// and refused), then from the mount's .meta files. Any failure puts the starting mode back.
Result<void> mount_famfs_mode(Context& ctx, MountArgs& a) {
  const std::string host_uuid = host_uuid_text();
  // What needs no mode switch first, so that a mount that cannot be made leaves it alone.
  FAMFS_TRY_ASSIGN(auto mnt, fuse::check_mountpoint(a.mountpoint));
  FAMFS_TRY_ASSIGN(auto claim, claim_device(a.device, core::real_path(a.device), host_uuid, mnt));
  std::optional<core::Image> copy;
  std::shared_ptr<core::Replayed> replayed;
  auto read = [&]() -> Result<void> {
    FAMFS_TRY_ASSIGN(auto device, core::Image::open(a.device, core::OpenMode::read_only));
    FAMFS_TRY_ASSIGN(replayed, replay_log(ctx, a, device));
    FAMFS_TRY_ASSIGN(copy, device.metadata_copy());
    return {}; // the device's mapping goes here, before the switch to famfs mode
  };
  auto mount = [&]() -> Result<void> {
    fuse::DaemonConfig cfg = daemon_config(ctx, a, *copy, mnt, host_uuid);
    cfg.server.replayed = std::move(replayed);
    return serve(ctx, a, *copy, cfg);
  };
  return core::famfs_mode_mount(a.device, read, mount);
}

Result<int> run_mount(Context& ctx, MountArgs& a) {
  if (a.nofuse) {
    return fail(with_hint(nofuse_refused(), "leave out -F; to serve in this process, "
                                            "the spelling is --foreground"));
  }
  FAMFS_TRY(apply_options(a));
  if (a.fake) {
    return k_exit_ok;
  }
  FAMFS_TRY_ASSIGN(auto sequence,
                   core::mount_sequence_for(a.device, a.set_daxmode ? core::SetDaxmode::yes
                                                                    : core::SetDaxmode::no));
  if (sequence == core::MountSequence::famfs_mode) {
    FAMFS_TRY(mount_famfs_mode(ctx, a));
  } else {
    FAMFS_TRY(mount_mapped(ctx, a));
  }
  return k_exit_ok;
}

// The --famfs-abi choices: the posted revisions in fuse/kernel_abi.hpp's table.
std::vector<std::string> famfs_abi_names() {
  std::vector<std::string> names;
  for (const auto& abi : fuse::k_famfs_abis) {
    if (!abi.draft) {
      names.emplace_back(abi.name);
    }
  }
  return names;
}

} // namespace

RunFn add_mount(Subcommand& sub) {
  auto a = std::make_shared<MountArgs>();
  sub.add_option("DEVICE", a->device, "the famfs device or backing file")->required();
  sub.add_option("MOUNTPOINT", a->mountpoint, "an empty directory")->required();
  sub.add_flag("--foreground", a->cfg.foreground,
               "serve in this process until unmounted (trace to stderr)");
  add_fuse_flags(sub, a->nofuse, "-f,--fuse"); // upstream's famfs mount -f is --fuse
  auto* rd = sub.add_flag("-r,--read")
                 ->description("accepted for upstream famfs scripts (metadata access by read); the "
                               "metadata is always "
                               "mapped");
  sub.add_flag("-m,--mmap")
      ->description("accepted for upstream famfs scripts (metadata access by mmap, the default)")
      ->excludes(rd);
  sub.add_option("-o,--options", a->options,
                 "mount options, comma-separated, as in mount(8) and fstab: ro, writable, "
                 "follow_interval=MS, threads=N, famfs_abi=ABI, set_daxmode, non_coherent, cache; "
                 "generic ones (rw, defaults, noauto, nofail, _netdev, user, ...) are ignored")
      ->type_name("OPTS")
      ->allow_extra_args(false);
  // mount(8)'s helper flags (mount.famfs -s, -f), left out of --help.
  sub.add_flag("--sloppy", a->sloppy)->group("");
  sub.add_flag("--fake", a->fake)->group("");
  auto* w = sub.add_flag("--writable", a->writable,
                         "allow writes inside files on a client host (the master always may)");
  auto* ro =
      sub.add_flag("--read-only", a->read_only, "serve file data read-only, even on the master");
  w->excludes(ro);
  sub.add_option("--threads", a->cfg.server.threads, "worker threads (default: one per CPU)")
      ->check(range(1U, 64U));
  sub.add_option("--transport", a->transport,
                 "how the daemon talks to the kernel: auto (default: FUSE over io_uring where "
                 "the kernel has it on, else /dev/fuse) or dev-fuse")
      ->check(one_of({"auto", "dev-fuse"}));
  sub.add_option("--famfs-abi", a->famfs_abi,
                 "numbering of the famfs kernel extension on devdax: v7 (default) or rfc2025")
      ->check(one_of(famfs_abi_names()));
  sub.add_flag("--famfs-abi-any-minor", a->cfg.server.famfs_any_minor,
               "acknowledge the v7 famfs INIT bit even above FUSE protocol 7.45, where other "
               "features claim it");
  sub.add_flag("-M,--set-daxmode", a->set_daxmode,
               "switch a dax device to devdax mode first and mount it so (restored if the mount "
               "fails); without it a famfs-mode device needs a kernel with FUSE famfs");
  sub.add_flag("--non-coherent", a->cfg.server.non_coherent,
               "memory is not cache-coherent between hosts: invalidate before reading the log, "
               "flush after writes");
  sub.add_flag("--cache", a->cfg.server.page_cache,
               "keep file data in the kernel's page cache (readahead, cached mmap); other "
               "hosts' and libfamfs writes are seen after famfs flush FILE");
  sub.add_option("--follow-interval", a->follow_interval_ms,
                 "how often (ms) the daemon looks for new log entries (default 200); 0: only "
                 "when asked by famfs logplay")
      ->check(range(0U, 3600000U));
  // A test knob, left out of --help: at most N new entries per follow step (0: all).
  sub.add_option("--follow-batch", a->cfg.server.follow_batch)->group("");
  return [a](Context& ctx) { return run_mount(ctx, *a); };
}

} // namespace famfs::cli
