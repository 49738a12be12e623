// famfs getmap [--json] [-q] [-c] FILE...
// Shows where each file's data lives on the device: its size and extents (simple), or its
// chunk size and strips (interleaved), as the log records them. Upstream's -q prints nothing
// (the exit status answers); -c (go on after a failed file) is what getmap always does.
#include "cli/command.hpp"
#include "cli/fs_target.hpp"
#include "cli/json_out.hpp"
#include "core/fs_ops.hpp"
#include "core/json.hpp"
#include "core/size_text.hpp"
#include "log/path.hpp"
#include "log/quote.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>

namespace famfs::cli {

namespace {

struct GetmapOptions {
  std::vector<std::string> files;
  bool json = false;
  core::SizeStyle sizes = core::SizeStyle::bytes; // -H
  bool quiet = false;
  std::string device;
};

Result<int> run_getmap(Context& ctx, const GetmapOptions& o);

// getmap -q: the command with its output and messages thrown away.
Result<int> run_quiet(Context& ctx, const GetmapOptions& o) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> null(std::fopen("/dev/null", "w"), &std::fclose);
  if (!null) {
    return fail(sys_error(errno, "/dev/null"));
  }
  Context quiet = ctx;
  quiet.out = null.get();
  quiet.err = null.get();
  GetmapOptions loud = o;
  loud.quiet = false;
  return run_getmap(quiet, loud);
}

// One file's map as a JSON object of the "files" array.
void map_json(core::JsonWriter& j,
              const std::string& path,
              const core::Tree& tree,
              const core::Node& n) {
  const bool interleaved = n.fmap.type == log::ExtType::interleaved;
  j.begin_object();
  j.member("file", path);
  j.member("relpath", tree.path_of(n.ino));
  j.member("size", n.size);
  j.member("mode", fmt::format("{:04o}", n.mode));
  j.member("uid", n.uid);
  j.member("gid", n.gid);
  j.member("type", interleaved ? "interleaved" : "simple");
  if (interleaved) {
    j.member("chunk_size", n.fmap.chunk_size);
  }
  j.begin_array(interleaved ? "strips" : "extents");
  for (const auto& e : n.fmap.extents) {
    j.begin_object();
    j.member("devindex", e.devindex);
    j.member("offset", e.offset);
    j.member("length", e.len);
    j.end_object();
  }
  j.end_array();
  j.end_object();
}

// One file's map as upstream's getmap prints it.
void print_map(Context& ctx, const std::string& path, const core::Node& n, core::SizeStyle sizes) {
  fmt::print(ctx.out, "File:     {}\n\tsize:    {}\n", log::quote_name(path),
             core::size_text(n.size, sizes));
  if (n.fmap.type == log::ExtType::interleaved) {
    fmt::print(ctx.out, "\tInterleave_Param chunk_size: {}\n",
               core::size_text(n.fmap.chunk_size, sizes));
    fmt::print(ctx.out, "\tInterleaved extent has {} strips:\n", n.fmap.extents.size());
  } else {
    fmt::print(ctx.out, "\textents: {}\n", n.fmap.extents.size());
  }
  for (const auto& e : n.fmap.extents) {
    fmt::print(ctx.out, "\t\t{:#x}\t{}\n", e.offset, core::size_text(e.len, sizes));
  }
}

Result<int> run_getmap(Context& ctx, const GetmapOptions& o) {
  if (o.quiet) {
    return run_quiet(ctx, o);
  }
  ErrorTally failed(ctx);
  FsTarget target(o.device);
  const auto rels = target.relpaths(o.files, failed);
  std::optional<core::Tree> tree;
  if (!target.device().empty()) {
    FAMFS_TRY_ASSIGN(auto img, core::Image::open(target.device(), core::OpenMode::read_only));
    FAMFS_TRY_ASSIGN(auto t, core::load_tree(img));
    tree = std::move(t);
  }
  core::JsonWriter j;
  j.begin_object();
  j.begin_array("files");
  for (std::size_t i = 0; i < o.files.size(); ++i) {
    if (!rels[i]) {
      continue;
    }
    const std::string& path = o.files[i];
    auto found = find_file(*tree, *rels[i], path, "; only files have maps");
    if (!found) {
      failed(found.error());
      continue;
    }
    const core::Node* n = *found;
    if (o.json) {
      map_json(j, path, *tree, *n);
    } else {
      print_map(ctx, path, *n, o.sizes);
    }
  }
  j.end_array();
  if (o.json) {
    j.member("exit_code", failed.exit_code());
    std::vector<std::string> messages;
    for (const auto& e : ctx.errors) {
      messages.push_back(e.message);
    }
    write_message_problems(j, messages);
    j.end_object();
    fmt::print(ctx.out, "{}", j.str());
  }
  return failed.exit_code();
}

} // namespace

RunFn add_getmap(Subcommand& sub) {
  auto o = std::make_shared<GetmapOptions>();
  sub.add_flag("--json", o->json, "print the maps as JSON (files, problems, exit_code)");
  add_human_flag(sub, o->sizes);
  add_device_option(sub, o->device, "FILE");
  sub.add_flag("-q,--quiet", o->quiet,
               "print nothing; the exit status says whether every FILE is "
               "a famfs file with a map");
  sub.add_flag("-c,--continue")
      ->description("accepted for upstream famfs scripts: getmap always goes on after a failed "
                    "FILE");
  sub.add_option("FILE", o->files, "famfs files")->required();
  return [o](Context& ctx) { return run_getmap(ctx, *o); };
}

} // namespace famfs::cli
