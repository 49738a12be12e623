// famfs umount [-l] MOUNTPOINT
// Orchestration and printing only; fuse/daemon.cpp unmounts and waits for the daemon.
#include "cli/command.hpp"
#include "fuse/daemon.hpp"

#include <fmt/format.h>

#include <memory>

namespace famfs::cli {

namespace {

struct UmountOptions {
  std::string mountpoint;
  bool lazy = false;
};

constexpr std::chrono::seconds k_daemon_wait{10};

Result<int> run_umount(Context& ctx, const UmountOptions& a) {
  FAMFS_TRY_ASSIGN(
      auto r,
      fuse::unmount_famfs(a.mountpoint, a.lazy ? fuse::Lazy::yes : fuse::Lazy::no, k_daemon_wait));
  if (!r.daemon_exited) {
    if (r.lazy) {
      fmt::print(ctx.out, "famfs umount: {} detached; daemon pid {} serves the files still open\n",
                 a.mountpoint, r.pid);
      return k_exit_ok;
    }
    return fail(Errc::busy, "{}: unmounted, but daemon pid {} did not exit in {} s", a.mountpoint,
                r.pid, k_daemon_wait.count());
  }
  if (ctx.verbose > 0) {
    fmt::print(ctx.out, "famfs umount: {} unmounted{}\n", a.mountpoint, r.lazy ? " (lazily)" : "");
  }
  return k_exit_ok;
}

} // namespace

RunFn add_umount(Subcommand& sub) {
  auto a = std::make_shared<UmountOptions>();
  sub.add_option("MOUNTPOINT", a->mountpoint, "where the famfs is mounted")->required();
  sub.add_flag("-l,--lazy", a->lazy,
               "detach now even if files are open; the daemon exits when they close");
  return [a](Context& ctx) { return run_umount(ctx, *a); };
}

} // namespace famfs::cli
