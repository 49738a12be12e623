// famfs clone [--device DEV] SRC DST (hidden from the command list)
// Upstream's test tool: makes DST a new file with SRC's map, so that the two files share their
// space. This is a cross-link, which is damage: it exists so that fsck's cross-link detection
// (and fsck -y --drop) can be tested. Nothing is allocated; DST's entry is appended at once.
#include "cli/command.hpp"
#include "cli/fs_target.hpp"
#include "core/fs_ops.hpp"

#include <fmt/format.h>

#include <memory>

namespace famfs::cli {

namespace {

struct CloneOptions {
  std::string src;
  std::string dst;
  std::string device;
};

Result<int> run_clone(Context& ctx, const CloneOptions& a) {
  FsTarget target(a.device);
  FAMFS_TRY_ASSIGN(auto src, target.relpath(a.src));
  FAMFS_TRY_ASSIGN(auto dst, target.relpath(a.dst));
  FAMFS_TRY_ASSIGN(core::Session session, open_write_session(target));
  const core::Node* n = session.tree().resolve(src);
  if (n == nullptr || n->kind != core::NodeKind::file || n->meta) {
    return fail(Errc::not_found, "{}: no such famfs file", a.src);
  }
  if (session.tree().resolve(dst) != nullptr) {
    return fail(Errc::exists, "{}: exists", a.dst);
  }
  core::FileRequest req;
  req.relpath = dst;
  req.size = n->size;
  req.owner = core::Owner{n->mode, n->uid, n->gid};
  req.fmap = n->fmap;
  FAMFS_TRY(session.add_file(req));
  FAMFS_TRY(session.commit_all());
  print_warning(ctx, fmt::format("{} now shares its space with {}: the file system is "
                                 "cross-linked (famfs fsck reports it)",
                                 a.dst, a.src));
  return k_exit_ok;
}

} // namespace

RunFn add_clone(Subcommand& sub) {
  auto a = std::make_shared<CloneOptions>();
  add_device_option(sub, a->device, "SRC and DST");
  sub.add_option("SRC", a->src, "a famfs file")->required();
  sub.add_option("DST", a->dst, "the new file, sharing SRC's space")->required();
  return [a](Context& ctx) { return run_clone(ctx, *a); };
}

} // namespace famfs::cli
