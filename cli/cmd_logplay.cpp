// famfs logplay [-n|--dry-run] [--json] [-v] MOUNTPOINT|DEVICE
// Replays the log now and reports entries, files, directories and errors (spec §7.5, with our
// rules: ".." and absolute paths are errors). A mount follows the log by itself (unless mounted
// with --follow-interval 0); on a mount, logplay also makes it catch up at once (it reads the
// k_logplay_xattr of the root, which makes the daemon apply new entries whatever its follow
// interval), then checks that the daemon applied every entry and that everything at the root of
// the log is visible there. A device that is mounted is treated as its mount.
// With --dry-run the mount is not touched. Replaying never writes: there is no shadow tree.
#include "cli/command.hpp"
#include "core/fs_ops.hpp"
#include "core/json.hpp"
#include "core/mounts.hpp"
#include "fuse/daemon.hpp"

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
  bool dry_run = false;
  bool json = false;
};

// Asks the mount's daemon to follow the log now, then lists the mount root; returns the names
// listed, and the entries the daemon has applied in `applied` (when it says).
Result<std::set<std::string>> poke_mount(const std::string& mnt,
                                         std::optional<std::uint64_t>& applied) {
  auto status = fuse::ask_mount_to_follow(mnt);
  if (!status && status.error().code != Errc::not_found) {
    return Unexpected{std::move(status).error()};
  }
  if (status && status->count("entries_applied") != 0) {
    applied = std::strtoull((*status)["entries_applied"].c_str(), nullptr, 10);
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

Result<int> run_logplay(Context& ctx, const LogplayOptions& o) {
  std::string device = o.target;
  std::string mnt;
  struct stat st {};
  if (::stat(o.target.c_str(), &st) != 0) {
    return fail(sys_error(errno, o.target));
  }
  if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
    if (auto m = core::famfs_mount_for(o.target)) {
      device = m->source;
      mnt = m->mountpoint;
    } else if (S_ISDIR(st.st_mode)) {
      return fail(with_hint(
          make_error(Errc::not_found, "{}: directory is not in a mounted famfs", o.target),
          "give a famfs mount point, a device or a backing file"));
    }
  }
  if (mnt.empty()) {
    // A device that is mounted: make that mount catch up too.
    if (auto m = core::device_is_mounted(device, &mnt); !m || !*m) {
      mnt.clear();
    }
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
    for (const auto& [name, ino] : root->children) {
      if (names.count(name) == 0) {
        problems.push_back(
            fmt::format("{}: in the log but not visible in the mount on {}", name, mnt));
        not_visible++;
      }
    }
  }
  const std::uint64_t errors = rep.errors() + not_visible;
  if (o.json) {
    core::JsonWriter j;
    j.begin_object();
    j.member("device", device);
    if (mnt.empty()) {
      j.null_member("mountpoint");
    } else {
      j.member("mountpoint", mnt);
    }
    j.member("dry_run", o.dry_run);
    j.member("entries", rep.entries);
    j.member("files", rep.new_files);
    j.member("directories", rep.new_dirs);
    j.member("existed", rep.existed);
    j.member("file_errors", rep.file_errors);
    j.member("dir_errors", rep.dir_errors);
    j.member("stopped", rep.stopped);
    j.member("errors", errors);
    j.begin_array("problems");
    for (const auto& p : problems) {
      j.value(p);
    }
    j.end_array();
    if (ctx.verbose > 0) {
      j.begin_array("created");
      for (const auto& c : rep.created) {
        j.value(c);
      }
      j.end_array();
    }
    j.end_object();
    fmt::print(ctx.out, "{}", j.str());
  } else {
    if (o.dry_run) {
      fmt::print(ctx.out, "famfs logplay: dry run\n");
    }
    fmt::print(ctx.out, "famfs logplay: {}: {} log entries; {} files; {} directories; {} errors\n",
               mnt.empty() ? device : mnt, rep.entries, rep.new_files, rep.new_dirs, errors);
    if (ctx.verbose > 0) {
      for (const auto& c : rep.created) {
        fmt::print(ctx.out, "\t{}\n", c);
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

RunFn add_logplay(CLI::App& sub) {
  auto o = std::make_shared<LogplayOptions>();
  sub.add_flag("-n,--dry-run,--dryrun", o->dry_run,
               "only read and report; do not make a mount catch up");
  sub.add_flag("--json", o->json, "print the report as JSON");
  sub.add_option("TARGET", o->target,
                 "a famfs mount point (or a path in it), a device or a "
                 "backing file")
      ->required();
  return [o](Context& ctx) { return run_logplay(ctx, *o); };
}

} // namespace famfs::cli
