// famfs mkfs [--loglen SIZE] [--force] [--kill] [--size SIZE] [--json] [--set-daxmode] DEVICE
// Orchestration and printing only; the rules live in core/mkfs.cpp.
#include "cli/command.hpp"
#include "cli/daxmode.hpp"
#include "core/fsck.hpp"
#include "core/json.hpp"
#include "core/mkfs.hpp"

#include <fmt/format.h>

#include <memory>

namespace famfs::cli {

namespace {

struct MkfsOptions {
  std::string device;
  std::string loglen;
  std::string size;
  bool force = false;
  bool kill = false;
  bool json = false;
  core::SizeStyle sizes = core::SizeStyle::bytes; // -H
  bool set_daxmode = false;
  bool nofuse = false;
};

Result<int> run_mkfs(Context& ctx, const MkfsOptions& a) {
  if (a.nofuse) {
    return fail(nofuse_refused());
  }
  core::MkfsOptions opts;
  if (!a.loglen.empty()) {
    FAMFS_TRY_ASSIGN(auto v, parse_size(a.loglen));
    opts.log_len = v;
  }
  if (!a.size.empty()) {
    FAMFS_TRY_ASSIGN(auto v, parse_size(a.size));
    if (v == 0) {
      return fail(Errc::invalid_argument, "--size 0: the size must be positive");
    }
    opts.create_size = v;
  }
  opts.force = a.force ? core::Force::yes : core::Force::no;
  opts.kill = a.kill ? core::Kill::yes : core::Kill::no;

  DaxModeSwitch daxmode; // restores the device's mode unless mkfs succeeds
  if (a.set_daxmode) {
    FAMFS_TRY(daxmode.to_devdax(a.device));
  }
  FAMFS_TRY_ASSIGN(auto sb, core::mkfs(a.device, opts));
  if (a.kill && a.force) {
    if (a.json) {
      core::JsonWriter j;
      j.begin_object();
      j.member("device", a.device);
      j.member("exit_code", static_cast<int>(k_exit_ok));
      j.member("killed", true);
      j.member("fs_uuid", sb.fs_uuid.str());
      j.end_object();
      fmt::print(ctx.out, "{}", j.str());
    } else {
      fmt::print(ctx.out, "famfs superblock on {} killed (file system {})\n", a.device,
                 sb.fs_uuid.str());
    }
    daxmode.commit();
    return k_exit_ok;
  }
  // The summary of the new file system is fsck's, read back from the device.
  FAMFS_TRY_ASSIGN(auto r, core::check_device(a.device));
  if (a.json) {
    fmt::print(ctx.out, "{}", core::report_json(r, k_exit_ok));
  } else {
    fmt::print(ctx.out, "{}",
               core::summary_text(
                   r, ctx.verbose > 0 ? core::Detail::verbose : core::Detail::summary, a.sizes));
  }
  if (r.errors() != 0 || !r.usable()) {
    // Cannot happen unless the device changed under us; say so rather than claim success.
    return fail(Errc::io, "{}: the new file system does not check clean", a.device);
  }
  daxmode.commit();
  return k_exit_ok;
}

} // namespace

RunFn add_mkfs(Subcommand& sub) {
  auto a = std::make_shared<MkfsOptions>();
  add_size_option(sub, "-l,--loglen", a->loglen,
                  "log size: a power of two of at least 8m (default 8m; k, m, g, t suffixes)");
  sub.add_flag("-f,--force", a->force,
               "overwrite an existing famfs, or another file system or partition table (its "
               "signatures are erased)");
  sub.add_flag("-k,--kill", a->kill,
               "with --force: only destroy the existing superblock (zero its magic)");
  add_size_option(sub, "-s,--size", a->size,
                  "create the backing file, or grow it (sparse), to SIZE first; never shrinks");
  sub.add_flag("--json", a->json, "print the summary as JSON");
  add_human_flag(sub, a->sizes);
  add_fuse_flags(sub, a->nofuse);
  sub.add_flag("-M,--set-daxmode", a->set_daxmode,
               "switch a dax device to devdax mode first (restored if mkfs fails)");
  sub.add_option("DEVICE", a->device, "dax device, pmem device or regular backing file")
      ->required();
  return [a](Context& ctx) { return run_mkfs(ctx, *a); };
}

} // namespace famfs::cli
