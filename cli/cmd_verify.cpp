// famfs verify -S SEED FILE | --multi FILE,SEED ... [-t THREADS] [-q]
// Checks files against the creat --randomize pattern (spec appendix A, upstream's exact bytes).
// A famfs file is read straight from the device through its map; a file outside famfs (say, a
// copy read back through a mount) is read with read(2).
#include "cli/command.hpp"
#include "cli/daemon_deadline.hpp"
#include "cli/fs_target.hpp"
#include "cli/parallel.hpp"
#include "cli/progress.hpp"
#include "core/file_data.hpp"
#include "core/fs_ops.hpp"
#include "core/random_pattern.hpp"
#include "core/unique_fd.hpp"
#include "log/path.hpp"
#include "log/quote.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

namespace famfs::cli {

namespace {

struct VerifyOptions {
  std::string file;
  std::string file_opt; // -f, upstream's spelling
  std::optional<std::uint64_t> seed;
  std::vector<std::string> multi;
  unsigned threads = default_threads();
  bool quiet = false;
  core::SizeStyle sizes = core::SizeStyle::bytes; // -H
  std::string device;
};

struct Item {
  std::string path;
  std::uint64_t seed = 0;
  // Filled by the check:
  std::optional<Error> error;
  std::uint64_t size = 0;
};

// Reads a plain file and checks it against the pattern.
Result<std::optional<std::uint64_t>>
check_plain(const std::string& path, std::uint64_t seed, std::uint64_t& size, Progress& progress) {
  core::UniqueFd fd([&] {
    const DaemonDeadline deadline(path);
    return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }());
  if (!fd) {
    return sys_error(errno, path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return sys_error(errno, path);
  }
  size = static_cast<std::uint64_t>(st.st_size); // for messages; the check reads to EOF
  core::PatternStream ps(seed);
  std::vector<std::byte> buf(1 << 20);
  std::uint64_t done = 0;
  for (;;) {
    const ssize_t n = [&] {
      const DaemonDeadline deadline(path); // a read through a mount asks its daemon
      return ::read(fd.get(), buf.data(), buf.size());
    }();
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return sys_error(errno, path);
    }
    if (n == 0) {
      break;
    }
    if (auto bad =
            ps.mismatch(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)))) {
      return std::optional<std::uint64_t>(*bad);
    }
    done += static_cast<std::uint64_t>(n);
    progress.add(static_cast<std::uint64_t>(n));
  }
  size = done;
  return std::optional<std::uint64_t>();
}

// Checks a famfs file, read straight from the device through its map (`it.error` for a path
// that names no file).
Result<std::optional<std::uint64_t>> check_famfs(Item& it,
                                                 const std::string& relpath,
                                                 const core::Image& img,
                                                 const core::Tree& tree,
                                                 Progress& progress) {
  auto found = find_file(tree, relpath, it.path);
  if (!found) {
    it.error = found.error();
    return std::optional<std::uint64_t>();
  }
  const core::Node* n = *found;
  it.size = n->size;
  return core::check_pattern(img.device(), n->fmap, n->size, it.seed,
                             [&](std::uint64_t b) { progress.add(b); });
}

// The bytes a file will be checked for (0 when unknown), for the progress display: a famfs file's
// size in the tree (`tree` is set when `relpath` is not empty), else the size stat(2) reports.
std::uint64_t planned_size(const std::string& path,
                           const std::string& relpath,
                           const std::optional<core::Tree>& tree) {
  if (tree && !relpath.empty()) {
    auto n = find_file(*tree, relpath, path);
    return n ? (*n)->size : 0;
  }
  struct stat st {};
  const DaemonDeadline deadline(path);
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)
             ? static_cast<std::uint64_t>(st.st_size)
             : 0;
}

// The files to check: FILE with --seed, or each --multi FILE,SEED.
Result<std::vector<Item>> items_of(const VerifyOptions& o) {
  std::vector<Item> items;
  const std::string single = o.file.empty() ? o.file_opt : o.file;
  if (!o.file.empty() && !o.file_opt.empty()) {
    return fail(Errc::invalid_argument, "give the file once (FILE or -f FILE)");
  }
  if (o.multi.empty()) {
    if (single.empty()) {
      return fail(Errc::invalid_argument, "no file given (FILE or --multi)");
    }
    if (!o.seed || *o.seed == 0) {
      return fail(Errc::invalid_argument, "--seed is required, and must be above 0");
    }
    items.push_back(Item{single, *o.seed, {}, 0});
  } else {
    if (!single.empty() || o.seed) {
      return fail(Errc::invalid_argument, "--multi cannot be combined with FILE or --seed");
    }
    for (const auto& m : o.multi) {
      auto f = split_fields(m);
      char* end = nullptr;
      errno = 0;
      unsigned long long s = f.size() == 2 ? std::strtoull(f[1].c_str(), &end, 0) : 0;
      if (f.size() != 2 || errno != 0 || *end != 0 || f[1].front() == '-' || s == 0) {
        return fail(Errc::invalid_argument, "--multi {}: expected FILE,SEED with SEED above 0", m);
      }
      items.push_back(Item{f[0], s, {}, 0});
    }
  }
  return items;
}

Result<int> run_verify(Context& ctx, const VerifyOptions& o) {
  FAMFS_TRY_ASSIGN(std::vector<Item> items, items_of(o));

  // Resolve famfs paths to their maps, loading each file system's tree once.
  FsTarget target(o.device);
  struct Famfs {
    std::string relpath;
    bool in_famfs = false;
  };
  std::vector<Famfs> where(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto rel = target.relpath(items[i].path);
    if (rel) {
      where[i] = Famfs{*rel, true};
    } else if (rel.error().code != Errc::not_found || target.by_device()) {
      items[i].error = rel.error();
    }
  }
  std::optional<core::Image> img;
  std::optional<core::Tree> tree;
  if (!target.device().empty()) {
    FAMFS_TRY_ASSIGN(auto opened, core::Image::open(target.device(), core::OpenMode::read_only));
    img = std::move(opened);
    FAMFS_TRY_ASSIGN(auto t, core::load_tree(*img));
    tree = std::move(t);
  }
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    total += items[i].error ? 0 : planned_size(items[i].path, where[i].relpath, tree);
  }
  std::optional<Progress> progress(std::in_place, ctx, total,
                                   o.quiet ? Show::never : Show::on_terminal);
  parallel_for(items.size(), o.threads, [&](std::size_t i) {
    Item& it = items[i];
    if (it.error) {
      return;
    }
    Result<std::optional<std::uint64_t>> r =
        where[i].in_famfs ? check_famfs(it, where[i].relpath, *img, *tree, *progress)
                          : check_plain(it.path, it.seed, it.size, *progress);
    if (!r) {
      it.error = with_context(r.error(), it.path);
    } else if (r->has_value()) {
      it.error = make_error(Errc::corrupt,
                            "{}: data differs from the pattern of seed {} at offset "
                            "{} of {} bytes",
                            it.path, it.seed, r->value(), it.size);
    }
  });
  progress.reset(); // the bar's line ends before the report
  ErrorTally errors(ctx);
  for (const auto& it : items) {
    if (it.error) {
      errors(*it.error);
    } else if (!o.quiet) {
      fmt::print(ctx.out, "Success: verified {} in file {}\n", bytes_text(it.size, o.sizes),
                 log::quote_name(it.path));
    }
  }
  if (!o.multi.empty() && !o.quiet) {
    fmt::print(ctx.out, "Verify complete for {} files with {} errors\n", items.size(),
               errors.count());
  }
  return errors.exit_code();
}

} // namespace

RunFn add_verify(Subcommand& sub) {
  auto o = std::make_shared<VerifyOptions>();
  sub.add_option("-S,--seed", o->seed, "the seed the file was randomized with (above 0)");
  sub.add_option("-f,--filename", o->file_opt, "the file (same as FILE)");
  // -M as in creat --multi; -m is upstream's spelling (its creat -m is the mode).
  sub.add_option("-M,-m,--multi", o->multi, "FILE,SEED: verify several files")
      ->type_name("FILE,SEED")
      ->allow_extra_args(false);
  sub.add_option("-t,--threads,--threadct", o->threads,
                 "threads for --multi (0 to 256; default: the CPUs)")
      ->check(range(0, 256));
  sub.add_flag("-q,--quiet", o->quiet, "print only errors");
  add_human_flag(sub, o->sizes);
  add_device_option(sub, o->device, "FILE");
  sub.add_option("FILE", o->file, "the file to verify");
  return [o](Context& ctx) { return run_verify(ctx, *o); };
}

} // namespace famfs::cli
