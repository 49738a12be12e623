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
  std::string mode = "0755";
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  std::string device;
};

int run_mkdir(Context& ctx, const MkdirOptions& o) {
  auto mode = parse_mode(o.mode);
  if (!mode) {
    return report(ctx, mode.error());
  }
  int rc = k_exit_ok;
  auto failed = [&](const Error& e) {
    print_error(ctx, e);
    if (rc == k_exit_ok) {
      rc = exit_code_for(e);
    }
  };
  FsTarget target(o.device);
  std::vector<std::string> rels;
  for (const auto& d : o.dirs) {
    auto rel = target.relpath(d);
    if (!rel) {
      failed(rel.error());
      continue;
    }
    rels.push_back(*rel);
  }
  if (rels.empty()) {
    return rc;
  }
  auto img = core::Image::open(target.device(), core::OpenMode::read_write);
  if (!img) {
    return report(ctx, img.error());
  }
  auto session = core::Session::open(*img, allocation_seed());
  if (!session) {
    return report(ctx, session.error());
  }
  const core::Owner owner{*mode, uid_or_caller(o.uid), gid_or_caller(o.gid)};
  std::vector<std::string> made;
  for (const auto& rel : rels) {
    auto r = session->add_dir(rel, owner, o.parents ? core::Parents::yes : core::Parents::no);
    if (!r) {
      failed(r.error());
      continue;
    }
    made.insert(made.end(), r->begin(), r->end());
  }
  if (auto space = session->check_log_space(); !space) {
    return report(ctx, space.error());
  }
  if (auto c = session->commit_all(); !c) {
    return report(ctx, c.error());
  }
  if (ctx.verbose > 0) {
    for (const auto& m : made) {
      fmt::print(ctx.out, "created directory {}\n", target.display(m));
    }
  }
  return rc;
}

} // namespace

RunFn add_mkdir(CLI::App& sub) {
  auto o = std::make_shared<MkdirOptions>();
  sub.add_flag("-p,--parents", o->parents,
               "make missing parent directories; an existing directory is not an error");
  sub.add_option("-m,--mode", o->mode, "permission bits, octal (default 0755)");
  sub.add_option("-u,--uid", o->uid, "owner uid (default: yours)");
  sub.add_option("-g,--gid", o->gid, "owner gid (default: yours)");
  sub.add_option("--device", o->device,
                 "work on this device (unmounted is fine); DIR is then relative to its root")
      ->type_name("DEV");
  sub.add_option("DIR", o->dirs, "directories to create, inside a mounted famfs")->required();
  return [o](Context& ctx) { return run_mkdir(ctx, *o); };
}

} // namespace famfs::cli
