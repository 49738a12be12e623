// famfs logplay [-n|--dry-run] [--json] [-v] MOUNTPOINT|DEVICE
// Replays the log now and reports entries, files, directories and errors (spec §7.5, with our
// rules: ".." and absolute paths are errors). A mount follows the log by itself (unless mounted
// with --follow-interval 0); on a mount, logplay also makes it catch up at once (it reads the
// k_logplay_xattr of the root, which makes the daemon apply new entries whatever its follow
// interval), then checks that the daemon applied every entry and that everything at the root of
// the log is visible there. A device that is mounted is treated as its mount.
// With --dry-run the mount is not touched. Replaying never writes to the device. With --shadow DIR
// (upstream's -S) it writes upstream's shadow tree of YAML files under DIR/root instead
// (core/shadow.hpp), and does not touch a mount. Upstream's test options -m/-r and -c are
// accepted: the log is always read through the mapping, and the role comes from the superblock.
#include "cli/command.hpp"
#include "cli/daemon_deadline.hpp"
#include "cli/fs_target.hpp"
#include "cli/json_out.hpp"
#include "core/fs_ops.hpp"
#include "core/json.hpp"
#include "core/mounts.hpp"
#include "core/shadow.hpp"
#include "fuse/daemon.hpp"
#include "log/quote.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>

namespace famfs::cli {

namespace {

struct LogplayOptions {
  std::string target;
  std::string daxdev; // upstream's --daxdev DEV (with --shadow): the target
  std::string shadow;
  bool dry_run = false;
  bool json = false;
};

// famfs logplay --shadow DIR: the shadow tree of the log on `device`.
Result<int> run_shadow(Context& ctx, const LogplayOptions& o, const std::string& device) {
  FAMFS_TRY_ASSIGN(auto img, core::Image::open(device, core::OpenMode::read_only));
  FAMFS_TRY_ASSIGN(auto view, img.log());
  FAMFS_TRY_ASSIGN(auto r, core::write_shadow_tree(
                               view, o.shadow, o.dry_run ? core::DryRun::yes : core::DryRun::no));
  if (o.json) {
    core::JsonWriter j;
    j.begin_object();
    j.member("device", device);
    j.member("shadow_root", r.root);
    j.member("dry_run", o.dry_run);
    j.member("exit_code", r.problems.empty() ? k_exit_ok : k_exit_failure);
    j.member("entries_used", view.size());
    j.member("files", r.files);
    j.member("directories", r.directories);
    j.member("existed", r.existed);
    j.member("errors", static_cast<std::uint64_t>(r.problems.size()));
    write_message_problems(j, r.problems);
    j.end_object();
    fmt::print(ctx.out, "{}", j.str());
  } else {
    fmt::print(ctx.out,
               "famfs logplay: shadow tree of {} in {}: {} files; {} directories; {} "
               "already there; {} errors\n",
               device, r.root, r.files, r.directories, r.existed, r.problems.size());
  }
  for (const auto& p : r.problems) {
    print_error(ctx, make_error(Errc::corrupt, "{}", p));
  }
  return r.problems.empty() ? k_exit_ok : k_exit_failure;
}

// Asks the mount's daemon to follow the log now, then lists the mount root; returns the names
// listed, and the entries the daemon has applied in `applied` (when it says).
Result<std::set<std::string>> poke_mount(const std::string& mnt,
                                         std::optional<std::uint64_t>& applied) {
  const DaemonDeadline deadline(mnt);
  auto status = fuse::ask_mount_to_follow(mnt);
  if (!status && status.error().code != Errc::not_found) {
    return Unexpected{std::move(status).error()};
  }
  if (status) {
    applied = status->entries_applied;
  }
  struct stat st {};
  if (::stat(mnt.c_str(), &st) != 0) {
    return sys_error(errno, mnt);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(mnt.c_str()), &::closedir);
  if (!d) {
    return sys_error(errno, mnt);
  }
  std::set<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d.get())) {
    names.insert(e->d_name);
  }
  if (errno != 0) {
    return sys_error(errno, mnt + ": readdir");
  }
  return names;
}

// The report as JSON.
void print_json(Context& ctx,
                const LogplayOptions& o,
                const std::string& device,
                const std::string& mnt,
                const core::ReplayReport& rep,
                const std::vector<std::string>& problems,
                std::uint64_t rep_errors) {
  core::JsonWriter j;
  j.begin_object();
  j.member("device", device);
  if (mnt.empty()) {
    j.null_member("mountpoint");
  } else {
    j.member("mountpoint", mnt);
  }
  j.member("exit_code", rep_errors == 0 ? k_exit_ok : k_exit_failure);
  j.member("dry_run", o.dry_run);
  j.member("entries_used", rep.entries);
  j.member("files", rep.new_files);
  j.member("directories", rep.new_dirs);
  j.member("existed", rep.existed);
  j.member("file_errors", rep.file_errors);
  j.member("dir_errors", rep.dir_errors);
  j.member("stopped", rep.stopped);
  j.member("errors", rep_errors);
  write_message_problems(j, problems);
  if (ctx.verbose > 0) {
    j.begin_array("created");
    for (const auto& c : rep.created) {
      j.value(c);
    }
    j.end_array();
  }
  j.end_object();
  fmt::print(ctx.out, "{}", j.str());
}

Result<int> run_logplay(Context& ctx, const LogplayOptions& o) {
  if (!o.daxdev.empty() && o.shadow.empty()) {
    return fail(Errc::invalid_argument, "--daxdev: only with --shadow DIR");
  }
  if (o.daxdev.empty() == o.target.empty()) {
    return fail(Errc::invalid_argument, "{}",
                o.target.empty() ? "missing TARGET" : "give TARGET or --daxdev, not both");
  }
  if (!o.daxdev.empty()) {
    return run_shadow(ctx, o, o.daxdev);
  }
  FAMFS_TRY_ASSIGN(auto where,
                   device_target(o.target, "give a famfs mount point, a device or a backing file"));
  const std::string& device = where.device;
  const std::string& mnt = where.mountpoint;
  if (!o.shadow.empty()) {
    return run_shadow(ctx, o, device);
  }
  FAMFS_TRY_ASSIGN(auto img, core::Image::open(device, core::OpenMode::read_only));
  core::ReplayReport rep;
  FAMFS_TRY_ASSIGN(auto tree, core::load_tree(img, &rep));
  std::vector<std::string> problems = rep.problems;
  std::uint64_t not_visible = 0;
  if (!mnt.empty() && !o.dry_run) {
    std::optional<std::uint64_t> applied;
    FAMFS_TRY_ASSIGN(auto names, poke_mount(mnt, applied));
    if (applied && *applied < rep.entries) {
      problems.push_back(fmt::format("the mount on {} has applied {} of the {} log entries", mnt,
                                     *applied, rep.entries));
      not_visible++;
    }
    const core::Node* root = tree.get(core::k_root_ino);
    for (const core::Node* c : tree.sorted_children(*root)) {
      if (names.count(c->name) == 0) {
        problems.push_back(
            fmt::format("{}: in the log but not visible in the mount on {}", c->name, mnt));
        not_visible++;
      }
    }
  }
  const std::uint64_t errors = rep.errors() + not_visible;
  if (o.json) {
    print_json(ctx, o, device, mnt, rep, problems, errors);
  } else {
    if (o.dry_run) {
      fmt::print(ctx.out, "famfs logplay: dry run\n");
    }
    fmt::print(ctx.out, "famfs logplay: {}: {} log entries; {} files; {} directories; {} errors\n",
               mnt.empty() ? device : mnt, rep.entries, rep.new_files, rep.new_dirs, errors);
    if (ctx.verbose > 0) {
      for (const auto& c : rep.created) {
        fmt::print(ctx.out, "\t{}\n", log::quote_name(c));
      }
      if (rep.existed > 0) {
        fmt::print(ctx.out, "\t{} entries for paths that already existed\n", rep.existed);
      }
    }
  }
  for (const auto& p : problems) {
    print_error(ctx, make_error(Errc::corrupt, "{}", p));
  }
  return errors == 0 ? k_exit_ok : k_exit_failure;
}

} // namespace

RunFn add_logplay(Subcommand& sub) {
  auto o = std::make_shared<LogplayOptions>();
  sub.add_flag("-n,--dry-run,--dryrun", o->dry_run,
               "only read and report; do not make a mount catch up");
  sub.add_flag("--json", o->json, "print the report as JSON");
  sub.add_option("-S,--shadow", o->shadow,
                 "write upstream's shadow tree (a YAML file per famfs file) under DIR/root "
                 "instead of replaying into a mount")
      ->type_name("DIR");
  sub.add_option("-d,--daxdev", o->daxdev, "with --shadow: the device (instead of TARGET)")
      ->type_name("DEV");
  auto* by_read = sub.add_flag("-r,--read")
                      ->description("accepted for upstream famfs scripts; the log is always read "
                                    "through the device mapping");
  sub.add_flag("-m,--mmap")
      ->description("accepted for upstream famfs scripts (read the log through the mapping)")
      ->excludes(by_read);
  sub.add_flag("-c,--client")
      ->description(
          "accepted for upstream famfs scripts; a mount's role comes from its superblock");
  sub.add_option("TARGET", o->target,
                 "a famfs mount point (or a path in it), a device or a "
                 "backing file");
  return [o](Context& ctx) { return run_logplay(ctx, *o); };
}

} // namespace famfs::cli
