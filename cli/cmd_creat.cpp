// famfs creat -s SIZE [-m MODE] [-u UID] [-g GID] [-r [-S SEED]] [-N n -B n -C size] FILE
// famfs creat --multi NAME,SIZE[,SEED] ... [-t THREADS]
// Creates (allocates and logs) files. An existing file of the same size is left as it is (and
// re-randomized when a seed is given); another size is an error. All files of one command are
// made in one locked session and appended as one batch, after their data (when randomized) is
// written, so a file never shows up without its data. Log full or device full: nothing is made.
#include "cli/command.hpp"
#include "cli/fs_target.hpp"
#include "cli/parallel.hpp"
#include "cli/progress.hpp"
#include "core/file_data.hpp"
#include "core/fs_ops.hpp"
#include "log/fmap.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <random>

namespace famfs::cli {

namespace {

struct CreatOptions {
  std::string file;
  std::string size;
  OwnerOptions owner;
  bool randomize = false;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> multi;
  unsigned threads = default_threads();
  InterleaveOptions interleave;
  std::string device;
  core::SizeStyle sizes = core::SizeStyle::bytes; // -H
};

struct Item {
  std::string path;       // as the user gave it
  std::uint64_t size = 0; // 0: keep the existing size
  std::optional<std::uint64_t> seed;
  std::string relpath;
  core::FilePlan plan;
  bool failed = false;
};

Result<std::vector<Item>> items_of(const CreatOptions& o) {
  std::vector<Item> items;
  if (o.multi.empty()) {
    Item it;
    it.path = o.file;
    if (!o.size.empty()) {
      FAMFS_TRY_ASSIGN(it.size, parse_size(o.size));
      if (it.size == 0) {
        return fail(Errc::invalid_argument, "--size 0: a famfs file needs at least one byte");
      }
    }
    if (o.randomize) {
      it.seed = o.seed;
      if (!it.seed) {
        std::random_device rd;
        it.seed = 1 + rd() % 0xfffffffeU; // non-zero, 32 bits (upstream truncates seeds)
      }
    }
    items.push_back(std::move(it));
    return items;
  }
  for (const auto& m : o.multi) {
    auto f = split_fields(m);
    if (f.size() < 2 || f.size() > 3) {
      return fail(Errc::invalid_argument, "--multi {}: expected NAME,SIZE[,SEED]", m);
    }
    Item it;
    // With a trailing DIR (famfs creat --multi a,2m --multi b,4m DIR), relative NAMEs are in it.
    it.path = o.file.empty() || f[0].front() == '/' ? f[0] : o.file + "/" + f[0];
    auto size = parse_size(f[1]);
    if (!size) {
      return with_context(std::move(size).error(), "--multi " + m);
    }
    it.size = *size; // 0 keeps an existing file's size (a new one is refused)
    if (f.size() == 3) {
      char* end = nullptr;
      errno = 0;
      unsigned long long s = std::strtoull(f[2].c_str(), &end, 0);
      if (errno != 0 || *end != 0 || f[2].front() == '-' || s == 0) {
        return fail(Errc::invalid_argument, "--multi {}: the seed must be a number above 0", m);
      }
      it.seed = s;
    }
    items.push_back(std::move(it));
  }
  return items;
}

// Writes the pattern of each seeded file, in parallel; false when one failed (reported through
// `item_failed`), and then the whole command is dropped.
template <class OnFail>
Result<bool> write_patterns(Context& ctx,
                            std::vector<Item>& items,
                            core::Session& session,
                            const FsTarget& target,
                            unsigned threads,
                            OnFail& item_failed) {
  std::mutex mu;
  std::vector<std::size_t> seeded;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].failed && items[i].seed) {
      seeded.push_back(i);
    }
  }
  const core::Device& dev = session.image().device();
  std::uint64_t total = 0;
  for (std::size_t k : seeded) {
    total += items[k].plan.size;
  }
  Progress progress(ctx, total, Show::on_terminal);
  parallel_for(seeded.size(), threads, [&](std::size_t k) {
    Item& it = items[seeded[k]];
    auto r = core::write_pattern(dev, it.plan.fmap, it.plan.size, *it.seed,
                                 [&](std::uint64_t n) { progress.add(n); });
    std::lock_guard lock(mu);
    if (!r) {
      item_failed(it, with_context(r.error(), target.display(it.plan.relpath)));
    }
  });
  // A file whose data could not be written is left out of the batch: drop the whole command
  // rather than log a file without its data (the session would refuse the entry anyway).
  for (std::size_t k : seeded) {
    if (items[k].failed) {
      return false;
    }
    FAMFS_TRY(session.mark_written(items[k].plan));
  }
  return true;
}

// What was made, under -v; the seed of a file randomized with a seed of our choosing.
void report_created(Context& ctx,
                    const std::vector<Item>& items,
                    const FsTarget& target,
                    const CreatOptions& o) {
  for (const auto& it : items) {
    if (it.failed) {
      continue;
    }
    if (ctx.verbose > 0) {
      fmt::print(ctx.out, "{} {}: {}, {}\n", it.plan.existing ? "exists" : "created",
                 target.display(it.plan.relpath), bytes_text(it.plan.size, o.sizes),
                 log::fmap_text(it.plan.fmap));
    }
    if (it.seed && (ctx.verbose > 0 || (o.randomize && !o.seed))) {
      fmt::print(ctx.out, "randomized {} with seed {}: {}\n", bytes_text(it.plan.size, o.sizes),
                 *it.seed, target.display(it.plan.relpath));
    }
  }
}

Result<int> run_creat(Context& ctx, const CreatOptions& o) {
  if (o.file.empty() && o.multi.empty()) {
    return fail(Errc::invalid_argument, "no file given (FILE or --multi)");
  }
  if (o.seed && *o.seed == 0) {
    return fail(Errc::invalid_argument, "--seed 0: the seed must be above 0");
  }
  FAMFS_TRY_ASSIGN(auto owner, o.owner.get(0644));
  FAMFS_TRY_ASSIGN(auto il, o.interleave.get());
  FAMFS_TRY_ASSIGN(auto parsed, items_of(o));
  std::vector<Item> items = std::move(parsed);

  ErrorTally errors(ctx);
  auto item_failed = [&](Item& it, const Error& e) {
    errors(e);
    it.failed = true;
  };
  FsTarget target(o.device);
  std::vector<std::string> paths;
  for (const auto& it : items) {
    paths.push_back(it.path);
  }
  auto rels = target.relpaths(paths, errors);
  for (std::size_t i = 0; i < items.size(); ++i) {
    items[i].failed = !rels[i];
    items[i].relpath = rels[i].value_or("");
    // "name/" names a directory (open(2) with O_CREAT says EISDIR): never make a file of it.
    const std::string& p = items[i].path;
    if (!items[i].failed && !p.empty() && (p.back() == '/' || p.ends_with("/."))) {
      item_failed(items[i],
                  make_error(Errc::invalid_argument,
                             "{}: a trailing slash names a directory; creat makes files", p));
    }
  }
  if (target.device().empty()) {
    return errors.exit_code(); // no path resolved; each failure was reported
  }
  FAMFS_TRY_ASSIGN(core::Session session, open_write_session(target, &il));
  for (auto& it : items) {
    if (it.failed) {
      continue;
    }
    core::FileRequest req;
    req.relpath = it.relpath;
    req.size = it.size;
    req.owner = owner;
    req.interleave = il;
    req.contents = it.seed ? core::Contents::to_write : core::Contents::as_allocated;
    auto plan = session.add_file(req);
    if (!plan) {
      if (plan.error().code == Errc::no_space) {
        // The whole command fits or nothing is made.
        return fail(plan.error());
      }
      item_failed(it, plan.error());
      continue;
    }
    it.plan = std::move(*plan);
  }
  FAMFS_TRY(session.check_log_space());
  // Randomize before the entries are appended: a new file appears with its data in place.
  FAMFS_TRY_ASSIGN(const bool written,
                   write_patterns(ctx, items, session, target, o.threads, item_failed));
  if (!written) {
    return errors.exit_code();
  }
  FAMFS_TRY(session.commit_all());
  report_created(ctx, items, target, o);
  return errors.exit_code();
}

} // namespace

RunFn add_creat(Subcommand& sub) {
  auto o = std::make_shared<CreatOptions>();
  add_size_option(sub, "-s,--size", o->size,
                  "file size (k, m, g, t suffixes); optional for an existing file");
  o->owner.add_to(sub, "permission bits, octal 0 to 0777 (default 0644)");
  auto* r = sub.add_flag("-r,--randomize", o->randomize,
                         "fill the file with the verify pattern (seed from --seed, else random)");
  auto* seed = sub.add_option("-S,--seed", o->seed, "seed for --randomize (above 0)")->needs(r);
  auto* multi = sub.add_option("-M,--multi", o->multi,
                               "NAME,SIZE[,SEED]: create several files (SIZE 0 keeps an existing "
                               "file's size; SEED randomizes)")
                    ->type_name("NAME,SIZE[,SEED]")
                    ->allow_extra_args(false) // a trailing DIR is not another NAME,SIZE
                    ->excludes(seed)
                    ->excludes(r);
  sub.add_option("-t,--threads,--threadct", o->threads,
                 "threads randomizing --multi files (0 to 256; default: the CPUs)")
      ->check(range(0, 256));
  o->interleave.add_to(sub);
  add_device_option(sub, o->device, "FILE");
  add_human_flag(sub, o->sizes);
  sub.add_option("FILE", o->file,
                 "the file to create, inside a mounted famfs; with --multi, the directory that "
                 "relative NAMEs are in");
  auto* size = sub.get_option("--size");
  size->excludes(multi);
  return [o](Context& ctx) { return run_creat(ctx, *o); };
}

} // namespace famfs::cli
