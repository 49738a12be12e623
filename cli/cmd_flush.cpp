// famfs flush [-v] FILE...
// Writes back and invalidates the device memory behind each file (spec §6.8), for memory that
// is not cache-coherent between hosts: after a writer flushes, a reader on another host that
// flushes too sees the data as the writer left it. The file's map comes from the log. A mount in
// page-cache mode (-o cache) then drops the kernel's cached pages of the file.
// Every file is tried; exit 1 when any failed.
#include "cli/command.hpp"
#include "cli/daemon_deadline.hpp"
#include "cli/fs_target.hpp"
#include "core/fs_ops.hpp"
#include "core/image.hpp"
#include "fuse/daemon.hpp"
#include "log/fmap.hpp"
#include "log/quote.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>

namespace famfs::cli {

namespace {

struct FlushOptions {
  std::vector<std::string> files;
  core::SizeStyle sizes = core::SizeStyle::bytes; // -H
};

Result<int> run_flush(Context& ctx, const FlushOptions& a) {
  ErrorTally failed(ctx);
  FsTarget target("");
  const auto rels = target.relpaths(a.files, failed);
  if (target.device().empty()) {
    return k_exit_failure;
  }
  FAMFS_TRY_ASSIGN(auto img, core::Image::open(target.device(), core::OpenMode::read_only));
  img.device().set_coherence(
      core::Coherence::non_coherent); // flush and invalidate even on a backing file
  FAMFS_TRY_ASSIGN(auto tree, core::load_tree(img));
  const std::uint64_t dev_size = img.device().size();
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    if (!rels[i]) {
      continue;
    }
    const core::Node* n = tree.resolve(*rels[i]);
    if (n == nullptr) {
      failed(make_error(Errc::not_found, "{}: no such file in the log", a.files[i]));
      continue;
    }
    if (n->kind != core::NodeKind::file) {
      failed(make_error(Errc::invalid_argument, "{}: not a regular file", a.files[i]));
      continue;
    }
    std::uint64_t bytes = 0;
    bool ok = true;
    log::for_each_piece(n->fmap, 0, n->fmap.capacity(), [&](std::uint64_t, log::Piece p) {
      if (p.dev_off > dev_size || p.len > dev_size - p.dev_off) {
        failed(
            make_error(Errc::corrupt, "{}: its map points past the end of the device", a.files[i]));
        ok = false;
        return false;
      }
      if (auto r = img.device().persist(p.dev_off, p.len); !r) {
        failed(with_context(r.error(), a.files[i]));
        ok = false;
        return false;
      }
      img.device().invalidate(p.dev_off, p.len);
      bytes += p.len;
      return true;
    });
    if (!ok) {
      continue;
    }
    // A mount in page-cache mode (-o cache) drops its pages of the file, so that the next read
    // sees the memory as it is now.
    auto dropped = [&] {
      const DaemonDeadline deadline(a.files[i]); // a stuck daemon: one error, not a hang
      return fuse::drop_cached_pages(a.files[i]);
    }();
    if (!dropped) {
      failed(dropped.error());
      continue;
    }
    if (ctx.verbose > 0) {
      fmt::print(ctx.out, "famfs flush: {}: {} written back and invalidated ({}){}\n",
                 log::quote_name(a.files[i]), bytes_text(bytes, a.sizes), core::flush_instruction(),
                 *dropped ? "; the mount's cached pages dropped" : "");
    }
  }
  if (failed.count() > 0) {
    // Upstream's closing line, in our message style.
    print_error(ctx, make_error(Errc::io, "{} error{} detected", failed.count(),
                                failed.count() == 1 ? " was" : "s were"));
    return k_exit_failure;
  }
  return k_exit_ok;
}

} // namespace

RunFn add_flush(Subcommand& sub) {
  auto a = std::make_shared<FlushOptions>();
  sub.add_option("FILE", a->files, "files in a mounted famfs")->required();
  add_human_flag(sub, a->sizes);
  return [a](Context& ctx) { return run_flush(ctx, *a); };
}

} // namespace famfs::cli
