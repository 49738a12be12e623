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

struct CloneArgs {
  std::string src;
  std::string dst;
  std::string device;
};

int run_clone(Context& ctx, const CloneArgs& a) {
  FsTarget target(a.device);
  auto src = target.relpath(a.src);
  if (!src) {
    return report(ctx, src.error());
  }
  auto dst = target.relpath(a.dst);
  if (!dst) {
    return report(ctx, dst.error());
  }
  auto ws = open_write_session(target);
  if (!ws) {
    return report(ctx, ws.error());
  }
  const core::Node* n = ws->session.tree().resolve(*src);
  if (n == nullptr || n->kind != core::NodeKind::file || n->meta) {
    return report(ctx, make_error(Errc::not_found, "{}: no such famfs file", a.src));
  }
  if (ws->session.tree().resolve(*dst) != nullptr) {
    return report(ctx, make_error(Errc::exists, "{}: exists", a.dst));
  }
  core::FileRequest req;
  req.relpath = *dst;
  req.size = n->size;
  req.owner = core::Owner{n->mode, n->uid, n->gid};
  req.fmap = n->fmap;
  if (auto p = ws->session.add_file(req); !p) {
    return report(ctx, p.error());
  }
  if (auto c = ws->session.commit_all(); !c) {
    return report(ctx, c.error());
  }
  print_warning(ctx, fmt::format("{} now shares its space with {}: the file system is "
                                 "cross-linked (famfs fsck reports it)",
                                 a.dst, a.src));
  return k_exit_ok;
}

} // namespace

RunFn add_clone(CLI::App& sub) {
  auto a = std::make_shared<CloneArgs>();
  add_device_option(sub, a->device, "SRC and DST");
  sub.add_option("SRC", a->src, "a famfs file")->required();
  sub.add_option("DST", a->dst, "the new file, sharing SRC's space")->required();
  return [a](Context& ctx) { return run_clone(ctx, *a); };
}

} // namespace famfs::cli
