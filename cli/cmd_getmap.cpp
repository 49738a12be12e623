// famfs getmap [--json] FILE...
// Shows where each file's data lives on the device: its size and extents (simple), or its
// chunk size and strips (interleaved), as the log records them.
#include "cli/command.hpp"
#include "cli/fs_target.hpp"
#include "core/fs_ops.hpp"
#include "core/json.hpp"
#include "log/path.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>

namespace famfs::cli {

namespace {

struct GetmapOptions {
  std::vector<std::string> files;
  bool json = false;
  std::string device;
};

int run_getmap(Context& ctx, const GetmapOptions& o) {
  int rc = k_exit_ok;
  auto failed = [&](const Error& e) {
    print_error(ctx, e);
    if (rc == k_exit_ok) {
      rc = exit_code_for(e);
    }
  };
  FsTarget target(o.device);
  std::vector<std::optional<std::string>> rels;
  for (const auto& f : o.files) {
    auto rel = target.relpath(f);
    if (!rel) {
      failed(rel.error());
      rels.emplace_back();
      continue;
    }
    rels.emplace_back(*rel);
  }
  std::optional<core::Tree> tree;
  if (!target.device().empty()) {
    auto img = core::Image::open(target.device(), core::OpenMode::read_only);
    if (!img) {
      return report(ctx, img.error());
    }
    auto t = core::load_tree(*img);
    if (!t) {
      return report(ctx, t.error());
    }
    tree = std::move(*t);
  }
  core::JsonWriter j;
  j.begin_array();
  for (std::size_t i = 0; i < o.files.size(); ++i) {
    if (!rels[i]) {
      continue;
    }
    const std::string& path = o.files[i];
    auto parts = core::relpath_parts(*rels[i]);
    if (!parts) {
      failed(parts.error());
      continue;
    }
    const core::Node* n = tree->resolve(log::join_path(*parts));
    if (n == nullptr) {
      failed(make_error(Errc::not_found, "{}: no such file in famfs", path));
      continue;
    }
    if (n->kind != core::NodeKind::file) {
      failed(make_error(Errc::unsupported, "{}: is a directory; only files have maps", path));
      continue;
    }
    const bool interleaved = n->fmap.type == log::ExtType::interleaved;
    if (o.json) {
      j.begin_object();
      j.member("file", path);
      j.member("relpath", tree->path_of(n->ino));
      j.member("size", n->size);
      j.member("mode", fmt::format("{:04o}", n->mode));
      j.member("uid", n->uid);
      j.member("gid", n->gid);
      j.member("type", interleaved ? "interleaved" : "simple");
      if (interleaved) {
        j.member("chunk_size", n->fmap.chunk_size);
      }
      j.begin_array(interleaved ? "strips" : "extents");
      for (const auto& e : n->fmap.extents) {
        j.begin_object();
        j.member("devindex", e.devindex);
        j.member("offset", e.offset);
        j.member("length", e.len);
        j.end_object();
      }
      j.end_array();
      j.end_object();
      continue;
    }
    fmt::print(ctx.out, "File:     {}\n\tsize:    {}\n", path, n->size);
    if (interleaved) {
      fmt::print(ctx.out, "\tInterleave_Param chunk_size: {}\n", n->fmap.chunk_size);
      fmt::print(ctx.out, "\tInterleaved extent has {} strips:\n", n->fmap.extents.size());
    } else {
      fmt::print(ctx.out, "\textents: {}\n", n->fmap.extents.size());
    }
    for (const auto& e : n->fmap.extents) {
      fmt::print(ctx.out, "\t\t{:#x}\t{}\n", e.offset, e.len);
    }
  }
  j.end_array();
  if (o.json) {
    fmt::print(ctx.out, "{}", j.str());
  }
  return rc;
}

} // namespace

RunFn add_getmap(CLI::App& sub) {
  auto o = std::make_shared<GetmapOptions>();
  sub.add_flag("--json", o->json, "print the maps as a JSON array");
  sub.add_option("--device", o->device,
                 "read this device (unmounted is fine); FILE is then relative to its root")
      ->type_name("DEV");
  sub.add_option("FILE", o->files, "famfs files")->required();
  return [o](Context& ctx) { return run_getmap(ctx, *o); };
}

} // namespace famfs::cli
