// famfs fsck [-n | -y [--force] [--drop PATH]... [--backup FILE | --no-backup]] [--json] [-v]
//            [-h] [-B N] [-m | -r] DEVICE|PATH
// Upstream's spellings: -h is --human (help is -? and --help), -B N prints the allocation of N
// equal ranges of the device, -m/-r read the metadata through the mapping or with read(2);
// --fuse is accepted and -F/--nofuse refused.
//
// -n (the default) only reads. -y repairs what core/repair.hpp knows how to repair, on a device
// not mounted on this host, after saving the superblock region and the log to a backup file.
//
// Exit status, as fsck(8) (the sum of the conditions that apply):
//   0   no errors (warnings may have been printed)
//   1   errors were fixed (-y wrote to the device); with nothing left, the file system is clean
//   4   errors found and left uncorrected: any damage in a famfs file system, including a primary
//       superblock that fails its checksum (checked through the backup when there is one)
//   8   operational error: the device cannot be opened, or holds no famfs file system we can
//       check (no superblock magic in either copy, or a superblock version we do not read); with
//       -y also a mounted device, a busy one, a client host, a backup file that cannot be made,
//       or a --drop PATH that names no file
//   16  usage error
// Checking a mounted file system by its device is allowed: fsck only reads, and the log is
// append-only with entries persisted before the header counts them, so what it reads is a
// consistent prefix. (Upstream refuses with 16; we warn instead.)
#include "cli/command.hpp"
#include "cli/daemon_deadline.hpp"
#include "cli/fs_target.hpp"
#include "cli/json_out.hpp"
#include "core/allocator.hpp"
#include "core/fsck.hpp"
#include "core/image.hpp"
#include "core/json.hpp"
#include "core/mounts.hpp"
#include "core/repair.hpp"
#include "log/quote.hpp"

#include <fmt/format.h>

#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <vector>

namespace famfs::cli {

namespace {

struct FsckOptions {
  std::string target;
  bool json = false;
  core::SizeStyle sizes = core::SizeStyle::bytes; // -H
  bool read_only = false; // -n: the default, accepted for fsck(8) compatibility
  bool repair = false;    // -y
  bool force = false;
  std::vector<std::string> drop;
  std::string backup;
  bool no_backup = false;
  std::uint64_t nbuckets = 0;
  bool by_read = false; // -r
  bool nofuse = false;
};

int operational(const Context& ctx, const FsckOptions& a, const Error& e) {
  print_error(ctx, e);
  if (a.json) {
    core::JsonWriter j;
    j.begin_object();
    j.member("device", a.target);
    j.member("exit_code", static_cast<int>(k_fsck_operational));
    write_error(j, e);
    j.end_object();
    fmt::print(ctx.out, "{}", j.str());
  }
  return k_fsck_operational;
}

// Prints why a report with no usable superblock could not be checked; returns 8.
int unusable(const Context& ctx, const std::string& device, const core::Report& r) {
  for (const auto& p : r.problems) {
    if (p.severity == core::Severity::error) {
      print_error(ctx, make_error(Errc::corrupt, "{}: {}", device, p.message));
    }
  }
  return k_fsck_operational;
}

std::string plural(std::size_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

void repair_json(const Context& ctx, const core::RepairOutcome& o, int code) {
  core::JsonWriter j;
  j.begin_object();
  core::write_report_members(j, o.after, code);
  j.begin_object("repair");
  if (o.backup_path.empty()) {
    j.null_member("backup_file");
  } else {
    j.member("backup_file", o.backup_path);
  }
  j.begin_array("fixed");
  for (const auto& f : o.plan.fixes) {
    j.begin_object();
    j.member("kind", core::to_string(f.kind));
    if (f.index != core::k_no_entry) {
      j.member("entry", f.index);
    }
    j.member("offset", f.offset);
    j.member("length", f.length);
    j.member("message", f.message);
    j.end_object();
  }
  j.end_array();
  j.begin_array("not_fixed");
  for (const auto& d : o.plan.declined) {
    j.value(d);
  }
  j.end_array();
  core::write_problems(j, "problems_before", o.before);
  j.end_object();
  j.end_object();
  fmt::print(ctx.out, "{}", j.str());
}

// The allocation bitmap of `device` as the log describes it, cut into `n` ranges (fsck -B).
Result<core::BucketReport> device_buckets(const std::string& device, std::uint64_t n) {
  FAMFS_TRY_ASSIGN(core::Image img, core::Image::open(device, core::OpenMode::read_only));
  FAMFS_TRY_ASSIGN(log::LogView view, img.log());
  core::Allocator alloc(core::geometry_of(img.superblock(), img.device().size()), 0);
  for (std::uint64_t i = 0; i < view.size(); ++i) {
    auto e = view.entry(i);
    if (!e) {
      break; // the check reports it
    }
    if (e->type == log::EntryType::file) {
      alloc.mark(std::get<log::FileEntry>(e->body).fmap);
    }
  }
  return core::bucket_stats(alloc, n);
}

// Upstream's "Stripe bucket info" block.
void print_buckets(const Context& ctx, const core::BucketReport& b, core::SizeStyle sizes) {
  auto sz = [sizes](std::uint64_t n) { return core::size_text(n, sizes); };
  fmt::print(ctx.out, "Stripe bucket info:\n  Wasted overhang: {}\n", sz(b.overhang));
  for (std::size_t i = 0; i < b.buckets.size(); ++i) {
    const auto& k = b.buckets[i];
    fmt::print(ctx.out,
               "  Bitmap range {}\n    Size:   {}\n    In use: {}\n    Free:   {}\n"
               "    Free fragments: {}\n    Largest frag:   {}\n    Smallest frag:  {}\n",
               i, sz(k.size), sz(k.in_use), sz(k.free), k.free_fragments, sz(k.largest_free),
               sz(k.smallest_free));
  }
}

// What a repair found, did and declined, and the file system after it (the text form).
void print_repair(Context& ctx,
                  const FsckOptions& a,
                  const core::RepairOutcome& o,
                  const std::string& device) {
  const auto min = ctx.verbose > 1 ? core::Severity::info : core::Severity::warning;
  if (o.wrote()) {
    std::string before = core::problems_text(o.before, min);
    if (!before.empty()) {
      fmt::print(ctx.out, "Problems found:\n{}\n", before);
    }
    fmt::print(ctx.out, "Repairs:\n");
    for (const auto& f : o.plan.fixes) {
      fmt::print(ctx.out, "  fixed: {}\n", log::escape_controls(f.message));
    }
    for (const auto& d : o.plan.declined) {
      fmt::print(ctx.out, "  not fixed: {}\n", log::escape_controls(d));
    }
    fmt::print(ctx.out, "\nAfter repair:\n");
  }
  fmt::print(ctx.out, "{}",
             core::summary_text(o.after,
                                ctx.verbose > 0 ? core::Detail::verbose : core::Detail::summary,
                                a.sizes));
  std::string left = core::problems_text(o.after, min);
  if (!left.empty()) {
    fmt::print(ctx.out, "Problems:\n{}\n", left);
  }
  if (!o.wrote() && !o.plan.declined.empty()) {
    fmt::print(ctx.out, "Not repaired:\n");
    for (const auto& d : o.plan.declined) {
      fmt::print(ctx.out, "  {}\n", log::escape_controls(d));
    }
    fmt::print(ctx.out, "\n");
  }
  if (o.wrote() && o.after.errors() == 0) {
    fmt::print(ctx.out, "{}: {} made; no errors left\n", device,
               plural(o.plan.fixes.size(), "repair"));
  }
}

Result<int> run_repair(Context& ctx, const FsckOptions& a, const std::string& device) {
  core::RepairRequest req;
  req.device = device;
  req.options.force = a.force ? core::Force::yes : core::Force::no;
  req.options.drop = a.drop;
  req.backup = a.no_backup ? core::Backup::no : core::Backup::yes;
  req.backup_path = a.backup;
  req.on_backup_saved = [&](const std::string& path) {
    if (!a.json) {
      fmt::print(ctx.out,
                 "Saved the superblock region and the log to {}\n"
                 "  (to undo this repair: dd if={} of={} conv=notrunc)\n\n",
                 path, path, device);
      std::fflush(ctx.out);
    }
  };
  auto done = core::repair_device(req);
  if (!done) {
    return operational(ctx, a, done.error());
  }
  const core::RepairOutcome& o = *done;
  if (!o.before.usable()) {
    if (a.json) {
      fmt::print(ctx.out, "{}", core::report_json(o.before, k_fsck_operational));
    }
    return unusable(ctx, device, o.before);
  }
  int code = o.wrote() ? k_fsck_fixed : k_fsck_clean;
  if (!o.after.usable()) {
    code |= k_fsck_operational;
  } else if (o.after.errors() != 0) {
    code |= k_fsck_errors_left;
  }
  if (a.json) {
    repair_json(ctx, o, code);
  } else {
    print_repair(ctx, a, o, device);
  }
  if (!o.after.usable()) {
    return unusable(ctx, device, o.after) | code;
  }
  if (o.after.errors() != 0) {
    std::string hint;
    if (o.plan.force_would_help) {
      hint = "famfs fsck -y --force replaces corrupt entries in the middle of the log with INVALID "
             "entries (what they created is lost)";
    } else if (o.plan.drop_would_help) {
      hint = "famfs fsck -y --drop PATH turns one cross-linked file's entry INVALID (that file is "
             "lost)";
    }
    Error e =
        make_error(Errc::corrupt, "{}: {} left{}", device, plural(o.after.errors(), "error"),
                   o.wrote() ? fmt::format(" ({} made)", plural(o.plan.fixes.size(), "repair"))
                             : std::string());
    print_error(ctx, hint.empty() ? e : with_hint(e, hint));
  }
  return code;
}

Result<int> run_fsck(Context& ctx, const FsckOptions& a) {
  if (a.nofuse) {
    return operational(ctx, a, nofuse_refused());
  }
  // A directory or file inside a mounted famfs stands for the device that is mounted there.
  auto target =
      device_target(a.target, "give the device or backing file, or a path inside a mounted famfs");
  if (!target) {
    return operational(ctx, a, target.error());
  }
  const std::string& device = target->device;
  const std::string& mnt = target->mountpoint;
  if (a.repair) {
    return run_repair(ctx, a, device);
  }
  if (!mnt.empty() && !a.json) {
    print_warning(
        ctx, fmt::format("{} is mounted on {}; checking it read-only as it is now", device, mnt));
  }

  auto checked = core::check_device(device, a.by_read ? core::MetadataAccess::read
                                                      : core::MetadataAccess::mmap);
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
    fmt::print(ctx.out, "{}",
               core::summary_text(
                   r, ctx.verbose > 0 ? core::Detail::verbose : core::Detail::summary, a.sizes));
    const auto min = ctx.verbose > 1 ? core::Severity::info : core::Severity::warning;
    std::string problems = core::problems_text(r, min);
    if (!problems.empty()) {
      fmt::print(ctx.out, "Problems:\n{}\n", problems);
    }
    if (a.nbuckets != 0) {
      auto b = device_buckets(device, a.nbuckets);
      if (!b) {
        return operational(ctx, a, b.error());
      }
      print_buckets(ctx, *b, a.sizes);
    }
  }
  if (!r.usable()) {
    // Nothing could be checked: the reasons are errors of the command.
    unusable(ctx, device, r);
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

RunFn add_fsck(Subcommand& sub) {
  auto a = std::make_shared<FsckOptions>();
  // Upstream's fsck -h is --human; help is -? and --help.
  sub.set_help_flag("-?,--help", "print this help and exit");
  sub.add_flag("--json", a->json, "print the report as JSON");
  add_human_flag(sub, a->sizes, "-h,-H,--human");
  sub.add_option("-B,--nbuckets", a->nbuckets,
                 "also show the allocation of N equal ranges of the device (upstream's bucket "
                 "info)")
      ->type_name("N")
      ->check(range(1U, 1U << 20));
  auto* by_read =
      sub.add_flag("-r,--read", a->by_read, "read the metadata with read(2) instead of mapping it");
  sub.add_flag("-m,--mmap")
      ->description("read the metadata through the device mapping (the default)")
      ->excludes(by_read);
  add_fuse_flags(sub, a->nofuse);
  auto* ro = sub.add_flag("-n", a->read_only, "check only, write nothing (the default)");
  auto* y = sub.add_flag("-y,--repair", a->repair,
                         "repair what can be repaired safely (the device must not be mounted); "
                         "saves the metadata to a backup file first");
  ro->excludes(y);
  sub.add_flag("--force", a->force,
               "with -y: also replace corrupt entries in the middle of the log with INVALID "
               "entries (what they created is lost)")
      ->needs(y);
  sub.add_option("--drop", a->drop,
                 "with -y: turn the log entry of file PATH INVALID (destructive: the file is "
                 "lost); repeatable")
      ->type_name("PATH")
      ->allow_extra_args(false)
      ->needs(y);
  auto* backup = sub.add_option("--backup", a->backup,
                                "with -y: save the superblock region and the log to FILE (default "
                                "./famfs-fsck-backup-<fs uuid>-<time>.img)")
                     ->type_name("FILE")
                     ->needs(y);
  sub.add_flag("--no-backup", a->no_backup, "with -y: save no backup file")
      ->needs(y)
      ->excludes(backup);
  sub.add_option("DEVICE", a->target,
                 "dax device, pmem device, backing file, or any path in a mounted famfs")
      ->required();
  return [a](Context& ctx) { return run_fsck(ctx, *a); };
}

} // namespace famfs::cli
