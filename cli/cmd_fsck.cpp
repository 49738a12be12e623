// famfs fsck [--json] [-v] DEVICE|PATH  (read-only)
//
// Exit status, as fsck(8):
//   0   no errors (warnings may have been printed)
//   4   errors found and left uncorrected: any damage in a famfs file system, including a primary
//       superblock that fails its checksum (checked through the backup when there is one)
//   8   operational error: the device cannot be opened, or holds no famfs file system we can
//       check (no superblock magic in either copy, or a superblock version we do not read)
//   16  usage error
// Checking a mounted file system by its device is allowed: fsck only reads, and the log is
// append-only with entries persisted before the header counts them, so what it reads is a
// consistent prefix. (Upstream refuses with 16; we warn instead.)
#include "cli/command.hpp"
#include "core/fsck.hpp"
#include "core/json.hpp"
#include "core/mounts.hpp"

#include <fmt/format.h>

#include <sys/stat.h>

#include <cerrno>
#include <memory>

namespace famfs::cli {

namespace {

struct FsckArgs {
  std::string target;
  bool json = false;
};

int operational(const Context& ctx, const FsckArgs& a, const Error& e) {
  print_error(ctx, e);
  if (a.json) {
    core::JsonWriter j;
    j.begin_object();
    j.member("device", a.target);
    j.member("exit_code", static_cast<int>(k_fsck_operational));
    j.member("error", e.message);
    j.end_object();
    fmt::print(ctx.out, "{}", j.str());
  }
  return k_fsck_operational;
}

int run_fsck(Context& ctx, const FsckArgs& a) {
  struct stat st {};
  if (::stat(a.target.c_str(), &st) != 0) {
    return operational(ctx, a, sys_error(errno, a.target));
  }
  // A directory or file inside a mounted famfs stands for the device that is mounted there.
  std::string device = a.target;
  if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
    auto m = core::famfs_mount_for(a.target);
    if (m) {
      device = m->source;
    } else if (S_ISDIR(st.st_mode)) {
      return operational(
          ctx, a,
          with_hint(
              make_error(Errc::not_found, "{}: directory is not in a mounted famfs", a.target),
              "give the device or backing file, or a path inside a mounted famfs"));
    }
  }
  std::string mnt;
  auto mounted = core::device_is_mounted(device, &mnt);
  if (mounted && *mounted && !a.json) {
    print_warning(
        ctx, fmt::format("{} is mounted on {}; checking it read-only as it is now", device, mnt));
  }

  auto checked = core::check_device(device);
  if (!checked) {
    return operational(ctx, a, checked.error());
  }
  const core::Report& r = *checked;
  int code = k_fsck_clean;
  if (!r.usable()) {
    code = k_fsck_operational;
  } else if (r.errors() != 0) {
    code = k_fsck_errors_left;
  }

  if (a.json) {
    fmt::print(ctx.out, "{}", core::report_json(r, code));
  } else if (r.usable()) {
    fmt::print(ctx.out, "{}", core::summary_text(r, ctx.verbose > 0));
    const auto min = ctx.verbose > 1 ? core::Severity::info : core::Severity::warning;
    std::string problems = core::problems_text(r, min);
    if (!problems.empty()) {
      fmt::print(ctx.out, "Problems:\n{}\n", problems);
    }
  }
  if (!r.usable()) {
    // Nothing could be checked: the reasons are errors of the command.
    for (const auto& p : r.problems) {
      if (p.severity == core::Severity::error) {
        print_error(ctx, make_error(Errc::corrupt, "{}: {}", device, p.message));
      }
    }
  } else if (r.errors() != 0) {
    print_error(ctx, make_error(Errc::corrupt, "{}: {} error{} found{}", device, r.errors(),
                                r.errors() == 1 ? "" : "s",
                                r.warnings() != 0 ? fmt::format(" ({} warning{})", r.warnings(),
                                                                r.warnings() == 1 ? "" : "s")
                                                  : std::string()));
  }
  return code;
}

} // namespace

RunFn add_fsck(CLI::App& sub) {
  auto a = std::make_shared<FsckArgs>();
  sub.add_flag("--json", a->json, "print the report as JSON");
  sub.add_option("DEVICE", a->target,
                 "dax device, pmem device, backing file, or any path in a mounted famfs")
      ->required();
  return [a](Context& ctx) { return run_fsck(ctx, *a); };
}

} // namespace famfs::cli
