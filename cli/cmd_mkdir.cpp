// famfs mkdir [-p] [-m MODE] [-u UID] [-g GID] DIR...
// Logs directories. Every directory of the command is checked in one locked session first; the
// ones that can be made are appended as one batch (log full: none is). A directory that cannot
// be made (it exists, its parent is missing or a file) is reported and the others still are.
#include "cli/command.hpp"
#include "cli/fs_target.hpp"
#include "core/fs_ops.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>

namespace famfs::cli {

namespace {

struct MkdirOptions {
  std::vector<std::string> dirs;
  bool parents = false;
  OwnerOptions owner;
  std::string device;
};

Result<int> run_mkdir(Context& ctx, const MkdirOptions& o) {
  FAMFS_TRY_ASSIGN(auto owner, o.owner.get(0755));
  const auto parents_owner = OwnerOptions{}.get(0755);
  if (!parents_owner) {
    return fail(parents_owner.error());
  }
  ErrorTally failed(ctx);
  FsTarget target(o.device);
  const auto rels = target.relpaths(o.dirs, failed);
  if (failed.count() == static_cast<int>(rels.size())) {
    return failed.exit_code(); // no path resolved; each failure was reported
  }
  FAMFS_TRY_ASSIGN(core::Session session, open_write_session(target));
  std::vector<std::string> made;
  for (const auto& rel : rels) {
    if (!rel) {
      continue;
    }
    // As GNU mkdir -p: -m, -u and -g are the last component's; missing parents get 0755 and
    // the caller's uid and gid.
    auto r = session.add_dir(*rel, owner, o.parents ? core::Parents::yes : core::Parents::no,
                             *parents_owner);
    if (!r) {
      failed(r.error());
      continue;
    }
    made.insert(made.end(), r->begin(), r->end());
  }
  FAMFS_TRY(session.check_log_space());
  FAMFS_TRY(session.commit_all());
  if (ctx.verbose > 0) {
    for (const auto& m : made) {
      fmt::print(ctx.out, "created directory {}\n", target.display(m));
    }
  }
  return failed.exit_code();
}

} // namespace

RunFn add_mkdir(Subcommand& sub) {
  auto o = std::make_shared<MkdirOptions>();
  sub.add_flag("-p,--parents", o->parents,
               "make missing parent directories; an existing directory is not an error");
  o->owner.add_to(sub, "permission bits, octal 0 to 0777 (default 0755)");
  add_device_option(sub, o->device, "DIR");
  sub.add_option("DIR", o->dirs, "directories to create, inside a mounted famfs")->required();
  return [o](Context& ctx) { return run_mkdir(ctx, *o); };
}

} // namespace famfs::cli
